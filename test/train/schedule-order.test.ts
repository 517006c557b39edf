import { describe, expect, it } from 'vitest';
import { lrAt } from '../../src/train/schedule.ts';
import { BlockOrder } from '../../src/train/data-order.ts';
import { permutation } from '../../src/train/rng.ts';

describe('learning-rate schedules', () => {
  const base = { lr: 1, steps: 110, warmupSteps: 10, minLrRatio: 0.1 };
  it('warm-up is linear from lr/warmup to lr', () => {
    expect(lrAt(0, { ...base, schedule: 'cosine' })).toBeCloseTo(0.1);
    expect(lrAt(9, { ...base, schedule: 'cosine' })).toBeCloseTo(1);
  });
  it('cosine: lr at the start of decay, midpoint (lr+min)/2, → min at the end', () => {
    const c = { ...base, schedule: 'cosine' as const };
    expect(lrAt(10, c)).toBeCloseTo(1);
    expect(lrAt(60, c)).toBeCloseTo(0.55);
    expect(lrAt(110, c)).toBeCloseTo(0.1);
  });
  it('linear decays linearly; constant stays', () => {
    expect(lrAt(60, { ...base, schedule: 'linear' })).toBeCloseTo(0.55);
    expect(lrAt(85, { ...base, schedule: 'linear' })).toBeCloseTo(0.325);
    expect(lrAt(100, { ...base, schedule: 'constant' })).toBe(1);
  });
});

describe('seeded data order', () => {
  it('each epoch is a permutation; epochs differ; same seed same order', () => {
    const o = new BlockOrder(10, 7);
    const e0 = o.take(10);
    const e1 = o.take(10);
    expect([...e0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...e1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e0).not.toEqual(e1);
    expect(new BlockOrder(10, 7).take(20)).toEqual([...e0, ...e1]);
    expect(new BlockOrder(10, 8).take(10)).not.toEqual(e0);
  });
  it('resuming at a saved position continues the same sequence', () => {
    const full = new BlockOrder(7, 3).take(25);
    const a = new BlockOrder(7, 3);
    const first = a.take(11);
    const b = new BlockOrder(7, 3, a.position);
    expect([...first, ...b.take(14)]).toEqual(full);
  });
  it('permutation is deterministic', () => {
    expect([...permutation(5, 1)]).toEqual([...permutation(5, 1)]);
  });
});
