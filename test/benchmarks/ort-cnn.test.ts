/**
 * The compiled CNN (src/onnx/cnn-graph.ts via OrtCnnTrainer) against the tfjs CNN of src/model/cnn.ts:
 * training steps (parameters, BatchNorm running statistics, penalty, SI), per-sample importances and
 * test predictions.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { mulberry32 } from '../../src/data/images/rng.ts';
import { Cnn } from '../../src/model/cnn.ts';
import { NamedAdam, PAPER_ADAM } from '../../src/benchmarks/adam.ts';
import { evaluateTask, trainStep, type StepHooks } from '../../src/benchmarks/train.ts';
import { OrtCnnTrainer } from '../../src/benchmarks/ort-trainer.ts';
import type { EwcPenalty } from '../../src/regularizers/penalty.ts';
import { SiTracker } from '../../src/importance/si.ts';
import { computeImportance } from '../../src/importance/registry.ts';
import { buildStream } from '../../src/data/images/streams.ts';
import { loadStreamData } from '../../src/benchmarks/grid.ts';
import { excess, expectScaledClose, host, penaltyOnBoth, randomBatch, stepBoth } from './compare.ts';
import { quickProtocol, resolveProtocol } from '../../src/benchmarks/protocol.ts';
import { runContinual } from '../../src/benchmarks/run.ts';


const batch = randomBatch;

const trainers: OrtCnnTrainer[] = [];
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  for (const t of trainers) await t.dispose();
});

describe('OrtCnnTrainer = the tfjs CNN', () => {
  it('4 steps (batches 6, 6, 6, 5; stabilized penalty + SI): parameters, running statistics, SI path integral', async () => {
    const ref = new Cnn(mulberry32(4));
    const ours = new Cnn(mulberry32(4));
    const trainer = new OrtCnnTrainer(PAPER_ADAM);
    trainers.push(trainer);
    const adam = new NamedAdam(PAPER_ADAM);
    const names = [...ref.params.keys()];
    trainer.pull(ours.params, ours.buffers);
    const run = (b: { x: Float32Array; y: Int32Array }, penalty: EwcPenalty, hooks: StepHooks[]) =>
      stepBoth(ref, trainer, adam, b, { atol: 1e-4, rtol: 1e-4 }, penalty, hooks);
    const penalty = penaltyOnBoth(ref, trainer, { kind: 'stabilized', lambda: 675, eta: 0.001 });
    const si = new SiTracker(names);
    si.startTask(ref.params);
    trainer.setSi(true);
    const hooks: StepHooks[] = [{ beforeUpdate: (p, g) => (si.beforeStep(p), si.afterGradients(g)), afterUpdate: (p) => si.afterStep(p) }];
    await run(batch(6, 1), penalty, hooks);
    await run(batch(6, 2), penalty, hooks);
    await run(batch(6, 3), penalty, hooks);
    await run(batch(5, 4), penalty, hooks);
    trainer.push(ours.params, ours.buffers);
    const a = host(ours.params);
    const b = host(ref.params);
    for (const n of names) {
      // Adam divides by √v, so entries with near-zero gradients amplify rounding differences a little: the
      // tolerance is 2% of one Adam step (lr); a wrong formula moves entries by whole steps. (Without the
      // penalty a conv bias would be pure noise: it feeds a training-mode BatchNorm, which removes it, so its
      // task gradient is 0 in exact arithmetic and Adam turns each engine's rounding noise into ±lr steps.
      // The penalty's gradient 2c(θ − θ*) on every entry makes every step deterministic here.)
      expect(excess(a.get(n)!.data, b.get(n)!.data, 0.02 * PAPER_ADAM.lr, 1e-5), n).toBeLessThanOrEqual(0);
    }
    const ab = host(ours.buffers);
    const bb = host(ref.buffers);
    for (const n of ref.buffers.keys()) expect(excess(ab.get(n)!.data, bb.get(n)!.data, 1e-5, 1e-4), n).toBeLessThanOrEqual(0);
    // The running variance moved away from its initial 1 (the check is not vacuous).
    expect(Math.abs(bb.get('bn3.running_var')!.data[0] - 1)).toBeGreaterThan(1e-3);
    const w = trainer.takeSi();
    const rw = si.pathIntegral();
    for (const n of names) expectScaledClose(w.get(n)!, rw.get(n)!.data, 2e-3, 2e-3, n);
    penalty.dispose();
    adam.dispose();
    ref.dispose();
    ours.dispose();
  });

  it('Fisher and MAS importances (inference mode, per sample) and test accuracy equal the tfjs net', async () => {
    const net = new Cnn(mulberry32(8));
    // Give BatchNorm non-trivial running statistics first (inference mode must use them).
    const adam = new NamedAdam(PAPER_ADAM);
    for (let k = 0; k < 2; k++) {
      const b = batch(8, 20 + k);
      const xt = tf.tensor2d(b.x, [8, 784]);
      const yt = tf.tensor1d(b.y, 'int32');
      trainStep(net, xt, yt, adam);
      xt.dispose();
      yt.dispose();
    }
    const trainer = new OrtCnnTrainer(PAPER_ADAM);
    trainers.push(trainer);
    trainer.pull(net.params, net.buffers);
    const s = { ...batch(5, 30), n: 5 };
    const names = [...net.params.keys()];
    for (const objective of ['fisher', 'mas'] as const) {
      const ours = await trainer.importance(objective, s);
      const ref = computeImportance(objective, net.importanceTarget(), { kind: 'labelled', x: { shape: [5, 784], data: s.x }, y: s.y }, { names, mode: 'loop' });
      for (const n of names) {
        const r = ref.get(n)!;
        expect(ours.get(n)!.shape, n).toEqual(r.shape);
        expectScaledClose(ours.get(n)!.data, r.data, 1e-4, 1e-3, `${objective} ${n}`);
      }
    }
    const tasks = buildStream({ kind: 'mnist-fashion-rot', tasks: 4 }, loadStreamData('cnn', false));
    for (const t of [tasks[1], tasks[2]]) {
      const a = await trainer.evaluate(t, 70, 150); // batches 70, 70, 10
      const b = evaluateTask(net, t, 1000, 150);
      expect(Math.abs(a - b)).toBeLessThanOrEqual(1 / 150 + 1e-9);
    }
    adam.dispose();
    net.dispose();
  });
});

describe('a whole CNN continual run: trainer ort = trainer tfjs', () => {
  it('2 tasks (MNIST → FashionMNIST) × 1 step, Fisher λ=675: same accuracy matrix (±2 of 60 test images) and Ω', async () => {
    const protocol = resolveProtocol(quickProtocol('cnn'), { tasks: 2, trainLimit: 100, testLimit: 60, importanceSamples: 6 });
    const data = loadStreamData('cnn', false);
    const spec = { protocol, importance: 'fisher' as const, penalty: 'ewc' as const, lambda: 675, run: 0 };
    const a = await runContinual(spec, data, { trainer: 'tfjs' });
    const n0 = tf.memory().numTensors;
    const b = await runContinual(spec, data, { trainer: 'ort' });
    expect(tf.memory().numTensors).toBe(n0); // the compiled path (pull/push of parameters and buffers) leaks nothing
    expect([a.trainer, b.trainer]).toEqual(['tfjs', 'ort']);
    expect(b.accuracy[1][0]).toBeNull();
    for (const [i, j] of [[0, 0], [0, 1], [1, 1]]) {
      expect(Math.abs((b.accuracy[i][j] as number) - (a.accuracy[i][j] as number)), `acc[${i}][${j}]`).toBeLessThanOrEqual(2 / 60 + 1e-9);
    }
    expect(b.omegaSum).toHaveLength(1);
    expect(Math.abs(b.omegaSum[0] - a.omegaSum[0])).toBeLessThanOrEqual(0.02 * a.omegaSum[0]);
  });
});
