import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { createTfjsEngine } from '../../src/engine/tfjs.ts';
import type { Engine, TokenBatch } from '../../src/engine/types.ts';
import { perplexity } from '../../src/eval/perplexity.ts';
import { checkContextStride, documentWindows } from '../../src/eval/windows.ts';
import { bootstrapRatio, quantile } from '../../src/eval/bootstrap.ts';
import { initGPT2Params } from '../../src/train/init.ts';
import { randomTokens, tinyConfig } from '../engine/helpers.ts';

/**
 * A fake engine whose NLL for the target at row position j (predicting token j+1 of the window from j+1
 * tokens of context) is 1/(j+1) + id/1000 — so every scored token's NLL reveals how much context it had,
 * and the perplexity sum can be computed by hand from the window rules.
 */
function contextEngine(nPositions: number, calls: TokenBatch[] = []): Engine {
  return {
    kind: 'tfjs',
    config: { ...tinyConfig(), n_positions: nPositions, vocab_size: 1000 },
    paramNames: [],
    capabilities: { applyGradients: false, mas: false },
    async tokenNll(b: TokenBatch) {
      calls.push(b);
      const out = new Float32Array(b.batch * (b.seqLen - 1));
      for (let r = 0; r < b.batch; r++) for (let j = 0; j < b.seqLen - 1; j++) out[r * (b.seqLen - 1) + j] = 1 / (j + 1) + b.ids[r * b.seqLen + j + 1] / 1000;
      return out;
    },
  } as unknown as Engine;
}

