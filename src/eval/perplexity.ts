/**
 * Perplexity of a corpus of documents under an engine: token-weighted over the whole corpus (Σ NLL / Σ scored
 * tokens, never a mean of window means), each document scored on its own (windows never cross documents),
 * padding never scored, windows as in ./windows.ts. A 95% bootstrap interval resamples whole documents.
 */
import type { Engine } from '../engine/types.ts';
import { checkContextStride, documentWindows, type Window } from './windows.ts';
import { bootstrapRatio } from './bootstrap.ts';
import { EwcError } from '../util/errors.ts';

export interface PerplexityOptions {
  /** Window length N (default: the model's n_positions). */
  context?: number;
  /** Stride S < N (default: N / 2). */
  stride?: number;
  /** Windows per engine call (default 8). */
  batchSize?: number;
  /** Bootstrap resamples (default 1000; 0 = no interval). */
  bootstrapSamples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /**
   * Pad every batch to batchSize rows × context tokens (padding rows and positions have weight 0), so that
   * the engine sees one shape. Default: true for the compiled ort engine (one graph per shape), false for tfjs.
   */
  fixedShape?: boolean;
  /** Called after each batch with (windows done, windows total). */
  onProgress?: (done: number, total: number, tokens: number) => void;
}

export interface PerplexityResult {
  /** Mean NLL per scored token (nats). */
  nll: number;
  /** exp(nll). */
  ppl: number;
  /** Scored tokens (every token of every document but its first). */
  tokens: number;
  /** Documents with at least one scored token. */
  documents: number;
  /** Documents skipped because they have fewer than 2 tokens. */
  skippedDocuments: number;
  context: number;
  stride: number;
  windows: number;
  /** 95% percentile-bootstrap interval of ppl over documents (null when bootstrapSamples = 0 or 1 document). */
  ci95: { low: number; high: number; samples: number; seed: number } | null;
  /** Per-document Σ NLL and scored tokens (for pooling and tests). */
  perDocument: { nll: Float64Array; tokens: Float64Array };
}

export async function perplexity(engine: Engine, docs: readonly ArrayLike<number>[], opts: PerplexityOptions = {}): Promise<PerplexityResult> {
  const nPos = engine.config.n_positions;
  const context = opts.context ?? nPos;
  const stride = opts.stride ?? Math.max(1, Math.floor(context / 2));
  checkContextStride(context, stride, nPos);
  const batchSize = opts.batchSize ?? 8;
  const fixed = opts.fixedShape ?? engine.kind === 'ort';
  const vocab = engine.config.vocab_size;

  const windows: Window[] = [];
  let skipped = 0;
  docs.forEach((d, i) => {
    for (let t = 0; t < d.length; t++) {
      const id = d[t];
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new EwcError(`document ${i}, token ${t}: expected a token id in [0, ${vocab}) (the model's vocab_size), found ${id}. Tokenize with the model's own tokenizer.`);
      }
    }
    if (d.length < 2) skipped++;
    windows.push(...documentWindows(i, d.length, context, stride));
  });
  // Longest windows first, so that a batch pads little (rows are right-padded to the batch's longest).
  windows.sort((a, b) => b.end - b.start - (a.end - a.start) || a.doc - b.doc || a.start - b.start);

  const docNll = new Float64Array(docs.length);
  const docTok = new Float64Array(docs.length);
  let tokens = 0;
  for (let w0 = 0; w0 < windows.length; w0 += batchSize) {
    const batch = windows.slice(w0, w0 + batchSize);
    const T = fixed ? context : batch[0].end - batch[0].start; // [B, T]: longest first
    const B = fixed ? batchSize : batch.length;
    const ids = new Int32Array(B * T); // padding id 0: right padding never influences earlier positions (causal) and is never scored
    const weights = new Float32Array(B * (T - 1));
    batch.forEach((w, b) => {
      const d = docs[w.doc];
      for (let t = w.start; t < w.end; t++) ids[b * T + (t - w.start)] = d[t];
      // target index j predicts token start + j + 1
      for (let p = w.scoreFrom; p < w.end; p++) weights[b * (T - 1) + (p - w.start - 1)] = 1;
    });
    const nll = await engine.tokenNll({ ids, batch: B, seqLen: T, weights }); // [B, T−1]
    batch.forEach((w, b) => {
      let s = 0;
      let n = 0;
      for (let j = 0; j < T - 1; j++) {
        if (weights[b * (T - 1) + j] !== 0) {
          const v = nll[b * (T - 1) + j];
          s += v;
          n++;
        }
      }
      docNll[w.doc] += s;
      docTok[w.doc] += n;
      tokens += n;
    });
    opts.onProgress?.(Math.min(w0 + batchSize, windows.length), windows.length, tokens);
  }

  let total = 0;
  for (let i = 0; i < docs.length; i++) total += docNll[i];
  const nll = tokens > 0 ? total / tokens : NaN;
  const scoredDocs = docs.length - skipped;
  const samples = opts.bootstrapSamples ?? 1000;
  const seed = opts.seed ?? 0;
  let ci95: PerplexityResult['ci95'] = null;
  if (samples > 0 && scoredDocs > 1) {
    const keepNll: number[] = [];
    const keepTok: number[] = [];
    for (let i = 0; i < docs.length; i++) if (docTok[i] > 0) (keepNll.push(docNll[i]), keepTok.push(docTok[i]));
    const [lo, hi] = bootstrapRatio(keepNll, keepTok, samples, seed);
    ci95 = { low: Math.exp(lo), high: Math.exp(hi), samples, seed };
  }
  return {
    nll,
    ppl: Math.exp(nll),
    tokens,
    documents: scoredDocs,
    skippedDocuments: skipped,
    context,
    stride,
    windows: windows.length,
    ci95,
    perDocument: { nll: docNll, tokens: docTok },
  };
}
