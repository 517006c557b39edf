/**
 * Closed-form toy tests of every sample-based importance (method.md §2).
 *
 * Linear softmax classifier z = x·W + b, p = softmax(z), one sample (x, y):
 *   log p(y|x) = z_y − logsumexp(z)  ⇒  ∂/∂z_k = δ_ky − p_k,  ∂/∂W_ik = x_i(δ_ky − p_k),  ∂/∂b_k = δ_ky − p_k.
 *   Fisher = mean_n of those squared (y = dataset label; argmax variant: y = argmax p).
 *   Sampled variant, in expectation over y ~ p:  E[(δ_ky − p_k)²] = p_k(1−p_k)² + (1−p_k)p_k² = p_k(1 − p_k),
 *   so E[Ω_W,ik] = x_i²·p_k(1 − p_k) for one repeated input.
 *   MAS: f = Σ_k p_k² ⇒ ∂f/∂z_j = Σ_k 2p_k·p_k(δ_kj − p_j) = 2p_j(p_j − S), S = Σ_k p_k²;
 *   Ω_W,ij = mean_n |x_i·2p_j(p_j − S)|, Ω_b,j = mean_n |2p_j(p_j − S)|.
 *   Signal: Ω_W,ik = |W_ik|·mean_n|x_n,i|; Ω_b,k = mean_n p_n,k (softmax output of the last layer).
 *   Magnitude: |θ|.
 * Bigram LM, logits of position t = E[s_t], p_a = softmax(E[a]), one sequence s of length T:
 *   f = (1/(T−1)) Σ_{t<T−1} log p_{s_t}(s_{t+1}) ⇒ ∂f/∂E_ak = (1/(T−1)) Σ_{t<T−1, s_t=a} (δ_{k,s_{t+1}} − p_ak);
 *   Fisher = mean over sequences of the SQUARE of that per-sequence sum (repeated tokens make it differ from a
 *   sum of per-token squares).  MAS: ∂/∂E_aj [(1/T) Σ_t ‖p_{s_t}‖²] = (1/T) Σ_{t: s_t=a} 2p_aj(p_aj − S_a).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeImportance } from '../../src/importance/registry.ts';
import type { ImportanceSamples } from '../../src/importance/types.ts';
import { bigramLm, expectClose, linearClassifier, softmax } from './toy-targets.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const W = [
  [0.5, -1.0, 0.3],
  [0.2, 0.4, -0.6],
]; // [D=2, K=3]
const b = [0.1, -0.2, 0.05];
const X = [
  [1.0, -2.0],
  [0.5, 0.25],
  [-1.5, 0.75],
  [2.0, 1.0],
];
const Y = [0, 2, 1, 1];
const labelled: ImportanceSamples = {
  kind: 'labelled',
  x: { shape: [4, 2], data: new Float32Array(X.flat()) },
  y: new Int32Array(Y),
};
const probs = X.map((x) => softmax([0, 1, 2].map((k) => x[0] * W[0][k] + x[1] * W[1][k] + b[k])));

function fisherClosed(labels: number[]): { w: number[]; b: number[] } {
  const w = new Array(6).fill(0);
  const bb = new Array(3).fill(0);
  X.forEach((x, n) => {
    for (let k = 0; k < 3; k++) {
      const dz = (labels[n] === k ? 1 : 0) - probs[n][k];
      for (let i = 0; i < 2; i++) w[i * 3 + k] += (x[i] * dz) ** 2 / X.length;
      bb[k] += dz ** 2 / X.length;
    }
  });
  return { w, b: bb };
}

describe('classifier importances, closed form', () => {
  const target = linearClassifier(W, b);
  const names = ['fc.weight', 'fc.bias'];
  afterAll(() => target.dispose());

  for (const mode of ['loop', 'vectorised'] as const) {
    it(`fisher (dataset labels), ${mode}`, () => {
      const before = tf.memory().numTensors;
      const imp = computeImportance('fisher', target, labelled, { names, mode });
      const c = fisherClosed(Y);
      expectClose(imp.get('fc.weight')!.data, c.w);
      expectClose(imp.get('fc.bias')!.data, c.b);
      expect(imp.get('fc.weight')!.shape).toEqual([2, 3]);
      expect(tf.memory().numTensors).toBe(before);
    });
    it(`fisher-argmax, ${mode}`, () => {
      const imp = computeImportance('fisher-argmax', target, labelled, { names, mode });
      const am = probs.map((p) => p.indexOf(Math.max(...p)));
      expect(am).not.toEqual(Y); // the variant must actually change labels here
      const c = fisherClosed(am);
      expectClose(imp.get('fc.weight')!.data, c.w);
      expectClose(imp.get('fc.bias')!.data, c.b);
    });
    it(`mas, ${mode}`, () => {
      const imp = computeImportance('mas', target, labelled, { names, mode });
      const w = new Array(6).fill(0);
      const bb = new Array(3).fill(0);
      X.forEach((x, n) => {
        const p = probs[n];
        const S = p.reduce((a, v) => a + v * v, 0);
        for (let j = 0; j < 3; j++) {
          const dz = 2 * p[j] * (p[j] - S);
          for (let i = 0; i < 2; i++) w[i * 3 + j] += Math.abs(x[i] * dz) / X.length;
          bb[j] += Math.abs(dz) / X.length;
        }
      });
      expectClose(imp.get('fc.weight')!.data, w);
      expectClose(imp.get('fc.bias')!.data, bb);
    });
  }

  it('fisher-sampled: its expectation is x²·p(1−p); seeded and reproducible', () => {
    const N = 1500;
    const x0 = X[1];
    const many: ImportanceSamples = {
      kind: 'labelled',
      x: { shape: [N, 2], data: new Float32Array(Array.from({ length: N }, () => x0).flat()) },
      y: new Int32Array(N),
    };
    const imp = computeImportance('fisher-sampled', target, many, { names, mode: 'vectorised', batchSize: 500, seed: 7 });
    const p = probs[1];
    // per-sample v = s·(δ_ky − p_k)² with s = x_i² (weights) or 1 (bias): E[v] = s·p(1−p),
    // E[v²] = s²·(p(1−p)⁴ + (1−p)p⁴); the mean of N draws is within 4 standard errors.
    const check = (got: ArrayLike<number>, scale: number[], k: number[]) =>
      scale.forEach((sc, j) => {
        const q = p[k[j]];
        const mean = sc * q * (1 - q);
        const sd = Math.sqrt(sc * sc * (q * (1 - q) ** 4 + (1 - q) * q ** 4) - mean * mean);
        expect(Math.abs(got[j] - mean)).toBeLessThanOrEqual((4 * sd) / Math.sqrt(N));
      });
    check(imp.get('fc.weight')!.data, [0, 0, 0, 1, 1, 1].map((i) => x0[i] ** 2), [0, 1, 2, 0, 1, 2]);
    check(imp.get('fc.bias')!.data, [1, 1, 1], [0, 1, 2]);
    const again = computeImportance('fisher-sampled', target, many, { names, mode: 'vectorised', batchSize: 500, seed: 7 });
    expect([...again.get('fc.bias')!.data]).toEqual([...imp.get('fc.bias')!.data]);
    const other = computeImportance('fisher-sampled', target, many, { names, mode: 'vectorised', batchSize: 500, seed: 8 });
    expect([...other.get('fc.bias')!.data]).not.toEqual([...imp.get('fc.bias')!.data]);
    // loop and vectorised draw the same labels (same rng order): equal results on a small set
    const small: ImportanceSamples = { ...many, x: { shape: [50, 2], data: many.x.data.subarray(0, 100) }, y: many.y.subarray(0, 50) };
    const a = computeImportance('fisher-sampled', target, small, { names, mode: 'loop', seed: 3 });
    const v = computeImportance('fisher-sampled', target, small, { names, mode: 'vectorised', seed: 3, batchSize: 16 });
    expectClose(v.get('fc.weight')!.data, a.get('fc.weight')!.data, 1e-5);
  });

  it('signal: |W|·mean|x| for weights, mean softmax output for the last layer bias', () => {
    const imp = computeImportance('signal', target, labelled, { names, batchSize: 3 });
    const meanAbsX = [0, 1].map((i) => X.reduce((a, x) => a + Math.abs(x[i]), 0) / X.length);
    expectClose(imp.get('fc.weight')!.data, [0, 1].flatMap((i) => [0, 1, 2].map((k) => Math.abs(W[i][k]) * meanAbsX[i])));
    expectClose(imp.get('fc.bias')!.data, [0, 1, 2].map((k) => probs.reduce((a, p) => a + p[k], 0) / X.length));
  });

  it('magnitude: |θ|', () => {
    const imp = computeImportance('magnitude', target, null, { names });
    expectClose(imp.get("fc.weight")!.data, W.flat().map((v) => Math.fround(Math.abs(v))), 0, 0);
    expectClose(imp.get("fc.bias")!.data, b.map((v) => Math.fround(Math.abs(v))), 0, 0);
  });

  it('rejects unknown methods, si outside training, and wrong sample kinds', () => {
    expect(() => computeImportance('fishr', target, labelled, { names })).toThrow(/expected one of fisher/);
    expect(() => computeImportance('si', target, labelled, { names })).toThrow(/training/);
    expect(() => computeImportance('fisher', target, { kind: 'sequences', sequences: [[1, 2]] }, { names })).toThrow(/labelled/);
  });
});

describe('language-model importances, closed form (one sample = one sequence)', () => {
  const V = 4;
  const E = [
    [0.3, -0.2, 0.8, 0.0],
    [1.0, 0.5, -0.5, 0.2],
    [-0.4, 0.1, 0.6, -1.2],
    [0.0, 0.9, 0.3, 0.4],
  ];
  const seqs = [
    [0, 1, 0, 2, 0, 1], // token 0 repeats: the per-sequence sum is squared as a whole
    [3, 3, 1, 2],
    [2, 0, 0],
  ];
  const P = E.map(softmax);
  const target = bigramLm(E);
  afterAll(() => target.dispose());

  it('fisher = mean over sequences of (∂ mean next-token log-lik)²', () => {
    const imp = computeImportance('fisher', target, { kind: 'sequences', sequences: seqs }, { names: ['emb.weight'] });
    const exp = new Array(V * V).fill(0);
    for (const s of seqs) {
      const g = new Array(V * V).fill(0);
      for (let t = 0; t < s.length - 1; t++) {
        for (let k = 0; k < V; k++) g[s[t] * V + k] += ((s[t + 1] === k ? 1 : 0) - P[s[t]][k]) / (s.length - 1);
      }
      g.forEach((v, i) => (exp[i] += (v * v) / seqs.length));
    }
    expectClose(imp.get('emb.weight')!.data, exp);
    // not the mean of per-token squares (the common mistake)
    const perToken = new Array(V * V).fill(0);
    for (const s of seqs) {
      for (let t = 0; t < s.length - 1; t++) {
        for (let k = 0; k < V; k++) perToken[s[t] * V + k] += (((s[t + 1] === k ? 1 : 0) - P[s[t]][k]) / (s.length - 1)) ** 2 / seqs.length;
      }
    }
    expect(Math.abs(imp.get('emb.weight')!.data[0] - perToken[0])).toBeGreaterThan(1e-3);
  });

  it('mas = mean over sequences of |∂ (1/T)Σ_t ‖softmax‖²|', () => {
    const imp = computeImportance('mas', target, { kind: 'sequences', sequences: seqs }, { names: ['emb.weight'] });
    const exp = new Array(V * V).fill(0);
    for (const s of seqs) {
      const g = new Array(V * V).fill(0);
      for (let t = 0; t < s.length; t++) {
        const p = P[s[t]];
        const S = p.reduce((a, v) => a + v * v, 0);
        for (let j = 0; j < V; j++) g[s[t] * V + j] += (2 * p[j] * (p[j] - S)) / s.length;
      }
      g.forEach((v, i) => (exp[i] += Math.abs(v) / seqs.length));
    }
    expectClose(imp.get('emb.weight')!.data, exp);
  });

  it('a target without probes: vectorised mode falls back to the loop (same values)', () => {
    const s = { kind: 'sequences' as const, sequences: seqs };
    const a = computeImportance('fisher', target, s, { names: ['emb.weight'], mode: 'loop' });
    const v = computeImportance('fisher', target, s, { names: ['emb.weight'], mode: 'vectorised' });
    expect([...v.get('emb.weight')!.data]).toEqual([...a.get('emb.weight')!.data]);
  });

  it('fisher needs sequences of at least 2 tokens', () => {
    expect(() => computeImportance('fisher', target, { kind: 'sequences', sequences: [[1]] }, { names: ['emb.weight'] })).toThrow(
      /at least 2/,
    );
  });
});
