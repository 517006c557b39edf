/**
 * The ort engine against the tfjs engine (src/engine/tfjs.ts) on the golden tiny GPT-2: identical semantics
 * for training steps (Adam / AdamW + weight decay / SGD + momentum, clipping, penalty, accumulation),
 * gradients (nll, mas, with penalty), applyGradients, token NLL and optimizer state exchange.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { createTfjsEngine } from '../../src/engine/tfjs.ts';
import { defaultOptimizer, type Engine, type EngineSetup, type NamedTensors, type TokenBatch } from '../../src/engine/types.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { OrtEngine } from '../../src/onnx/engine.ts';
import { sharedPath } from '../../src/util/shared.ts';
import { randn, rng } from './fd.ts';

const dir = sharedPath('fixtures', 'tiny-gpt2-reference');
const ids: number[][] = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')).input_ids;
const { config, params } = loadCheckpoint(dir);
const T = ids[0].length;
const batchOf = (rows: number[][], weights?: Float32Array): TokenBatch => ({
  ids: Int32Array.from(rows.flat()),
  batch: rows.length,
  seqLen: rows[0].length,
  weights,
});
const full = batchOf(ids);

function penalty(names: string[], seed: number) {
  const r = rng(seed);
  const coeffs: NamedTensors = new Map();
  const anchor: NamedTensors = new Map();
  for (const n of names) {
    const p = params.get(n)!;
    coeffs.set(n, { shape: p.shape, data: Float32Array.from({ length: p.data.length }, () => 5 * r()) });
    const noise = randn(r, p.data.length, 0.05);
    anchor.set(n, { shape: p.shape, data: p.data.map((v, i) => v + noise[i]) });
  }
  return { coeffs, anchor };
}

/**
 * max over parameters of ‖a − b‖ / ‖b‖. The key third of each attention bias is left out of the difference
 * (its exact gradient is 0 — softmax is shift-invariant — so Adam steps there follow float noise, ort-notes.md);
 * with `norms`, the difference of the norms | ‖a‖ − ‖b‖ | / ‖b‖ over whole tensors instead (attention biases left out).
 */
function worstRel(a: NamedTensors, b: NamedTensors, norms = false): { worst: number; name: string } {
  let worst = 0;
  let name = '';
  const C = config.n_embd;
  for (const [n, t] of b) {
    if (norms && n.endsWith('attn.c_attn.bias')) continue;
    let d = 0;
    let s = 0;
    let sa = 0;
    const x = a.get(n)!.data;
    const keyBias = n.endsWith('attn.c_attn.bias');
    t.data.forEach((v, i) => {
      sa += x[i] * x[i];
      s += v * v;
      if (!(keyBias && i >= C && i < 2 * C)) d += (x[i] - v) ** 2;
    });
    const e = (norms ? Math.abs(Math.sqrt(sa) - Math.sqrt(s)) : Math.sqrt(d)) / Math.max(Math.sqrt(s), 1e-12);
    if (!(e <= worst)) {
      worst = e;
      name = n;
    }
  }
  return { worst, name };
}

async function runBoth(setup: EngineSetup, steps: TokenBatch[][], lrs: number[]) {
  const engines: Engine[] = [new OrtEngine(config, params), createTfjsEngine(config, params)];
  const results = [];
  for (const e of engines) {
    e.configure(setup);
    const r = [];
    for (let k = 0; k < steps.length; k++) r.push(await e.trainStep(steps[k], { lr: lrs[k], training: false }));
    results.push({ steps: r, params: e.getParams(), state: e.getOptimizerState() });
  }
  for (const e of engines) e.dispose();
  return { ort: results[0], tfjs: results[1] };
}

