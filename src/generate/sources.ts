/**
 * Next-token logits for generation: `LogitsSource.next(window)` returns the logits [V] of the token after
 * `window` (1..n_positions tokens; window[0] sits at position 0). Three implementations:
 *   - `TfjsFullSource`: tfjs, the whole window recomputed every step (gpt2Hidden, LM head on the last row);
 *     the sources own a transposed copy of the LM head weight (freed by dispose);
 *   - `TfjsCachedSource`: tfjs with a key/value cache (./kv-cache.ts): only the new token is fed while the
 *     window grows from the cached tokens; when it slides (or changes otherwise) the window is re-fed;
 *   - `OrtSource`: the ort engine's `logits` graph. One graph per shape, so windows are right-padded to a
 *     bucket (multiple of 32, capped at n_positions): causal attention makes position T−1's logits
 *     independent of the padding after it; only a few graphs are compiled per generation.
 */
import * as tf from '@tensorflow/tfjs';
import type { Engine } from '../engine/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gpt2Hidden, headWeight, type GPT2Model } from '../model/gpt2.ts';
import { EwcError } from '../util/errors.ts';
import { KvCache } from './kv-cache.ts';

export interface LogitsSource {
  readonly config: GPT2Config;
  /** Logits [V] of the next token after `window` (1..n_positions tokens). */
  next(window: readonly number[]): Promise<Float32Array>;
  /** Frees what the source owns (not the model or engine it was given). */
  dispose(): void;
}

function checkWindow(config: GPT2Config, window: readonly number[]): void {
  if (window.length < 1 || window.length > config.n_positions) {
    throw new EwcError(`generate: expected a context of 1..n_positions=${config.n_positions} tokens, found ${window.length}.`);
  }
}

export class TfjsFullSource implements LogitsSource {
  readonly config: GPT2Config;
  /** LM head Wᵀ [C, V], transposed once (lmHead would transpose — and XNNPACK repack — it every step). */
  private readonly headT: tf.Tensor2D;
  constructor(private readonly model: GPT2Model) {
    this.config = model.config;
    this.headT = tf.tidy(() => tf.transpose(headWeight(model.config, model.params)) as tf.Tensor2D);
  }

  async next(window: readonly number[]): Promise<Float32Array> {
    checkWindow(this.config, window);
    const c = this.config;
    const T = window.length;
    const logits = tf.tidy(() => {
      const ids = tf.tensor2d(Int32Array.from(window), [1, T], 'int32');
      const h = gpt2Hidden(c, this.model.params, ids); // [T, C]
      const last = tf.slice(h, [T - 1, 0], [1, c.n_embd]) as tf.Tensor2D; // [1, C]
      return tf.reshape(tf.matMul(last, this.headT), [c.vocab_size]); // [1, C]·[C, V] → [V]
    });
    const out = (await logits.data()) as Float32Array;
    logits.dispose();
    return out;
  }

  dispose(): void {
    this.headT.dispose();
  }
}

export class TfjsCachedSource implements LogitsSource {
  readonly config: GPT2Config;
  private readonly cache: KvCache;
  /** Tokens fed since the last reset; how many steps re-fed a whole window. */
  readonly stats = { fed: 0, refeeds: 0 };

  constructor(model: GPT2Model) {
    this.config = model.config;
    this.cache = new KvCache(model.config, model.params);
  }

  async next(window: readonly number[]): Promise<Float32Array> {
    checkWindow(this.config, window);
    const cached = this.cache.tokens;
    let isPrefix = cached.length > 0 && cached.length < window.length;
    for (let i = 0; isPrefix && i < cached.length; i++) if (cached[i] !== window[i]) isPrefix = false;
    if (!isPrefix) {
      if (cached.length > 0) this.stats.refeeds++;
      this.cache.reset();
      this.stats.fed += window.length;
      return this.cache.feed(window);
    }
    const fresh = window.slice(cached.length);
    this.stats.fed += fresh.length;
    return this.cache.feed(fresh);
  }

  dispose(): void {
    this.cache.dispose();
  }
}

/** What OrtSource needs of the ort engine (src/onnx/engine.ts OrtEngine.logits). */
export interface LogitsEngine {
  readonly config: GPT2Config;
  logits(ids: Int32Array, batch: number, seqLen: number, lastOnly?: boolean): Promise<Float32Array>;
}

/** The engine's logits method, when it has one (the ort engine does; the tfjs engine does not). */
export function asLogitsEngine(engine: Engine): LogitsEngine | null {
  const e = engine as unknown as Partial<LogitsEngine>;
  return typeof e.logits === 'function' ? (engine as unknown as LogitsEngine) : null;
}

/** Padded length for a window of T tokens: the next multiple of `bucket`, at most n_positions. */
export function bucketLength(T: number, nPositions: number, bucket = 32): number {
  return Math.min(nPositions, Math.ceil(T / bucket) * bucket);
}

export class OrtSource implements LogitsSource {
  readonly config: GPT2Config;
  constructor(
    private readonly engine: LogitsEngine,
    private readonly bucket = 32,
  ) {
    this.config = engine.config;
  }

  async next(window: readonly number[]): Promise<Float32Array> {
    checkWindow(this.config, window);
    const T = window.length;
    const L = bucketLength(T, this.config.n_positions, this.bucket);
    const V = this.config.vocab_size;
    const ids = new Int32Array(L); // right padding with id 0: never attended to by positions < T
    ids.set(window);
    if (L === T) return Float32Array.from(await this.engine.logits(ids, 1, L, true)); // [V]
    const all = await this.engine.logits(ids, 1, L, false); // [1, L, V]
    return Float32Array.from(all.subarray((T - 1) * V, T * V));
  }

  dispose(): void {}
}
