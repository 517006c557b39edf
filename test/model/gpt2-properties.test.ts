/**
 * Behaviour of the tfjs GPT-2 beyond the golden fixture: config variants against a naive float64 reference,
 * the causal mask, dropout (off at eval, seeded in training), weighted loss, untied head, input checks,
 * host round trip, and a training-style loop that leaks no tensors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { makeGPT2Config, type GPT2Config } from '../../src/model/gpt2-config.ts';
import { GPT2Model, gpt2Logits, gpt2Loss, gpt2TokenNll, type ParamMap } from '../../src/model/gpt2.ts';
import type { NamedTensors } from '../../src/io/types.ts';
import { EwcError } from '../../src/util/errors.ts';
import { randomParams, referenceLogits } from './reference-gpt2.ts';

const BASE: Partial<GPT2Config> = {
  vocab_size: 37,
  n_positions: 12,
  n_embd: 16,
  n_layer: 2,
  n_head: 4,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
};
const cfg = (o: Partial<GPT2Config> = {}) => makeGPT2Config({ ...BASE, ...o });
const IDS = [
  [3, 17, 0, 36, 5, 5, 21, 9, 12, 30],
  [8, 1, 33, 14, 2, 27, 6, 6, 19, 4],
];

function toParamMap(host: NamedTensors): ParamMap {
  return new Map([...host].map(([n, t]) => [n, tf.tensor(t.data, t.shape)]));
}

function logitsOf(config: GPT2Config, host: NamedTensors, ids: number[][], opts = {}): Float32Array {
  const params = toParamMap(host);
  const out = tf.tidy(() => gpt2Logits(config, params, tf.tensor2d(ids, undefined, 'int32'), opts));
  const d = out.dataSync() as Float32Array;
  tf.dispose([out, ...params.values()]);
  return d;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
};

beforeAll(async () => {
  await initBackend('wasm');
});

describe('GPT-2 config variants vs a float64 reference', () => {
  const variants: Array<[string, Partial<GPT2Config>]> = [
    ['default (gelu_new, tied)', {}],
    ['relu, eps 1e-3', { activation_function: 'relu', layer_norm_epsilon: 1e-3 }],
    ['gelu_fast, n_inner 24', { activation_function: 'gelu_fast', n_inner: 24 }],
    ['silu, no attention scaling', { activation_function: 'silu', scale_attn_weights: false }],
    ['scale_attn_by_inverse_layer_idx', { scale_attn_by_inverse_layer_idx: true, n_layer: 3 }],
    ['untied lm_head', { tie_word_embeddings: false }],
  ];
  it.each(variants)('%s: logits within 1e-4', (_, o) => {
    const c = cfg(o);
    const host = randomParams(c, 5);
    const got = logitsOf(c, host, IDS);
    const want = IDS.flatMap((row) => referenceLogits(c, host, row).flat());
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-4);
  });
});

describe('GPT-2 properties (wasm)', () => {
  const c = cfg();
  const host = randomParams(c, 7);

  it('causal mask: changing token k changes no logits before position k', () => {
    const a = logitsOf(c, host, IDS);
    const changed = IDS.map((r) => [...r]);
    changed[0][6] = (changed[0][6] + 11) % c.vocab_size;
    const b = logitsOf(c, host, changed);
    const V = c.vocab_size;
    const T = IDS[0].length;
    expect(maxAbsDiff(a.subarray(0, 6 * V), b.subarray(0, 6 * V))).toBe(0); // row 0, positions 0..5
    expect(maxAbsDiff(a.subarray(6 * V, T * V), b.subarray(6 * V, T * V))).toBeGreaterThan(1e-3); // position ≥ 6
    expect(maxAbsDiff(a.subarray(T * V), b.subarray(T * V))).toBe(0); // row 1 untouched
  });

  it('dropout: off at evaluation, seeded and active in training', () => {
    const cd = cfg({ resid_pdrop: 0.2, embd_pdrop: 0.2, attn_pdrop: 0.2 });
    const evalNoDrop = logitsOf(c, host, IDS);
    expect(maxAbsDiff(logitsOf(cd, host, IDS), evalNoDrop)).toBe(0);
    expect(maxAbsDiff(logitsOf(cd, host, IDS, { training: false, dropoutSeed: 3 }), evalNoDrop)).toBe(0);
    const t1 = logitsOf(cd, host, IDS, { training: true, dropoutSeed: 1 });
    const t1b = logitsOf(cd, host, IDS, { training: true, dropoutSeed: 1 });
    const t2 = logitsOf(cd, host, IDS, { training: true, dropoutSeed: 2 });
    expect(maxAbsDiff(t1, t1b)).toBe(0);
    expect(maxAbsDiff(t1, t2)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(t1, evalNoDrop)).toBeGreaterThan(1e-3);
    // pdrop 0 in training = evaluation
    expect(maxAbsDiff(logitsOf(c, host, IDS, { training: true, dropoutSeed: 1 }), evalNoDrop)).toBe(0);
  });

  it('dropout scales kept activations by 1/(1−p) (embedding dropout alone, 1 layer → statistics of kept units)', () => {
    // With only embd_pdrop = 0.5 the mean of the dropout mask·scale over many units is ≈ 1 and ≈ half are 0.
    const x = tf.ones([64, 64]);
    const y = Array.from(tf.dropout(x, 0.5, undefined, '9:0').dataSync());
    const zeros = y.filter((v) => v === 0).length / y.length;
    const mean = y.reduce((a, v) => a + v, 0) / y.length;
    x.dispose();
    expect(zeros).toBeGreaterThan(0.45);
    expect(zeros).toBeLessThan(0.55);
    expect(Math.abs(mean - 1)).toBeLessThan(0.1);
    expect(new Set(y)).toEqual(new Set([0, 2]));
  });

  it('token NLL = logsumexp − picked logit; weighted loss = Σ w·nll / Σ w; explicit targets', () => {
    const params = toParamMap(host);
    const ids = tf.tensor2d(IDS, undefined, 'int32');
    const nll = gpt2TokenNll(c, params, ids).arraySync() as number[][];
    const logits = gpt2Logits(c, params, ids).arraySync() as number[][][];
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < IDS[0].length - 1; t++) {
        const row = logits[b][t];
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        expect(Math.abs(nll[b][t] - (lse - row[IDS[b][t + 1]]))).toBeLessThan(1e-5);
      }
    }
    const w = IDS.map((r, b) => r.slice(1).map((_, t) => (t % 3 === b ? 0 : t === 4 ? 2 : 1)));
    let num = 0;
    let den = 0;
    w.forEach((r, b) => r.forEach((wt, t) => ((num += wt * nll[b][t]), (den += wt))));
    const wl = gpt2Loss(c, params, ids, { weights: tf.tensor2d(w) }).dataSync()[0];
    expect(Math.abs(wl - num / den)).toBeLessThan(1e-5);
    const plain = gpt2Loss(c, params, ids).dataSync()[0];
    expect(Math.abs(plain - nll.flat().reduce((a, v) => a + v, 0) / nll.flat().length)).toBeLessThan(1e-5);
    const tgt = IDS.map((r) => r.slice(1).map((v) => (v + 1) % c.vocab_size));
    const nllT = gpt2TokenNll(c, params, ids, { targets: tf.tensor2d(tgt, undefined, 'int32') }).arraySync() as number[][];
    const row = logits[1][2];
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    expect(Math.abs(nllT[1][2] - (lse - row[tgt[1][2]]))).toBeLessThan(1e-5);
    tf.dispose([ids, ...params.values()]);
  });

  it('untied head: lm_head.weight gets its own gradient; tied: wte gets both', () => {
    const cu = cfg({ tie_word_embeddings: false });
    const hu = randomParams(cu, 9);
    const mu = GPT2Model.fromHost(cu, hu);
    const ids = tf.tensor2d(IDS, undefined, 'int32');
    const { value, grads } = tf.variableGrads(() => mu.loss(ids), [mu.variables.get('lm_head.weight')!, mu.variables.get('wte.weight')!]);
    const gl = grads[mu.variables.get('lm_head.weight')!.name];
    expect(gl.shape).toEqual([cu.vocab_size, cu.n_embd]);
    expect(tf.norm(gl).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads), ids]);
    mu.dispose();
  });

  it('input checks: too long, wrong dtype, missing and misshapen parameters are EwcErrors', () => {
    const params = toParamMap(host);
    const long = tf.zeros([1, c.n_positions + 1], 'int32') as tf.Tensor2D;
    expect(() => gpt2Logits(c, params, long)).toThrow(/expected 1..n_positions=12 tokens per row, found 13/);
    const f = tf.zeros([1, 4]) as tf.Tensor2D;
    expect(() => gpt2Logits(c, params, f)).toThrow(/expected an int32 tensor \[B, T\], found float32/);
    const one = tf.zeros([2, 1], 'int32') as tf.Tensor2D;
    expect(() => gpt2TokenNll(c, params, one)).toThrow(/at least 2 tokens/);
    const missing = new Map(host);
    missing.delete('h.1.mlp.c_fc.bias');
    expect(() => GPT2Model.fromHost(c, missing)).toThrow(EwcError);
    expect(() => GPT2Model.fromHost(c, missing)).toThrow(/missing h\.1\.mlp\.c_fc\.bias/);
    const bad = new Map(host);
    bad.set('wpe.weight', { shape: [5, 16], data: new Float32Array(80) });
    bad.set('h.9.ln_1.weight', { shape: [16], data: new Float32Array(16) });
    expect(() => GPT2Model.fromHost(c, bad)).toThrow(/wpe\.weight is \[5,16\], expected \[12,16\].*unexpected h\.9\.ln_1\.weight/);
    tf.dispose([long, f, one, ...params.values()]);
  });

  it('fromHost → toHost round-trips every parameter bit-exactly', () => {
    const m = GPT2Model.fromHost(c, host);
    const back = m.toHost();
    expect([...back.keys()].sort()).toEqual([...host.keys()].sort());
    for (const [n, t] of host) {
      expect(back.get(n)!.shape).toEqual(t.shape);
      expect(Buffer.from(back.get(n)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
    m.dispose();
  });

  it('training loop (forward + backward + SGD via assign, dropout on) leaks no tensors and lowers the loss', () => {
    const cd = cfg({ resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 });
    const m = GPT2Model.fromHost(cd, randomParams(cd, 11, 0.1));
    const ids = tf.tensor2d(IDS, undefined, 'int32');
    const vars = [...m.variables.values()];
    const evalLoss = () => tf.tidy(() => m.loss(ids).dataSync()[0]);
    const start = evalLoss();
    const counts: number[] = [];
    for (let step = 0; step < 6; step++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => m.loss(ids, { training: true, dropoutSeed: step }), vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.1)));
        value.dataSync();
      });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(evalLoss()).toBeLessThan(start);
    const before = tf.memory().numTensors;
    m.dispose();
    ids.dispose();
    expect(tf.memory().numTensors).toBe(before - vars.length - 1);
  });
});
