/**
 * Small building blocks shared by the benchmark networks (src/model/mlp.ts, src/model/cnn.ts).
 *
 * `dense(x, W, b)`: y = x·W + b with W in [in, out] layout. Its gradient uses explicit tf.transpose copies
 * and plain rank-2 products: on the wasm backend only the rank-2, no-transpose matmul is fast
 * (tfjs-notes.md §3; tf.matMul's own gradient takes the transposeA/B paths, 5–70× slower).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/images/rng.ts';

type Save = (tensors: tf.Tensor[]) => void;
// tf.customGrad's typing does not model the trailing `save` argument; this is its runtime contract.
type GradResult = { value: tf.Tensor2D; gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.Tensor[] };
function customGrad(f: (...args: any[]) => GradResult): (...inputs: tf.Tensor[]) => tf.Tensor2D {
  return tf.customGrad(f as any) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor2D;
}

/** x [N, in] · W [in, out] + b [out] with a wasm-friendly gradient. */
const denseCG = customGrad((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: Save) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b) as tf.Tensor2D, // [N, out]
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        tf.matMul(dy, tf.transpose(ws)), // dx [N, out]·[out, in] → [N, in]
        tf.matMul(tf.transpose(xs), dy), // dW [in, N]·[N, out] → [in, out]
        tf.sum(dy, 0), // db [out]
      ];
    },
  };
});

/**
 * Same layer when x is data (not differentiated): dx is returned as zeros instead of being computed
 * (customGrad computes every input's gradient eagerly; dx would cost a full matmul).
 */
const denseDataCG = customGrad((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: Save) => {
  save([x]);
  return {
    value: tf.add(tf.matMul(x, w), b) as tf.Tensor2D, // [N, out]
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const xs = saved[0] as tf.Tensor2D;
      return [tf.zerosLike(xs), tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)];
    },
  };
});

/** y = x·W + b [N, out] (W [in, out]); `inputIsData`: x needs no gradient (first layer). */
export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, inputIsData = false): tf.Tensor2D {
  return (inputIsData ? denseDataCG : denseCG)(x, w, b);
}

/** U(−bound, bound) host values (PyTorch's default init for Linear/Conv2d: bound = 1/√fan_in). */
export function uniformHost(size: number, bound: number, rng: Rng): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = (2 * rng() - 1) * bound;
  return a;
}

/**
 * Mean cross-entropy of logits [N, K] against integer labels [N], computed as logsumexp − picked logit
 * (no float oneHot: it is wrong on wasm 4.22, tfjs-notes.md §5).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const mask = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), k), 'float32'); // [N, K]
    const picked = tf.sum(tf.mul(logits, mask), 1); // [N]
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), picked)) as tf.Scalar;
  });
}

/** Number of rows where argmax(logits) equals the label. */
export function countCorrect(logits: tf.Tensor2D, labels: Int32Array): number {
  const t = tf.argMax(logits, 1); // [N]
  const pred = t.dataSync();
  t.dispose();
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) c++;
  return c;
}

/** A variable initialised from a temporary tensor (the temporary is disposed; the variable owns its data). */
export function newVar(init: () => tf.Tensor, trainable: boolean): tf.Variable {
  return tf.tidy(() => tf.variable(init(), trainable));
}
