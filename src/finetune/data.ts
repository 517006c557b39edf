/**
 * Corpus spec → token data for fine-tuning and evaluation: load, split by document (seeded), tokenize
 * (cached), then pack training blocks or keep documents whole for perplexity.
 */
import { loadCorpus, splitCorpus, tokenizeDocuments, packBlocks, type Corpus, type SplitName } from '../data/index.ts';
import type { Tokenizer } from '../tokenization/index.ts';
import { EwcError } from '../util/errors.ts';

export interface SplitSpec {
  /** Seed of the document-level split (src/data/split.ts: a hash of document id and seed). */
  seed: number;
  /** Fractions train / validation / test. */
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_SPLIT: SplitSpec = { seed: 0, train: 0.9, validation: 0.05, test: 0.05 };

/** Token ids of every document of one split of a corpus (each ends with the end token). */
/**
 * One corpus spec, or several joined by " + " (e.g. "text:a.txt + text:b.txt"): their documents together. With
 * several, document ids are prefixed by the spec so that ids stay unique (the split hashes the id).
 */
export function loadCorpora(spec: string): Corpus {
  const parts = spec.split(/\s+\+\s+/).map((p) => p.trim()).filter(Boolean);
  if (parts.length <= 1) return loadCorpus(spec.trim());
  const corpora = parts.map((p) => loadCorpus(p));
  const kinds = new Set(corpora.map((c) => c.kind));
  if (kinds.size > 1) {
    throw new EwcError(`corpus "${spec}": the joined corpora must be of one kind, found ${[...kinds].join(' and ')}. Join text corpora with text corpora and dialogs with dialogs.`);
  }
  return {
    ...corpora[0],
    spec,
    documents: corpora.flatMap((c, i) => c.documents.map((d) => ({ ...d, id: `${parts[i]}|${d.id}` }))),
  };
}

export function splitTokens(spec: string, split: SplitName | 'all', tok: Tokenizer, s: SplitSpec, maxDocs?: number | null): number[][] {
  const corpus = loadCorpora(spec);
  // 'all': a corpus the model never saw (e.g. books not in the pretraining data) is held out as a whole.
  let docs =
    split === 'all'
      ? corpus.documents
      : splitCorpus(corpus, { seed: s.seed, fractions: { train: s.train, validation: s.validation, test: s.test } })[split];
  if (docs.length === 0) {
    const fixed = new Map<string, number>();
    for (const d of corpus.documents) if (d.split) fixed.set(d.split, (fixed.get(d.split) ?? 0) + 1);
    if (fixed.size > 0) {
      // splits given by the source (DailyDialog, MultiWOZ) are kept whatever the fractions say
      throw new EwcError(
        `corpus "${spec}": expected documents in its ${split} split, found none: the source fixes the splits ` +
          `(${[...fixed].map(([k, n]) => `${k} ${n}`).join(', ')}) and has no ${split} documents, so the fractions do not apply. ` +
          `Give a corpus with a ${split} split (e.g. add the source's ${split} file) or use this one where its splits fit (e.g. evaluation).`,
      );
    }
    throw new EwcError(
      `corpus "${spec}": its ${split} split is empty (${corpus.documents.length} documents, fractions ` +
        `train ${s.train} / validation ${s.validation} / test ${s.test}, seed ${s.seed}). Use a larger corpus or other fractions.`,
    );
  }
  if (maxDocs != null && docs.length > maxDocs) docs = docs.slice(0, maxDocs);
  return tokenizeDocuments(docs, tok);
}

/** Training blocks [nBlocks, blockSize] as one row-major Int32Array. */
export function blocksOf(docs: number[][], blockSize: number, eosId: number, maxBlocks?: number | null): Int32Array {
  let blocks = packBlocks(docs, blockSize, eosId);
  if (maxBlocks != null && blocks.length > maxBlocks) blocks = blocks.slice(0, maxBlocks);
  const out = new Int32Array(blocks.length * blockSize);
  blocks.forEach((b, i) => out.set(b, i * blockSize));
  return out;
}
