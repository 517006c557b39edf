/**
 * The penalty and SI as trainer hooks, on the real training loop (tfjs engine, tiny GPT-2 fixture):
 *  - leak test: tf.memory().numTensors is unchanged across a training run with the penalty;
 *  - the penalty is active (0 at θ = θ* on the first step, > 0 afterwards) and its ratio is tracked;
 *  - warnings: a penalty that is always 0, and one that grows without bound (plain EWC, SGD, ηλΩ = 1.2);
 *  - SI uses the TOTAL loss: with plain SGD (no clipping) Δθ = −η·g_total, so the path integral
 *    ω = −Σ g·Δθ must equal Σ Δθ²/η exactly when g is the total gradient (task + penalty).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { defaultsOf } from '../../src/config/schema.ts';
import { trainSchema, type TrainConfig } from '../../src/config/train.ts';
import { createTfjsEngine } from '../../src/engine/tfjs.ts';
import { SiTracker } from '../../src/importance/si.ts';
import type { Importances } from '../../src/importance/types.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { ewcHook, siHook } from '../../src/regularizers/hook.ts';
import { selectParams } from '../../src/regularizers/selection.ts';
import { train, type TrainHooks } from '../../src/train/loop.ts';
import { sharedPath } from '../../src/util/shared.ts';

process.env.EWC_LM_QUIET = '1';
let tmp: string;
let ck: ReturnType<typeof loadCheckpoint>;
beforeAll(async () => {
  await initBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'ewc-hook-'));
  ck = loadCheckpoint(sharedPath('fixtures', 'tiny-gpt2-reference'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T = 12;
function data(n = 16): { train: Int32Array; blockSize: number } {
  const ids = new Int32Array(n * T);
  for (let i = 0; i < ids.length; i++) ids[i] = (i * 7919 + 13) % 1000;
  return { train: ids, blockSize: T };
}
function cfg(over: Partial<TrainConfig>): TrainConfig {
  return { ...(defaultsOf(trainSchema) as unknown as TrainConfig), batchSize: 2, blockSize: T, logEvery: 1000, ...over };
}
function constOmega(names: string[], value: number): Importances {
  return new Map(names.map((n) => [n, { shape: ck.params.get(n)!.shape, data: new Float32Array(ck.params.get(n)!.data.length).fill(value) }]));
}
const anchorOf = (names: string[]): Importances => new Map(names.map((n) => [n, ck.params.get(n)!]));

describe('ewcHook in the training loop', () => {
  it('applies the stabilized penalty, tracks the ratio, no warnings, no leaked tensors', async () => {
    const names = selectParams(ck.params.keys(), ['attention']);
    const engine = createTfjsEngine(ck.config, ck.params);
    const hook = ewcHook({ kind: 'stabilized', lambda: 50, omega: constOmega(names, 1), anchor: anchorOf(names), names });
    const pens: number[] = [];
    const spy: TrainHooks = { afterStep: (_c, r) => void pens.push(r.penalty) };
    await train({ engine, data: data(), config: cfg({ steps: 4, lr: 1e-2, optimizer: 'adam' }), outDir: join(tmp, 'a'), resolvedConfig: {}, hooks: [hook, spy], handleSignals: false });
    // after a run the engine holds: variables, optimizer slots, penalty c and θ*. Another run (re-configured,
    // penalty set again, 3 more steps) must end with exactly as many tensors: nothing leaks per step.
    const before = tf.memory().numTensors;
    await train({ engine, data: data(), config: cfg({ steps: 3, lr: 1e-2, optimizer: 'adam' }), outDir: join(tmp, 'a2'), resolvedConfig: {}, hooks: [hook], handleSignals: false });
    expect(tf.memory().numTensors).toBe(before); // the penalty inside the loop leaks nothing
    expect(pens[0]).toBe(0); // θ = θ* at the first step
    expect(pens.slice(1).every((p) => p > 0)).toBe(true);
    expect(hook.stats.eta).toBe(1e-2); // η defaults to the learning rate
    expect(hook.stats.maxRatio).toBeGreaterThan(0);
    expect(hook.stats.warnings).toEqual([]);
    engine.dispose();
  });

  it('warns when the penalty grows without bound (plain EWC, SGD, x = ηλΩ = 1.2)', async () => {
    const names = selectParams(ck.params.keys(), ['h.0.attn.c_proj.*']);
    const engine = createTfjsEngine(ck.config, ck.params);
    const hook = ewcHook({ kind: 'ewc', lambda: 12, omega: constOmega(names, 1), anchor: anchorOf(names), names, growthWindow: 6 });
    await train({ engine, data: data(), config: cfg({ steps: 10, lr: 0.1, optimizer: 'sgd', clipNorm: null }), outDir: join(tmp, 'b'), resolvedConfig: {}, hooks: [hook], handleSignals: false });
    expect(hook.stats.warnings.length).toBe(1);
    expect(hook.stats.warnings[0]).toMatch(/grows without bound.*stabilized/);
    // the same setting with the stabilized penalty stays bounded: no warning
    const engine2 = createTfjsEngine(ck.config, ck.params);
    const stab = ewcHook({ kind: 'stabilized', lambda: 12, omega: constOmega(names, 1), anchor: anchorOf(names), names, growthWindow: 6 });
    await train({ engine: engine2, data: data(), config: cfg({ steps: 10, lr: 0.1, optimizer: 'sgd', clipNorm: null }), outDir: join(tmp, 'b2'), resolvedConfig: {}, hooks: [stab], handleSignals: false });
    expect(stab.stats.warnings).toEqual([]);
    expect(stab.stats.lastPenalty).toBeLessThan(hook.stats.lastPenalty);
    engine.dispose();
    engine2.dispose();
  });

  it('does not mistake ordinary drift from θ* (penalty ∝ t²) for unbounded growth', () => {
    const names = ['h.0.attn.c_proj.bias'];
    const hook = ewcHook({ kind: 'stabilized', lambda: 1, eta: 1e-3, omega: constOmega(names, 1), anchor: anchorOf(names), names });
    const ctx = { config: cfg({}), step: 0, lr: 1e-3 } as never;
    for (let t = 0; t < 200; t++) hook.afterStep!(ctx, { loss: 2, penalty: 1e-6 * t * t, gradNorm: 1, tokens: 10 });
    expect(hook.stats.warnings).toEqual([]);
    const bad = ewcHook({ kind: 'ewc', lambda: 1, eta: 1e-3, omega: constOmega(names, 1), anchor: anchorOf(names), names });
    for (let t = 0; t < 30; t++) bad.afterStep!(ctx, { loss: 2, penalty: 1e-6 * 1.6 ** t, gradNorm: 1, tokens: 10 });
    expect(bad.stats.warnings.length).toBe(1);
  });

  it('warns when the penalty stays exactly 0 with λ > 0 and Ω ≠ 0', () => {
    const names = ['h.0.attn.c_proj.bias'];
    const hook = ewcHook({ kind: 'ewc', lambda: 1, eta: 1e-3, omega: constOmega(names, 1), anchor: anchorOf(names), names, zeroSteps: 3 });
    const ctx = { config: cfg({}), step: 0, lr: 1e-3 } as never;
    for (let i = 0; i < 5; i++) hook.afterStep!(ctx, { loss: 2, penalty: 0, gradNorm: 1, tokens: 10 });
    expect(hook.stats.warnings.length).toBe(1);
    expect(hook.stats.warnings[0]).toMatch(/exactly 0.*not acting/);
    const zeroLambda = ewcHook({ kind: 'ewc', lambda: 0, eta: 1e-3, omega: constOmega(names, 1), anchor: anchorOf(names), names, zeroSteps: 3 });
    for (let i = 0; i < 5; i++) zeroLambda.afterStep!(ctx, { loss: 2, penalty: 0, gradNorm: 1, tokens: 10 });
    expect(zeroLambda.stats.warnings).toEqual([]);
  });
});

describe('SI through the training loop uses the total loss', () => {
  it('ω = −Σ g_total·Δθ = Σ Δθ²/η under plain SGD, with a strong penalty on', async () => {
    const names = selectParams(ck.params.keys(), ['h.1.attn.c_attn.*']);
    const engine = createTfjsEngine(ck.config, ck.params);
    // anchor displaced from the start point so the penalty gradient is large from step 1
    const anchor: Importances = new Map(names.map((n) => {
      const p = ck.params.get(n)!;
      return [n, { shape: p.shape, data: p.data.map((v, i) => v + (i % 3 === 0 ? 0.05 : -0.03)) }];
    }));
    const pen = ewcHook({ kind: 'ewc', lambda: 20, omega: constOmega(names, 1), anchor, names });
    const tracker = new SiTracker(names);
    let taskImp: Importances | null = null;
    const si = siHook(tracker, { onTaskEnd: (imp) => (taskImp = imp) });
    const lr = 0.05;
    const sumSq = new Map(names.map((n) => [n, new Float64Array(ck.params.get(n)!.data.length)]));
    let prev: Map<string, Float32Array> | null = null;
    const deltas: TrainHooks = {
      beforeStep: (c) => void (prev = new Map(names.map((n) => [n, new Float32Array(c.engine.getParams().get(n)!.data)]))),
      afterStep: (c) => {
        const now = c.engine.getParams();
        for (const n of names) {
          const a = now.get(n)!.data;
          const b = prev!.get(n)!;
          const s = sumSq.get(n)!;
          for (let i = 0; i < a.length; i++) s[i] += (a[i] - b[i]) ** 2 / lr;
        }
      },
    };
    await train({ engine, data: data(), config: cfg({ steps: 5, lr, optimizer: 'sgd', clipNorm: null }), outDir: join(tmp, 'si'), resolvedConfig: {}, hooks: [pen, si, deltas], handleSignals: false });
    expect(tracker.steps).toBe(5);
    const omega = tracker.pathIntegral();
    let maxRel = 0;
    let total = 0;
    for (const n of names) {
      const w = omega.get(n)!.data;
      const s = sumSq.get(n)!;
      let mx = 0;
      for (const v of s) mx = Math.max(mx, v);
      for (let i = 0; i < w.length; i++) maxRel = Math.max(maxRel, Math.abs(w[i] - s[i]) / mx);
      for (const v of s) total += v;
    }
    expect(total).toBeGreaterThan(0);
    expect(maxRel).toBeLessThan(1e-4);
    // and the task importance is ω/((θ_end − θ_start)² + ξ)
    const imp = taskImp as Importances | null;
    expect(imp).not.toBeNull();
    const end = engine.getParams();
    const n0 = names[0];
    for (const i of [0, 5, 77]) {
      const d = end.get(n0)!.data[i] - ck.params.get(n0)!.data[i];
      expect(imp!.get(n0)!.data[i]).toBeCloseTo(omega.get(n0)!.data[i] / (d * d + 0.1), 6);
    }
    engine.dispose();
  });
});
