/**
 * GPT-2 building blocks written for the wasm backend's one fast matmul path (rank-2, no transpose;
 * tfjs-notes.md §3): every product below — forward and backward — is a plain rank-2 tf.matMul on explicit
 * tf.transpose copies, via tf.customGrad. Integer inputs (token ids, targets) are passed to customGrad as
 * inputs, never captured (captured intermediates are disposed before backprop; tfjs-notes.md §4).
 */
import * as tf from '@tensorflow/tfjs';

export type Save = (tensors: tf.Tensor[]) => void;
// tf.customGrad's typing does not model the trailing `save` argument; this is its runtime contract.
type GradResult<T extends tf.Tensor> = { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] };
/**
 * tf.customGrad whose gradFunc runs inside tf.tidy: tfjs calls a custom gradFunc outside its per-input tidy,
 * so without this every backward temporary would live until the whole backward pass ends.
 */
export function customGrad<T extends tf.Tensor>(f: (...args: any[]) => GradResult<T>): (...inputs: tf.Tensor[]) => T {
  const wrapped = (...args: any[]) => {
    const r = f(...args);
    return { value: r.value, gradFunc: (dy: T, saved: tf.Tensor[]) => tf.tidy(() => r.gradFunc(dy, saved)) };
  };
  return tf.customGrad(wrapped as any) as unknown as (...inputs: tf.Tensor[]) => T;
}

/** Dense layer y = x·W + b with HF Conv1D weights W [in, out]. x [N, in] → y [N, out]. */
const linearCG = customGrad((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: Save) => {
  save([x, w]);
  const value = tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D; // [N, out]; bias fused (a broadcast add is slow on wasm)
  return {
    value,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      // Few rows (N ≤ in/2): keep W on the left so no weight-sized transpose or XNNPACK packing happens
      // per step (measured 2× faster at N 128 for 768×3072 weights; slower at N 1024, hence the switch).
      const dx =
        xs.shape[0] <= ws.shape[0] / 2
          ? tf.transpose(tf.matMul(ws, tf.transpose(dy))) // ([in, out]·[out, N])ᵀ → [N, in]
          : tf.matMul(dy, tf.transpose(ws)); // [N, out]·[out, in] → [N, in]
      const dw = tf.matMul(tf.transpose(xs), dy); // [in, N]·[N, out] → [in, out]
      const db = tf.sum(dy, 0); // [out]
      return [dx, dw, db];
    },
  };
});

export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return linearCG(x, w, b);
}

/**
 * LM head: logits = h·Wᵀ with W [V, C] (wte when tied, else lm_head.weight). h [N, C] → [N, V].
 * XNNPACK packs the right-hand side and runs slowly when it is V wide, so with V ≫ N every product keeps
 * the large matrix on the left (measured at N 1016, C 768, V 50257, CPU s: h·Wᵀ 4.7 → (W·hᵀ)ᵀ 3.7;
 * dW (hᵀ·dy)ᵀ 5.7 → dyᵀ·h 3.1):
 *   forward  logits = (W·hᵀ)ᵀ;   backward  dh = dy·W,  dW = dyᵀ·h.
 * When N > V (tiny vocabularies) the roles swap: logits = h·(Wᵀ), dW = (hᵀ·dy)ᵀ.
 */
const lmHeadCG = customGrad((h: tf.Tensor2D, w: tf.Tensor2D, save: Save) => {
  save([h, w]);
  // tidy: the transposed copies are freed at once, not at the caller's tidy end
  const wide = w.shape[0] >= h.shape[0]; // V ≥ N
  const value = tf.tidy(() =>
    wide
      ? tf.transpose(tf.matMul(w, tf.transpose(h))) // ([V, C]·[C, N])ᵀ → [N, V]
      : tf.matMul(h, tf.transpose(w)), // [N, C]·[C, V] → [N, V]
  ) as tf.Tensor2D;
  return {
    value,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dh = tf.matMul(dy, ws); // [N, V]·[V, C] → [N, C]
      const dw = wide
        ? tf.matMul(tf.transpose(dy), hs) // [V, N]·[N, C] → [V, C]
        : tf.transpose(tf.matMul(tf.transpose(hs), dy)); // ([C, N]·[N, V])ᵀ → [V, C]
      return [dh, dw];
    },
  };
});

export function lmHead(h: tf.Tensor2D, w: tf.Tensor): tf.Tensor2D {
  return lmHeadCG(h, w);
}

/**
 * Embedding lookup rows = W[ids]; W [V, C], ids [N] int32 → [N, C]. The gradient is a scatter-add
 * (tf.scatterND sums duplicate ids), not tf.gather's UnsortedSegmentSum.
 */
const embeddingCG = customGrad((w: tf.Tensor2D, ids: tf.Tensor1D, save: Save) => {
  save([ids]);
  const [v, c] = w.shape;
  const value = tf.gather(w, ids) as tf.Tensor2D; // [N, C]
  return {
    value,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [idsS] = saved as [tf.Tensor1D];
      const dw = tf.scatterND(tf.reshape(idsS, [idsS.size, 1]), dy, [v, c]); // [V, C]
      return [dw, tf.zeros(idsS.shape)];
    },
  };
});

export function embedding(w: tf.Tensor, ids: tf.Tensor1D): tf.Tensor2D {
  return embeddingCG(w, ids);
}

/**
 * LayerNorm over the last axis as torch.nn.LayerNorm: (x − mean)/√(var + eps)·γ + β, biased variance.
 * x [N, C] → [N, C]. Backward (per row, x̂ = (x − μ)·r, r = 1/√(var+eps), g = dy·γ):
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy.
 */
