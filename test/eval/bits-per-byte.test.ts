/**
 * Bits per byte (src/eval/eval-corpus.ts): Σ nats ÷ Σ UTF-8 bytes ÷ ln 2 over scored documents, with a bootstrap
 * interval that uses the same resamples as the perplexity interval.
 */
import { describe, expect, it } from 'vitest';
import { bitsPerByte } from '../../src/eval/eval-corpus.ts';
import { bootstrapRatio } from '../../src/eval/bootstrap.ts';

describe('bitsPerByte', () => {
  const docs = [
    { id: 'a', source: 's', text: 'abcd' }, // 4 bytes
    { id: 'b', source: 's', text: 'é€' }, // 2 + 3 = 5 UTF-8 bytes
    { id: 'c', source: 's', text: 'x' }, // not scored (one token)
    { id: 'd', source: 's', turns: ['hi', 'yo'] }, // "hi\nyo" = 5 bytes
  ];
  const per = { nll: Float64Array.from([4 * Math.LN2, 10 * Math.LN2, 0, 5 * Math.LN2]), tokens: Float64Array.from([3, 2, 0, 4]) };

  it('is total nats over the scored documents\' bytes, in bits; unscored documents count neither', () => {
    const r = bitsPerByte(docs, per, 0, 0);
    expect(r.bytes).toBe(14);
    expect(r.value).toBeCloseTo(19 / 14, 12);
    expect(r.ci95).toBeNull();
  });

  it('its interval is the bootstrap of the same ratio, in bits, and contains the estimate here', () => {
    const r = bitsPerByte(docs, per, 400, 3);
    const [lo, hi] = bootstrapRatio([4 * Math.LN2, 10 * Math.LN2, 5 * Math.LN2], [4, 5, 5], 400, 3);
    expect(r.ci95!.low).toBeCloseTo(lo / Math.LN2, 12);
    expect(r.ci95!.high).toBeCloseTo(hi / Math.LN2, 12);
    expect(r.ci95!.low).toBeLessThan(r.value);
    expect(r.ci95!.high).toBeGreaterThan(r.value);
  });
});
