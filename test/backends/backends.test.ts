/**
 * Backend selection and the wasm kernel patches. Each patched kernel (and each op a small CNN / GPT-2 needs
 * for training) is run on wasm and compared with the pure-JS cpu backend as the reference.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backendOption, initBackend } from '../../src/backends/index.ts';
import { EwcError } from '../../src/util/errors.ts';
import { createRequire } from 'node:module';

/** Whether the user installed tfjs-node(-gpu) (not a dependency; absent on CI). */
const tfNodeInstalled = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((p) => {
  try {
    createRequire(import.meta.url).resolve(p);
    return true;
  } catch {
    return false;
  }
});

type Arr = { shape: number[]; data: Float32Array };

/** Runs f on a backend and returns host copies of its outputs (no tensors left behind). */
async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor | tf.Tensor[]): Promise<Arr[]> {
  await initBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const host = outs.map((t) => ({ shape: [...t.shape], data: new Float32Array(t.dataSync()) }));
  tf.dispose(outs);
  expect(tf.memory().numTensors).toBe(before);
  return host;
}

/** |a − r| ≤ atol + rtol·|r| elementwise; NaN fails. */
function expectClose(a: Arr[], r: Arr[], atol = 1e-5, rtol = 1e-4): void {
  expect(a.length).toBe(r.length);
  a.forEach((x, k) => {
    expect(x.shape).toEqual(r[k].shape);
    for (let i = 0; i < x.data.length; i++) {
      const ok = Math.abs(x.data[i] - r[k].data[i]) <= atol + rtol * Math.abs(r[k].data[i]);
      if (!ok) throw new Error(`output ${k} element ${i}: ${x.data[i]} vs reference ${r[k].data[i]}`);
    }
  });
}

/** Deterministic pseudo-random values (no tf RNG, so both backends see the same inputs). */
function rand(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = s / 2 ** 32 - 0.5;
  }
  return tf.tensor(d, shape);
}

async function both(f: () => tf.Tensor | tf.Tensor[], atol?: number, rtol?: number): Promise<void> {
  const ref = await on('cpu', f);
  const got = await on('wasm', f);
  expectClose(got, ref, atol, rtol);
}

