/**
 * One-shot pruning of a name-keyed parameter map: select tensors, rank by |score|, zero the lowest fraction.
 * Pure (no I/O): the `prune` command wraps it with checkpoint and report files.
 */
import { EwcError } from '../util/errors.ts';
import { selectParams } from '../regularizers/selection.ts';
import { rankParameters, type PruneRanking, type PruneScope, type ScoreMap } from './rank.ts';
import { applyMask, maskAt, maskSparsity, type ParamMap, type PruneMask, type SparsityRow } from './mask.ts';

export interface PruneOptions {
  sparsity: number;
  scope: PruneScope;
  /** Parameter globs (src/regularizers/selection.ts syntax); default every parameter that has a score. */
  params?: string[];
}

export interface PruneResult {
  params: ParamMap;
  mask: PruneMask;
  ranking: PruneRanking;
  /** Per selected tensor (untouched ones included) and in total over the selected tensors. */
  rows: SparsityRow[];
  total: SparsityRow;
  /** Fraction of ALL model parameters that are zero after pruning (including ones that were zero before). */
  modelZeroFraction: number;
}

/** Names the pruning applies to: the glob selection over the model's names, all of which need a score. */
export function pruneSelection(params: ParamMap, scores: ScoreMap, patterns?: string[]): string[] {
  const names = patterns && patterns.length ? selectParams(params.keys(), patterns) : [...params.keys()].filter((n) => scores.has(n));
  const missing = names.filter((n) => !scores.has(n));
  if (missing.length) {
    throw new EwcError(
      `pruning: the scores have no entry for ${missing.length} selected tensor(s) (${missing.slice(0, 4).join(', ')}). ` +
        `Select only scored tensors with --params, or compute the scores for them.`,
    );
  }
  if (names.length === 0) {
    throw new EwcError(`pruning: no model tensor has a score. Scores name: ${[...scores.keys()].slice(0, 4).join(', ')}…`);
  }
  for (const n of names) {
    const a = params.get(n)!.shape;
    const b = scores.get(n)!.shape;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
      throw new EwcError(`pruning: score '${n}' has shape [${b}], the parameter has [${a}]. Scores must match the model.`);
    }
  }
  return names;
}

export function pruneParams(params: ParamMap, scores: ScoreMap, opts: PruneOptions): PruneResult {
  const names = pruneSelection(params, scores, opts.params);
  const ranking = rankParameters(scores, opts.scope, names);
  const mask = maskAt(ranking, opts.sparsity);
  const pruned = applyMask(params, mask);
  const { rows, total } = maskSparsity(mask, ranking.shapes);
  let zeros = 0;
  let all = 0;
  for (const t of pruned.values()) {
    all += t.data.length;
    for (let j = 0; j < t.data.length; j++) if (t.data[j] === 0) zeros++;
  }
  return { params: pruned, mask, ranking, rows, total, modelZeroFraction: all ? zeros / all : 0 };
}

/** Magnitude scores |θ| for the given names (the trivial score needs no model run). */
export function magnitudeScores(params: ParamMap, names?: Iterable<string>): ScoreMap {
  const out: ScoreMap = new Map();
  for (const n of names ?? params.keys()) {
    const t = params.get(n);
    if (!t) throw new EwcError(`magnitude: no parameter '${n}'.`);
    const d = new Float32Array(t.data.length);
    for (let j = 0; j < d.length; j++) d[j] = Math.abs(t.data[j]);
    out.set(n, { shape: t.shape.slice(), data: d });
  }
  return out;
}
