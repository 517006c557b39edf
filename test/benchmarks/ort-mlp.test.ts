/**
 * The compiled MLP step (src/benchmarks/ort-mlp.ts) against the tfjs step of train.ts: same parameters,
 * Adam moments, penalty and SI path integral after several steps (small hidden widths: same code path).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { mulberry32 } from '../../src/data/images/rng.ts';
import { Mlp } from '../../src/model/mlp.ts';
import { NamedAdam, PAPER_ADAM } from '../../src/benchmarks/adam.ts';
import { trainStep, type StepHooks } from '../../src/benchmarks/train.ts';
import { ortMlpTrainer, type OrtClassifierTrainer } from '../../src/benchmarks/ort-trainer.ts';
import { EwcPenalty, penaltyCoefficients } from '../../src/regularizers/penalty.ts';
import { SiTracker } from '../../src/importance/si.ts';
import type { Importances } from '../../src/importance/types.ts';
import { quickProtocol, resolveProtocol } from '../../src/benchmarks/protocol.ts';
import { loadStreamData } from '../../src/benchmarks/grid.ts';
import { resolveTrainer, runContinual } from '../../src/benchmarks/run.ts';

const WIDTHS = [784, 24, 16, 10];

function host(params: Map<string, tf.Variable>): Importances {
  const out: Importances = new Map();
  for (const [n, v] of params) out.set(n, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
  return out;
}

/** max over entries of |a − r| − (atol + rtol·|r|) (≤ 0 passes); NaN → +Infinity. */
function excess(a: ArrayLike<number>, r: ArrayLike<number>, atol: number, rtol: number): number {
  let worst = -Infinity;
  for (let i = 0; i < r.length; i++) {
    const e = Math.abs(a[i] - r[i]) - (atol + rtol * Math.abs(r[i]));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

function batches(n: number, B: number, seed: number): { x: Float32Array; y: Int32Array }[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => ({
    x: Float32Array.from({ length: B * 784 }, () => (r() < 0.7 ? 0 : r())), // MNIST-like: mostly zeros
    y: Int32Array.from({ length: B }, () => Math.floor(r() * 10)),
  }));
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('OrtMlpTrainer = tfjs trainStep', () => {
  const trainers: OrtClassifierTrainer[] = [];
  afterAll(async () => {
    for (const t of trainers) await t.dispose();
  });

  for (const mode of ['plain', 'stabilized penalty', 'ewc penalty + SI'] as const) {
    it(`${mode}: 6 steps (batches 20, 20, 20, 20, 20, 7) give the same parameters and losses`, async () => {
      const ref = new Mlp(mulberry32(5), WIDTHS);
      const ours = new Mlp(mulberry32(5), WIDTHS);
      const trainer = ortMlpTrainer(WIDTHS, PAPER_ADAM);
      trainers.push(trainer);
      const adam = new NamedAdam(PAPER_ADAM);
      const names = [...ref.params.keys()];
      // A pre-task: 3 steps without penalty so that θ* ≠ θ_0 and Adam's moments carry over.
      const pre = batches(3, 20, 11);
      trainer.pull(ours.params);
      for (const b of pre) {
        const xt = tf.tensor2d(b.x, [20, 784]);
        const yt = tf.tensor1d(b.y, 'int32');
        const lr = trainStep(ref, xt, yt, adam);
        const lo = await trainer.step(b.x, b.y, 20);
        expect(Math.abs(lo - lr)).toBeLessThan(1e-5 + 1e-5 * lr);
        xt.dispose();
        yt.dispose();
      }
      let penalty: EwcPenalty | null = null;
      if (mode !== 'plain') {
        // Ω: a spread of magnitudes; anchor = the current parameters perturbed so the penalty acts at once.
        const r = mulberry32(9);
        const omega: Importances = new Map();
        const anchor: Importances = new Map();
        for (const [n, t] of host(ref.params)) {
          omega.set(n, { shape: t.shape, data: Float32Array.from(t.data, () => 10 ** (r() * 6 - 3)) });
          anchor.set(n, { shape: t.shape, data: Float32Array.from(t.data, (v) => v + 0.05 * (r() - 0.5)) });
        }
        const cfg = { kind: mode === 'stabilized penalty' ? ('stabilized' as const) : ('ewc' as const), lambda: 41, eta: 0.001 };
        penalty = new EwcPenalty({ config: cfg, omega, anchor, names });
        trainer.setPenalty({ c: penaltyCoefficients(omega, cfg), anchor });
      }
      const si = mode === 'ewc penalty + SI' ? new SiTracker(names) : null;
      const hooks: StepHooks[] = si
        ? [{ beforeUpdate: (p, g) => (si.beforeStep(p), si.afterGradients(g)), afterUpdate: (p) => si.afterStep(p) }]
        : [];
      si?.startTask(ref.params);
      trainer.setSi(!!si);
      const main = batches(6, 20, 12);
      main[5] = batches(1, 7, 13)[0];
      for (const b of main) {
        const B = b.y.length;
        const xt = tf.tensor2d(b.x, [B, 784]);
        const yt = tf.tensor1d(b.y, 'int32');
        const lr = trainStep(ref, xt, yt, adam, penalty, hooks);
        const lo = await trainer.step(b.x, b.y, B);
        expect(Number.isNaN(lo)).toBe(false);
        expect(Math.abs(lo - lr)).toBeLessThan(1e-5 + 1e-4 * lr);
        xt.dispose();
        yt.dispose();
      }
      expect(trainer.steps).toBe(9);
      trainer.push(ours.params);
      const a = host(ours.params);
      const b = host(ref.params);
      for (const n of names) {
        // Adam normalises steps (≈ lr each), so compare on the lr scale: atol 2e-6 ≪ 9 steps · 1e-3.
        expect(excess(a.get(n)!.data, b.get(n)!.data, 2e-6, 1e-5), n).toBeLessThanOrEqual(0);
      }
      if (si) {
        const w = trainer.takeSi();
        const refW = si.pathIntegral();
        for (const n of names) {
          const rw = refW.get(n)!.data;
          let scale = 0;
          for (const v of rw) scale = Math.max(scale, Math.abs(v));
          expect(scale).toBeGreaterThan(0);
          expect(excess(w.get(n)!, rw, 1e-3 * scale, 1e-3), n).toBeLessThanOrEqual(0);
        }
        // take resets the integral
        expect(Math.max(...trainer.takeSi().get('fc1.bias')!)).toBe(0);
      }
      penalty?.dispose();
      adam.dispose();
      ref.dispose();
      ours.dispose();
    });
  }
});

describe('a whole continual run: trainer ort = trainer tfjs', () => {
  // 3 permuted-MNIST tasks × 1 epoch × 300 samples (3 steps each), penalties from task 2 on.
  const protocol = resolveProtocol(quickProtocol('mlp'), { tasks: 3, trainLimit: 300, testLimit: 300, importanceSamples: 100 });
  for (const [importance, penalty, lambda] of [['si', 'ewc', 5], ['fisher', 'stabilized', 500]] as const) {
    it(`${importance}/${penalty} λ=${lambda}: same accuracy matrix (±1 test sample) and Ω`, async () => {
      const data = loadStreamData('mlp', false);
      const spec = { protocol, importance, penalty, lambda, run: 0 };
      const a = await runContinual(spec, data, { trainer: 'tfjs' });
      const b = await runContinual(spec, data, { trainer: 'ort' });
      expect([a.trainer, b.trainer]).toEqual(['tfjs', 'ort']);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          if (j < i) expect(b.accuracy[i][j]).toBeNull();
          else expect(Math.abs((b.accuracy[i][j] as number) - (a.accuracy[i][j] as number))).toBeLessThanOrEqual(1 / 300 + 1e-9);
        }
      }
      expect(b.omegaSum).toHaveLength(2);
      b.omegaSum.forEach((o, k) => expect(Math.abs(o - a.omegaSum[k])).toBeLessThanOrEqual(1e-3 * Math.abs(a.omegaSum[k])));
    });
  }

  it('auto picks ort; an unknown trainer is refused with the choices', () => {
    expect(resolveTrainer('auto')).toBe('ort');
    expect(resolveTrainer('tfjs')).toBe('tfjs');
    expect(() => resolveTrainer('gpu' as 'ort')).toThrow(/expected one of auto, tfjs, ort, found 'gpu'/);
  });
});
