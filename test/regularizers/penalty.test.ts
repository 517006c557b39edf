import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  coefficient,
  EwcPenalty,
  f32Down,
  penaltyCoefficients,
  penaltyFromSpec,
  penaltySpec,
  type PenaltyConfig,
} from '../../src/regularizers/penalty.ts';
import type { Importances } from '../../src/importance/types.ts';

const host = (data: number[], shape = [data.length]) => ({ shape, data: new Float32Array(data) });
const close = (a: number, r: number, rtol = 3e-6, atol = 1e-9) =>
  expect(Math.abs(a - r) <= atol + rtol * Math.abs(r) && !Number.isNaN(a), `${a} vs ${r}`).toBe(true);

await tf.setBackend('cpu');

describe('penalty coefficients (method.md §1)', () => {
  it('plain EWC: c = λΩ (no ½); stabilized: c = λΩ/(2(1+ηλΩ))', () => {
    // λ = 2, Ω = 3, η = 0.5 → λΩ = 6; plain c = 6; stabilized c = 6 / (2·(1 + 3)) = 0.75.
    expect(coefficient(3, { kind: 'ewc', lambda: 2, eta: 0.5 })).toBe(6);
    expect(coefficient(3, { kind: 'stabilized', lambda: 2, eta: 0.5 })).toBe(0.75);
    // Small Ω: stabilized ≈ half of plain (the reason its optimal λ is about twice as large).
    const small = coefficient(1e-6, { kind: 'stabilized', lambda: 1, eta: 1e-3 }) / coefficient(1e-6, { kind: 'ewc', lambda: 1, eta: 1e-3 });
    close(small, 0.5, 1e-8);
  });

  it('rounds toward zero to float32', () => {
    for (const v of [1 / 3, 0.1, 1e9 / 7, 123.456, 0]) {
      const f = f32Down(v);
      expect(f).toBe(Math.fround(f));
      expect(f).toBeLessThanOrEqual(v);
      expect(v - f).toBeLessThanOrEqual(Math.abs(v) * 1.2e-7);
    }
  });

  it('rejects a negative λ and a non-positive η for stabilized', () => {
    const om: Importances = new Map([['w', host([1])]]);
    expect(() => penaltyCoefficients(om, { kind: 'ewc', lambda: -1, eta: 0 })).toThrow(/λ/);
    expect(() => penaltyCoefficients(om, { kind: 'stabilized', lambda: 1, eta: 0 })).toThrow(/η/);
  });
});

describe('EwcPenalty value and gradient', () => {
  // θ = [1, −2, 0.5], θ* = [0, 1, 0.5], Ω = [2, 0.5, 100]; d = θ − θ* = [1, −3, 0].
  const omega: Importances = new Map([['a', host([2, 0.5, 100])], ['b', host([4], [1, 1])]]);
  const anchor: Importances = new Map([['a', host([0, 1, 0.5])], ['b', host([3], [1, 1])]]);
  const theta = [1, -2, 0.5];
  const thetaB = 1; // d_b = −2

  for (const cfg of [
    { kind: 'ewc', lambda: 3, eta: 0.01 },
    { kind: 'stabilized', lambda: 3, eta: 0.01 },
  ] as PenaltyConfig[]) {
    it(`${cfg.kind}: value Σ c d², gradient 2 c d, and autodiff agrees`, () => {
      const before = tf.memory().numTensors;
      const p = new EwcPenalty({ config: cfg, omega, anchor });
      const params = new Map<string, tf.Tensor>([['a', tf.tensor1d(theta)], ['b', tf.tensor2d([[thetaB]])]]);
      const c = (o: number) => coefficient(o, cfg);
      const d = [1, -3, 0];
      const expected = c(2) * 1 + c(0.5) * 9 + c(100) * 0 + c(4) * 4;
      const v = p.value(params);
      close(v.dataSync()[0], expected, 1e-6);
      const g = p.gradients(params);
      const ga = g.get('a')!.dataSync();
      [2, 0.5, 100].forEach((o, i) => close(ga[i], 2 * c(o) * d[i], 1e-6));
      close(g.get('b')!.dataSync()[0], 2 * c(4) * -2, 1e-6);
      // Stabilized gradient = λΩ/(1+ηλΩ)·d (method.md §1 table).
      if (cfg.kind === 'stabilized') close(ga[0], (3 * 2) / (1 + 0.01 * 3 * 2), 1e-6);
      else close(ga[0], 2 * 3 * 2, 1e-6);
      // autodiff of value() equals the closed-form gradient
      const auto = tf.grads((a: tf.Tensor, b: tf.Tensor) => p.value(new Map([['a', a], ['b', b]])))([
        params.get('a')!,
        params.get('b')!,
      ]);
      const aa = auto[0].dataSync();
      for (let i = 0; i < 3; i++) close(aa[i], ga[i], 1e-6);
      // spec round trip gives the same penalty
      const q = penaltyFromSpec(penaltySpec(cfg, omega, anchor));
      const v2 = q.value(params);
      close(v2.dataSync()[0], v.dataSync()[0], 0, 0);
      tf.dispose([v, v2, ...g.values(), ...auto, ...params.values()]);
      p.dispose();
      q.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('is 0 at the anchor and for λ = 0; addToGradients adds in place', () => {
    const p0 = new EwcPenalty({ config: { kind: 'ewc', lambda: 0, eta: 0 }, omega, anchor });
    const params = new Map<string, tf.Tensor>([['a', tf.tensor1d(theta)], ['b', tf.tensor2d([[thetaB]])]]);
    const v0 = p0.value(params);
    expect(v0.dataSync()[0]).toBe(0);
    const p = new EwcPenalty({ config: { kind: 'ewc', lambda: 1, eta: 0 }, omega, anchor, names: ['a'] });
    const grads = new Map<string, tf.Tensor>([['a', tf.tensor1d([10, 10, 10])], ['b', tf.tensor2d([[7]])]]);
    const val = p.addToGradients(grads, params);
    close(val, 2 * 1 + 0.5 * 9, 1e-6);
    expect([...grads.get('a')!.dataSync()]).toEqual([10 + 4, 10 - 3, 10]);
    expect(grads.get('b')!.dataSync()[0]).toBe(7);
    const atAnchor = new Map<string, tf.Tensor>([['a', tf.tensor1d([0, 1, 0.5])]]);
    const va = p.value(atAnchor);
    expect(va.dataSync()[0]).toBe(0);
    tf.dispose([v0, va, ...params.values(), ...grads.values(), ...atAnchor.values()]);
    p.dispose();
    p0.dispose();
  });

  it('names a missing importance or a shape mismatch clearly', () => {
    expect(() => new EwcPenalty({ config: { kind: 'ewc', lambda: 1, eta: 0 }, omega, anchor, names: ['zzz'] })).toThrow(
      /no importance for parameter 'zzz'/,
    );
    const bad: Importances = new Map([['a', host([0, 0])]]);
    expect(() => new EwcPenalty({ config: { kind: 'ewc', lambda: 1, eta: 0 }, omega, anchor: bad, names: ['a'] })).toThrow(
      /shape/,
    );
  });
});