describe('perplexity windows', () => {
  it('windows start at 0, S, 2S…; the first scores all but its first token; later ones only new tokens', () => {
    // L = 10, N = 4, S = 2: [0,4) scores 1..3; [2,6) scores 4,5; [4,8) 6,7; [6,10) 8,9
    expect(documentWindows(0, 10, 4, 2)).toEqual([
      { doc: 0, start: 0, end: 4, scoreFrom: 1 },
      { doc: 0, start: 2, end: 6, scoreFrom: 4 },
      { doc: 0, start: 4, end: 8, scoreFrom: 6 },
      { doc: 0, start: 6, end: 10, scoreFrom: 8 },
    ]);
    // the last window is cut at the document end: L = 7, N = 4, S = 3: [0,4) 1..3; [3,7) 4..6
    expect(documentWindows(0, 7, 4, 3)).toEqual([
      { doc: 0, start: 0, end: 4, scoreFrom: 1 },
      { doc: 0, start: 3, end: 7, scoreFrom: 4 },
    ]);
    expect(documentWindows(0, 1, 4, 2)).toEqual([]);
    expect(documentWindows(0, 3, 4, 2)).toEqual([{ doc: 0, start: 0, end: 3, scoreFrom: 1 }]);
  });

  it('every token but the first is scored exactly once, with ≥ N − S tokens of context after the first window', () => {
    for (const [L, N, S] of [[50, 8, 3], [17, 16, 15], [9, 4, 1], [100, 10, 9], [33, 7, 7 - 1]]) {
      const seen = new Array(L).fill(0);
      for (const w of documentWindows(0, L, N, S)) {
        expect(w.end - w.start).toBeLessThanOrEqual(N);
        for (let p = w.scoreFrom; p < w.end; p++) {
          seen[p]++;
          if (w.start > 0) expect(p - w.start).toBeGreaterThanOrEqual(N - S);
        }
      }
      expect(seen).toEqual([0, ...new Array(L - 1).fill(1)]);
    }
  });

  it('S ≥ N is rejected with the reason', () => {
    expect(() => checkContextStride(8, 8, 16)).toThrow(/stride smaller than the context \(8\), found 8.*first token would be predicted without context or go unscored/);
    expect(() => checkContextStride(32, 4, 16)).toThrow(/at most the model's n_positions \(16\)/);
    expect(() => checkContextStride(8, 0, 16)).toThrow(/integer ≥ 1/);
  });
});

describe('perplexity (hand-computable)', () => {
  it('token-weighted sum over exactly the scored tokens, each document alone, padding never scored', async () => {
    // docs: A = 6 tokens, B = 3 tokens (shorter: padded in the batch), C = 1 token (skipped). N = 4, S = 2.
    const A = [1, 2, 3, 4, 5, 6];
    const B = [7, 8, 9];
    const C = [10];
    const calls: TokenBatch[] = [];
    const r = await perplexity(contextEngine(4, calls), [A, B, C], { context: 4, stride: 2, batchSize: 8, bootstrapSamples: 0 });
    // A: window [0,4) scores tokens 2,3,4 at row positions j = 0,1,2 → 1/1 + 1/2 + 1/3 + (2+3+4)/1000;
    //    window [2,6) scores tokens 5,6 (doc positions 4,5) at row positions j = 1,2 → 1/2 + 1/3 + (5+6)/1000.
    // B: window [0,3) scores 8, 9 at j = 0,1 → 1 + 1/2 + 17/1000.
    const nllA = 1 + 1 / 2 + 1 / 3 + 9 / 1000 + 1 / 2 + 1 / 3 + 11 / 1000;
    const nllB = 1 + 1 / 2 + 17 / 1000;
    expect(r.tokens).toBe(5 + 2);
    expect(r.documents).toBe(2);
    expect(r.skippedDocuments).toBe(1);
    expect(r.perDocument.tokens[0]).toBe(5);
    expect(r.perDocument.nll[0]).toBeCloseTo(nllA, 5);
    expect(r.perDocument.nll[1]).toBeCloseTo(nllB, 5);
    expect(r.nll).toBeCloseTo((nllA + nllB) / 7, 6);
    expect(r.ppl).toBeCloseTo(Math.exp((nllA + nllB) / 7), 5);
    // one batch of 3 windows, rows right-padded to 4; padding targets carry weight 0
    expect(calls.length).toBe(1);
    expect(calls[0].batch).toBe(3);
    expect(calls[0].seqLen).toBe(4);
  });

  it('a model with uniform output (all-zero weights ⇒ zero logits) has ppl = vocab size', async () => {
    await initBackend('wasm');
    const c = tinyConfig();
    const p = initGPT2Params(c, 1);
    for (const t of p.values()) t.data.fill(0);
    const e = createTfjsEngine(c, p);
    const docs = [Array.from(randomTokens(1, 40, c.vocab_size)), Array.from(randomTokens(2, 9, c.vocab_size))];
    const r = await perplexity(e, docs, { context: 16, stride: 5 });
    expect(r.tokens).toBe(39 + 8);
    expect(Math.abs(r.ppl - c.vocab_size)).toBeLessThan(1e-4 * c.vocab_size);
    e.dispose();
  });

  it('stride variants give identical nll when the context covers each document', async () => {
    const c = tinyConfig();
    const e = createTfjsEngine(c, initGPT2Params(c, 2));
    const docs = [Array.from(randomTokens(3, 16, c.vocab_size)), Array.from(randomTokens(4, 11, c.vocab_size)), Array.from(randomTokens(5, 2, c.vocab_size))];
    const r = await Promise.all([1, 5, 8, 15].map((s) => perplexity(e, docs, { context: 16, stride: s, bootstrapSamples: 0 })));
    for (const x of r) {
      expect(x.tokens).toBe(15 + 10 + 1);
      expect(Math.abs(x.nll - r[0].nll)).toBeLessThan(1e-6);
    }
    // and a shorter context with overlap changes it (sanity: the model uses its context)
    const short = await perplexity(e, docs, { context: 4, stride: 2, bootstrapSamples: 0 });
    expect(short.tokens).toBe(26);
    expect(Math.abs(short.nll - r[0].nll)).toBeGreaterThan(1e-6);
    e.dispose();
  });

  it('padding to a fixed [batch, context] shape changes nothing (right padding is causal-invisible and unscored)', async () => {
    const c = tinyConfig();
    const e = createTfjsEngine(c, initGPT2Params(c, 5));
    const docs = [Array.from(randomTokens(6, 23, c.vocab_size)), Array.from(randomTokens(7, 5, c.vocab_size)), Array.from(randomTokens(8, 12, c.vocab_size))];
    const a = await perplexity(e, docs, { context: 16, stride: 6, batchSize: 2, bootstrapSamples: 0 });
    const b = await perplexity(e, docs, { context: 16, stride: 6, batchSize: 2, bootstrapSamples: 0, fixedShape: true });
    expect(b.tokens).toBe(a.tokens);
    expect(Math.abs(a.nll - b.nll)).toBeLessThan(1e-6);
    const calls: TokenBatch[] = [];
    await perplexity(contextEngine(16, calls), docs, { context: 16, stride: 6, batchSize: 4, bootstrapSamples: 0, fixedShape: true });
    expect(calls.every((x) => x.batch === 4 && x.seqLen === 16)).toBe(true);
    e.dispose();
  });

  it('bootstrap interval: seeded, contains the estimate, narrows with more documents', async () => {
    const docs = Array.from({ length: 40 }, (_, i) => Array.from(randomTokens(10 + i, 5 + (i % 7), 1000)));
    const a = await perplexity(contextEngine(8), docs, { context: 8, stride: 4, seed: 3 });
    const b = await perplexity(contextEngine(8), docs, { context: 8, stride: 4, seed: 3 });
    expect(a.ci95).toEqual(b.ci95);
    expect(a.ci95!.low).toBeLessThanOrEqual(a.ppl);
    expect(a.ci95!.high).toBeGreaterThanOrEqual(a.ppl);
    expect(a.ci95!.high).toBeGreaterThan(a.ci95!.low);
    // ratio bootstrap on identical units has zero width
    const [lo, hi] = bootstrapRatio([2, 2, 2], [1, 1, 1], 200, 1);
    expect([lo, hi]).toEqual([2, 2]);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
  });

  it('rejects ids outside the vocabulary', async () => {
    await expect(perplexity(contextEngine(8), [[1, 2000]], { context: 8, stride: 4 })).rejects.toThrow(/token id in \[0, 1000\).*found 2000/);
  });

  it('leaks no tensors across evaluations', async () => {
    const c = tinyConfig();
    const e = createTfjsEngine(c, initGPT2Params(c, 2));
    const docs = [Array.from(randomTokens(3, 30, c.vocab_size))];
    await perplexity(e, docs, { context: 16, stride: 8 });
    const n0 = tf.memory().numTensors;
    await perplexity(e, docs, { context: 16, stride: 8 });
    await perplexity(e, docs, { context: 8, stride: 3 });
    expect(tf.memory().numTensors).toBe(n0);
    e.dispose();
  });
});
