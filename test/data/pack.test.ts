import { describe, expect, it } from 'vitest';
import { evalSequences, packBlocks } from '../../src/data/index.ts';

const EOS = 99;

describe('packBlocks', () => {
  it('concatenates with one eos between documents, blocks overlap by one token', () => {
    const docs = [[1, 2, 3], [4, 5, EOS], [6, 7]];
    // stream: 1 2 3 EOS 4 5 EOS 6 7 EOS (the second doc already ends with EOS: no second one)
    expect(packBlocks(docs, 4, EOS)).toEqual([
      [1, 2, 3, EOS],
      [EOS, 4, 5, EOS],
      [EOS, 6, 7, EOS],
    ]);
    expect(packBlocks(docs, 4, EOS, { overlap: 0 })).toEqual([
      [1, 2, 3, EOS],
      [4, 5, EOS, 6],
    ]);
  });

  it('every stream token after the first is a target exactly once (overlap 1)', () => {
    const docs = Array.from({ length: 7 }, (_, d) => Array.from({ length: 3 + d * 5 }, (_, i) => d * 100 + i));
    const blocks = packBlocks(docs, 16, EOS);
    const targets = blocks.flatMap((b) => b.slice(1));
    const stream = docs.flatMap((d) => [...d, EOS]);
    expect(targets).toEqual(stream.slice(1, 1 + targets.length));
    expect(stream.length - 1 - targets.length).toBeLessThan(15); // only the dropped tail is missing
  });

  it('errors on too few tokens and bad sizes', () => {
    expect(() => packBlocks([[1, 2]], 8, EOS)).toThrow(/hold 3 tokens, fewer than one block of 8/);
    expect(() => packBlocks([[1, 2]], 1, EOS)).toThrow(/block size: expected an integer ≥ 2/);
  });
});

describe('evalSequences', () => {
  it('never crosses documents; scores every target of every document exactly once', () => {
    const docs = [Array.from({ length: 23 }, (_, i) => i), [50, 51], [60]];
    for (const stride of [3, 5, 7]) {
      const w = evalSequences(docs, 8, { stride });
      const scored = new Map<number, number[]>();
      for (const x of w) {
        expect(x.ids.length).toBeLessThanOrEqual(8);
        const base = docs[x.doc].indexOf(x.ids[0]);
        expect(docs[x.doc].slice(base, base + x.ids.length)).toEqual(x.ids); // a contiguous piece of one doc
        for (let t = Math.max(1, x.scoreFrom); t < x.ids.length; t++) scored.set(x.doc, [...(scored.get(x.doc) ?? []), base + t]);
      }
      expect(scored.get(0)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
      expect(scored.get(1)).toEqual([1]);
      expect(scored.has(2)).toBe(false); // one token: nothing to predict
    }
  });

  it('prependId makes the first token a target', () => {
    const w = evalSequences([[5, 6]], 8, { prependId: EOS });
    expect(w).toEqual([{ doc: 0, ids: [EOS, 5, 6], scoreFrom: 1 }]);
  });

  it('default stride gives windows with one token of overlap', () => {
    const w = evalSequences([Array.from({ length: 10 }, (_, i) => i)], 4);
    expect(w.map((x) => [x.ids, x.scoreFrom])).toEqual([
      [[0, 1, 2, 3], 1],
      [[3, 4, 5, 6], 1],
      [[6, 7, 8, 9], 1],
    ]);
  });
});
