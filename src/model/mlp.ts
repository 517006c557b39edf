/**
 * The fully connected net of the permuted-MNIST benchmark (method.md §3): 784-300-150-10, leaky_relu
 * (slope 0.01) after the two hidden layers, no dropout or normalisation; 282,160 parameters.
 * Weights are stored [in, out] (y = x·W + b; the wasm-fast layout), names fc1/fc2/fc3.{weight,bias}.
 * Initialisation: torch nn.Linear.reset_parameters, i.e. U(±1/√fan_in) for weights and biases.
 */
import * as tf from '@tensorflow/tfjs';
import type { DenseLayer, DenseTrace, ImportanceTarget } from '../importance/types.ts';
import type { Rng } from '../data/images/rng.ts';
import { countParams, type BenchNet } from './bench-net.ts';
import { dense, newVar, uniformHost } from './bench-layers.ts';

export const MLP_SHAPE = [784, 300, 150, 10] as const;
/** torch.nn.functional.leaky_relu's default negative slope. */
export const LEAKY_SLOPE = 0.01;

export class Mlp implements BenchNet {
  readonly kind = 'mlp' as const;
  readonly params = new Map<string, tf.Variable>();
  readonly shape: number[];

  constructor(rng: Rng, shape: readonly number[] = MLP_SHAPE) {
    this.shape = [...shape];
    for (let l = 0; l + 1 < shape.length; l++) {
      const [fin, fout] = [shape[l], shape[l + 1]];
      this.params.set(`fc${l + 1}.weight`, newVar(() => tf.zeros([fin, fout]), true)); // [in, out]
      this.params.set(`fc${l + 1}.bias`, newVar(() => tf.zeros([fout]), true)); // [out]
    }
    this.reset(rng);
  }

  reset(rng: Rng): void {
    for (let l = 0; l + 1 < this.shape.length; l++) {
      const [fin, fout] = [this.shape[l], this.shape[l + 1]];
      const bound = 1 / Math.sqrt(fin);
      const w = tf.tensor(uniformHost(fin * fout, bound, rng), [fin, fout]);
      const b = tf.tensor(uniformHost(fout, bound, rng), [fout]);
      this.params.get(`fc${l + 1}.weight`)!.assign(w);
      this.params.get(`fc${l + 1}.bias`)!.assign(b);
      w.dispose();
      b.dispose();
    }
  }

  private layers(): number {
    return this.shape.length - 1;
  }

  logits(x: tf.Tensor2D, _training = false): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x; // [B, 784]
      const L = this.layers();
      for (let l = 1; l <= L; l++) {
        const z = dense(h, this.params.get(`fc${l}.weight`)!, this.params.get(`fc${l}.bias`)!, l === 1); // [B, out]
        h = l < L ? (tf.leakyRelu(z, LEAKY_SLOPE) as tf.Tensor2D) : z;
      }
      return h; // [B, 10]
    });
  }

  commitBatchStats(): void {}

  /** Per layer: input x and post-activation output (softmax for the last layer), for 'signal' importance. */
  denseTraces(x: tf.Tensor): DenseTrace[] {
    const out: DenseTrace[] = [];
    let h = tf.clone(x) as tf.Tensor2D; // [N, 784]
    const L = this.layers();
    for (let l = 1; l <= L; l++) {
      const input = h;
      const a = tf.tidy(() => {
        const z = dense(input, this.params.get(`fc${l}.weight`)!, this.params.get(`fc${l}.bias`)!);
        return l < L ? (tf.leakyRelu(z, LEAKY_SLOPE) as tf.Tensor2D) : (tf.softmax(z) as tf.Tensor2D);
      });
      out.push({ weight: `fc${l}.weight`, bias: `fc${l}.bias`, layout: 'in_out', input, output: a });
      if (l < L) h = tf.clone(a); // each trace owns its tensors (the caller disposes every input and output)
    }
    return out;
  }

  /**
   * Forward pass with zero probes added to each layer's linear output (x·W + b + probe), returning every
   * layer's input: the vectorised per-sample importance form (src/importance/vectorised.ts).
   */
  probedLogits(x: tf.Tensor, probes: Map<string, tf.Tensor>): { logits: tf.Tensor; inputs: Map<string, tf.Tensor> } {
    const inputs = new Map<string, tf.Tensor>();
    let h = x as tf.Tensor2D; // [N, 784]
    const L = this.layers();
    for (let l = 1; l <= L; l++) {
      const w = `fc${l}.weight`;
      inputs.set(w, l === 1 ? tf.clone(h) : h);
      let z = tf.add(tf.matMul(h, this.params.get(w)!), this.params.get(`fc${l}.bias`)!) as tf.Tensor2D; // [N, out]
      const p = probes.get(w);
      if (p) z = tf.add(z, p) as tf.Tensor2D;
      h = l < L ? (tf.leakyRelu(z, LEAKY_SLOPE) as tf.Tensor2D) : z;
    }
    return { logits: h, inputs };
  }

  denseLayers(): DenseLayer[] {
    return Array.from({ length: this.layers() }, (_, k) => ({
      weight: `fc${k + 1}.weight`,
      bias: `fc${k + 1}.bias`,
      layout: 'in_out' as const,
    }));
  }

  importanceTarget(): ImportanceTarget {
    return {
      kind: 'classifier',
      params: this.params,
      logits: (x: tf.Tensor) => this.logits(x as tf.Tensor2D, false),
      denseTraces: (x: tf.Tensor) => this.denseTraces(x),
      denseLayers: this.denseLayers(),
      probedLogits: (x, probes) => this.probedLogits(x, probes),
    };
  }

  numParams(): number {
    return countParams(this.params);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
