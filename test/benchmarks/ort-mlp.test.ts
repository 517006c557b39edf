/**
 * The compiled MLP step (src/benchmarks/ort-mlp.ts) against the tfjs step of train.ts: same parameters,
 * Adam moments, penalty and SI path integral after several steps (small hidden widths: same code path).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { mulberry32 } from '../../src/data/images/rng.ts';
import { Mlp } from '../../src/model/mlp.ts';
import { NamedAdam, PAPER_ADAM } from '../../src/benchmarks/adam.ts';
import type { StepHooks } from '../../src/benchmarks/train.ts';
import { ortMlpTrainer, type OrtClassifierTrainer } from '../../src/benchmarks/ort-trainer.ts';
import type { EwcPenalty } from '../../src/regularizers/penalty.ts';
import { SiTracker } from '../../src/importance/si.ts';
import { excess, expectScaledClose, host, penaltyOnBoth, randomBatch, stepBoth } from './compare.ts';
import { quickProtocol, resolveProtocol } from '../../src/benchmarks/protocol.ts';
import { loadStreamData } from '../../src/benchmarks/grid.ts';
import { resolveTrainer, runContinual } from '../../src/benchmarks/run.ts';

const WIDTHS = [784, 24, 16, 10];


function batches(n: number, B: number, seed: number): { x: Float32Array; y: Int32Array }[] {
  return Array.from({ length: n }, (_, k) => randomBatch(B, seed * 1000 + k));
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
      for (const b of pre) await stepBoth(ref, trainer, adam, b, { atol: 1e-5, rtol: 1e-5 });
      let penalty: EwcPenalty | null = null;
      if (mode !== 'plain') {
        penalty = penaltyOnBoth(ref, trainer, { kind: mode === 'stabilized penalty' ? 'stabilized' : 'ewc', lambda: 41, eta: 0.001 });
      }
      const si = mode === 'ewc penalty + SI' ? new SiTracker(names) : null;
      const hooks: StepHooks[] = si
        ? [{ beforeUpdate: (p, g) => (si.beforeStep(p), si.afterGradients(g)), afterUpdate: (p) => si.afterStep(p) }]
        : [];
      si?.startTask(ref.params);
      trainer.setSi(!!si);
      const main = batches(6, 20, 12);
      main[5] = batches(1, 7, 13)[0];
      for (const b of main) await stepBoth(ref, trainer, adam, b, { atol: 1e-5, rtol: 1e-4 }, penalty, hooks);
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
        for (const n of names) expectScaledClose(w.get(n)!, refW.get(n)!.data, 1e-3, 1e-3, n);
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
