/**
 * `ewc-lm eval --model DIR --corpus SPEC [--split test] [--context N] [--stride S]`: perplexity of a corpus
 * (src/eval/perplexity.ts) under a checkpoint, each document scored on its own, token-weighted.
 * Text corpora are tokenized with the model's own tokenizer (DIR/tokenizer.json, or --tokenizer), every
 * document ending with the end token (a real target, as in training); `tokens:FILE.json` documents are scored
 * exactly as given. The split is the seeded split of src/data (same seed ⇒ same documents as training used).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from 'yargs';
import { initBackend } from '../backends/index.ts';
import { loadCorpus, splitCorpus, tokenizeDocuments, type Document } from '../data/index.ts';
import { createEngine } from '../engine/index.ts';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { loadTokenizer } from '../tokenization/index.ts';
import { EwcError } from '../util/errors.ts';
import { log, progressTicker } from '../util/log.ts';
import { bootstrapRatio } from './bootstrap.ts';
import { perplexity, type PerplexityResult } from './perplexity.ts';

export interface EvalCorpusOptions {
  model: string;
  corpus: string;
  /** train | validation | test | all (default all). */
  split?: string;
  splitSeed?: number;
  context?: number;
  stride?: number;
  engine?: string;
  backend?: string;
  tokenizer?: string;
  batchSize?: number;
  bootstrap?: number;
  seed?: number;
}

export type EvalCorpusResult = Omit<PerplexityResult, 'perDocument'> & {
  /** UTF-8 bytes of the scored documents' text (null for tokens: corpora, which have no text). */
  bytes: number | null;
  /**
   * Bits per byte: total nats of the scored text ÷ its UTF-8 bytes ÷ ln 2, so that models with different
   * tokenizers compare (null for tokens: corpora). Every target is scored (the end token included) except each
   * document's first token; with documents of thousands of bytes the difference is under 0.1%.
   */
  bitsPerByte: number | null;
  /** 95% percentile-bootstrap interval of bitsPerByte over documents (same resamples as ci95). */
  bitsPerByteCi95: { low: number; high: number } | null;
  model: string;
  corpus: string;
  split: string;
  engine: string;
  backend: string | null;
  seconds: number;
};

/** yargs options of the corpus form of eval (H2's eval command adds them). */
export const evalCorpusOptions: Record<string, Options> = {
  corpus: { type: 'string', describe: 'corpus spec (docs/corpora.md), e.g. books:embedded or tokens:FILE.json; perplexity with windows' },
  split: { type: 'string', choices: ['train', 'validation', 'test', 'all'], default: 'all', describe: 'with --corpus: which seeded split to score' },
  'split-seed': { type: 'number', default: 0, describe: 'with --corpus: split seed (0 = the default used by training commands)' },
  context: { type: 'number', describe: 'with --corpus: window length N (default n_positions)' },
  stride: { type: 'number', describe: 'with --corpus: window stride S < N (default N/2)' },
  tokenizer: { type: 'string', describe: 'with --corpus: tokenizer (default: the model folder\'s tokenizer.json)' },
  bootstrap: { type: 'number', default: 1000, describe: 'with --corpus: bootstrap resamples over documents for the 95% interval (0 = none)' },
  seed: { type: 'number', default: 0, describe: 'with --corpus: bootstrap seed' },
};

function selectSplit(docs: Document[], split: string, seed: number): Document[] {
  if (split === 'all') return docs;
  if (split !== 'train' && split !== 'validation' && split !== 'test') {
    throw new EwcError(`--split: expected train, validation, test or all, found ${split}.`);
  }
  return splitCorpus(docs, { seed })[split];
}

const utf8 = new TextEncoder();

function docBytes(d: Document): number {
  return utf8.encode(d.text ?? d.turns?.join('\n') ?? '').length;
}

/** Bits per byte of the scored documents and its bootstrap interval (documents resampled, Σ nats / Σ bytes). */
export function bitsPerByte(docs: Document[], per: PerplexityResult['perDocument'], samples: number, seed: number): { bytes: number; value: number; ci95: { low: number; high: number } | null } {
  const nats: number[] = [];
  const bytes: number[] = [];
  docs.forEach((d, i) => {
    if (per.tokens[i] > 0) (nats.push(per.nll[i]), bytes.push(docBytes(d)));
  });
  const totalBytes = bytes.reduce((a, b) => a + b, 0);
  const value = nats.reduce((a, b) => a + b, 0) / totalBytes / Math.LN2;
  let ci95 = null;
  if (samples > 0 && nats.length > 1) {
    const [lo, hi] = bootstrapRatio(nats, bytes, samples, seed);
    ci95 = { low: lo / Math.LN2, high: hi / Math.LN2 };
  }
  return { bytes: totalBytes, value, ci95 };
}

export async function evalCorpus(o: EvalCorpusOptions): Promise<EvalCorpusResult> {
  const t0 = Date.now();
  const tick = progressTicker(2000, { immediate: true, final: true });
  const ck = loadCheckpoint(o.model);
  const split = o.split ?? 'all';
  const corpus = loadCorpus(o.corpus);
  const docs = selectSplit(corpus.documents, split, o.splitSeed ?? 0);
  if (docs.length === 0) throw new EwcError(`--corpus ${o.corpus} --split ${split}: expected at least one document, found none. Use another split or --split all.`);
  let ids: number[][];
  if (corpus.kind === 'tokens') {
    ids = docs.map((d) => d.ids!);
  } else {
    const tokPath = o.tokenizer ?? (existsSync(join(ck.dir, 'tokenizer.json')) ? ck.dir : undefined);
    if (!tokPath) {
      throw new EwcError(`--corpus ${o.corpus}: the model folder ${ck.dir} has no tokenizer.json, so text cannot be tokenized. Pass --tokenizer PATH (the tokenizer the model was trained with), or a tokens:FILE.json corpus.`);
    }
    const tok = loadTokenizer(tokPath);
    if (tok.vocabSize > ck.config.vocab_size) {
      throw new EwcError(`--tokenizer: its vocabulary (${tok.vocabSize}) is larger than the model's vocab_size (${ck.config.vocab_size}); it is not this model's tokenizer.`);
    }
    ids = tokenizeDocuments(docs, tok);
  }
  const engineKind = o.engine ?? 'tfjs';
  const backend = engineKind === 'tfjs' ? await initBackend(o.backend ?? 'auto') : null;
  const engine = await createEngine(engineKind, ck.config, ck.params);
  try {
    const r = await perplexity(engine, ids, {
      context: o.context,
      stride: o.stride,
      batchSize: o.batchSize,
      bootstrapSamples: o.bootstrap,
      seed: o.seed,
      onProgress: (done, total, tokens) => {
        const p = tick(done, total);
        if (p) log(`eval: ${done}/${total} windows, ${tokens} tokens, ${(tokens / Math.max(p.elapsedS, 1e-9)).toFixed(0)} tokens/s`);
      },
    });
    const { perDocument, ...rest } = r;
    const bpb = corpus.kind === 'tokens' ? null : bitsPerByte(docs, perDocument, o.bootstrap ?? 1000, o.seed ?? 0);
    return { ...rest, bytes: bpb?.bytes ?? null, bitsPerByte: bpb?.value ?? null, bitsPerByteCi95: bpb?.ci95 ?? null, model: ck.dir, corpus: o.corpus, split, engine: engineKind, backend, seconds: (Date.now() - t0) / 1000 };
  } finally {
    engine.dispose();
  }
}