const layerNormCG = (eps: number) =>
  customGrad((x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, save: Save) => {
    const mean = tf.mean(x, -1, true); // [N, 1]
    const xc = tf.sub(x, mean); // [N, C]
    const variance = tf.mean(tf.square(xc), -1, true); // [N, 1]
    const rstd = tf.rsqrt(tf.add(variance, eps)); // [N, 1]
    const xhat = tf.mul(xc, rstd); // [N, C]
    save([xhat, rstd, gamma]);
    const value = tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D;
    return {
      value,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xh, r, g] = saved;
        const gy = tf.mul(dy, g); // [N, C]
        const dx = tf.mul(r, tf.sub(tf.sub(gy, tf.mean(gy, -1, true)), tf.mul(xh, tf.mean(tf.mul(gy, xh), -1, true))));
        const dgamma = tf.sum(tf.mul(dy, xh), 0); // [C]
        const dbeta = tf.sum(dy, 0); // [C]
        return [dx, dgamma, dbeta];
      },
    };
  });

const layerNormCache = new Map<number, (...t: tf.Tensor[]) => tf.Tensor2D>();
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor2D {
  let f = layerNormCache.get(eps);
  if (!f) layerNormCache.set(eps, (f = layerNormCG(eps)));
  return f(x, gamma, beta);
}

/**
 * Causal softmax of attention scores: p = softmax(s·scale + mask), mask = −1e9 above the diagonal (key j >
 * query i), so masked probabilities are exactly 0 as with HF's finfo.min fill. s [B, H, T, T] → p [B, H, T, T].
 * Backward: ds = scale·p·(dp − Σ_j dp·p).
 */
const causalSoftmaxCG = (scale: number) =>
  customGrad((s: tf.Tensor4D, save: Save) => {
    const t = s.shape[3];
    const bias = tf.tidy(() => {
      const rows = tf.reshape(tf.range(0, t, 1, 'int32'), [t, 1]);
      const cols = tf.reshape(tf.range(0, t, 1, 'int32'), [1, t]);
      return tf.mul(tf.cast(tf.greater(cols, rows), 'float32'), -1e9); // [T, T]
    });
    const scaled = scale === 1 ? s : tf.mul(s, scale);
    const p = tf.softmax(tf.add(scaled, bias)) as tf.Tensor4D; // [B, H, T, T]
    save([p]);
    return {
      value: p,
      gradFunc: (dp: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [ps] = saved;
        const g = tf.mul(ps, tf.sub(dp, tf.sum(tf.mul(dp, ps), -1, true)));
        return scale === 1 ? g : tf.mul(g, scale);
      },
    };
  });

const softmaxCache = new Map<number, (...t: tf.Tensor[]) => tf.Tensor4D>();
export function causalSoftmax(scores: tf.Tensor4D, scale: number): tf.Tensor4D {
  let f = softmaxCache.get(scale);
  if (!f) softmaxCache.set(scale, (f = causalSoftmaxCG(scale)));
  return f(scores);
}

/**
 * Per-row cross-entropy: nll[i] = logsumexp(logits[i, :]) − logits[i, targets[i]]. logits [N, V], targets
 * [N] int32 → [N]. No one-hot (tf.oneHot float is broken on wasm 4.22, tfjs-notes.md §5):
 * picked logits by a flat gather; backward dlogits = g·softmax, with g subtracted at each target
 * (tf.tensorScatterUpdate on the flat view).
 */
const tokenNllCG = customGrad((logits: tf.Tensor2D, targets: tf.Tensor1D, save: Save) => {
  const [n, v] = logits.shape;
  // tidy: the [N, V] temporaries of logsumexp are freed at once (only logits and lse are kept)
  const lse = tf.tidy(() => tf.logSumExp(logits, -1)); // [N]
  const value = tf.tidy(() => {
    const flatIdx = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), tf.cast(targets, 'int32')); // [N]
    return tf.sub(lse, tf.gather(tf.reshape(logits, [n * v]), flatIdx)) as tf.Tensor1D; // [N]
  });
  save([logits, targets, lse]);
  return {
    value,
    gradFunc: (g: tf.Tensor1D, saved: tf.Tensor[]) => {
      // dlogits = g·softmax(logits) − g at each row's target. At most two [N, V] buffers live at a time
      // (plus the saved logits): the vocabulary-wide temporaries dominate training memory on wasm.
      const [lg, tg, ls] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
      const [nn, vv] = lg.shape;
      const scaledProbs = tf.tidy(() => {
        const probs = tf.tidy(() => tf.exp(tf.sub(lg, tf.reshape(ls, [nn, 1])))); // softmax [N, V]
        return tf.mul(probs, tf.reshape(g, [nn, 1])); // g·softmax [N, V]
      });
      const dlogits = tf.tidy(() => {
        const flat = tf.reshape(scaledProbs, [nn * vv]); // view [N·V]
        const flatIdx = tf.add(tf.mul(tf.range(0, nn, 1, 'int32'), tf.scalar(vv, 'int32')), tf.cast(tg, 'int32')); // [N]
        const atTarget = tf.sub(tf.gather(flat, flatIdx), g); // [N]
        return tf.reshape(tf.tensorScatterUpdate(flat, tf.reshape(flatIdx, [nn, 1]), atTarget), [nn, vv]); // [N, V]
      });
      scaledProbs.dispose();
      return [dlogits, tf.zeros(tg.shape)];
    },
  };
});

export function tokenNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tokenNllCG(logits, targets);
}
