import { describe, expect, it } from 'vitest';
import { radixArgsort, rankParameters, prunedCount, type ScoreMap } from '../../src/prune/rank.ts';
import { applyMask, CumulativePruner, fractionGrid, maskAt, maskSparsity, type ParamMap } from '../../src/prune/mask.ts';

function t(shape: number[], values: number[]) {
  return { shape, data: Float32Array.from(values) };
}

/** Deterministic pseudo-random scores (LCG) with many ties (values quantised to 1/16). */
function scores(seed: number): ScoreMap {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const mk = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, data: Float32Array.from({ length: n }, () => Math.round((rnd() - 0.5) * 32) / 16) };
  };
  return new Map([
    ['fc1.weight', mk([7, 5])],
    ['fc1.bias', mk([7])],
    ['fc2.weight', mk([3, 7])],
    ['fc2.bias', mk([3])],
  ]);
}

const count0 = (m: Map<string, Uint8Array>) => [...m.values()].reduce((a, f) => a + f.filter((x) => x === 0).length, 0);

describe('radixArgsort', () => {
  it('sorts ascending and is stable on ties', () => {
    const keys = Uint32Array.from([5, 0x10000, 3, 5, 0xffffffff, 0, 3, 0x10001, 5]);
    const order = [...radixArgsort(keys)];
    // reference: stable sort of indices by key
    const ref = [...keys.keys()].sort((a, b) => keys[a] - keys[b] || a - b);
    expect(order).toEqual(ref);
  });
});

describe('global masks', () => {
  it('prune exactly round(p·N) parameters at every fraction', () => {
    const sc = scores(1);
    const r = rankParameters(sc, 'global');
    const N = 35 + 7 + 21 + 3; // 66
    for (const p of [0, 0.01, 0.1, 0.25, 0.5, 0.51, 0.7, 0.9, 0.99, 1]) {
      const m = maskAt(r, p);
      expect(count0(m)).toBe(Math.round(p * N));
      expect(prunedCount(p, N)).toBe(Math.round(p * N));
    }
  });

  it('prunes the smallest |score| first (weights and biases in one ranking)', () => {
    const sc: ScoreMap = new Map([
      ['a.weight', t([2, 2], [0.5, -0.1, 3, -2])],
      ['a.bias', t([2], [0.05, -4])],
    ]);
    const r = rankParameters(sc, 'global');
    // |scores| ascending: a.bias[0]=0.05, a.weight[1]=0.1, a.weight[0]=0.5, a.weight[3]=2, a.weight[2]=3, a.bias[1]=4
    const m = maskAt(r, 3 / 6);
    expect([...m.get('a.bias')!]).toEqual([0, 1]);
    expect([...m.get('a.weight')!]).toEqual([0, 0, 1, 1]);
  });

  it('breaks ties by (tensor name code-unit order, flat index), independent of Map order', () => {
    // every score equal: the order is purely the tie rule. Names sorted: 'B.w' < 'a.bias' < 'a.weight'.
    const mk = (order: string[]) =>
      new Map(order.map((n) => [n, t(n === 'a.bias' ? [2] : [2, 2], n === 'a.bias' ? [1, -1] : [1, 1, -1, 1])]));
    const r1 = rankParameters(mk(['a.weight', 'a.bias', 'B.w']), 'global');
    const r2 = rankParameters(mk(['B.w', 'a.bias', 'a.weight']), 'global');
    expect(r1.groups[0].names).toEqual(['B.w', 'a.bias', 'a.weight']);
    expect([...r1.groups[0].order]).toEqual([...r2.groups[0].order]);
    const m = maskAt(r1, 6 / 10); // 6 pruned: all 4 of B.w, both of a.bias, none of a.weight
    expect([...m.get('B.w')!]).toEqual([0, 0, 0, 0]);
    expect([...m.get('a.bias')!]).toEqual([0, 0]);
    expect([...m.get('a.weight')!]).toEqual([1, 1, 1, 1]);
    const m2 = maskAt(r1, 7 / 10); // the 7th: a.weight flat index 0
    expect([...m2.get('a.weight')!]).toEqual([0, 1, 1, 1]);
  });

  it('treats −0 and +0 as equal and rejects NaN', () => {
    const r = rankParameters(new Map([['w', t([1, 3], [0, -0, 0])]]), 'global');
    expect([...r.groups[0].order]).toEqual([0, 1, 2]);
    expect(() => rankParameters(new Map([['w', t([1, 2], [1, NaN])]]), 'global')).toThrow(/NaN/);
  });

  it('masks for increasing p are nested', () => {
    const r = rankParameters(scores(7), 'global');
    let prev = maskAt(r, 0);
    for (const p of fractionGrid(0.05)) {
      const m = maskAt(r, p);
      for (const [n, f] of m) for (let j = 0; j < f.length; j++) if (prev.get(n)![j] === 0) expect(f[j]).toBe(0);
      prev = m;
    }
  });
});

