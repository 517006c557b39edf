/**
 * The convolutional net of the MNIST/FashionMNIST benchmark (method.md §3; the authors' torch model):
 *
 *   x [B,28,28,1] → conv1 5×5 (1→64) [B,24,24,64] → bn1 → leaky_relu → maxpool 2×2 [B,12,12,64]
 *     → conv2 3×3 (64→128) [B,10,10,128] → bn2 → leaky_relu
 *     → conv3 3×3 (128→256) [B,8,8,256] → bn3 → leaky_relu → flatten [B,16384] → fc (16384→10)
 *
 * stride 1, no padding; 535,434 trainable parameters (BatchNorm γ = bnK.weight and β = bnK.bias included and
 * penalised; running statistics are buffers, not parameters). NHWC layout: conv weights [kh, kw, in, out],
 * fc weight [16384, 10] (flattened in H, W, C order — a fixed relabelling of torch's C, H, W order).
 *
 * BatchNorm as torch.nn.BatchNorm2d: training mode normalises with the batch mean and the biased batch
 * variance, and updates running_mean/var with momentum 0.1 using the UNBIASED variance; inference mode uses
 * the running statistics. eps = 1e-5. Init: U(±1/√fan_in) for conv/fc weights and biases (fan_in = in·kh·kw),
 * γ = 1, β = 0, running mean 0, running var 1.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImportanceTarget } from '../importance/types.ts';
import type { Rng } from '../data/images/rng.ts';
import { countParams, type BenchNet } from './bench-net.ts';
import { conv2dValid, dense, newVar, uniformHost } from './bench-layers.ts';
import { LEAKY_SLOPE } from './mlp.ts';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

interface ConvSpec {
  name: string;
  k: number;
  cin: number;
  cout: number;
}
const CONVS: ConvSpec[] = [
  { name: 'conv1', k: 5, cin: 1, cout: 64 },
  { name: 'conv2', k: 3, cin: 64, cout: 128 },
  { name: 'conv3', k: 3, cin: 128, cout: 256 },
];
const FC_IN = 8 * 8 * 256; // 16384

export class Cnn implements BenchNet {
  readonly kind = 'cnn' as const;
  readonly params = new Map<string, tf.Variable>();
  /** BatchNorm running statistics: 'bnK.running_mean', 'bnK.running_var' [C]. */
  readonly buffers = new Map<string, tf.Variable>();
  /** Batch statistics of the last training-mode forward, per BN layer: [mean, biased var, count]. */
  private pending: Array<{ bn: string; mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }> = [];

  constructor(rng: Rng) {
    for (const [i, c] of CONVS.entries()) {
      const bn = `bn${i + 1}`;
      this.params.set(`${c.name}.weight`, newVar(() => tf.zeros([c.k, c.k, c.cin, c.cout]), true));
      this.params.set(`${c.name}.bias`, newVar(() => tf.zeros([c.cout]), true));
      this.params.set(`${bn}.weight`, newVar(() => tf.ones([c.cout]), true));
      this.params.set(`${bn}.bias`, newVar(() => tf.zeros([c.cout]), true));
      this.buffers.set(`${bn}.running_mean`, newVar(() => tf.zeros([c.cout]), false));
      this.buffers.set(`${bn}.running_var`, newVar(() => tf.ones([c.cout]), false));
    }
    this.params.set('fc.weight', newVar(() => tf.zeros([FC_IN, 10]), true));
    this.params.set('fc.bias', newVar(() => tf.zeros([10]), true));
    this.reset(rng);
  }

  reset(rng: Rng): void {
    const set = (name: string, shape: number[], values: Float32Array | null, fill?: number) => {
      const v = this.params.get(name) ?? this.buffers.get(name)!;
      const t = values ? tf.tensor(values, shape) : tf.fill(shape, fill!);
      v.assign(t);
      t.dispose();
    };
    for (const [i, c] of CONVS.entries()) {
      const bound = 1 / Math.sqrt(c.cin * c.k * c.k);
      set(`${c.name}.weight`, [c.k, c.k, c.cin, c.cout], uniformHost(c.k * c.k * c.cin * c.cout, bound, rng));
      set(`${c.name}.bias`, [c.cout], uniformHost(c.cout, bound, rng));
      const bn = `bn${i + 1}`;
      set(`${bn}.weight`, [c.cout], null, 1);
      set(`${bn}.bias`, [c.cout], null, 0);
      set(`${bn}.running_mean`, [c.cout], null, 0);
      set(`${bn}.running_var`, [c.cout], null, 1);
    }
    const bound = 1 / Math.sqrt(FC_IN);
    set('fc.weight', [FC_IN, 10], uniformHost(FC_IN * 10, bound, rng));
    set('fc.bias', [10], uniformHost(10, bound, rng));
    this.clearPending();
  }

  private batchNorm(h: tf.Tensor4D, bn: string, training: boolean): tf.Tensor4D {
    const gamma = this.params.get(`${bn}.weight`)!;
    const beta = this.params.get(`${bn}.bias`)!;
    let mean: tf.Tensor1D;
    let variance: tf.Tensor1D;
    if (training) {
      const m = tf.moments(h, [0, 1, 2]); // biased variance, as torch's normalisation
      mean = m.mean as tf.Tensor1D; // [C]
      variance = m.variance as tf.Tensor1D; // [C]
      const [b, hh, ww] = h.shape;
      this.pending.push({ bn, mean: tf.keep(mean), variance: tf.keep(variance), count: b * hh * ww });
    } else {
      mean = this.buffers.get(`${bn}.running_mean`)! as tf.Tensor1D;
      variance = this.buffers.get(`${bn}.running_var`)! as tf.Tensor1D;
    }
    const inv = tf.rsqrt(tf.add(variance, BN_EPS)); // [C]
    return tf.add(tf.mul(tf.mul(tf.sub(h, mean), inv), gamma), beta) as tf.Tensor4D; // [B,H,W,C]
  }

  logits(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    if (training) this.clearPending();
    return tf.tidy(() => {
      let h = tf.reshape(x, [x.shape[0], 28, 28, 1]) as tf.Tensor4D; // [B,28,28,1]
      for (const [i, c] of CONVS.entries()) {
        const w = this.params.get(`${c.name}.weight`)! as tf.Tensor4D;
        h = conv2dValid(h, w, this.params.get(`${c.name}.bias`)!, i === 0); // [B, H−k+1, W−k+1, Cout]
        h = this.batchNorm(h, `bn${i + 1}`, training);
        h = tf.leakyRelu(h, LEAKY_SLOPE) as tf.Tensor4D;
        if (i === 0) h = tf.maxPool(h, 2, 2, 'valid') as tf.Tensor4D; // [B,12,12,64]
      }
      const flat = tf.reshape(h, [h.shape[0], FC_IN]) as tf.Tensor2D; // [B,16384]
      return dense(flat, this.params.get('fc.weight')!, this.params.get('fc.bias')!); // [B,10]
    });
  }

  /** running ← (1 − m)·running + m·batch, with the unbiased batch variance (torch BatchNorm2d). */
  commitBatchStats(): void {
    for (const p of this.pending) {
      const rm = this.buffers.get(`${p.bn}.running_mean`)!;
      const rv = this.buffers.get(`${p.bn}.running_var`)!;
      const unbias = p.count > 1 ? p.count / (p.count - 1) : 1;
      tf.tidy(() => {
        rm.assign(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(p.mean, BN_MOMENTUM)));
        rv.assign(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(p.variance, BN_MOMENTUM * unbias)));
      });
    }
    this.clearPending();
  }

  private clearPending(): void {
    for (const p of this.pending) {
      p.mean.dispose();
      p.variance.dispose();
    }
    this.pending = [];
  }

  importanceTarget(): ImportanceTarget {
    return { kind: 'classifier', params: this.params, logits: (x: tf.Tensor) => this.logits(x as tf.Tensor2D, false) };
  }

  numParams(): number {
    return countParams(this.params);
  }

  dispose(): void {
    this.clearPending();
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}
