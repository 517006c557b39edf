/**
 * The MLP activations a GPT-2 config.json may name (`activation_function`), with Hugging Face's
 * definitions (transformers/activations.py, ACT2FN). Each is composed of differentiable tf ops (the tanh
 * GELUs have a hand-written gradient); each has a closed-form test of value and derivative in
 * test/model/activations.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { EwcError } from '../util/errors.ts';
import { customGrad, type Save } from './ops.ts';

export type Activation = (x: tf.Tensor) => tf.Tensor;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI); // 0.7978845608028654
const INV_SQRT_2 = Math.SQRT1_2;

/**
 * x·σ(x·(a + b·x²)) with a custom gradient that saves only x (autograd of the composed form would keep
 * five [N, 4C] intermediates per layer until backprop):
 *   z = x·(a + b·x²),  s = σ(z),  d/dx = s + x·s·(1 − s)·(a + 3b·x²).
 */
function sigmoidGelu(a: number, b: number): Activation {
  const f = customGrad((x: tf.Tensor, save: Save) => {
    save([x]);
    const value = tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, tf.add(tf.mul(tf.square(x), b), a)))));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs] = saved;
        const x2 = tf.square(xs);
        const s = tf.sigmoid(tf.mul(xs, tf.add(tf.mul(x2, b), a)));
        const dz = tf.add(tf.mul(x2, 3 * b), a); // dz/dx
        const d = tf.add(s, tf.mul(tf.mul(xs, tf.mul(s, tf.sub(1, s))), dz));
        return tf.mul(dy, d);
      },
    };
  });
  return (x) => f(x);
}

/**
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — GPT-2's gelu_new (= gelu_pytorch_tanh, gelu_accurate),
 * evaluated as x·σ(2u) (0.5·(1 + tanh u) = σ(2u) exactly): 3× faster on wasm than the tanh chain, same
 * function to float32 rounding (closed-form test in test/model/activations.test.ts).
 * 2u = x·(2√(2/π) + 2√(2/π)·0.044715·x²).
 */
const geluTanh = sigmoidGelu(2 * SQRT_2_OVER_PI, 2 * SQRT_2_OVER_PI * 0.044715);

/** HF gelu_fast: 0.5·x·(1 + tanh(x·0.7978845608·(1 + 0.044715·x²))), as x·σ(2·…) like geluTanh. */
const geluFast = sigmoidGelu(2 * 0.7978845608, 2 * 0.7978845608 * 0.044715);

/** Exact GELU: 0.5·x·(1 + erf(x/√2)) (torch.nn.functional.gelu; tf.erf has a registered gradient). */
function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, INV_SQRT_2)), 1));
}

const ACTIVATIONS: Record<string, Activation> = {
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  gelu_accurate: geluTanh,
  gelu_fast: geluFast,
  gelu: geluErf,
  gelu_python: geluErf,
  quick_gelu: (x) => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))),
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  relu2: (x) => tf.square(tf.relu(x)),
  leaky_relu: (x) => tf.leakyRelu(x, 0.01),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  linear: (x) => tf.clone(x),
};

export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS);

/** The activation named by a config's `activation_function`; unknown names are an EwcError. */
export function getActivation(name: string): Activation {
  const f = ACTIVATIONS[name];
  if (!f) {
    throw new EwcError(
      `config.json activation_function: expected one of ${ACTIVATION_NAMES.join(', ')}, found '${name}'. ` +
        `Set activation_function to a supported value (GPT-2 uses gelu_new).`,
    );
  }
  return f;
}
