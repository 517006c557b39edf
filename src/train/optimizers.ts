/**
 * Optimizers on tf.Variables keyed by parameter name (Adam, AdamW, SGD ± momentum), written out rather than
 * tf.train.* so that (a) the state is a name-keyed map that checkpoints exactly (b) the update is PyTorch's
 * (c) the wasm heap does not balloon (tfjs-notes.md §6). All math stays inside tf.tidy.
 *
 * Updates (g = gradient after clipping; t = step count after increment; bc1 = 1 − β1^t, bc2 = 1 − β2^t):
 *   adam:  g ← g + wd·θ;  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  θ ← θ − (lr/bc1)·m / (√v/√bc2 + ε)
 *   adamw: θ ← θ·(1 − lr·wd) (decay params only), then the Adam update with g unchanged
 *   sgd:   g ← g + wd·θ;  buf ← μ·buf + g (μ > 0);  θ ← θ − lr·(buf or g)
 * These are torch.optim.Adam / AdamW / SGD (dampening 0, no Nesterov) for the same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedTensors, OptimizerSpec, OptimizerState } from '../engine/types.ts';
import { EwcError } from '../util/errors.ts';

export class NamedOptimizer {
  readonly spec: OptimizerSpec;
  /** slot → param name → variable. */
  private readonly slots = new Map<string, Map<string, tf.Variable>>();
  private readonly decay: Set<string>;
  step = 0;

  constructor(
    spec: OptimizerSpec,
    private readonly params: Map<string, tf.Variable>,
    readonly names: readonly string[],
  ) {
    this.spec = { ...spec };
    const decayNames = spec.decayParams ?? names.filter((n) => (params.get(n)?.shape.length ?? 0) >= 2);
    this.decay = new Set(decayNames);
    for (const s of this.slotNames()) {
      const m = new Map<string, tf.Variable>();
      for (const n of names) {
        const p = this.param(n);
        m.set(n, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      }
      this.slots.set(s, m);
    }
  }

  slotNames(): string[] {
    switch (this.spec.name) {
      case 'adam':
      case 'adamw':
        return ['exp_avg', 'exp_avg_sq'];
      case 'sgd':
        return this.spec.momentum > 0 ? ['momentum_buffer'] : [];
      default: {
        const never: never = this.spec.name;
        throw new EwcError(`optimizer: expected adam, adamw or sgd, found ${String(never)}.`);
      }
    }
  }

  /** Applies one update with gradients keyed by name (every trainable name must be present). */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { name, beta1: b1, beta2: b2, eps, weightDecay: wd, momentum: mu } = this.spec;
    const bc1 = 1 - Math.pow(b1, this.step);
    const bc2 = 1 - Math.pow(b2, this.step);
    for (const n of this.names) {
      const g0 = grads.get(n);
      if (!g0) throw new Error(`optimizer: no gradient for trainable parameter ${n}`);
      const p = this.param(n);
      const decays = wd > 0 && this.decay.has(n);
      tf.tidy(() => {
        let g: tf.Tensor = g0;
        if (name === 'adamw') {
          if (decays) p.assign(tf.mul(p, 1 - lr * wd));
        } else if (decays) {
          g = tf.add(g, tf.mul(p, wd));
        }
        if (name === 'sgd') {
          let d = g;
          if (mu > 0) {
            const buf = this.slots.get('momentum_buffer')!.get(n)!;
            buf.assign(tf.add(tf.mul(buf, mu), g));
            d = buf;
          }
          p.assign(tf.sub(p, tf.mul(d, lr)));
          return;
        }
        const m = this.slots.get('exp_avg')!.get(n)!;
        const v = this.slots.get('exp_avg_sq')!.get(n)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
      });
    }
  }

  getState(): OptimizerState {
    const slots: Record<string, NamedTensors> = {};
    for (const [s, m] of this.slots) {
      const nt: NamedTensors = new Map();
      for (const [n, v] of m) nt.set(n, { shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) });
      slots[s] = nt;
    }
    return { step: this.step, slots };
  }

  setState(state: OptimizerState): void {
    const want = this.slotNames();
    const got = Object.keys(state.slots);
    if (want.length !== got.length || want.some((s) => !got.includes(s))) {
      throw new EwcError(
        `optimizer state: expected slots [${want.join(', ')}] for ${this.spec.name}, found [${got.join(', ')}]. ` +
          `Resume with the optimizer the checkpoint was trained with.`,
      );
    }
    for (const s of want) {
      const m = this.slots.get(s)!;
      const src = state.slots[s];
      for (const [n, v] of m) {
        const t = src.get(n);
        if (!t) throw new EwcError(`optimizer state: slot ${s} has no entry for parameter ${n}. The checkpoint belongs to a different model or trainable set.`);
        if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
          throw new EwcError(`optimizer state ${s}/${n}: expected shape [${v.shape}], found [${t.shape}].`);
        }
        tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
      }
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const m of this.slots.values()) for (const v of m.values()) v.dispose();
    this.slots.clear();
  }

  private param(n: string): tf.Variable {
    const p = this.params.get(n);
    if (!p) throw new EwcError(`optimizer: unknown parameter ${n}.`);
    return p;
  }
}
