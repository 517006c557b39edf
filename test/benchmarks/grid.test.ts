import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { quickProtocol, resolveProtocol, runKey } from '../../src/benchmarks/protocol.ts';
import { planRuns, readResults, runGrid, RESULTS_FILE } from '../../src/benchmarks/grid.ts';
import { writeReport } from '../../src/benchmarks/report.ts';
import { meanInterval } from '../../src/benchmarks/stats.ts';
import { parseLambdas } from '../../src/cli/commands/continual.ts';

// A tiny protocol: 2 permuted-MNIST tasks × 1 epoch × 200 samples (2 steps), 100 test samples.
const protocol = resolveProtocol(quickProtocol('mlp'), { tasks: 2, trainLimit: 200, testLimit: 100, importanceSamples: 20 });
const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'ewc-continual-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('continual grid', () => {
  it('plans run-major and parses λ lists', () => {
    const plan = planRuns({ protocol, importance: 'fisher', penalty: 'ewc', lambdas: [0, 41], runs: 2 });
    expect(plan.map((s) => [s.lambda, s.run])).toEqual([[0, 0], [41, 0], [0, 1], [41, 1]]);
    expect(parseLambdas('0, 4.5,41,41')).toEqual([0, 4.5, 41]);
    expect(() => parseLambdas('1,x')).toThrow(/--lambda/);
    expect(() => planRuns({ protocol, importance: 'fisher', penalty: 'ewc', lambdas: [-1], runs: 1 })).toThrow(/≥ 0/);
  });

  it('records the accuracy matrix per run, resumes, and reports t-intervals', async () => {
    const out = scratch();
    const g = { protocol, importance: 'fisher' as const, penalty: 'ewc' as const, lambdas: [0, 1000], runs: 2 };
    const s1 = await runGrid(g, { out, workers: 0, backend: 'wasm' });
    expect([s1.planned, s1.ran, s1.skipped]).toEqual([4, 4, 0]);
    const rs = readResults(out);
    expect(rs).toHaveLength(4);
    for (const r of rs) {
      // acc[i][j] = accuracy on task i after task j; unseen (j < i) entries are null.
      expect(r.accuracy).toHaveLength(2);
      expect(r.accuracy[1][0]).toBeNull();
      for (const v of [r.accuracy[0][0], r.accuracy[0][1], r.accuracy[1][1]]) expect(v).toBeGreaterThanOrEqual(0);
      expect(r.final).toBeCloseTo(((r.accuracy[0][1] as number) + (r.accuracy[1][1] as number)) / 2, 12);
      expect(r.seenMean[0]).toBe(r.accuracy[0][0]);
      expect(r.bwt).toBeCloseTo((r.accuracy[0][1] as number) - (r.accuracy[0][0] as number), 12);
      expect(r.timings.trainS).toHaveLength(2);
    }
    // The same run index shares init and shuffles across λ: task 1 (no penalty yet) is identical.
    const byKey = new Map(rs.map((r) => [`${r.lambda}|${r.run}`, r]));
    expect(byKey.get('1000|0')!.accuracy[0][0]).toBe(byKey.get('0|0')!.accuracy[0][0]);
    expect(byKey.get('1000|0')!.omegaSum).toHaveLength(1); // one importance, after task 1 of 2
    expect(byKey.get('0|0')!.omegaSum).toHaveLength(0); // λ = 0 computes none
    // Resume: the same command runs nothing; more runs run only the new ones.
    const s2 = await runGrid(g, { out, workers: 0, backend: 'wasm' });
    expect([s2.ran, s2.skipped]).toEqual([0, 4]);
    const s3 = await runGrid({ ...g, runs: 3 }, { out, workers: 0, backend: 'wasm' });
    expect([s3.ran, s3.skipped]).toEqual([2, 4]);
    const lines = readFileSync(join(out, RESULTS_FILE), 'utf8').trim().split('\n');
    expect(new Set(lines.map((l) => JSON.parse(l).key)).size).toBe(6);
    // Report: per λ mean and the population-std t-interval of the final accuracies.
    const rep = writeReport(out);
    for (const f of ['report.json', 'report.md', 'chart.svg', 'chart.png']) expect(existsSync(join(out, f))).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.results).toHaveLength(2);
    for (const row of json.results) {
      for (const k of ['net', 'importance', 'penalty', 'lambda', 'runs', 'mean', 'ci']) expect(row).toHaveProperty(k);
      const finals = readResults(out).filter((r) => r.lambda === row.lambda).map((r) => r.final);
      const mi = meanInterval(finals);
      expect(row.runs).toBe(3);
      expect(row.mean).toBeCloseTo(mi.mean, 12);
      expect(row.ci).toBeCloseTo(mi.halfWidth!, 12);
    }
    expect(rep.json.best).toHaveLength(1);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/POPULATION std/);
    const sample = writeReport(out, { std: 'sample' }).json.results[0];
    expect(sample.ci!).toBeGreaterThan(json.results[0].ci);
    // Restricted to the first task: the runs become 1-task runs (one protocol id), final = accuracy[0][0].
    const one = writeReport(out, { tasks: 1 }).json;
    expect(Object.values(one.protocols).map((p) => p.tasks)).toEqual([1]);
    const first = readResults(out).filter((r) => r.lambda === 0).map((r) => r.accuracy[0][0] as number);
    expect(one.results.find((r) => r.lambda === 0)!.mean).toBeCloseTo(first.reduce((a, b) => a + b) / first.length, 12);
    expect(() => writeReport(out, { tasks: 5 })).toThrow(/≥ 5 tasks/);
  });

  it('a worker thread computes exactly what the main thread computes', async () => {
    const a = scratch();
    const b = scratch();
    const g = { protocol, importance: 'mas' as const, penalty: 'stabilized' as const, lambdas: [50], runs: 1 };
    await initBackend('wasm');
    const n0 = tf.memory().numTensors;
    await runGrid(g, { out: a, workers: 0, backend: 'wasm' });
    expect(tf.memory().numTensors).toBe(n0); // a whole run (penalty, importances, optimizer) leaks nothing
    await runGrid(g, { out: b, workers: 1, backend: 'wasm' });
    const [ra] = readResults(a);
    const [rb] = readResults(b);
    expect(rb.key).toBe(runKey({ protocol, importance: 'mas', penalty: 'stabilized', lambda: 50, run: 0 }));
    expect(rb.accuracy).toEqual(ra.accuracy);
    expect(rb.omegaSum).toEqual(ra.omegaSum);
  });
});
