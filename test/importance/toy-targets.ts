/**
 * Tiny models with closed-form importances, for the toy tests (host math in float64).
 *  - linear softmax classifier: z = x·W + b, W [D, K] ('fc.weight'), b [K] ('fc.bias').
 *  - bigram LM: logits of position t = E[x_t], E [V, V] ('emb.weight').
 */
import * as tf from '@tensorflow/tfjs';
import { oneHotF32 } from '../../src/importance/objectives.ts';
import type { ImportanceTarget, Importances } from '../../src/importance/types.ts';

export function linearClassifier(W: number[][], b: number[]): ImportanceTarget & { dispose(): void } {
  const D = W.length;
  const K = b.length;
  const params = new Map<string, tf.Variable>([
    ['fc.weight', tf.variable(tf.tensor2d(W, [D, K]))],
    ['fc.bias', tf.variable(tf.tensor1d(b))],
  ]);
  const lin = (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, params.get('fc.weight')!), params.get('fc.bias')!);
  return {
    kind: 'classifier',
    params,
    logits: (x) => tf.tidy(() => lin(x)),
    denseLayers: [{ weight: 'fc.weight', bias: 'fc.bias', layout: 'in_out' }],
    probedLogits: (x, probes) => {
      const pr = probes.get('fc.weight');
      const z = lin(x);
      return { logits: pr ? tf.add(z, pr) : z, inputs: new Map([['fc.weight', x]]) };
    },
    denseTraces: (x) => [
      { weight: 'fc.weight', bias: 'fc.bias', layout: 'in_out', input: tf.clone(x), output: tf.tidy(() => tf.softmax(lin(x))) },
    ],
    dispose: () => params.forEach((v) => v.dispose()),
  };
}

export function bigramLm(E: number[][]): ImportanceTarget & { dispose(): void } {
  const V = E.length;
  const params = new Map<string, tf.Variable>([['emb.weight', tf.variable(tf.tensor2d(E, [V, V]))]]);
  return {
    kind: 'lm',
    params,
    logits: (x) =>
      tf.tidy(() => {
        const [n, t] = x.shape as [number, number];
        const oh = oneHotF32(tf.reshape(x, [n * t]), V) as tf.Tensor2D; // [N·T, V]
        return tf.reshape(tf.matMul(oh, params.get('emb.weight')!), [n, t, V]); // [N, T, V]
      }),
    dispose: () => params.forEach((v) => v.dispose()),
  };
}

export function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, c) => a + c, 0);
  return e.map((v) => v / s);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-7): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const r = expected[i];
    if (!(Math.abs(a - r) <= atol + rtol * Math.abs(r))) {
      throw new Error(`element ${i}: ${a} vs expected ${r} (|diff| ${Math.abs(a - r)} > ${atol} + ${rtol}·|r|)`);
    }
  }
}

/** |a − r| ≤ rtol·|r| + atol·max|r| for every element (atol relative to the tensor's scale); NaN fails. */
export function compareToReference(ours: Importances, ref: Importances, rtol = 1e-3, atolScale = 1e-6): string[] {
  const bad: string[] = [];
  for (const [name, r] of ref) {
    const a = ours.get(name);
    if (!a) {
      bad.push(`${name}: missing`);
      continue;
    }
    let mx = 0;
    for (const v of r.data) mx = Math.max(mx, Math.abs(v));
    let worst = 0;
    for (let i = 0; i < r.data.length; i++) {
      const d = Math.abs(a.data[i] - r.data[i]);
      if (!(d <= rtol * Math.abs(r.data[i]) + atolScale * mx)) worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
    if (worst > 0) bad.push(`${name}: max failing |diff| ${worst}`);
  }
  return bad;
}

