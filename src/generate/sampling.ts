/**
 * Choosing the next token from a logits vector [V] (host, float32), in float64 arithmetic:
 *   - greedy (temperature 0): argmax; ties go to the lowest id (as torch.argmax);
 *   - sampling (temperature T > 0): p_i ∝ exp((l_i − max l)/T) over the candidates, drawn with one uniform
 *     number u ∈ [0, 1) from a seeded PRNG (src/train/rng.ts, mulberry32) by inverse CDF in id order;
 *   - top-k (k ≥ 1): candidates = the k largest logits (ties broken by lower id); k = 0 means all.
 *     top-k = 1 is greedy at any temperature.
 * `limit` restricts the candidates to ids < limit (e.g. a tokenizer smaller than the model's padded vocab).
 */
import type { Rng } from '../train/rng.ts';
import { EwcError } from '../util/errors.ts';

export interface SamplingOptions {
  /** 0 = greedy (default); > 0 scales the logits before sampling. */
  temperature: number;
  /** Keep only the k most likely ids (0 = all). */
  topK: number;
  /** Only ids < limit are candidates (default: the logits' length). */
  limit?: number;
}

function checkFinite(logits: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(logits[i])) {
      throw new EwcError(
        `generate: the model produced a NaN logit (id ${i}). Expected finite logits; check the checkpoint ` +
          `(ewc-lm inspect) or try another --backend.`,
      );
    }
  }
}

/** Index of the largest of the first `n` logits; the lowest such index on ties. */
export function argmax(logits: Float32Array, n = logits.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/**
 * Ids of the k largest of the first `n` logits, in increasing id order (ties at the threshold go to the
 * lowest ids). k ≤ 0 or k ≥ n: all ids.
 */
export function topKIds(logits: Float32Array, k: number, n = logits.length): Uint32Array {
  if (k <= 0 || k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const sorted = Float32Array.from(logits.subarray(0, n)).sort(); // ascending, numeric
  const threshold = sorted[n - k]; // the k-th largest value
  let above = 0;
  for (let i = 0; i < n; i++) if (logits[i] > threshold) above++;
  let ties = k - above; // how many ids equal to the threshold to keep
  const out = new Uint32Array(k);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = logits[i];
    if (v > threshold || (v === threshold && ties-- > 0)) out[j++] = i;
  }
  return out;
}

/**
 * Probabilities of `ids` under softmax(l/T) restricted to those ids (float64, sums to 1).
 */
export function candidateProbs(logits: Float32Array, ids: Uint32Array, temperature: number): Float64Array {
  let max = -Infinity;
  for (const i of ids) if (logits[i] > max) max = logits[i];
  const p = new Float64Array(ids.length);
  let z = 0;
  for (let j = 0; j < ids.length; j++) {
    const e = Math.exp((logits[ids[j]] - max) / temperature);
    p[j] = e;
    z += e;
  }
  for (let j = 0; j < p.length; j++) p[j] /= z;
  return p;
}

/** Validates sampling options (user input): temperature ≥ 0 finite, topK integer ≥ 0. */
export function checkSamplingOptions(o: SamplingOptions): void {
  if (!Number.isFinite(o.temperature) || o.temperature < 0) {
    throw new EwcError(`--temperature: expected a number ≥ 0 (0 = greedy), found ${o.temperature}.`);
  }
  if (!Number.isInteger(o.topK) || o.topK < 0) {
    throw new EwcError(`--top-k: expected an integer ≥ 0 (0 = no top-k filter), found ${o.topK}.`);
  }
}

/** The next token: greedy at temperature 0 or top-k = 1, else a seeded draw (uses exactly one rng.next()). */
export function pickToken(logits: Float32Array, o: SamplingOptions, rng: Rng): number {
  const n = Math.min(o.limit ?? logits.length, logits.length);
  checkFinite(logits, n);
  if (o.temperature === 0 || o.topK === 1) return argmax(logits, n);
  const ids = topKIds(logits, o.topK, n);
  const p = candidateProbs(logits, ids, o.temperature);
  const u = rng.next();
  let acc = 0;
  for (let j = 0; j < ids.length; j++) {
    acc += p[j];
    if (u < acc) return ids[j];
  }
  // u within rounding of 1: the last candidate with non-zero probability
  for (let j = ids.length - 1; j >= 0; j--) if (p[j] > 0) return ids[j];
  return ids[ids.length - 1];
}