describe('initBackend', () => {
  it('activates wasm and cpu, idempotently, and switches between them', async () => {
    expect(await initBackend('wasm')).toBe('wasm');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it.skipIf(tfNodeInstalled)('auto falls back to wasm when tfjs-node is not installed', async () => {
    expect(await initBackend('auto')).toBe('wasm');
  });

  it.skipIf(tfNodeInstalled)('tensorflow without tfjs-node is an error that says what to install', async () => {
    const e = await initBackend('tensorflow').catch((x) => x);
    expect(e).toBeInstanceOf(EwcError);
    expect(e.message).toContain('npm install @tensorflow/tfjs-node@4.22.0');
    expect(e.message).toContain('@tensorflow/tfjs-node-gpu');
    expect(e.message).toContain('libtensorflow');
    expect(e.message).toContain('--backend wasm');
  });

  it('rejects an unknown backend name with the choices', async () => {
    await expect(initBackend('webgl')).rejects.toThrow(/expected one of auto, tensorflow, wasm, cpu, found 'webgl'/);
  });

  it('backendOption lists the four choices, default auto', () => {
    expect(backendOption.choices).toEqual(['auto', 'tensorflow', 'wasm', 'cpu']);
    expect(backendOption.default).toBe('auto');
  });
});

describe('wasm kernel patches match cpu', () => {
  it('UnsortedSegmentSum (gather gradient) sums duplicate indices', async () => {
    await both(() =>
      tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, tf.tensor1d([3, 0, 3, 3, 1], 'int32')), rand([5, 4], 2))))(rand([6, 4], 1)),
    );
    // Closed form: row 3 is gathered 3 times → gradient 3 for Σ gather; rows 2, 4, 5 never → 0.
    const [g] = await on('wasm', () => tf.grad((w: tf.Tensor) => tf.sum(tf.gather(w, tf.tensor1d([3, 0, 3, 3, 1], 'int32'))))(tf.zeros([6, 2])));
    expect(Array.from(g.data)).toEqual([1, 1, 1, 1, 0, 0, 3, 3, 0, 0, 0, 0]);
  });

  it('UnsortedSegmentSum direct, and the axis-1 gather gradient', async () => {
    await both(() => tf.unsortedSegmentSum(rand([6, 4], 3), tf.tensor1d([0, 2, 2, 1, 0, 4], 'int32'), 5));
    // ids outside [0, numSegments) are dropped (TensorFlow semantics; the cpu kernel does the same)
    await both(() => tf.unsortedSegmentSum(rand([6, 4], 3), tf.tensor1d([0, -1, 2, 7, 0, 4], 'int32'), 5));
    await both(() => tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, tf.tensor1d([1, 1, 0], 'int32'), 1), rand([3, 3, 2], 5))))(rand([3, 2, 2], 4)));
  });

  it('Conv2DBackpropFilter for stride/padding variants', async () => {
    const cases: Array<[number[], number[], number | [number, number], 'same' | 'valid']> = [
      [[2, 6, 6, 3], [3, 3, 3, 4], 1, 'same'],
      [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'valid'],
      [[1, 8, 9, 2], [5, 5, 2, 3], 2, 'same'],
      [[3, 5, 5, 1], [1, 1, 1, 6], 1, 'valid'],
      [[2, 9, 8, 2], [3, 2, 2, 2], [2, 3], 'same'],
    ];
    for (const [xs, ws, s, p] of cases) {
      await both(
        () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p), 1.5)))([rand(xs, 7), rand(ws, 8)]),
        1e-5,
        1e-4,
      );
    }
  });

  it('MaxPoolGrad (replaced: wasm 4.22 routes only channel 0) for several channels, windows and paddings', async () => {
    const cases: Array<[number[], number | [number, number], number | [number, number], 'same' | 'valid']> = [
      [[2, 6, 6, 3], 2, 2, 'valid'],
      [[1, 7, 5, 4], 3, 1, 'same'],
      [[2, 5, 7, 2], [2, 3], [1, 2], 'same'],
    ];
    for (const [xs, k, s, p] of cases) {
      await both(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, k, s, p), tf.maxPool(rand(xs, 4) as tf.Tensor4D, k, s, p))))(rand(xs, 9)));
    }
    // Closed form: 2 channels, the second negated; each 2×2 window sends dy to its maximum.
    const x = tf.tensor4d([1, 5, 2, 0, 3, 4, 8, 1, 9, 0, 2, 3, 1, 2, 7, 6].flatMap((v) => [v, -v]), [1, 4, 4, 2]);
    const [g] = await on('wasm', () => tf.grad((h: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]))))(x));
    expect(Array.from(g.data)).toEqual([0, 2, 1, 0, 0, 0, 0, 4, 0, 0, 0, 0, 3, 0, 0, 0, 10, 0, 0, 20, 0, 40, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0]);
    x.dispose();
  });

  it('a small CNN (conv2d, batchNorm, leakyRelu, maxPool, dense, cross-entropy) has the same gradients on wasm as on cpu', async () => {
    const f = () => {
      const x = rand([4, 8, 8, 2], 11);
      const params = [rand([3, 3, 2, 4], 12), tf.add(rand([4], 13), 1), rand([4], 14), rand([3, 3, 4, 5], 15), rand([5 * 2 * 2, 3], 16), rand([3], 17)];
      const labels = tf.tensor1d([0, 2, 1, 2], 'int32');
      return tf.grads((w1: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w2: tf.Tensor, wd: tf.Tensor, bd: tf.Tensor) => {
        let h: tf.Tensor4D = tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'); // [4, 8, 8, 4]
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.batchNorm(h, mean, variance, beta, gamma, 1e-5) as tf.Tensor4D;
        h = tf.maxPool(tf.leakyRelu(h, 0.1) as tf.Tensor4D, 2, 2, 'valid'); // [4, 4, 4, 4]
        h = tf.maxPool(tf.leakyRelu(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 1, 'same'), 0.1) as tf.Tensor4D, 2, 2, 'valid'); // [4, 2, 2, 5]
        const logits = tf.add(tf.matMul(tf.reshape(h, [4, 20]), wd), bd); // [4, 3]
        const onehot = tf.cast(tf.oneHot(labels, 3), 'float32');
        return tf.mean(tf.sub(tf.logSumExp(logits, -1), tf.sum(tf.mul(logits, onehot), -1)));
      })(params);
    };
    await both(f, 1e-5, 1e-3);
  });
});
