/**
 * Adapter: the benchmark MLP (src/model/mlp.ts) as an ImportanceTarget with the vectorised-form hooks
 * (denseLayers + probedLogits, src/importance/types.ts) that the model does not offer itself, and with
 * dense traces whose tensors are each owned once.
 *
 * Why: (1) without probedLogits, Fisher/MAS fall back to the per-sample loop (~10 ms a sample here, 100 s per
 * method on the 10,000 test images); (2) Mlp.denseTraces returns layer l's output as layer l+1's input (the same
 * tensor), and signalImportance disposes every trace's input and output, so that tensor would be disposed
 * twice. Here every trace input that is another trace's output is cloned.
 *
 * The forward pass is the model's own math: z = x·W + b (W [in, out]), leaky_relu(z, 0.01) after the hidden
 * layers; the probe is added to z (the linear output), before the activation.
 */
import * as tf from '@tensorflow/tfjs';
import type { DenseLayer, DenseTrace, ImportanceTarget } from '../importance/types.ts';
import { LEAKY_SLOPE, type Mlp } from '../model/mlp.ts';

export function mlpTarget(net: Mlp): ImportanceTarget {
  const base = net.importanceTarget();
  const L = net.shape.length - 1;
  const layers: DenseLayer[] = Array.from({ length: L }, (_, k) => ({ weight: `fc${k + 1}.weight`, bias: `fc${k + 1}.bias`, layout: 'in_out' as const }));
  return {
    kind: 'classifier',
    params: net.params,
    logits: base.logits,
    denseLayers: layers,
    probedLogits(x: tf.Tensor, probes: Map<string, tf.Tensor>) {
      const inputs = new Map<string, tf.Tensor>();
      let h = x as tf.Tensor2D; // [N, 784]
      for (let l = 1; l <= L; l++) {
        const w = net.params.get(`fc${l}.weight`)!; // [in, out]
        const b = net.params.get(`fc${l}.bias`)!; // [out]
        inputs.set(`fc${l}.weight`, h);
        let z: tf.Tensor = tf.add(tf.matMul(h, w as tf.Tensor2D), b); // [N, out]
        const p = probes.get(`fc${l}.weight`);
        if (p) z = tf.add(z, p);
        h = (l < L ? tf.leakyRelu(z, LEAKY_SLOPE) : z) as tf.Tensor2D;
      }
      return { logits: h, inputs }; // logits [N, 10]
    },
    denseTraces(x: tf.Tensor): DenseTrace[] {
      const traces = base.denseTraces!(x);
      const outputs = new Set(traces.map((t) => t.output));
      return traces.map((t) => (outputs.has(t.input) ? { ...t, input: tf.clone(t.input) } : t));
    },
  };
}
