/**
 * Incremental GPT-2 forward with a key/value cache (tfjs), for generation. Same math as gpt2Hidden
 * (src/model/gpt2.ts), evaluation mode, with the keys and values of earlier positions kept per layer:
 *
 *   feed T new tokens at positions P..P+T−1 (P = cached length):
 *     x = wte[ids] + wpe[P..P+T)                                   [T, C]
 *     per block: q, k, v = split(ln_1(x)·c_attn + b)               [1, H, T, D] each
 *                K = concat(K_past, k), V = concat(V_past, v)      [1, H, P+T, D]
 *                p = softmax(q·Kᵀ·scale + mask)                    [1, H, T, P+T]; mask: key j > P+i → −1e9
 *                x = x + (merge(p·V)·c_proj + b);  x = x + mlp(ln_2(x))
 *     logits of the last new position: ln_f(x[T−1])·Wᵀ              [V]  (Wᵀ transposed once, kept)
 *
 * For T = 1 no mask is needed (every key precedes the query) and none is added; the prefill (P = 0) uses the
 * same scale-then-mask order as causalSoftmax, so both paths compute what gpt2Logits computes.
 * Positions are absolute (0 = first cached token): a context that slides past n_positions invalidates the
 * cache (every position shifts), and the caller re-feeds the whole window (`reset` then `feed`).
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { getActivation } from '../model/activations.ts';
import { headWeight, type ParamMap } from '../model/gpt2.ts';
import { embedding, layerNorm, linear } from '../model/ops.ts';
import { EwcError } from '../util/errors.ts';

function param(params: ParamMap, name: string): tf.Tensor {
  const t = params.get(name);
  if (!t) throw new EwcError(`GPT-2 parameter ${name} is missing: expected a tensor named ${name} (hub-style names).`);
  return t;
}

export class KvCache {
  /** Per layer: keys and values of the cached positions, [1, H, P, D]. Empty before the first feed. */
  private keys: tf.Tensor4D[] = [];
  private values: tf.Tensor4D[] = [];
  private cached: number[] = [];
  /** LM head Wᵀ [C, V], transposed once: one persistent right-hand side (packed once by XNNPACK on wasm). */
  private readonly headT: tf.Tensor2D;

  constructor(
    readonly config: GPT2Config,
    private readonly params: ParamMap,
  ) {
    this.headT = tf.tidy(() => tf.transpose(headWeight(config, params)) as tf.Tensor2D);
  }

  /** Token ids whose keys/values are cached (positions 0..length−1). */
  get tokens(): readonly number[] {
    return this.cached;
  }

  /** Drops the cache (frees its tensors). */
  reset(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
    this.cached = [];
  }

  /**
   * Feeds `ids` after the cached tokens; returns the logits [V] of the last fed position. Throws when the
   * total would exceed n_positions (the caller slides the window and re-feeds it).
   */
  async feed(ids: readonly number[]): Promise<Float32Array> {
    const c = this.config;
    const P = this.cached.length;
    const T = ids.length;
    if (T < 1) throw new EwcError('generate: expected at least one token to feed, found none.');
    if (P + T > c.n_positions) {
      throw new EwcError(`generate: ${P + T} positions exceed n_positions=${c.n_positions}; slide the context window first.`);
    }
    const C = c.n_embd;
    const H = c.n_head;
    const D = C / H;
    const eps = c.layer_norm_epsilon;
    const act = getActivation(c.activation_function);
    const scaleAttn = c.scale_attn_weights ?? true;
    const byLayer = c.scale_attn_by_inverse_layer_idx ?? false;
    const params = this.params;

    let x = tf.tidy(() => {
      const tok = embedding(param(params, 'wte.weight'), tf.tensor1d(Int32Array.from(ids), 'int32')); // [T, C]
      const pos = tf.slice(param(params, 'wpe.weight'), [P, 0], [T, C]); // [T, C]
      return tf.add(tok, pos) as tf.Tensor2D; // [T, C]
    });
    const mask =
      T > 1
        ? tf.tidy(() => {
            const rows = tf.reshape(tf.range(P, P + T, 1, 'int32'), [T, 1]); // absolute query positions
            const cols = tf.reshape(tf.range(0, P + T, 1, 'int32'), [1, P + T]);
            return tf.mul(tf.cast(tf.greater(cols, rows), 'float32'), -1e9) as tf.Tensor2D; // [T, P+T]
          })
        : null;
    const newKeys: tf.Tensor4D[] = [];
    const newValues: tf.Tensor4D[] = [];
    try {
      for (let i = 0; i < c.n_layer; i++) {
        const p = `h.${i}.`;
        const pastK = this.keys[i];
        const pastV = this.values[i];
        const [xo, K, V] = tf.tidy(() => {
          const h1 = layerNorm(x, param(params, p + 'ln_1.weight'), param(params, p + 'ln_1.bias'), eps); // [T, C]
          const qkv = linear(h1, param(params, p + 'attn.c_attn.weight'), param(params, p + 'attn.c_attn.bias')); // [T, 3C]
          const heads = tf.transpose(tf.reshape(qkv, [1, T, 3, H, D]), [2, 0, 3, 1, 4]); // [3, 1, H, T, D]
          const [q, k, v] = tf.unstack(heads, 0) as tf.Tensor4D[]; // [1, H, T, D]
          const K = (pastK ? tf.concat([pastK, k], 2) : k) as tf.Tensor4D; // [1, H, P+T, D]
          const V = (pastV ? tf.concat([pastV, v], 2) : v) as tf.Tensor4D; // [1, H, P+T, D]
          let scale = scaleAttn ? 1 / Math.sqrt(D) : 1;
          if (byLayer) scale /= i + 1;
          const scores = tf.matMul(q, tf.transpose(K, [0, 1, 3, 2])); // [1, H, T, P+T]
          let s: tf.Tensor = scale === 1 ? scores : tf.mul(scores, scale);
          if (mask) s = tf.add(s, mask);
          const probs = tf.softmax(s); // [1, H, T, P+T]
          const ctx = tf.reshape(tf.transpose(tf.matMul(probs, V), [0, 2, 1, 3]), [T, C]) as tf.Tensor2D; // [T, C]
          const a = linear(ctx, param(params, p + 'attn.c_proj.weight'), param(params, p + 'attn.c_proj.bias')); // [T, C]
          const x1 = tf.add(x, a) as tf.Tensor2D;
          const h2 = layerNorm(x1, param(params, p + 'ln_2.weight'), param(params, p + 'ln_2.bias'), eps);
          const f = act(linear(h2, param(params, p + 'mlp.c_fc.weight'), param(params, p + 'mlp.c_fc.bias'))) as tf.Tensor2D; // [T, I]
          const m = linear(f, param(params, p + 'mlp.c_proj.weight'), param(params, p + 'mlp.c_proj.bias')); // [T, C]
          return [tf.add(x1, m) as tf.Tensor2D, K, V] as const;
        });
        x.dispose();
        x = xo;
        newKeys.push(K);
        newValues.push(V);
      }
      const logits = tf.tidy(() => {
        const last = tf.slice(x, [T - 1, 0], [1, C]) as tf.Tensor2D; // [1, C]
        const h = layerNorm(last, param(params, 'ln_f.weight'), param(params, 'ln_f.bias'), eps); // [1, C]
        return tf.reshape(tf.matMul(h, this.headT), [c.vocab_size]); // [1, C]·[C, V] → [V]
      });
      const out = (await logits.data()) as Float32Array;
      logits.dispose();
      // commit: the new keys/values replace the old ones
      for (const t of [...this.keys, ...this.values]) t.dispose();
      this.keys = newKeys;
      this.values = newValues;
      this.cached = [...this.cached, ...ids];
      return out;
    } catch (e) {
      for (const t of [...newKeys, ...newValues]) t.dispose();
      throw e;
    } finally {
      x.dispose();
      mask?.dispose();
    }
  }

  dispose(): void {
    this.reset();
    this.headT.dispose();
  }
}
