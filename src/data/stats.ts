/** corpusStats: documents, characters and (with a tokenizer) tokens per split, as a JSON-ready object. */
import type { Tokenizer } from '../tokenization/tokenizer.ts';
import { documentChars } from './format.ts';
import { splitCorpus, type SplitOptions } from './split.ts';
import { tokenizeDocuments } from './tokenize.ts';
import { SPLIT_NAMES, type Corpus, type SplitName } from './types.ts';

export interface SplitStats {
  documents: number;
  characters: number;
  turns?: number;
  /** Tokens including one end token per document; absent without a tokenizer. */
  tokens?: number;
}

export interface CorpusStats {
  spec: string;
  format: string;
  kind: string;
  documents: number;
  characters: number;
  splits: Record<SplitName, SplitStats>;
  removedDuplicates: Record<SplitName, number>;
  split: { seed: number; fractions?: SplitOptions['fractions']; predefined: boolean };
  tokenizer?: string;
  notes?: string[];
}

export function corpusStats(corpus: Corpus, opts: SplitOptions & { tokenizer?: Tokenizer } = {}): CorpusStats {
  const sp = splitCorpus(corpus, opts);
  const splits = {} as Record<SplitName, SplitStats>;
  for (const s of SPLIT_NAMES) {
    const docs = sp[s];
    const st: SplitStats = { documents: docs.length, characters: docs.reduce((a, d) => a + documentChars(d), 0) };
    if (corpus.kind === 'dialog') st.turns = docs.reduce((a, d) => a + (d.turns?.length ?? 0), 0);
    if (opts.tokenizer) st.tokens = tokenizeDocuments(docs, opts.tokenizer).reduce((a, d) => a + d.length, 0);
    splits[s] = st;
  }
  return {
    spec: corpus.spec,
    format: corpus.format,
    kind: corpus.kind,
    documents: corpus.documents.length,
    characters: corpus.documents.reduce((a, d) => a + documentChars(d), 0),
    splits,
    removedDuplicates: sp.removedDuplicates,
    split: { seed: opts.seed ?? 0, fractions: opts.fractions, predefined: corpus.documents.some((d) => d.split !== undefined) && (opts.usePredefined ?? true) },
    ...(opts.tokenizer ? { tokenizer: opts.tokenizer.source } : {}),
    ...(corpus.notes?.length ? { notes: corpus.notes } : {}),
  };
}