describe('per-layer masks', () => {
  it('prunes round(p·N_t) of each weight matrix and leaves biases untouched', () => {
    const sc = scores(3);
    const r = rankParameters(sc, 'per-layer');
    expect(r.groups.map((g) => g.names)).toEqual([['fc1.weight'], ['fc2.weight']]);
    expect(r.untouched).toEqual(['fc1.bias', 'fc2.bias']);
    for (const p of [0.1, 0.5, 0.9, 1]) {
      const m = maskAt(r, p);
      expect(m.get('fc1.weight')!.filter((x) => x === 0).length).toBe(Math.round(p * 35));
      expect(m.get('fc2.weight')!.filter((x) => x === 0).length).toBe(Math.round(p * 21));
      expect([...m.get('fc1.bias')!].every((x) => x === 1)).toBe(true);
      expect([...m.get('fc2.bias')!].every((x) => x === 1)).toBe(true);
    }
  });

  it('ranks inside each matrix by |score|', () => {
    const sc: ScoreMap = new Map([
      ['l1.weight', t([1, 4], [9, 1, 8, 2])],
      ['l2.weight', t([1, 2], [0.5, 0.1])],
      ['l2.bias', t([1], [0])],
    ]);
    const m = maskAt(rankParameters(sc, 'per-layer'), 0.5);
    expect([...m.get('l1.weight')!]).toEqual([1, 0, 1, 0]);
    expect([...m.get('l2.weight')!]).toEqual([1, 0]);
    expect([...m.get('l2.bias')!]).toEqual([1]);
  });
});

describe('applying masks', () => {
  const params = (): ParamMap =>
    new Map([
      ['fc1.weight', t([7, 5], Array.from({ length: 35 }, (_, i) => i + 1))],
      ['fc1.bias', t([7], Array.from({ length: 7 }, (_, i) => -(i + 1)))],
      ['fc2.weight', t([3, 7], Array.from({ length: 21 }, (_, i) => 0.5 + i))],
      ['fc2.bias', t([3], [1, 2, 3])],
      ['other', t([2], [5, 6])],
    ]);

  it('applyMask zeroes exactly the masked entries and copies the rest', () => {
    const r = rankParameters(scores(5), 'global');
    const m = maskAt(r, 0.4);
    const p = params();
    const out = applyMask(p, m);
    for (const [n, tt] of out) {
      const f = m.get(n);
      for (let j = 0; j < tt.data.length; j++) expect(tt.data[j]).toBe(f && f[j] === 0 ? 0 : p.get(n)!.data[j]);
    }
    expect(p.get('fc1.weight')!.data[0]).toBe(1); // input untouched
    const sp = maskSparsity(m, r.shapes);
    expect(sp.total.pruned).toBe(Math.round(0.4 * 66));
    expect(sp.rows.find((x) => x.name === 'fc1.bias')!.numel).toBe(7);
  });

  it('CumulativePruner matches maskAt at every fraction of a sweep', () => {
    for (const scope of ['global', 'per-layer'] as const) {
      const r = rankParameters(scores(11), scope);
      const pr = new CumulativePruner(r, params());
      for (const p of fractionGrid(0.1, [0.95, 0.99])) {
        pr.advanceTo(p);
        const ref = applyMask(params(), maskAt(r, p));
        for (const [n, tt] of pr.params) expect([...tt.data]).toEqual([...ref.get(n)!.data]);
      }
      expect(() => pr.advanceTo(0.5)).toThrow(/increase/);
    }
  });

  it('fractionGrid is exact and includes extras', () => {
    const g = fractionGrid(0.01, [0.995]);
    expect(g.length).toBe(102);
    expect(g).toContain(0.7);
    expect(g).toContain(0.29);
    expect(g).toContain(0.995);
    expect(() => fractionGrid(0.3)).toThrow(/integer/);
  });
});
