import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { createTfjsEngine, TfjsEngine } from '../../src/engine/tfjs.ts';
import { createEngine } from '../../src/engine/index.ts';
import type { StepOptions, StepResult, TokenBatch } from '../../src/engine/types.ts';
import { defaultsOf } from '../../src/config/schema.ts';
import { trainSchema, type TrainConfig } from '../../src/config/train.ts';
import { initGPT2Params } from '../../src/train/init.ts';
import { train, type TrainHooks } from '../../src/train/loop.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { randomTokens, tinyConfig } from '../engine/helpers.ts';

process.env.EWC_LM_QUIET = '1';
const root = mkdtempSync(join(tmpdir(), 'ewc-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const model = tinyConfig({ resid_pdrop: 0.1, attn_pdrop: 0.1, embd_pdrop: 0.1 });
const cfg: TrainConfig = {
  ...(defaultsOf(trainSchema) as unknown as TrainConfig),
  steps: 6,
  batchSize: 2,
  accumSteps: 2,
  blockSize: 8,
  optimizer: 'adamw',
  weightDecay: 0.01,
  lr: 3e-3,
  schedule: 'cosine',
  warmupSteps: 2,
  clipNorm: 0.5,
  seed: 5,
  evalEvery: 2,
  evalBlocks: 4,
  logEvery: 1,
};
const data = { train: randomTokens(1, 8 * 13, model.vocab_size), blockSize: 8, eval: randomTokens(2, 8 * 4, model.vocab_size) };
const extraFiles = { 'tokenizer.json': '{"fake":true}\n' };

async function run(dir: string, opts: { stopAtStep?: number; resume?: boolean; initSeed?: number; hooks?: TrainHooks[]; config?: Partial<TrainConfig>; engine?: TfjsEngine } = {}) {
  const engine = opts.engine ?? createTfjsEngine(model, initGPT2Params(model, opts.initSeed ?? 1));
  try {
    return await train({
      engine,
      data,
      config: { ...cfg, ...(opts.config ?? {}) },
      outDir: dir,
      resolvedConfig: { train: cfg },
      resume: opts.resume,
      stopAtStep: opts.stopAtStep,
      hooks: opts.hooks,
      extraFiles,
    });
  } finally {
    engine.dispose();
  }
}

describe.each(['wasm', 'cpu'])('trainer on %s', (backend) => {
  it('interrupt at step 3 + resume ends with bit-identical weights and optimizer state', async () => {
    await initBackend(backend);
    const a = join(root, backend, 'a');
    const b = join(root, backend, 'b');
    const ra = await run(a);
    expect(ra.status).toBe('completed');
    const rb1 = await run(b, { stopAtStep: 3 });
    expect(rb1.status).toBe('interrupted');
    expect(JSON.parse(readFileSync(join(b, 'checkpoint', 'trainer-state.json'), 'utf8')).step).toBe(3);
    expect(existsSync(join(b, 'model.safetensors'))).toBe(false); // final model only when complete
    // a different initialisation: the resumed weights must come from the checkpoint
    const rb2 = await run(b, { resume: true, initSeed: 99 });
    expect(rb2.status).toBe('completed');
    expect(rb2.resumedFrom).toBe(3);
    const wa = readFileSync(join(a, 'model.safetensors'));
    const wb = readFileSync(join(b, 'model.safetensors'));
    expect(wa.length).toBeGreaterThan(1000);
    expect(Buffer.compare(wa, wb)).toBe(0);
    expect(Buffer.compare(readFileSync(join(a, 'checkpoint', 'optimizer.safetensors')), readFileSync(join(b, 'checkpoint', 'optimizer.safetensors')))).toBe(0);
    expect(readFileSync(join(b, 'tokenizer.json'), 'utf8')).toBe(extraFiles['tokenizer.json']);
    expect(readFileSync(join(b, 'checkpoint', 'tokenizer.json'), 'utf8')).toBe(extraFiles['tokenizer.json']);
    // metrics: one record per step 1..6 (+ evaluations), identical losses in both runs
    const la = MetricsLog.read(join(a, 'metrics.jsonl')).filter((r) => 'loss' in r);
    const lb = MetricsLog.read(join(b, 'metrics.jsonl')).filter((r) => 'loss' in r);
    expect(lb.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lb.map((r) => r.loss)).toEqual(la.map((r) => r.loss));
    expect(la.filter((r) => 'eval_loss' in r).map((r) => r.step)).toEqual([2, 4]);
    const st = JSON.parse(readFileSync(join(b, 'checkpoint', 'trainer-state.json'), 'utf8'));
    expect(st).toMatchObject({ step: 6, dataPosition: 6 * 2 * 2, seed: 5, reason: 'final', config: { train: cfg } });
  });
});

describe('trainer on the ort engine', () => {
  it('interrupt + resume is bit-identical too (the engine the shipped model was trained with)', async () => {
    const m = tinyConfig();
    const runOrt = async (dir: string, o: { stopAtStep?: number; resume?: boolean; init: number }) => {
      const engine = await createEngine('ort', m, initGPT2Params(m, o.init));
      try {
        return await train({ engine, data, config: cfg, outDir: dir, resolvedConfig: {}, stopAtStep: o.stopAtStep, resume: o.resume });
      } finally {
        engine.dispose();
      }
    };
    await runOrt(join(root, 'ort-a'), { init: 1 });
    await runOrt(join(root, 'ort-b'), { init: 1, stopAtStep: 3 });
    const r = await runOrt(join(root, 'ort-b'), { init: 2, resume: true });
    expect(r).toMatchObject({ status: 'completed', resumedFrom: 3 });
    expect(Buffer.compare(readFileSync(join(root, 'ort-a', 'model.safetensors')), readFileSync(join(root, 'ort-b', 'model.safetensors')))).toBe(0);
  });
});

describe('trainer behaviour', () => {
  it('NaN loss: stops with a clear message and keeps the last good checkpoint', async () => {
    await initBackend('wasm');
    const dir = join(root, 'nan');
    const engine = createTfjsEngine(model, initGPT2Params(model, 1));
    let n = 0;
    const real = engine.trainStep.bind(engine);
    engine.trainStep = async (m: TokenBatch[], o: StepOptions): Promise<StepResult> => {
      const r = await real(m, o);
      return ++n === 4 ? { ...r, loss: NaN } : r;
    };
    await expect(run(dir, { engine, config: { checkpointEvery: 2 } })).rejects.toThrow(/diverged at step 4: loss NaN.*last good checkpoint \(step 2\)/);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint', 'trainer-state.json'), 'utf8')).step).toBe(2);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
  });

  it('SIGINT finishes the current step, saves a checkpoint and returns "interrupted"; resume completes', async () => {
    const dir = join(root, 'sigint');
    // a real signal to this process (delivered through the event loop, as Ctrl-C is)
    const hooks: TrainHooks[] = [{ beforeStep: (ctx) => void (ctx.step === 2 && process.kill(process.pid, 'SIGINT')) }];
    const r = await run(dir, { hooks });
    expect(r.status).toBe('interrupted');
    expect(r.step).toBe(3);
    const st = JSON.parse(readFileSync(join(dir, 'checkpoint', 'trainer-state.json'), 'utf8'));
    expect(st).toMatchObject({ step: 3, reason: 'interrupt' });
    expect(process.listenerCount('SIGINT')).toBe(0);
    const r2 = await run(dir, { resume: true });
    expect(r2).toMatchObject({ status: 'completed', step: 6 });
  });

  it('hooks run in order; "after gradients" switches to the split path with the same result (SGD, no accumulation)', async () => {
    const calls: string[] = [];
    const hooks: TrainHooks[] = [
      {
        beforeTask: () => void calls.push('beforeTask'),
        beforeStep: (c) => void calls.push(`before${c.step}`),
        afterGradients: (c, g) => void calls.push(`grads${c.step}:${g.size}`),
        afterStep: (c, r) => void calls.push(`after${c.step}:${Number.isFinite(r.loss)}`),
        afterTask: () => void calls.push('afterTask'),
      },
    ];
    const over: Partial<TrainConfig> = { steps: 2, accumSteps: 1, optimizer: 'sgd', evalEvery: 0 };
    const noDrop = tinyConfig();
    const e1 = createTfjsEngine(noDrop, initGPT2Params(noDrop, 3));
    const e2 = createTfjsEngine(noDrop, initGPT2Params(noDrop, 3));
    await run(join(root, 'split'), { hooks, config: over, engine: e1 });
    await run(join(root, 'fused'), { config: over, engine: e2 });
    const nParams = 4 + 12 * noDrop.n_layer;
    expect(calls).toEqual(['beforeTask', 'before0', `grads0:${nParams}`, 'after1:true', 'before1', `grads1:${nParams}`, 'after2:true', 'afterTask']);
    const a = readFileSync(join(root, 'split', 'model.safetensors'));
    const b = readFileSync(join(root, 'fused', 'model.safetensors'));
    expect(Buffer.compare(a, b)).toBe(0);
  });

  it('leaks no tensors across a training run with evaluations', async () => {
    await run(join(root, 'leak0'), { config: { steps: 1 } }); // warm-up
    const n0 = tf.memory().numTensors;
    await run(join(root, 'leak'));
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('resume without a checkpoint is a clear error', async () => {
    await expect(run(join(root, 'none'), { resume: true })).rejects.toThrow(/--resume: no checkpoint/);
  });
});
