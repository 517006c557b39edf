/**
 * Stabilized EWC never carries a weight past θ* under plain SGD (method.md §1): the step is
 *   Δθ = −η·∂/∂θ [c(θ − θ*)²] = −η·2c·d = −x/(1+x)·d,   x = ηλΩ, d = θ − θ*,
 * so |Δθ| = x/(1+x)·|d| < |d| for every Ω ≥ 0. Plain EWC's step is −2x·d, past θ* once x > ½ and growing
 * (|1 − 2x| > 1) once x > 1. Checked for Ω spanning 1e-6…1e9, on the host (float64 arithmetic with the
 * float32 coefficients actually used) and as a float32 tfjs SGD step through EwcPenalty.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EwcPenalty, penaltyCoefficients, type PenaltyConfig } from '../../src/regularizers/penalty.ts';
import type { Importances } from '../../src/importance/types.ts';

await tf.setBackend('cpu');

// 16 importances per decade from 1e-6 to 1e9.
const omegas: number[] = [];
for (let e = -6; e <= 9; e += 1 / 16) omegas.push(10 ** e);

describe('stabilized per-step SGD displacement ≤ |θ − θ*|', () => {
  for (const lambda of [0.01, 1, 85, 1e4]) {
    for (const eta of [1e-4, 1e-3, 0.1]) {
      it(`λ=${lambda}, η=${eta}`, () => {
        const cfg: PenaltyConfig = { kind: 'stabilized', lambda, eta };
        const om: Importances = new Map([['w', { shape: [omegas.length], data: new Float32Array(omegas) }]]);
        const c = penaltyCoefficients(om, cfg).get('w')!.data;
        // host: |η·2c·d| ≤ |d| ⇔ η·2c ≤ 1
        for (let i = 0; i < c.length; i++) expect(eta * 2 * c[i]).toBeLessThan(1);
        // float32 SGD step, with displacements d of many magnitudes and signs
        const n = omegas.length;
        const anchor = new Float32Array(n);
        const theta = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          anchor[i] = Math.fround(Math.sin(i) * 3);
          theta[i] = Math.fround(anchor[i] + (i % 2 ? -1 : 1) * 10 ** ((i % 9) - 5) * (1 + (i % 7) / 7));
        }
        const p = new EwcPenalty({ config: cfg, omega: om, anchor: new Map([['w', { shape: [n], data: anchor }]]) });
        const th = tf.tensor1d(theta);
        const g = p.gradients(new Map([['w', th]])).get('w')!;
        const next = tf.tidy(() => tf.sub(th, tf.mul(g, eta)));
        const nx = next.dataSync();
        let bad = 0;
        for (let i = 0; i < n; i++) {
          const d = Math.abs(theta[i] - anchor[i]);
          const moved = Math.abs(nx[i] - theta[i]);
          const side = Math.sign(nx[i] - anchor[i]) * Math.sign(theta[i] - anchor[i]);
          if (!(moved <= d) || side < 0) bad++;
        }
        expect(bad).toBe(0);
        tf.dispose([th, g, next]);
        p.dispose();
      });
    }
  }

  it('plain EWC does overshoot for x = ηλΩ > 1 (the instability the stabilized form removes)', () => {
    const cfg: PenaltyConfig = { kind: 'ewc', lambda: 1, eta: 1e-3 };
    const om: Importances = new Map([['w', { shape: [3], data: new Float32Array([100, 1e3, 1e4]) }]]); // x = 0.1, 1, 10
    const c = penaltyCoefficients(om, cfg).get('w')!.data;
    const factors = [...c].map((ci) => Math.abs(1 - 1e-3 * 2 * ci)); // |θ_new − θ*| / |θ − θ*|
    expect(factors[0]).toBeCloseTo(0.8, 6);
    expect(factors[1]).toBeCloseTo(1, 6); // x = 1: |1 − 2| = 1, oscillates without decay
    expect(factors[2]).toBeCloseTo(19, 4); // grows 19× per step
  });
});
