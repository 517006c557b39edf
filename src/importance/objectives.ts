/**
 * Per-sample objectives whose parameter gradients define the importances (method.md §2).
 *
 *   fisher  (lm):          f_n = (1/(T−1)) Σ_{t<T−1} log p(y_{n,t} | x_{n,≤t})     y = next token / drawn / argmax
 *   fisher  (classifier):  f_n = log p(y_n | x_n)
 *   mas     (lm):          f_n = (1/T) Σ_t ‖softmax(logits_{n,t})‖²₂
 *   mas     (classifier):  f_n = ‖softmax(logits_n)‖²₂
 *
 * Fisher then squares ∂f_n/∂θ, MAS takes |∂f_n/∂θ|; both average over the N samples.
 * Samples never interact in the forward pass, so ∂(Σ_n f_n)/∂(per-sample intermediates) is per-sample exact.
 */
import * as tf from '@tensorflow/tfjs';
import { tokenNll } from '../model/ops.ts';
import type { ImportanceSamples } from './types.ts';

/** Float one-hot built as int32 then cast (tf.oneHot float32 is wrong on wasm 4.22; tfjs-notes.md §5). */
export function oneHotF32(labels: tf.Tensor, depth: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, depth), 'float32'));
}

/**
 * Per-sample log-likelihood f_n, [N].
 * lm: logits [N, T, V], labels [N, T−1] (label of position t); classifier: logits [N, K], labels [N].
 */
export function perSampleLogLik(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    // log p(y | ·) = −nll with nll = logsumexp(z) − z_y (ops.tokenNll: no one-hot, scatter-add gradient,
    // wasm-safe; tfjs-notes.md §4–5).
    if (logits.rank === 3) {
      const [n, t, v] = logits.shape;
      const scored = tf.reshape(tf.slice(logits, [0, 0, 0], [n, t - 1, v]), [n * (t - 1), v]) as tf.Tensor2D; // [N·(T−1), V]
      const nll = tokenNll(scored, tf.cast(tf.reshape(labels, [n * (t - 1)]), 'int32') as tf.Tensor1D); // [N·(T−1)]
      return tf.neg(tf.mean(tf.reshape(nll, [n, t - 1]), 1)) as tf.Tensor1D; // [N]
    }
    return tf.neg(tokenNll(logits as tf.Tensor2D, tf.cast(labels, 'int32') as tf.Tensor1D)) as tf.Tensor1D; // [N]
  });
}

/** Per-sample MAS objective ‖softmax‖²₂ (averaged over positions for lm), [N]. */
export function perSampleMas(logits: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const p = tf.softmax(logits); // [N, (T,) V]
    const sq = tf.sum(tf.square(p), -1); // [N, (T)]
    return (logits.rank === 3 ? tf.mean(sq, 1) : sq) as tf.Tensor1D; // [N]
  });
}


/**
 * Labels drawn from / the argmax of the model's predictive distribution, from logits [R, V] (host).
 * Returns Int32Array [R].
 */
export function modelLabels(logits: tf.Tensor2D, how: 'sampled' | 'argmax', rng: () => number): Int32Array {
  const [r, v] = logits.shape;
  const out = new Int32Array(r);
  if (how === 'argmax') {
    const am = tf.tidy(() => tf.argMax(logits, 1));
    out.set(am.dataSync() as Int32Array);
    am.dispose();
    return out;
  }
  const p = tf.tidy(() => tf.softmax(logits));
  const probs = p.dataSync() as Float32Array;
  p.dispose();
  for (let i = 0; i < r; i++) {
    const u = rng();
    let acc = 0;
    let k = v - 1;
    for (let j = 0; j < v; j++) {
      acc += probs[i * v + j];
      if (u < acc) {
        k = j;
        break;
      }
    }
    out[i] = k;
  }
  return out;
}

/**
 * Size of the next batch of consecutive samples starting at `start`: at most `max`, and for sequences only as
 * many as share the first one's length (a batch is one rectangular tensor).
 */
export function nextBatchCount(samples: ImportanceSamples, start: number, n: number, max: number): number {
  const count = Math.min(max, n - start);
  if (samples.kind !== 'sequences') return count;
  const len = samples.sequences[start].length;
  let c = 1;
  while (c < count && samples.sequences[start + c].length === len) c++;
  return c;
}