describe('ort engine vs tfjs engine', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('3 Adam steps with clipping and a penalty: losses, norms and parameters agree', async () => {
    const attn = [...params.keys()].filter((n) => n.includes('.attn.'));
    const setup: EngineSetup = { optimizer: { ...defaultOptimizer, name: 'adam' }, clipNorm: 1.0, penalty: penalty(attn, 7) };
    const { ort, tfjs } = await runBoth(setup, [[full], [full], [full]], [1e-3, 2e-3, 1e-3]);
    for (let k = 0; k < 3; k++) {
      expect(Math.abs(ort.steps[k].loss - tfjs.steps[k].loss)).toBeLessThan(1e-5 * Math.abs(tfjs.steps[k].loss) + 1e-6);
      expect(Math.abs(ort.steps[k].penalty - tfjs.steps[k].penalty)).toBeLessThan(1e-5 * tfjs.steps[k].penalty + 1e-6);
      expect(Math.abs(ort.steps[k].gradNorm - tfjs.steps[k].gradNorm)).toBeLessThan(1e-4 * tfjs.steps[k].gradNorm);
    }
    const p = worstRel(ort.params, tfjs.params);
    expect(p.worst, p.name).toBeLessThanOrEqual(1e-5);
    expect(ort.state.step).toBe(3);
    const m = worstRel(ort.state.slots.exp_avg, tfjs.state.slots.exp_avg);
    expect(m.worst, m.name).toBeLessThanOrEqual(1e-3);
    console.log(`adam: params worst rel ${p.worst.toExponential(2)} (${p.name}); exp_avg ${m.worst.toExponential(2)}`);
  });

  it('AdamW + weight decay + 2 weighted micro-batches (accumulation), trainable subset', async () => {
    const w = new Float32Array(T - 1).fill(1);
    w.fill(0, 15);
    const micro = [batchOf([ids[0]], w), batchOf([ids[1]])];
    const trainable = [...params.keys()].filter((n) => !n.startsWith('h.0.'));
    const setup: EngineSetup = { optimizer: { ...defaultOptimizer, name: 'adamw', weightDecay: 0.1 }, clipNorm: 1.0, trainable };
    const { ort, tfjs } = await runBoth(setup, [micro, micro], [1e-3, 1e-3]);
    for (let k = 0; k < 2; k++) {
      expect(Math.abs(ort.steps[k].loss - tfjs.steps[k].loss)).toBeLessThan(1e-5 * tfjs.steps[k].loss);
      expect(ort.steps[k].tokens).toBe(15 + T - 1);
    }
    const p = worstRel(ort.params, tfjs.params);
    expect(p.worst, p.name).toBeLessThanOrEqual(1e-5);
    const pn = worstRel(ort.params, tfjs.params, true);
    expect(pn.worst, pn.name).toBeLessThanOrEqual(1e-5);
    expect(ort.params.get('h.0.mlp.c_fc.weight')!.data).toEqual(params.get('h.0.mlp.c_fc.weight')!.data);
  });

  it('Adam with L2 weight decay and clipping', async () => {
    const setup: EngineSetup = { optimizer: { ...defaultOptimizer, name: 'adam', weightDecay: 0.05 }, clipNorm: 0.5 };
    const { ort, tfjs } = await runBoth(setup, [[full], [full]], [1e-3, 1e-3]);
    const p = worstRel(ort.params, tfjs.params);
    expect(p.worst, p.name).toBeLessThanOrEqual(1e-5);
  });

  it('SGD with momentum', async () => {
    const setup: EngineSetup = { optimizer: { ...defaultOptimizer, name: 'sgd', momentum: 0.9 }, clipNorm: 0.5 };
    const { ort, tfjs } = await runBoth(setup, [[full], [full]], [0.05, 0.05]);
    const p = worstRel(ort.params, tfjs.params);
    expect(p.worst, p.name).toBeLessThanOrEqual(1e-5);
    const m = worstRel(ort.state.slots.momentum_buffer, tfjs.state.slots.momentum_buffer);
    expect(m.worst, m.name).toBeLessThanOrEqual(1e-4);
  });

  it('lossAndGrads (nll + penalty, mas), applyGradients and tokenNll agree', async () => {
    const o = new OrtEngine(config, params);
    const t = createTfjsEngine(config, params);
    const pen = penalty(['h.1.attn.c_attn.weight', 'ln_f.bias'], 3);
    for (const e of [o, t]) e.configure({ optimizer: { ...defaultOptimizer, name: 'adam' }, clipNorm: 2, penalty: pen });
    const a = await o.lossAndGrads(full, { includePenalty: true, penaltyScale: 2 });
    const b = await t.lossAndGrads(full, { includePenalty: true, penaltyScale: 2 });
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    expect(Math.abs(a.penalty - b.penalty)).toBeLessThan(1e-5 * b.penalty);
    const g = worstRel(a.grads, b.grads);
    expect(g.worst, g.name).toBeLessThan(1e-4);
    const am = await o.lossAndGrads(full, { objective: 'mas' });
    const bm = await t.lossAndGrads(full, { objective: 'mas' });
    expect(Math.abs(am.loss - bm.loss)).toBeLessThan(1e-6);
    const gm = worstRel(am.grads, bm.grads);
    expect(gm.worst, gm.name).toBeLessThan(1e-3);
    const na = await o.applyGradients(b.grads, { lr: 1e-3 });
    const nb = await t.applyGradients!(b.grads, { lr: 1e-3 });
    expect(Math.abs(na.gradNorm - nb.gradNorm)).toBeLessThan(1e-5 * nb.gradNorm);
    expect(worstRel(o.getParams(), t.getParams()).worst).toBeLessThan(1e-6);
    const la = await o.tokenNll(full);
    const lb = await t.tokenNll(full);
    let d = 0;
    let ma = 0;
    let mb = 0;
    la.forEach((v, i) => {
      d = Math.max(d, Math.abs(v - lb[i]) / (1e-6 + Math.abs(lb[i])));
      ma += v / la.length;
      mb += lb[i] / la.length;
    });
    expect(d).toBeLessThanOrEqual(1e-5); // per token, relative
    expect(Math.abs(ma - mb)).toBeLessThanOrEqual(1e-5); // mean NLL, absolute
    // Optimizer state moves between engines.
    t.setOptimizerState(o.getOptimizerState());
    expect(t.getOptimizerState().step).toBe(1);
    o.dispose();
    t.dispose();
  });

  it('a non-finite step leaves parameters and state unchanged', async () => {
    const o = new OrtEngine(config, params);
    o.configure({ optimizer: { ...defaultOptimizer, name: 'adam' }, clipNorm: null });
    const r = await o.trainStep([full], { lr: NaN });
    void r;
    const bad = new Map(params);
    const wte = params.get('wte.weight')!;
    bad.set('wte.weight', { shape: wte.shape, data: wte.data.map((v, i) => (i === ids[0][0] * config.n_embd ? Infinity : v)) });
    o.setParams(bad);
    const before = o.getOptimizerState().step;
    const s = await o.trainStep([full], { lr: 1e-3 });
    expect(Number.isFinite(s.loss)).toBe(false);
    expect(o.getOptimizerState().step).toBe(before);
    expect(o.getParams().get('h.0.ln_1.weight')!.data).toEqual(params.get('h.0.ln_1.weight')!.data);
    o.dispose();
  });
});

