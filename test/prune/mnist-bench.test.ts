import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backends/index.ts';
import { loadMnist } from '../../src/data/images/mnist.ts';
import { mulberry32 } from '../../src/data/images/rng.ts';
import { computeImportance } from '../../src/importance/registry.ts';
import { Mlp } from '../../src/model/mlp.ts';
import { mlpTarget } from '../../src/prune/mlp-target.ts';
import { accuracy, DEFAULT_MNIST_BENCH, runMnistBench, type MnistBenchConfig } from '../../src/prune/mnist-bench.ts';
import { IncrementalMlpEval } from '../../src/prune/mlp-eval.ts';
import { CumulativePruner, fractionGrid, type ParamMap } from '../../src/prune/mask.ts';
import { rankParameters } from '../../src/prune/rank.ts';
import { aggregateCurves } from '../../src/prune/curves.ts';

beforeAll(async () => {
  await initBackend('cpu');
});

function close(a: Float32Array, r: Float32Array, atol: number, rtol: number): boolean {
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - r[i]) <= atol + rtol * Math.abs(r[i]))) return false;
  return true;
}

describe('MLP importance adapter', () => {
  it('vectorised Fisher/MAS through mlpTarget equal the per-sample loop; signal leaks nothing', () => {
    const net = new Mlp(mulberry32(3), [6, 5, 4, 3]);
    const rng = mulberry32(9);
    const N = 7;
    const x = { shape: [N, 6], data: Float32Array.from({ length: N * 6 }, () => rng()) };
    const y = Int32Array.from({ length: N }, (_, i) => i % 3);
    const names = [...net.params.keys()];
    const samples = { kind: 'labelled' as const, x, y };
    const before = tf.memory().numTensors;
    for (const m of ['fisher', 'mas']) {
      const vec = computeImportance(m, mlpTarget(net), samples, { names, mode: 'vectorised', batchSize: 3 });
      const loop = computeImportance(m, net.importanceTarget(), samples, { names, mode: 'loop' });
      for (const n of names) expect(close(vec.get(n)!.data, loop.get(n)!.data, 1e-7, 1e-4)).toBe(true);
    }
    const sig = computeImportance('signal', mlpTarget(net), samples, { names, batchSize: 4 });
    expect(sig.get('fc2.weight')!.shape).toEqual([5, 4]);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

describe('incremental MLP evaluation', () => {
  it('matches the full forward pass at every fraction of a sweep (global and per-layer)', () => {
    const net = new Mlp(mulberry32(5), [20, 9, 7, 4]);
    const rng = mulberry32(77);
    const n = 300;
    const xh = Float32Array.from({ length: n * 20 }, () => rng());
    const y = Int32Array.from({ length: n }, () => Math.floor(rng() * 4));
    const base: ParamMap = new Map([...net.params].map(([k, v]) => [k, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) }]));
    const scores = new Map([...base].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data, () => rng()) }]));
    const x = tf.tensor2d(xh, [n, 20]);
    const ev = new IncrementalMlpEval(xh, y, base);
    for (const scope of ['global', 'per-layer'] as const) {
      const ranking = rankParameters(scores, scope);
      const pruner = new CumulativePruner(ranking, base);
      const current = new Map([...base, ...pruner.params]);
      ev.reset(base);
      for (const p of fractionGrid(0.05)) {
        pruner.advanceTo(p, (name, i, old) => ev.zero(name, i, old));
        for (const [k, t] of current) net.params.get(k)!.assign(tf.tensor(t.data, t.shape));
        const full = accuracy(net, x, y);
        expect(ev.accuracy(current)).toBe(full);
      }
    }
    x.dispose();
    net.dispose();
  });
});

describe('prune-bench mnist (tiny)', () => {
  it('curves start at the trained accuracy and end at the all-zero net (every prediction class 0)', () => {
    const out = mkdtempSync(join(tmpdir(), 'ewc-prune-mnist-'));
    const cfg: MnistBenchConfig = {
      ...DEFAULT_MNIST_BENCH,
      models: 2,
      step: 0.25,
      epochs: 1,
      trainLimit: 400,
      testLimit: 200,
      hidden: [12],
      importanceBatch: 50,
    };
    const quiet = () => {};
    const { runs, models } = runMnistBench(cfg, out, join(out, 'cache'), quiet);
    expect(runs.length).toBe(2 * 5);
    const fractions = [0, 0.25, 0.5, 0.7, 0.75, 0.8, 0.9, 0.95, 0.99, 1];
    const zeros = loadMnist().test.labels.subarray(0, 200).filter((l) => l === 0).length / 200;
    for (const r of runs) {
      expect(r.fraction).toEqual(fractions);
      expect(r.value[0]).toBeCloseTo(models[r.model].testAccuracy, 12); // p = 0: the trained net
      expect(r.value[r.value.length - 1]).toBeCloseTo(zeros, 12); // p = 1: logits all 0 → argmax 0
    }
    // magnitude and signal prune different parameters, so their curves differ somewhere
    const mag = runs.find((r) => r.score === 'magnitude' && r.model === 0)!.value;
    const fis = runs.find((r) => r.score === 'fisher' && r.model === 0)!.value;
    expect(mag).not.toEqual(fis);
    expect(existsSync(join(out, 'models', 'model-1-global.json'))).toBe(true);
    // resume: a second call reuses the per-model files (same numbers, no training)
    const again = runMnistBench(cfg, out, join(out, 'cache'), quiet);
    expect(again.runs).toEqual(runs);
    // another scope reuses the cached trained nets: per-layer leaves biases, so p = 1 keeps the bias-only net
    const per = runMnistBench({ ...cfg, scopes: ['per-layer'] }, out, join(out, 'cache'), quiet);
    expect(per.models.map((m) => m.testAccuracy)).toEqual(models.map((m) => m.testAccuracy));
    const curves = aggregateCurves([...runs, ...per.runs], 'accuracy');
    expect(curves.map((c) => `${c.score}/${c.scope}/${c.n}`)).toContain('si/per-layer/2');
    const saved = JSON.parse(readFileSync(join(out, 'models', 'model-0-per-layer.json'), 'utf8'));
    expect(saved.runs[0].scope).toBe('per-layer');
  });
});
