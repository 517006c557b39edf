/**
 * Corpora for ewc-lm: specs → documents → splits → token ids → blocks.
 *
 * ```ts
 * import { loadCorpus, splitCorpus, tokenizeDocuments, packBlocks, evalSequences } from '../data/index.ts';
 * import { loadTokenizer } from '../tokenization/index.ts';
 *
 * const tok = loadTokenizer('../shared/fixtures/gpt2-tokenizer');         // { encode, decode, eosId, vocabSize, … }
 * const corpus = loadCorpus('dialogs:embedded');                           // { spec, kind, documents: [{id, text|turns|ids, source}] }
 * const { train, validation, test } = splitCorpus(corpus, { seed: 0, fractions: [0.9, 0.05, 0.05] });
 * const trainIds = tokenizeDocuments(train, tok);                           // number[][]; each doc ends with tok.eosId; cached on disk
 * const blocks = packBlocks(trainIds, 128, tok.eosId);                       // number[][] of exactly 128 ids, consecutive blocks overlap by 1
 * const windows = evalSequences(tokenizeDocuments(test, tok), 128, { prependId: tok.eosId }); // [{doc, ids, scoreFrom}]
 * ```
 *
 * - Specs (registry.ts, docs/corpora.md): moby-dick, sotu[:FROM-TO], brown[:GENRE,…], dialogs:embedded,
 *   books:embedded, text:PATH[#file|#paragraph|#chunk=N], jsonl:PATH[#FIELD], dialogs-jsonl:PATH,
 *   dailydialog:PATH[#raw], multiwoz:PATH[#raw], plays:PATH[#turns=N], chatterbot:PATH, tokens:FILE.json,
 *   dialogs:PATH, books:PATH.
 * - Splits are a pure function of (document id, seed); predefined splits (DailyDialog, MultiWOZ) are kept; exact
 *   duplicates of earlier splits are dropped from validation/test.
 * - Dialogs are tokenized as turns joined by "\n" then <|endoftext|>; the end token is a real target
 *   (never masked). Text documents end with <|endoftext|> too.
 * - Token cache: $EWC_LM_CACHE or <repo>/.cache (EWC_LM_CACHE=off disables), keyed by tokenizer hash + texts.
 */
export type { Corpus, CorpusKind, Document, SplitCorpus, SplitName } from './types.ts';
export { SPLIT_NAMES } from './types.ts';
export { loadCorpus, parseSpec, FORMATS, type FormatInfo } from './registry.ts';
export { splitCorpus, assignSplit, resolveFractions, DEFAULT_FRACTIONS, type SplitOptions, type SplitFractions } from './split.ts';
export { tokenizeDocuments, cacheDir, type TokenizeOptions } from './tokenize.ts';
export { packBlocks, evalSequences, type EvalWindow, type EvalOptions, type PackOptions } from './pack.ts';
export { documentText, contentKey } from './format.ts';
export { corpusStats, type CorpusStats, type SplitStats } from './stats.ts';
export { extractDialogs, splitQuotes } from './dialog-extract.ts';