describe('SI path integral in the fused step', () => {
  it('equals −Σ g·Δθ computed on the host from the split path (lossAndGrads + applyGradients)', async () => {
    const pen = penalty(['h.2.attn.c_proj.weight'], 11);
    const setup: EngineSetup = { optimizer: { ...defaultOptimizer, name: 'adam' }, clipNorm: 1.0, penalty: pen };
    const fused = new OrtEngine(config, params);
    fused.configure(setup);
    fused.setSiTracking(true);
    const split = new OrtEngine(config, params);
    split.configure(setup);
    const host = new Map<string, Float64Array>([...params].map(([n, t]) => [n, new Float64Array(t.data.length)]));
    for (let k = 0; k < 2; k++) {
      await fused.trainStep([full], { lr: 1e-3, training: false });
      const before = split.getParams();
      const g = await split.lossAndGrads(full, { includePenalty: true });
      await split.applyGradients(g.grads, { lr: 1e-3 });
      const after = split.getParams();
      for (const [n, acc] of host) {
        const gd = g.grads.get(n)!.data;
        const a = after.get(n)!.data;
        const b = before.get(n)!.data;
        for (let i = 0; i < acc.length; i++) acc[i] -= gd[i] * (a[i] - b[i]);
      }
    }
    const si = fused.takeSiPathIntegral();
    const want: NamedTensors = new Map([...host].map(([n, a]) => [n, { shape: params.get(n)!.shape, data: Float32Array.from(a) }]));
    const e = worstRel(si, want);
    expect(e.worst, e.name).toBeLessThan(1e-3);
    expect(fused.takeSiPathIntegral().get('wte.weight')!.data.every((v) => v === 0)).toBe(true);
    fused.dispose();
    split.dispose();
  });
});
