/** Helpers shared by the engine-comparison tests (ort-mlp, ort-cnn). */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { BenchNet } from '../../src/model/bench-net.ts';
import type { NamedAdam } from '../../src/benchmarks/adam.ts';
import { trainStep, type LossPenalty, type StepHooks } from '../../src/benchmarks/train.ts';
import type { OrtClassifierTrainer } from '../../src/benchmarks/ort-trainer.ts';
import { EwcPenalty, penaltyCoefficients, type PenaltyConfig } from '../../src/regularizers/penalty.ts';
import { mulberry32 } from '../../src/data/images/rng.ts';
import type { Importances } from '../../src/importance/types.ts';

/** Host copies of name-keyed variables. */
export function host(m: Map<string, tf.Variable>): Importances {
  const out: Importances = new Map();
  for (const [n, v] of m) out.set(n, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
  return out;
}

/** max over entries of |a − r| − (atol + rtol·|r|) (≤ 0 passes); NaN → +Infinity. */
export function excess(a: ArrayLike<number>, r: ArrayLike<number>, atol: number, rtol: number): number {
  let worst = -Infinity;
  for (let i = 0; i < r.length; i++) {
    const e = Math.abs(a[i] - r[i]) - (atol + rtol * Math.abs(r[i]));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

/**
 * `ours` equals `ref` within tolerances relative to ref's largest magnitude (for quantities whose entries span
 * many orders: importances, SI path integrals): |a − r| ≤ atolOfScale·max|ref| + rtol·|r|, and max|ref| > 0 (so
 * the check is not vacuous).
 */
export function expectScaledClose(ours: ArrayLike<number>, ref: ArrayLike<number>, atolOfScale: number, rtol: number, label: string): void {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  expect(scale, label).toBeGreaterThan(0);
  expect(excess(ours, ref, atolOfScale * scale, rtol), label).toBeLessThanOrEqual(0);
}

/** A random MNIST-like batch (mostly zeros, values in [0, 1)) of B images with labels 0–9. */
export function randomBatch(B: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = mulberry32(seed);
  return {
    x: Float32Array.from({ length: B * 784 }, () => (r() < 0.7 ? 0 : r())),
    y: Int32Array.from({ length: B }, () => Math.floor(r() * 10)),
  };
}

/**
 * One step on both engines with the same batch: tfjs trainStep on `ref`, the compiled step on `trainer`;
 * the two cross-entropies agree within atol + rtol·|ref| and are not NaN.
 */
export async function stepBoth(
  ref: BenchNet,
  trainer: OrtClassifierTrainer,
  adam: NamedAdam,
  b: { x: Float32Array; y: Int32Array },
  tol: { atol: number; rtol: number },
  penalty: LossPenalty | null = null,
  hooks: StepHooks[] = [],
): Promise<void> {
  const B = b.y.length;
  const xt = tf.tensor2d(b.x, [B, 784]);
  const yt = tf.tensor1d(b.y, 'int32');
  const lr = trainStep(ref, xt, yt, adam, penalty, hooks);
  const lo = await trainer.step(b.x, b.y, B);
  xt.dispose();
  yt.dispose();
  expect(Number.isNaN(lo)).toBe(false);
  expect(Math.abs(lo - lr)).toBeLessThan(tol.atol + tol.rtol * lr);
}

/**
 * The same penalty on both engines: Ω spread over 10⁻³…10³ and an anchor = the current parameters perturbed
 * by ±0.025, so the penalty's gradient acts on every entry from the first step. Returns the tfjs penalty.
 */
export function penaltyOnBoth(ref: BenchNet, trainer: OrtClassifierTrainer, cfg: PenaltyConfig, seed = 9): EwcPenalty {
  const r = mulberry32(seed);
  const omega: Importances = new Map();
  const anchor: Importances = new Map();
  for (const [n, t] of host(ref.params)) {
    omega.set(n, { shape: t.shape, data: Float32Array.from(t.data, () => 10 ** (r() * 6 - 3)) });
    anchor.set(n, { shape: t.shape, data: Float32Array.from(t.data, (v) => v + 0.05 * (r() - 0.5)) });
  }
  trainer.setPenalty({ c: penaltyCoefficients(omega, cfg), anchor });
  return new EwcPenalty({ config: cfg, omega, anchor, names: [...ref.params.keys()] });
}
