/**
 * The failure modes of paper section 3 (src/regularizers/failure-modes.ts has the derivations):
 * (a) plain SGD with x = ηλΩ = 1.5 > 1: plain EWC's deviation is multiplied by 1 − ηa − 2x = −2.001 each step
 *     (oscillation with growing amplitude); stabilized: 1 − ηa − x/(1+x) = 0.399 (monotone convergence).
 * (b) global-norm clipping: 5 weights with Ω = 1e6 displaced by 1e-3 give a plain penalty gradient
 *     2λΩd = 2000 each (‖·‖ ≈ 4472) against a task gradient of norm ≈ 2.2: the task's share of the update is
 *     ≈ 5e-4 and the task does not learn; the stabilized gradient is ≈ d/η = 0.1 each, the task keeps > 95%.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { clippingDemo, oscillationDemo } from '../../src/regularizers/failure-modes.ts';

await tf.setBackend('cpu');

describe('failure mode (a): instability of plain EWC under plain SGD', () => {
  const plain = oscillationDemo('ewc');
  const stab = oscillationDemo('stabilized');
  it('plain EWC oscillates around θ* with growing amplitude', () => {
    expect(plain.x).toBeCloseTo(1.5, 12);
    expect(plain.factor).toBeCloseTo(-2.001, 9);
    expect(plain.signChanges).toBe(12); // every step crosses
    expect(plain.monotone).toBe(false);
    expect(plain.amplitudeRatio).toBeGreaterThan(2 ** 11); // ≈ 2.001^12 = 4121
    expect(plain.amplitudeRatio).toBeCloseTo(2.001 ** 12, -1);
    // the weight passes θ* = 0 at every step
    for (let t = 1; t < plain.trajectory.length; t++) {
      expect(Math.sign(plain.trajectory[t])).not.toBe(Math.sign(plain.trajectory[t - 1]));
    }
  });
  it('stabilized EWC converges monotonically, without crossing', () => {
    expect(stab.factor).toBeCloseTo(1 - 0.001 - 1.5 / 2.5, 9);
    expect(stab.signChanges).toBe(0);
    expect(stab.monotone).toBe(true);
    expect(stab.amplitudeRatio).toBeLessThan(1e-4); // ≈ 0.399^12 = 1.6e-5
    expect(stab.trajectory.every((v) => v > 0)).toBe(true);
  });
});

describe('failure mode (b): huge importances swamp the clipped gradient', () => {
  const plain = clippingDemo('ewc');
  const stab = clippingDemo('stabilized');
  it('plain EWC: the task share of the update collapses and the task does not learn', () => {
    expect(plain.taskShareFirst).toBeLessThan(1e-3);
    expect(plain.taskShareMean).toBeLessThan(1e-3);
    expect(plain.clippedFraction).toBe(1);
    expect(plain.taskLossEnd / plain.taskLossStart).toBeGreaterThan(0.99);
  });
  it('stabilized EWC: the task keeps its share and learns; huge-Ω weights stay near θ*', () => {
    expect(stab.taskShareFirst).toBeGreaterThan(0.9);
    expect(stab.taskShareMean).toBeGreaterThan(0.5);
    expect(stab.taskLossEnd / stab.taskLossStart).toBeLessThan(0.1);
    expect(stab.hugeMaxDisplacement).toBeLessThanOrEqual(1e-3 + 1e-9);
    expect(plain.hugeMaxDisplacement).toBeGreaterThan(stab.hugeMaxDisplacement);
  });
});
