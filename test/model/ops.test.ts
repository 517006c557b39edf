/**
 * The custom-gradient building blocks (src/model/ops.ts) against tfjs's own autograd of the plain formula,
 * element by element, on wasm: values and gradients of every input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { causalSoftmax, embedding, layerNorm, linear, lmHead, tokenNll } from '../../src/model/ops.ts';

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return tf.tensor(d, shape);
}

/** Compares f (custom) and g (plain) in value and in the gradient of Σ(out·probe) w.r.t. the float inputs. */
function sameAsAutograd(f: (...x: tf.Tensor[]) => tf.Tensor, g: (...x: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], floatIdx: number[], tol = 1e-5): void {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const yf = f(...inputs);
    const yg = g(...inputs);
    expect(yf.shape).toEqual(yg.shape);
    expect(tf.max(tf.abs(tf.sub(yf, yg))).dataSync()[0]).toBeLessThanOrEqual(tol);
    const probe = rand(yf.shape, 99);
    for (const k of floatIdx) {
      const wrt = (fn: (...x: tf.Tensor[]) => tf.Tensor) =>
        tf.grad((xk: tf.Tensor) => tf.sum(tf.mul(fn(...inputs.map((x, i) => (i === k ? xk : x))), probe)))(inputs[k]);
      const a = wrt(f);
      const b = wrt(g);
      const err = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      const scale = tf.max(tf.abs(b)).dataSync()[0];
      expect(err, `input ${k}`).toBeLessThanOrEqual(tol * Math.max(1, scale));
    }
  });
  expect(tf.memory().numTensors).toBe(before);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('custom-gradient ops = autograd of the plain formula (wasm)', () => {
  it.each([
    ['N > in/2', 6, 5, 7],
    ['N ≤ in/2 (W kept on the left in backward)', 2, 8, 5],
  ])('linear (%s)', (_, n, i, o) => {
    const ins = [rand([n, i], 1), rand([i, o], 2), rand([o], 3)];
    sameAsAutograd((x, w, b) => linear(x as tf.Tensor2D, w, b), (x, w, b) => tf.add(tf.matMul(x, w), b), ins, [0, 1, 2]);
    tf.dispose(ins);
  });

  it.each([
    ['V ≥ N', 9, 4],
    ['V < N', 3, 11],
  ])('lmHead (%s)', (_, v, n) => {
    const ins = [rand([n, 5], 4), rand([v, 5], 5)];
    sameAsAutograd((h, w) => lmHead(h as tf.Tensor2D, w), (h, w) => tf.matMul(h, w, false, true), ins, [0, 1]);
    tf.dispose(ins);
  });

  it('embedding (duplicate ids sum their gradients)', () => {
    const ins = [rand([6, 4], 6), tf.tensor1d([2, 5, 2, 0, 2], 'int32')];
    sameAsAutograd((w, ids) => embedding(w, ids as tf.Tensor1D), (w, ids) => tf.gather(w, ids), ins, [0]);
    tf.dispose(ins);
  });

  it('layerNorm (eps 1e-5 and 1e-2)', () => {
    for (const eps of [1e-5, 1e-2]) {
      const ins = [rand([5, 8], 7, 3), rand([8], 8), rand([8], 9)];
      const plain = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
      };
      sameAsAutograd((x, g, b) => layerNorm(x as tf.Tensor2D, g, b, eps), plain, ins, [0, 1, 2], 2e-5);
      tf.dispose(ins);
    }
  });

  it('causalSoftmax (masked entries exactly 0)', () => {
    const s = rand([2, 3, 5, 5], 10, 4);
    const scale = 0.37;
    const plain = (x: tf.Tensor) => {
      const mask = tf.linalg.bandPart(tf.ones([5, 5]), -1, 0); // lower triangle incl. diagonal
      return tf.softmax(tf.where(tf.cast(mask, 'bool'), tf.mul(x, scale), tf.fill([2, 3, 5, 5], -Infinity)));
    };
    sameAsAutograd((x) => causalSoftmax(x as tf.Tensor4D, scale), plain, [s], [0]);
    const p = causalSoftmax(s as tf.Tensor4D, scale).arraySync() as number[][][][];
    expect(p[1][2][1][2]).toBe(0);
    expect(p[0][0][0][0]).toBe(1);
    s.dispose();
  });

  it('tokenNll = −log_softmax picked at the target', () => {
    const ins = [rand([6, 9], 11, 3), tf.tensor1d([0, 8, 3, 3, 5, 1], 'int32')];
    const plain = (l: tf.Tensor, t: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(l), tf.cast(tf.oneHot(t as tf.Tensor1D, 9), 'float32')), -1));
    sameAsAutograd((l, t) => tokenNll(l as tf.Tensor2D, t as tf.Tensor1D), plain, ins, [0]);
    tf.dispose(ins);
  });
});
