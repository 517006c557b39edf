/**
 * Test accuracy of the benchmark MLP during a cumulative pruning sweep, with the first layer updated
 * incrementally.
 *
 * The first layer holds 83% of the net's multiply-adds (784·300 of 784·300 + 300·150 + 150·10) and of its
 * parameters. Its pre-activations Z1 = X·W1 + b1 ([n, 300], W1 [784, 300]) are kept on the host in float64,
 * column-major; zeroing w_ij subtracts w_ij·X[:, i] from column j (n multiply-adds), zeroing b_j subtracts b_j.
 * Over a whole sweep p = 0…1 this costs one pass over W1 (784·300·n) instead of one per fraction. Each
 * evaluation then runs only layers 2… on the backend: leaky_relu(Z1) [n, 300] → x·W2 + b2 → … → argmax.
 * Z1 starts from the backend's float32 product, so predictions equal the full forward pass up to float
 * rounding (a test compares them).
 */
import * as tf from '@tensorflow/tfjs';
import { EwcError } from '../util/errors.ts';
import { LEAKY_SLOPE } from '../model/mlp.ts';
import type { ParamMap } from './mask.ts';

export class IncrementalMlpEval {
  private readonly n: number;
  private readonly inDim: number;
  private readonly h1: number;
  private readonly layers: number;
  /** X column-major: xT[i·n + s] = X[s, i] */
  private readonly xT: Float32Array;
  /** Z1 column-major: z[j·n + s] */
  private readonly z: Float64Array;
  private readonly a1: Float32Array;

  /** x: [n, in] row-major host inputs; y: labels; params: the net's current parameters (fc1…fcL). */
  constructor(
    x: Float32Array,
    private readonly y: Int32Array,
    params: ParamMap,
  ) {
    this.layers = [...params.keys()].filter((k) => /^fc\d+\.weight$/.test(k)).length;
    const w1 = params.get('fc1.weight');
    if (!w1 || this.layers < 2) throw new EwcError('incremental MLP evaluation: expected fc1 … fcL (L ≥ 2) weights.');
    [this.inDim, this.h1] = w1.shape;
    this.n = y.length;
    if (x.length !== this.n * this.inDim) throw new EwcError(`incremental MLP evaluation: inputs ${x.length} ≠ ${this.n}×${this.inDim}.`);
    this.xT = new Float32Array(this.n * this.inDim);
    for (let s = 0; s < this.n; s++) for (let i = 0; i < this.inDim; i++) this.xT[i * this.n + s] = x[s * this.inDim + i];
    this.z = new Float64Array(this.n * this.h1);
    this.a1 = new Float32Array(this.n * this.h1);
    this.reset(params, x);
  }

  /** Recomputes Z1 = X·W1 + b1 from `params` (start of a sweep). */
  reset(params: ParamMap, x?: Float32Array): void {
    const w1 = params.get('fc1.weight')!;
    const b1 = params.get('fc1.bias')!;
    const xh = x ?? this.rowMajorX();
    const zt = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(xh, [this.n, this.inDim]), tf.tensor2d(w1.data, w1.shape as [number, number])), tf.tensor1d(b1.data)));
    const zd = zt.dataSync() as Float32Array; // [n, h1]
    zt.dispose();
    for (let s = 0; s < this.n; s++) for (let j = 0; j < this.h1; j++) this.z[j * this.n + s] = zd[s * this.h1 + j];
  }

  private rowMajorX(): Float32Array {
    const x = new Float32Array(this.n * this.inDim);
    for (let s = 0; s < this.n; s++) for (let i = 0; i < this.inDim; i++) x[s * this.inDim + i] = this.xT[i * this.n + s];
    return x;
  }

  /** Records that entry `index` of tensor `name` (value `old`) was set to zero. */
  zero(name: string, index: number, old: number): void {
    if (old === 0) return;
    const n = this.n;
    if (name === 'fc1.weight') {
      const i = Math.floor(index / this.h1); // input
      const j = index - i * this.h1; // output unit
      const z = this.z;
      const xT = this.xT;
      const zo = j * n;
      const xo = i * n;
      for (let s = 0; s < n; s++) z[zo + s] -= old * xT[xo + s];
    } else if (name === 'fc1.bias') {
      const zo = index * n;
      for (let s = 0; s < n; s++) this.z[zo + s] -= old;
    }
  }

  /** Accuracy with layer 1 from the incremental Z1 and layers 2… from `params`. */
  accuracy(params: ParamMap, chunk = 5000): number {
    const { n, h1, z, a1 } = this;
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < h1; j++) {
        const v = z[j * n + s];
        a1[s * h1 + j] = v > 0 ? v : LEAKY_SLOPE * v;
      }
    }
    let correct = 0;
    const ws: tf.Tensor[] = [];
    try {
      for (let l = 2; l <= this.layers; l++) {
        const w = params.get(`fc${l}.weight`)!;
        const b = params.get(`fc${l}.bias`)!;
        ws.push(tf.tensor2d(w.data, w.shape as [number, number]), tf.tensor1d(b.data));
      }
      for (let s0 = 0; s0 < n; s0 += chunk) {
        const b = Math.min(chunk, n - s0);
        const pred = tf.tidy(() => {
          let h = tf.tensor2d(a1.subarray(s0 * h1, (s0 + b) * h1), [b, h1]) as tf.Tensor2D; // [b, 300]
          for (let l = 2; l <= this.layers; l++) {
            const zl = tf.add(tf.matMul(h, ws[2 * (l - 2)] as tf.Tensor2D), ws[2 * (l - 2) + 1]);
            h = (l < this.layers ? tf.leakyRelu(zl, LEAKY_SLOPE) : zl) as tf.Tensor2D;
          }
          return tf.argMax(h, 1); // [b]
        });
        const p = pred.dataSync();
        pred.dispose();
        for (let i = 0; i < b; i++) if (p[i] === this.y[s0 + i]) correct++;
      }
    } finally {
      for (const t of ws) t.dispose();
    }
    return correct / n;
  }
}
