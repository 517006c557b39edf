/**
 * Pruning order: which parameters go first.
 *
 * Parameters are ranked ascending by |score|; the lowest fraction p is zeroed. One sort serves every p
 * (cumulative schedule): the mask for p is "the first round(p·N) entries of the order", so masks for
 * increasing p are nested by construction.
 *
 * Scopes (paper section 4, method.md §4):
 * - `global`: ALL selected tensors (weights, biases, LayerNorm gains, …) in ONE ranking.
 * - `per-layer`: every weight matrix (a tensor of rank ≥ 2) is ranked separately and loses round(p·N_t) of its own
 *   N_t entries; tensors of rank < 2 (biases, LayerNorm gains/offsets) are left alone.
 *
 * Deterministic tie rule: parameters are ordered by the key (|score| as float32, tensor name, flat index), with
 * tensor names compared by UTF-16 code units (JavaScript's default `<`) and the flat index being the row-major
 * position inside the tensor. Equal |score| therefore prunes the tensor whose name sorts first, and inside one
 * tensor the lower flat index first. The order does not depend on the Map's insertion order.
 *
 * Implementation: the key |score| is taken as float32 bits with the sign bit cleared — for non-negative IEEE
 * floats the unsigned bit pattern orders exactly like the value (−0 and +0 become equal) — and the indices are
 * sorted by a stable LSD radix sort (two 16-bit passes) starting from the concatenated index order
 * 0…N−1, which makes the (name, flat index) tie rule fall out of stability. O(N) time, 16 bytes per parameter
 * transient memory. NaN scores are an error (their rank would be meaningless).
 */
import { EwcError } from '../util/errors.ts';

/** A host tensor of scores (structurally the same as src/io's HostTensor). */
export interface ScoreTensor {
  shape: number[];
  data: Float32Array | Float64Array;
}
export type ScoreMap = Map<string, ScoreTensor>;

export type PruneScope = 'global' | 'per-layer';
export const PRUNE_SCOPES: readonly PruneScope[] = ['global', 'per-layer'];

/** One ranking: a set of tensors sharing one order over their concatenated entries. */
export interface RankGroup {
  /** tensor names in tie-break (code-unit sorted) order */
  names: string[];
  /** offsets[i] = first concatenated index of names[i]; offsets[names.length] = group size N */
  offsets: number[];
  /** order[k] = concatenated index of the k-th least important entry (ascending |score|, ties as above) */
  order: Uint32Array;
}

export interface PruneRanking {
  scope: PruneScope;
  /** global: one group; per-layer: one group per weight matrix */
  groups: RankGroup[];
  /** selected tensors that this scope never prunes (per-layer: rank < 2) */
  untouched: string[];
  /** shapes of every selected tensor (groups and untouched) */
  shapes: Map<string, number[]>;
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Code-unit comparison (locale-independent). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function parseScope(s: string): PruneScope {
  if ((PRUNE_SCOPES as readonly string[]).includes(s)) return s as PruneScope;
  throw new EwcError(`--scope: expected one of ${PRUNE_SCOPES.join(', ')}, found '${s}'.`);
}

/**
 * Ranks the tensors of `scores` for pruning. `names` (default: every key of `scores`) selects the tensors.
 */
export function rankParameters(scores: ScoreMap, scope: PruneScope, names?: Iterable<string>): PruneRanking {
  const selected = [...(names ?? scores.keys())].sort(compareNames);
  if (selected.length === 0) {
    throw new EwcError('pruning: expected at least one selected tensor, found none. Check --params.');
  }
  const shapes = new Map<string, number[]>();
  for (const n of selected) {
    const t = scores.get(n);
    if (!t) throw new EwcError(`pruning: no score for tensor '${n}'. Scores cover: ${[...scores.keys()].slice(0, 8).join(', ')}…`);
    if (t.data.length !== numel(t.shape)) {
      throw new EwcError(`pruning: score '${n}' has ${t.data.length} values for shape [${t.shape}] (${numel(t.shape)}).`);
    }
    shapes.set(n, t.shape.slice());
  }
  if (scope === 'global') {
    return { scope, groups: [rankGroup(scores, selected)], untouched: [], shapes };
  }
  const groups: RankGroup[] = [];
  const untouched: string[] = [];
  for (const n of selected) {
    if (shapes.get(n)!.length >= 2) groups.push(rankGroup(scores, [n]));
    else untouched.push(n);
  }
  if (groups.length === 0) {
    throw new EwcError(
      `per-layer pruning: expected at least one weight matrix (rank ≥ 2) among the selected tensors, found only ` +
        `rank-1 tensors (${selected.slice(0, 5).join(', ')}). Use --scope global or select weight matrices.`,
    );
  }
  return { scope, groups, untouched, shapes };
}

function rankGroup(scores: ScoreMap, names: string[]): RankGroup {
  const offsets = [0];
  for (const n of names) offsets.push(offsets[offsets.length - 1] + scores.get(n)!.data.length);
  const N = offsets[offsets.length - 1];
  if (N > 0xffffffff) throw new EwcError(`pruning: a ranking group has ${N} entries; at most 2^32−1 are supported.`);
  const keys = new Uint32Array(N);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < names.length; i++) {
    const d = scores.get(names[i])!.data;
    const off = offsets[i];
    if (d instanceof Float32Array) {
      const bits = new Uint32Array(d.buffer, d.byteOffset, d.length);
      for (let j = 0; j < d.length; j++) keys[off + j] = bits[j] & 0x7fffffff;
    } else {
      for (let j = 0; j < d.length; j++) {
        f32[0] = d[j];
        keys[off + j] = u32[0] & 0x7fffffff;
      }
    }
    for (let j = 0; j < d.length; j++) {
      if (keys[off + j] > 0x7f800000) {
        throw new EwcError(`pruning: score '${names[i]}' is NaN at flat index ${j}. Recompute the importances.`);
      }
    }
  }
  return { names, offsets, order: radixArgsort(keys) };
}

/** Stable ascending argsort of uint32 keys (two 16-bit LSD passes). Ties keep index order. */
export function radixArgsort(keys: Uint32Array): Uint32Array {
  const N = keys.length;
  const idx = new Uint32Array(N);
  const tmp = new Uint32Array(N);
  const counts = new Uint32Array(65537);
  // pass 1: low 16 bits, from the identity order
  for (let i = 0; i < N; i++) counts[(keys[i] & 0xffff) + 1]++;
  for (let b = 1; b <= 65536; b++) counts[b] += counts[b - 1];
  for (let i = 0; i < N; i++) tmp[counts[keys[i] & 0xffff]++] = i;
  // pass 2: high 16 bits
  counts.fill(0);
  for (let i = 0; i < N; i++) counts[(keys[i] >>> 16) + 1]++;
  for (let b = 1; b <= 65536; b++) counts[b] += counts[b - 1];
  for (let k = 0; k < N; k++) {
    const i = tmp[k];
    idx[counts[keys[i] >>> 16]++] = i;
  }
  return idx;
}

/** Number of entries a group of size n loses at fraction p: round(p·n), half up (Math.round). */
export function prunedCount(p: number, n: number): number {
  if (!(p >= 0 && p <= 1)) throw new EwcError(`sparsity: expected a fraction in [0, 1], found ${p}.`);
  return Math.min(n, Math.round(p * n));
}

/** Locates concatenated index g in a group: returns the tensor's position i (offsets[i] ≤ g < offsets[i+1]). */
export function tensorOf(offsets: number[], g: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= g) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
