import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { createTfjsEngine, sumOfSquares } from '../../src/engine/tfjs.ts';
import { defaultOptimizer, type NamedTensors, type OptimizerSpec, type TokenBatch } from '../../src/engine/types.ts';
import { initGPT2Params } from '../../src/train/init.ts';
import { randomBatch, tinyConfig } from './helpers.ts';

const sgd: OptimizerSpec = { ...defaultOptimizer, name: 'sgd' };

function close(a: Float32Array, b: Float32Array, atol: number, rtol = 0): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= atol + rtol * Math.abs(b[i]))) return Infinity;
    worst = Math.max(worst, d);
  }
  return worst;
}

function diff(a: NamedTensors, b: NamedTensors): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [n, t] of a) out.set(n, t.data.map((v, i) => v - b.get(n)!.data[i]));
  return out;
}

function concatBatches(a: TokenBatch, b: TokenBatch): TokenBatch {
  const ids = new Int32Array(a.ids.length + b.ids.length);
  ids.set(a.ids);
  ids.set(b.ids, a.ids.length);
  return { ids, batch: a.batch + b.batch, seqLen: a.seqLen };
}

describe('tfjs engine', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  const c = tinyConfig();

  it('gradient accumulation over equal micro-batches equals one step on their union (SGD)', async () => {
    const p0 = initGPT2Params(c, 3);
    const b1 = randomBatch(1, 2, 12, c.vocab_size);
    const b2 = randomBatch(2, 2, 12, c.vocab_size);
    const e1 = createTfjsEngine(c, p0);
    const e2 = createTfjsEngine(c, p0);
    e1.configure({ optimizer: sgd, clipNorm: null });
    e2.configure({ optimizer: sgd, clipNorm: null });
    const r1 = await e1.trainStep([b1, b2], { lr: 0.1 });
    const r2 = await e2.trainStep([concatBatches(b1, b2)], { lr: 0.1 });
    expect(Math.abs(r1.loss - r2.loss)).toBeLessThan(1e-6);
    expect(r1.tokens).toBe(2 * 2 * 11);
    expect(Math.abs(r1.gradNorm - r2.gradNorm)).toBeLessThanOrEqual(1e-5 * r2.gradNorm);
    const a = e1.getParams();
    const b = e2.getParams();
    for (const [n, t] of a) expect(close(t.data, b.get(n)!.data, 1e-6, 1e-5), n).toBeLessThan(Infinity);
    e1.dispose();
    e2.dispose();
  });

  it('SGD moves θ by −lr·g; clipping scales the update to clipNorm/‖g‖; gradNorm is the pre-clip norm', async () => {
    const p0 = initGPT2Params(c, 4);
    const b = randomBatch(5, 2, 10, c.vocab_size);
    const e = createTfjsEngine(c, p0);
    e.configure({ optimizer: sgd, clipNorm: null });
    const g = await e.lossAndGrads(b);
    let sq = 0;
    for (const t of g.grads.values()) for (const v of t.data) sq += v * v;
    const norm = Math.sqrt(sq);
    // plain SGD: Δθ = −lr·g
    const r = await e.trainStep([b], { lr: 0.5 });
    expect(Math.abs(r.gradNorm - norm)).toBeLessThan(1e-4 * norm);
    const d = diff(e.getParams(), p0);
    for (const [n, t] of g.grads) expect(close(d.get(n)!, t.data.map((v) => -0.5 * v), 1e-6, 1e-3), n).toBeLessThan(Infinity);
    e.dispose();
    // clipped: Δθ = −lr·g·clip/(‖g‖ + 1e-6)
    const clip = norm / 4;
    const e2 = createTfjsEngine(c, p0);
    e2.configure({ optimizer: sgd, clipNorm: clip });
    const r2 = await e2.trainStep([b], { lr: 0.5 });
    expect(Math.abs(r2.gradNorm - norm)).toBeLessThan(1e-4 * norm);
    const d2 = diff(e2.getParams(), p0);
    const s = clip / (norm + 1e-6);
    for (const [n, t] of g.grads) expect(close(d2.get(n)!, t.data.map((v) => -0.5 * s * v), 1e-6, 1e-3), n).toBeLessThan(Infinity);
    e2.dispose();
  });

  it('penalty Σc(θ−θ*)²: value and gradient 2c(θ−θ*) (anchor shifted by δ from θ ⇒ grad −2cδ)', async () => {
    const p0 = initGPT2Params(c, 6);
    const b = randomBatch(7, 1, 8, c.vocab_size);
    const e = createTfjsEngine(c, p0);
    e.configure({ optimizer: sgd, clipNorm: null });
    const name = 'h.0.attn.c_attn.weight';
    const theta = p0.get(name)!;
    const coef = new Float32Array(theta.data.length).fill(3);
    const anchor = theta.data.map((v) => v + 0.5);
    e.setPenalty({ coeffs: new Map([[name, { shape: theta.shape, data: coef }]]), anchor: new Map([[name, { shape: theta.shape, data: anchor }]]) });
    const plain = await e.lossAndGrads(b);
    const withPen = await e.lossAndGrads(b, { includePenalty: true });
    // penalty = Σ 3·0.5² = 0.75·n
    expect(withPen.penalty).toBeCloseTo(0.75 * theta.data.length, 2);
    const dg = withPen.grads.get(name)!.data.map((v, i) => v - plain.grads.get(name)!.data[i]);
    expect(close(dg, new Float32Array(dg.length).fill(-3), 1e-5)).toBeLessThan(Infinity);
    // other parameters are untouched by the penalty
    expect(close(withPen.grads.get('wte.weight')!.data, plain.grads.get('wte.weight')!.data, 0)).toBe(0);
    // the fused step reports the same penalty
    const r = await e.trainStep([b], { lr: 0 });
    expect(r.penalty).toBeCloseTo(withPen.penalty, 3);
    e.dispose();
  });

  it('trainStep equals lossAndGrads → applyGradients (Adam, clipped)', async () => {
    const p0 = initGPT2Params(c, 8);
    const b = randomBatch(9, 2, 16, c.vocab_size);
    const spec: OptimizerSpec = { ...defaultOptimizer, name: 'adamw', weightDecay: 0.1 };
    const e1 = createTfjsEngine(c, p0);
    const e2 = createTfjsEngine(c, p0);
    e1.configure({ optimizer: spec, clipNorm: 0.5 });
    e2.configure({ optimizer: spec, clipNorm: 0.5 });
    for (let s = 0; s < 3; s++) {
      const r1 = await e1.trainStep([b], { lr: 1e-2 });
      const g = await e2.lossAndGrads(b);
      const { gradNorm } = await e2.applyGradients(g.grads, { lr: 1e-2 });
      expect(Math.abs(r1.gradNorm - gradNorm)).toBeLessThan(1e-6 * gradNorm + 1e-9);
    }
    const a = e1.getParams();
    const bb = e2.getParams();
    for (const [n, t] of a) expect(close(t.data, bb.get(n)!.data, 0), n).toBe(0);
    const oa = e1.getOptimizerState();
    expect(oa.step).toBe(3);
    expect(Object.keys(oa.slots).sort()).toEqual(['exp_avg', 'exp_avg_sq']);
    e1.dispose();
    e2.dispose();
  });

  it('non-finite loss: the update is skipped and NaN reported', async () => {
    const p0 = initGPT2Params(c, 10);
    p0.get('ln_f.weight')!.data[0] = NaN;
    const e = createTfjsEngine(c, p0);
    e.configure({ optimizer: sgd, clipNorm: 1 });
    const before = e.getParams().get('wte.weight')!.data;
    const r = await e.trainStep([randomBatch(1, 1, 8, c.vocab_size)], { lr: 1 });
    expect(Number.isNaN(r.loss)).toBe(true);
    expect(close(e.getParams().get('wte.weight')!.data, before, 0)).toBe(0);
    e.dispose();
  });

  it('sumOfSquares adds chunks in float64: 10⁶ ones + 1e-3² is exact to 1e-9 relative', () => {
    const t = tf.ones([1_000_000]);
    const u = tf.fill([3], 1e-3);
    const s = sumOfSquares([t, u]);
    expect(Math.abs(s - (1e6 + 3e-6)) / 1e6).toBeLessThan(1e-9);
    t.dispose();
    u.dispose();
  });

  it('leaks nothing: numTensors unchanged across trainStep (accumulation, penalty), lossAndGrads, applyGradients, tokenNll', async () => {
    const p0 = initGPT2Params(tinyConfig({ resid_pdrop: 0.1, attn_pdrop: 0.1, embd_pdrop: 0.1 }), 11);
    const e = createTfjsEngine(tinyConfig({ resid_pdrop: 0.1, attn_pdrop: 0.1, embd_pdrop: 0.1 }), p0);
    e.configure({ optimizer: { ...defaultOptimizer, name: 'adam' }, clipNorm: 1 });
    const name = 'h.1.attn.c_proj.weight';
    const th = p0.get(name)!;
    e.setPenalty({ coeffs: new Map([[name, { shape: th.shape, data: new Float32Array(th.data.length).fill(1) }]]), anchor: new Map([[name, th]]) });
    const b = randomBatch(12, 2, 16, c.vocab_size);
    await e.trainStep([b, b], { lr: 1e-3, dropoutSeed: 1 }); // warm-up (kernels, caches)
    const n0 = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) {
      await e.trainStep([b, b], { lr: 1e-3, dropoutSeed: s });
      const g = await e.lossAndGrads(b, { includePenalty: true, objective: s === 2 ? 'mas' : 'nll' });
      await e.applyGradients(g.grads, { lr: 1e-3 });
      await e.tokenNll(b);
      e.getParams();
      e.getOptimizerState();
    }
    expect(tf.memory().numTensors).toBe(n0);
    e.dispose();
  });
});
