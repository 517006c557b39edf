/**
 * Total absolute signal (method.md §2), for dense layers:
 *   weight w_ji (out j, in i):  |w_ji| · mean_n |x_n,i|     x = the layer's input
 *   bias j:                     mean_n |a_n,j|              a = the layer's post-activation output
 *                                                            (softmax for the last layer)
 * For a language model a sample is a sequence: |x| is first averaged over the sequence's positions, then over
 * the N sequences. GPT-2 Conv1D weights are stored [in, out] (layout 'in_out'): Ω[i, j] = |W[i, j]|·mean|x_i|.
 * What "post-activation output" is per layer is defined by the target's denseTraces (see gpt2-target.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { EwcError } from '../util/errors.ts';
import { checkSamples, variablesFor } from './gradient-importance.ts';
import type { DenseTrace, ImportanceOptions, ImportanceSamples, ImportanceTarget, Importances } from './types.ts';
import { nextBatchCount } from './objectives.ts';

/** Σ over the batch's samples of the per-sample mean |v| over positions: [features]. */
function sumOfSampleMeans(v: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const a = tf.abs(v);
    const perSample = a.rank === 3 ? tf.mean(a, 1) : a; // [n, F]
    return tf.sum(perSample, 0) as tf.Tensor1D; // [F]
  });
}

export function signalImportance(
  target: ImportanceTarget,
  samples: ImportanceSamples,
  opts: ImportanceOptions,
): Importances {
  if (!target.denseTraces) {
    throw new EwcError(`importance 'signal': this model exposes no dense-layer traces; use another method.`);
  }
  const n = checkSamples(target, samples, 'signal');
  const names = opts.names;
  const inSum = new Map<string, Float64Array>(); // weight name → Σ_n mean|x_n,i|
  const outSum = new Map<string, Float64Array>(); // bias name → Σ_n mean|a_n,j|
  const layers = new Map<string, Pick<DenseTrace, 'weight' | 'bias' | 'layout'>>();
  const bs = Math.max(1, opts.batchSize ?? 32);
  for (let start = 0; start < n; ) {
    // batch of consecutive samples (equal lengths for sequences)
    const count = nextBatchCount(samples, start, n, bs);
    const x = batchInput(samples, start, count);
    const traces = target.denseTraces(x);
    x.dispose();
    for (const tr of traces) {
      layers.set(tr.weight, { weight: tr.weight, bias: tr.bias, layout: tr.layout });
      addInto(inSum, tr.weight, sumOfSampleMeans(tr.input));
      if (tr.bias) addInto(outSum, tr.bias, sumOfSampleMeans(tr.output));
      tr.input.dispose();
      tr.output.dispose();
    }
    start += count;
    opts.onProgress?.(start, n);
  }
  const vars = variablesFor(target, names);
  const out: Importances = new Map();
  names.forEach((name, k) => {
    const v = vars[k];
    const wIn = inSum.get(name);
    const bOut = outSum.get(name);
    if (wIn) {
      const layer = layers.get(name)!;
      const w = v.dataSync() as Float32Array;
      const d = new Float32Array(w.length);
      const [r, c] = v.shape;
      for (let a = 0; a < r; a++) {
        for (let b = 0; b < c; b++) {
          const inputIdx = layer.layout === 'in_out' ? a : b;
          d[a * c + b] = Math.abs(w[a * c + b]) * (wIn[inputIdx] / n);
        }
      }
      out.set(name, { shape: [...v.shape], data: d });
    } else if (bOut) {
      const d = new Float32Array(bOut.length);
      for (let j = 0; j < d.length; j++) d[j] = bOut[j] / n;
      out.set(name, { shape: [...v.shape], data: d });
    } else {
      throw new EwcError(
        `importance 'signal': parameter '${name}' is not the weight or bias of a dense layer; ` +
          `select dense layers only with --params (dense layers: ${[...layers.keys()].slice(0, 4).join(', ')}…).`,
      );
    }
  });
  return out;
}

function addInto(m: Map<string, Float64Array>, key: string, t: tf.Tensor1D): void {
  const v = t.dataSync();
  t.dispose();
  let acc = m.get(key);
  if (!acc) m.set(key, (acc = new Float64Array(v.length)));
  for (let i = 0; i < v.length; i++) acc[i] += v[i];
}

function batchInput(samples: ImportanceSamples, start: number, count: number): tf.Tensor {
  if (samples.kind === 'sequences') {
    const rows = samples.sequences.slice(start, start + count);
    const t = rows[0].length;
    const ids = new Int32Array(count * t);
    rows.forEach((r, i) => ids.set(r, i * t));
    return tf.tensor2d(ids, [count, t], 'int32');
  }
  const per = samples.x.data.length / samples.x.shape[0];
  return tf.tensor(samples.x.data.subarray(start * per, (start + count) * per), [count, ...samples.x.shape.slice(1)]);
}

