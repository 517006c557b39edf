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

/**
 * Stride-1 'valid' 2-D convolution x [N,H,W,Cin] ⊛ w [k,k,Cin,Cout] + b → [N,H−k+1,W−k+1,Cout] whose input
 * gradient is itself a forward convolution (the fast XNNPACK path on wasm), instead of the wasm backend's
 * Conv2DBackpropInput kernel, which is a naive loop (≈10× slower than the forward pass; measured):
 *   dx[n,i,j,c] = Σ_{p,q,o} dy[n,i−p,j−q,o]·w[p,q,c,o]
 *              = conv2d(pad(dy, k−1), w′) with w′[p,q,o,c] = w[k−1−p, k−1−q, c, o]  (flipped, in/out swapped).
 * The filter gradient runs the backend's Conv2DBackpropFilter kernel (patched in for wasm by src/backends).
 * `inputIsData`: x needs no gradient (the first layer) and gets zeros.
 */
function convGrad(inputIsData: boolean) {
  return customGrad((x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, save: Save) => {
    save([x, w]);
    return {
      value: tf.add(tf.conv2d(x, w, 1, 'valid'), b) as unknown as tf.Tensor2D, // [N, H', W', Cout]
      gradFunc: (dyIn: tf.Tensor2D, saved: tf.Tensor[]) => {
        const dy = dyIn as unknown as tf.Tensor4D;
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const k = ws.shape[0];
        const dx = inputIsData
          ? tf.zerosLike(xs)
          : tf.conv2d(
              tf.pad(dy, [[0, 0], [k - 1, k - 1], [k - 1, k - 1], [0, 0]]),
              tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D,
              1,
              'valid',
            ); // [N, H, W, Cin]
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, {
          strides: [1, 1],
          pad: 'valid',
          dataFormat: 'NHWC',
          filterShape: ws.shape,
        }) as tf.Tensor; // [k, k, Cin, Cout]
        return [dx, dw, tf.sum(dy, [0, 1, 2])];
      },
    };
  });
}
const convCG = convGrad(false);
const convDataCG = convGrad(true);

export function conv2dValid(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor, inputIsData = false): tf.Tensor4D {
  return (inputIsData ? convDataCG : convCG)(x, w, b) as unknown as tf.Tensor4D;
}

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
