import { describe, expect, it } from 'vitest';
import { assignSplit, splitCorpus, type Document } from '../../src/data/index.ts';
import { unitHash } from '../../src/data/hash.ts';

const docs: Document[] = Array.from({ length: 12 }, (_, i) => ({ id: `d${i}`, source: 't', text: `doc ${i}` }));
const ids = (d: Document[]) => d.map((x) => x.id);

describe('splitCorpus', () => {
  it.each([
    // sha256-based, so these exact lists hold on every machine (regenerate only if the hash rule changes)
    [0, ['d0', 'd4', 'd7', 'd11'], ['d3', 'd8', 'd9'], ['d1', 'd2', 'd5', 'd6', 'd10']],
    [1, ['d1', 'd2', 'd4', 'd7', 'd8', 'd9', 'd11'], ['d5'], ['d0', 'd3', 'd6', 'd10']],
  ])('seed %i gives exactly the pinned splits', (seed, train, validation, test) => {
    const s = splitCorpus(docs, { seed: seed as number, fractions: [0.5, 0.25, 0.25] });
    expect({ train: ids(s.train), validation: ids(s.validation), test: ids(s.test) }).toEqual({ train, validation, test });
  });

  it('unitHash is sha256-based and stable', () => {
    expect(unitHash(0, 'd0')).toBeCloseTo(unitHash(0, 'd0'), 15);
    expect(unitHash(0, 'd0')).not.toBe(unitHash(1, 'd0'));
  });

  it('no document in two splits; the union is the corpus; order preserved', () => {
    const many: Document[] = Array.from({ length: 500 }, (_, i) => ({ id: `x${i}`, source: 't', text: `unique ${i}` }));
    const s = splitCorpus(many, { seed: 7 });
    const all = [...ids(s.train), ...ids(s.validation), ...ids(s.test)];
    expect(new Set(all).size).toBe(500);
    expect(all.length).toBe(500);
    expect(ids(s.train)).toEqual(ids(many).filter((id) => assignSplit(id, 7, { train: 0.9, validation: 0.05, test: 0.05 }) === 'train'));
    expect(s.train.length).toBeGreaterThan(420); // 90% of 500 ± sampling noise
  });

  it('split of a document depends only on (id, seed), not on the other documents', () => {
    const a = splitCorpus(docs, { seed: 3 });
    const b = splitCorpus(docs.slice(0, 6).reverse(), { seed: 3 });
    for (const s of ['train', 'validation', 'test'] as const) {
      expect(ids(b[s]).sort()).toEqual(ids(a[s]).filter((id) => Number(id.slice(1)) < 6).sort());
    }
  });

  it('keeps predefined splits and drops exact duplicates (case/whitespace-normalized) across splits', () => {
    const d: Document[] = [
      { id: 't1', source: 's', turns: ['Hi', 'Hello there'], split: 'train' },
      { id: 't2', source: 's', turns: ['Bye'], split: 'train' },
      { id: 'v1', source: 's', turns: ['hi', '  hello   there'], split: 'validation' },
      { id: 'v2', source: 's', turns: ['New one'], split: 'validation' },
      { id: 'e1', source: 's', turns: ['new ONE'], split: 'test' },
      { id: 'e2', source: 's', turns: ['bye'], split: 'test' },
      { id: 'e3', source: 's', turns: ['Unseen'], split: 'test' },
    ];
    const s = splitCorpus(d, { seed: 0 });
    expect(ids(s.train)).toEqual(['t1', 't2']);
    expect(ids(s.validation)).toEqual(['v2']);
    expect(ids(s.test)).toEqual(['e3']);
    expect(s.removedDuplicates).toEqual({ train: 0, validation: 1, test: 2 });
    const noDedupe = splitCorpus(d, { dedupe: 'none' });
    expect(noDedupe.test).toHaveLength(3);
  });

  it.each([
    [[0.5, 0.5, 0.5], /expected three non-negative numbers .* summing to 1/],
    [[1.2, -0.1, -0.1], /non-negative/],
  ])('rejects fractions %j', (f, re) => {
    expect(() => splitCorpus(docs, { fractions: f as [number, number, number] })).toThrow(re);
  });

  it('rejects duplicate ids', () => {
    expect(() => splitCorpus([docs[0], docs[0]])).toThrow(/duplicate document id "d0"/);
  });
});
