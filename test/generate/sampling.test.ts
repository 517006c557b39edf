/**
 * Token choice in closed form. With logits l = (0, ln 2, ln 3, ln 4) and temperature T the sampling
 * distribution is p_i ∝ exp(l_i / T) = (i+1)^(1/T): T = 1 → (1, 2, 3, 4)/10; T = 2 → (1, √2, √3, 2)/Σ.
 * top-k = 2 keeps ids 2 and 3 only → (3, 4)/7 at T = 1. Empirical frequencies of N seeded draws must lie
 * within 5 standard errors √(p(1−p)/N) of these.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/train/rng.ts';
import { argmax, candidateProbs, pickToken, topKIds } from '../../src/generate/sampling.ts';

const L = Float32Array.from([0, Math.log(2), Math.log(3), Math.log(4)]);

function frequencies(o: { temperature: number; topK: number }, n: number, seed = 1): number[] {
  const rng = new Rng(seed);
  const c = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) c[pickToken(L, o, rng)]++;
  return c.map((x) => x / n);
}

function expectNear(freq: number[], p: number[], n: number): void {
  p.forEach((pi, i) => {
    const se = Math.sqrt((pi * (1 - pi)) / n);
    expect(Math.abs(freq[i] - pi)).toBeLessThanOrEqual(5 * se + 1e-12);
  });
}

describe('sampling in closed form', () => {
  it('candidateProbs = softmax(l/T) over the candidates', () => {
    const all = Uint32Array.from([0, 1, 2, 3]);
    const p1 = Array.from(candidateProbs(L, all, 1));
    [0.1, 0.2, 0.3, 0.4].forEach((v, i) => expect(p1[i]).toBeCloseTo(v, 6));
    const z = 1 + Math.SQRT2 + Math.sqrt(3) + 2;
    const p2 = Array.from(candidateProbs(L, all, 2));
    [1 / z, Math.SQRT2 / z, Math.sqrt(3) / z, 2 / z].forEach((v, i) => expect(p2[i]).toBeCloseTo(v, 6));
    const pk = Array.from(candidateProbs(L, Uint32Array.from([2, 3]), 1));
    expect(pk[0]).toBeCloseTo(3 / 7, 6);
    expect(pk[1]).toBeCloseTo(4 / 7, 6);
  });

  it('draw frequencies follow the distribution (T = 1, T = 2, top-k = 2)', () => {
    const n = 20000;
    expectNear(frequencies({ temperature: 1, topK: 0 }, n), [0.1, 0.2, 0.3, 0.4], n);
    const z = 1 + Math.SQRT2 + Math.sqrt(3) + 2;
    expectNear(frequencies({ temperature: 2, topK: 0 }, n), [1 / z, Math.SQRT2 / z, Math.sqrt(3) / z, 2 / z], n);
    expectNear(frequencies({ temperature: 1, topK: 2 }, n), [0, 0, 3 / 7, 4 / 7], n);
  });

  it('same seed → same draws; greedy and top-k = 1 ignore the PRNG', () => {
    expect(frequencies({ temperature: 1, topK: 0 }, 500, 9)).toEqual(frequencies({ temperature: 1, topK: 0 }, 500, 9));
    const rng = new Rng(5);
    const state = rng.state;
    expect(pickToken(L, { temperature: 0, topK: 0 }, rng)).toBe(3);
    expect(pickToken(L, { temperature: 3, topK: 1 }, rng)).toBe(3);
    expect(rng.state).toBe(state);
  });

  it('ties: argmax and top-k keep the lowest ids; limit restricts the candidates', () => {
    const t = Float32Array.from([1, 5, 5, 2, 5, -Infinity]);
    expect(argmax(t)).toBe(1);
    expect(Array.from(topKIds(t, 2))).toEqual([1, 2]);
    expect(Array.from(topKIds(t, 4))).toEqual([1, 2, 3, 4]);
    expect(Array.from(topKIds(t, 0))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(topKIds(t, 99))).toEqual([0, 1, 2, 3, 4, 5]);
    // only ids < 1 are allowed: id 0 whatever the others
    expect(pickToken(t, { temperature: 0, topK: 0, limit: 1 }, new Rng(1))).toBe(0);
    expect(pickToken(t, { temperature: 1, topK: 0, limit: 1 }, new Rng(1))).toBe(0);
    // -Infinity logits are never drawn
    const c = [0, 0, 0, 0, 0, 0];
    const rng = new Rng(2);
    for (let i = 0; i < 2000; i++) c[pickToken(t, { temperature: 1, topK: 0 }, rng)]++;
    expect(c[5]).toBe(0);
  });

  it('a NaN logit is an error, not a silent pick', () => {
    expect(() => pickToken(Float32Array.from([0, NaN, 1]), { temperature: 0, topK: 0 }, new Rng(1))).toThrow(/NaN logit \(id 1\)/);
  });
});
