import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { mulberry32 } from '../../src/data/images/rng.ts';
import { Mlp } from '../../src/model/mlp.ts';
import { Cnn, BN_MOMENTUM } from '../../src/model/cnn.ts';
import { conv2dValid, crossEntropy } from '../../src/model/bench-layers.ts';
import { NamedAdam } from '../../src/benchmarks/adam.ts';
import { trainStep } from '../../src/benchmarks/train.ts';
import { computeImportance } from '../../src/importance/registry.ts';

const within = (a: ArrayLike<number>, r: ArrayLike<number>, atol: number, rtol: number) => {
  expect(a.length).toBe(r.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    expect(Number.isNaN(a[i])).toBe(false);
    worst = Math.max(worst, Math.abs(a[i] - r[i]) - (atol + rtol * Math.abs(r[i])));
  }
  expect(worst).toBeLessThanOrEqual(0);
};

const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

beforeAll(async () => {
  await initBackend('wasm');
});

describe('benchmark networks', () => {
  it('have the paper parameter counts and U(±1/√fan_in) init', () => {
    const mlp = new Mlp(mulberry32(1));
    expect(mlp.numParams()).toBe(282160);
    const w1 = mlp.params.get('fc1.weight')!.dataSync();
    const bound = 1 / Math.sqrt(784);
    expect(maxAbs(w1)).toBeLessThanOrEqual(bound);
    expect(maxAbs(w1)).toBeGreaterThan(0.99 * bound);
    const b3 = mlp.params.get('fc3.bias')!.dataSync();
    expect(maxAbs(b3)).toBeLessThanOrEqual(1 / Math.sqrt(150));
    mlp.dispose();
    const cnn = new Cnn(mulberry32(1));
    expect(cnn.numParams()).toBe(535434);
    expect([...cnn.params.keys()]).toContain('bn2.weight');
    expect(maxAbs(cnn.params.get('conv2.weight')!.dataSync())).toBeLessThanOrEqual(1 / Math.sqrt(64 * 9));
    cnn.dispose();
  });

  it('MLP custom-gradient dense layers give the same gradients as plain tf ops', () => {
    const mlp = new Mlp(mulberry32(2), [784, 24, 16, 10]); // small hidden layers: same code path, fast
    const x = tf.randomUniform([7, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6], 'int32');
    const names = [...mlp.params.keys()];
    const vars = names.map((n) => mlp.params.get(n)!);
    const ours = tf.variableGrads(() => crossEntropy(mlp.logits(x, true), y), vars);
    const ref = tf.variableGrads(() => {
      let h: tf.Tensor2D = x;
      for (let l = 1; l <= 3; l++) {
        const z = tf.add(tf.matMul(h, mlp.params.get(`fc${l}.weight`)!), mlp.params.get(`fc${l}.bias`)!) as tf.Tensor2D;
        h = l < 3 ? (tf.leakyRelu(z, 0.01) as tf.Tensor2D) : z;
      }
      return crossEntropy(h, y);
    }, vars);
    expect(ours.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
    for (const v of vars) within(ours.grads[v.name].dataSync(), ref.grads[v.name].dataSync(), 1e-6, 1e-4);
    tf.dispose([x, y, ours.value, ref.value, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
    mlp.dispose();
  });

  it('conv2dValid: input and filter gradients equal tf.conv2d autodiff', () => {
    const x = tf.randomUniform([2, 7, 6, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 3, 4], -1, 1, 'float32', 12) as tf.Tensor4D;
    const b = tf.randomUniform([4], -1, 1, 'float32', 13);
    const dy = tf.randomUniform([2, 5, 4, 4], -1, 1, 'float32', 14);
    const f = (conv: (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor) => tf.Tensor) =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(conv(xx as tf.Tensor4D, ww as tf.Tensor4D, bb), dy)))([x, w, b]);
    const ours = f((xx, ww, bb) => conv2dValid(xx, ww, bb));
    const ref = f((xx, ww, bb) => tf.add(tf.conv2d(xx, ww, 1, 'valid'), bb));
    for (let i = 0; i < 3; i++) within(ours[i].dataSync(), ref[i].dataSync(), 1e-5, 1e-4);
    expect(conv2dValid(x, w, b).shape).toEqual([2, 5, 4, 4]);
    tf.dispose([x, w, b, dy, ...ours, ...ref]);
  });

  it('MLP traces feed the signal importance without leaks (each trace owns its tensors)', () => {
    const mlp = new Mlp(mulberry32(5), [784, 6, 5, 10]);
    const x = new Float32Array(4 * 784).map((_, i) => (i % 7) / 7);
    const n0 = tf.memory().numTensors;
    const om = computeImportance('signal', mlp.importanceTarget(), { kind: 'labelled', x: { shape: [4, 784], data: x }, y: new Int32Array([0, 1, 2, 3]) }, { names: [...mlp.params.keys()] });
    expect(tf.memory().numTensors).toBe(n0);
    // bias of the last layer: mean softmax probability per class; they sum to 1.
    const b3 = om.get('fc3.bias')!.data;
    expect(b3.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    expect(om.get('fc1.weight')!.shape).toEqual([784, 6]);
    mlp.dispose();
  });

  it('Adam matches the closed form of torch.optim.Adam', () => {
    // From m = v = 0 with a constant gradient g, every step has m̂ = g and v̂ = g², so
    // θ_t = θ_0 − t·lr·g/(|g| + ε).
    const p = new Map([['w', tf.variable(tf.tensor1d([1, -2, 0.5]))]]);
    const g = new Map([['w', tf.tensor1d([0.3, -4, 1e-3])]]);
    const adam = new NamedAdam({ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    for (let t = 0; t < 3; t++) adam.apply(p, g);
    const exp = [1, -2, 0.5].map((v, i) => v - (3 * 0.01 * [0.3, -4, 1e-3][i]) / (Math.abs([0.3, -4, 1e-3][i]) + 1e-8));
    within(p.get('w')!.dataSync(), exp, 1e-6, 1e-5);
    expect(adam.steps).toBe(3);
    adam.dispose();
    p.get('w')!.dispose();
    g.get('w')!.dispose();
  });

  it('a training step leaks no tensors (MLP)', () => {
    const mlp = new Mlp(mulberry32(3));
    const adam = new NamedAdam();
    const x = tf.randomUniform([10, 784]) as tf.Tensor2D;
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'int32');
    trainStep(mlp, x, y, adam); // creates the optimizer moments
    const n0 = tf.memory().numTensors;
    const l1 = trainStep(mlp, x, y, adam);
    trainStep(mlp, x, y, adam);
    expect(tf.memory().numTensors).toBe(n0);
    const l3 = trainStep(mlp, x, y, adam);
    expect(l3).toBeLessThan(l1);
    tf.dispose([x, y]);
    adam.dispose();
    mlp.dispose();
  });

  it('CNN: BatchNorm running statistics follow torch (momentum 0.1, unbiased variance); conv weights train on wasm', () => {
    const cnn = new Cnn(mulberry32(4));
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 5) as tf.Tensor2D;
    const y = tf.tensor1d([1, 2, 3, 4], 'int32');
    // Reference batch statistics of bn1's input: conv1(x) + b, over (N, H, W) = 4·24·24 values per channel.
    const { mean, variance } = tf.tidy(() => {
      const h = tf.add(tf.conv2d(tf.reshape(x, [4, 28, 28, 1]) as tf.Tensor4D, cnn.params.get('conv1.weight')! as tf.Tensor4D, 1, 'valid'), cnn.params.get('conv1.bias')!);
      return tf.moments(h, [0, 1, 2]);
    });
    const n = 4 * 24 * 24;
    const expMean = [...mean.dataSync()].map((m) => BN_MOMENTUM * m);
    const expVar = [...variance.dataSync()].map((v) => (1 - BN_MOMENTUM) * 1 + BN_MOMENTUM * v * (n / (n - 1)));
    const w0 = cnn.params.get('conv1.weight')!.dataSync().slice();
    const adam = new NamedAdam();
    const n0 = tf.memory().numTensors;
    trainStep(cnn, x, y, adam);
    within(cnn.buffers.get('bn1.running_mean')!.dataSync(), expMean, 1e-5, 1e-4);
    within(cnn.buffers.get('bn1.running_var')!.dataSync(), expVar, 1e-5, 1e-4);
    const w1 = cnn.params.get('conv1.weight')!.dataSync();
    expect(w1.some((v, i) => v !== w0[i])).toBe(true);
    // Only the Adam moments (2 per parameter tensor) were added.
    expect(tf.memory().numTensors - n0).toBe(2 * cnn.params.size);
    // Inference mode uses the running statistics: deterministic per sample, independent of the batch.
    const a = cnn.logits(x, false);
    const b = cnn.logits(tf.slice(x, [0, 0], [1, 784]) as tf.Tensor2D, false);
    within(b.dataSync(), a.dataSync().slice(0, 10), 1e-4, 1e-4);
    tf.dispose([a, b, x, y, mean, variance]);
    adam.dispose();
    cnn.dispose();
  });
});
