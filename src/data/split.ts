/**
 * Deterministic, seeded train/validation/test splits at document (dialog) level.
 *
 * A document goes to a split by u = unitHash(seed, doc.id) ∈ [0,1): train if u < f_train, validation if
 * u < f_train + f_validation, else test. It is a pure function of (id, seed), so the same seed gives the same
 * splits on any machine, and a document is never cut between splits. Documents that carry a split from their
 * source (DailyDialog's official files) keep it unless `usePredefined: false`.
 * Then exact duplicates (case/whitespace-normalized content, see contentKey) are removed across splits:
 * a validation document that also occurs in train is dropped, a test document that occurs in train or
 * validation is dropped (DailyDialog's test split repeats training dialogs).
 */
import { EwcError } from '../util/errors.ts';
import { contentKey } from './format.ts';
import { unitHash } from './hash.ts';
import type { Corpus, Document, SplitCorpus, SplitName } from './types.ts';

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export interface SplitOptions {
  seed?: number;
  /** Default { train: 0.9, validation: 0.05, test: 0.05 }; must sum to 1. */
  fractions?: Partial<SplitFractions> | [number, number, number];
  /** Keep splits given by the source (default true). */
  usePredefined?: boolean;
  /** 'across' (default): drop exact duplicates of earlier splits; 'none': keep everything. */
  dedupe?: 'across' | 'none';
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.9, validation: 0.05, test: 0.05 };

export function resolveFractions(f: SplitOptions['fractions']): SplitFractions {
  const r: SplitFractions = Array.isArray(f)
    ? { train: f[0], validation: f[1], test: f[2] }
    : f && Object.keys(f).length > 0
      ? { train: f.train ?? 0, validation: f.validation ?? 0, test: f.test ?? 0 }
      : { ...DEFAULT_FRACTIONS };
  const vals = [r.train, r.validation, r.test];
  const sum = vals.reduce((a, b) => a + b, 0);
  if (vals.some((v) => !Number.isFinite(v) || v < 0) || Math.abs(sum - 1) > 1e-9) {
    throw new EwcError(
      `split fractions: expected three non-negative numbers train/validation/test summing to 1, found ` +
        `${JSON.stringify(r)} (sum ${sum}). Example: { train: 0.9, validation: 0.05, test: 0.05 }.`,
    );
  }
  return r;
}

/** Which split a document id falls in for a seed and fractions (ignores predefined splits). */
export function assignSplit(id: string, seed: number, f: SplitFractions): SplitName {
  const u = unitHash(seed, id);
  if (u < f.train) return 'train';
  if (u < f.train + f.validation) return 'validation';
  return 'test';
}

export function splitCorpus(corpus: Corpus | Document[], opts: SplitOptions = {}): SplitCorpus {
  const docs = Array.isArray(corpus) ? corpus : corpus.documents;
  const seed = opts.seed ?? 0;
  const f = resolveFractions(opts.fractions);
  const usePre = opts.usePredefined ?? true;
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.id)) throw new EwcError(`duplicate document id ${JSON.stringify(d.id)}: ids must be unique within a corpus.`);
    seen.add(d.id);
  }
  const out: SplitCorpus = { train: [], validation: [], test: [], removedDuplicates: { train: 0, validation: 0, test: 0 } };
  for (const d of docs) {
    const s = usePre && d.split ? d.split : assignSplit(d.id, seed, f);
    out[s].push(d);
  }
  if ((opts.dedupe ?? 'across') === 'across') {
    const keys = new Set(out.train.map(contentKey));
    for (const s of ['validation', 'test'] as const) {
      const kept: Document[] = [];
      for (const d of out[s]) {
        const k = contentKey(d);
        if (keys.has(k)) out.removedDuplicates[s]++;
        else kept.push(d);
      }
      for (const d of kept) keys.add(contentKey(d));
      out[s] = kept;
    }
  }
  return out;
}
