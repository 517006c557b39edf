/**
 * Closed-form checks of every activation_function: values against the float64 formula (HF ACT2FN
 * definitions) and derivatives against a central difference of that formula (h = 1e-5, error ~1e-10).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { ACTIVATION_NAMES, getActivation } from '../../src/model/activations.ts';
import { EwcError } from '../../src/util/errors.ts';

/**
 * erf in float64: Maclaurin series for |x| ≤ 2 (terms peak near e^{x²} ≈ 55, so ~1e-14 absolute), and
 * erfc's continued fraction erfc(z) = e^{−z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))) for z > 2.
 */
function erf(x: number): number {
  if (Math.abs(x) > 2) {
    const z = Math.abs(x);
    let k = z;
    for (let n = 80; n >= 1; n--) k = z + n / 2 / k;
    const erfc = Math.exp(-z * z) / (Math.sqrt(Math.PI) * k);
    return Math.sign(x) * (1 - erfc);
  }
  let term = x;
  let sum = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

const REF: Record<string, (x: number) => number> = {
  gelu_new: tanhGelu,
  gelu_pytorch_tanh: tanhGelu,
  gelu_accurate: tanhGelu,
  gelu_fast: (x) => 0.5 * x * (1 + Math.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  gelu_python: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  quick_gelu: (x) => x * sig(1.702 * x),
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  relu2: (x) => Math.max(0, x) ** 2,
  leaky_relu: (x) => (x >= 0 ? x : 0.01 * x),
  silu: (x) => x * sig(x),
  swish: (x) => x * sig(x),
  mish: (x) => x * Math.tanh(Math.log1p(Math.exp(x))),
  tanh: Math.tanh,
  sigmoid: sig,
  linear: (x) => x,
};

const XS = [-7, -3, -1.5, -0.5, -0.1, 0.3, 1, 2.5, 6.5, 8];

describe.each(['wasm', 'cpu'] as const)('activations (%s)', (backend) => {
  it('every registered activation has a reference here', () => {
    expect(new Set(ACTIVATION_NAMES)).toEqual(new Set(Object.keys(REF)));
  });

  it.each(Object.keys(REF))('%s: values and derivatives match the closed form', async (name) => {
    await initBackend(backend);
    const act = getActivation(name);
    const f = REF[name];
    const x = tf.tensor1d(XS);
    const y = tf.tidy(() => act(x)).dataSync();
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(act(t)))(x)).dataSync();
    x.dispose();
    XS.forEach((v, i) => {
      const r = f(v);
      expect(Math.abs(y[i] - r)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(r));
      const h = 1e-5;
      const d = (f(v + h) - f(v - h)) / (2 * h);
      expect(Math.abs(g[i] - d)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(d));
    });
  });

  it('exact gelu at known points: Φ(1)·1 = 0.841344746…, gelu(-1) = -0.158655253…', async () => {
    await initBackend(backend);
    const y = tf.tidy(() => getActivation('gelu')(tf.tensor1d([1, -1, 2]))).dataSync();
    expect(y[0]).toBeCloseTo(0.8413447460685429, 6);
    expect(y[1]).toBeCloseTo(-0.15865525393145707, 6);
    expect(y[2]).toBeCloseTo(1.9544997361036416, 6);
  });
});

it('an unknown activation_function is an EwcError listing the supported ones', () => {
  expect(() => getActivation('gelu_10')).toThrow(EwcError);
  expect(() => getActivation('gelu_10')).toThrow(/expected one of gelu_new, .*found 'gelu_10'/);
});
