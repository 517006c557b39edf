/**
 * Adam exactly as torch.optim.Adam (no weight decay, no amsgrad), with per-parameter state keyed by name:
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  t ← t + 1
 *   θ ← θ − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
 * Defaults: the paper's lr 0.001, β1 0.9, β2 0.999, ε 1e-8 (torch's defaults).
 * Our own (not tf.train.adam) because tf.train looks variables up by their globally registered names.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}
export const PAPER_ADAM: AdamConfig = { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export class NamedAdam {
  readonly cfg: AdamConfig;
  private step = 0;
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();

  constructor(cfg: AdamConfig = PAPER_ADAM) {
    this.cfg = { ...cfg };
  }

  get steps(): number {
    return this.step;
  }

  /** One update of every parameter that has a gradient in `grads` (grads are not disposed). */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void {
    const { lr, beta1, beta2, eps } = this.cfg;
    this.step += 1;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) continue;
      const mOld = this.m.get(name);
      const vOld = this.v.get(name);
      const [m, v] = tf.tidy(() => {
        const m1 = mOld ? tf.add(tf.mul(mOld, beta1), tf.mul(g, 1 - beta1)) : tf.mul(g, 1 - beta1);
        const v1 = vOld ? tf.add(tf.mul(vOld, beta2), tf.mul(tf.square(g), 1 - beta2)) : tf.mul(tf.square(g), 1 - beta2);
        const upd = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), eps));
        p.assign(tf.sub(p, tf.mul(upd, lr)));
        return [m1, v1];
      });
      mOld?.dispose();
      vOld?.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
    }
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
    this.step = 0;
  }
}
