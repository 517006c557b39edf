/**
 * Gradient-based importances (Fisher and its label variants, MAS) by the per-sample loop: one forward and
 * backward pass per sample (batch of one), φ(∂f_n/∂θ) accumulated on device, divided by N at the end.
 * φ = square (Fisher) or abs (MAS). This is the reference form; vectorised.ts is tested equal to it.
 */
import * as tf from '@tensorflow/tfjs';
import { EwcError } from '../util/errors.ts';
import { modelLabels, perSampleLogLik, perSampleMas } from './objectives.ts';
import { mulberry32 } from '../util/rng.ts';
import type { FisherLabels, ImportanceOptions, ImportanceSamples, ImportanceTarget, Importances } from './types.ts';

export interface GradientMethod {
  objective: 'fisher' | 'mas';
  labels: FisherLabels;
}

/** One sample as device tensors: x [1, …] and, for Fisher, labels ([1, T−1] or [1]). */
export interface Sample {
  x: tf.Tensor;
  labels?: tf.Tensor;
}

export function sampleCount(samples: ImportanceSamples): number {
  return samples.kind === 'sequences' ? samples.sequences.length : samples.y.length;
}

/** Checks that samples fit the target kind; returns N. */
export function checkSamples(target: ImportanceTarget, samples: ImportanceSamples, objective: string): number {
  if (target.kind === 'lm' && samples.kind !== 'sequences') {
    throw new EwcError('importance: a language model takes token sequences (--tokens or --corpus), found labelled inputs.');
  }
  if (target.kind === 'classifier' && samples.kind !== 'labelled') {
    throw new EwcError('importance: a classifier takes labelled inputs, found token sequences.');
  }
  const n = sampleCount(samples);
  if (n === 0) throw new EwcError('importance: expected at least one sample, found 0.');
  if (samples.kind === 'sequences') {
    const min = objective === 'fisher' ? 2 : 1;
    samples.sequences.forEach((s, i) => {
      if (s.length < min) {
        throw new EwcError(`importance: sequence ${i} has ${s.length} tokens; ${objective} needs at least ${min}.`);
      }
    });
  } else if (samples.x.shape[0] !== n) {
    throw new EwcError(`importance: inputs have ${samples.x.shape[0]} rows but there are ${n} labels.`);
  }
  return n;
}

/** Builds samples [start, start+count) as one batch (all sequences must then have the same length). */
export function makeBatch(
  target: ImportanceTarget,
  samples: ImportanceSamples,
  start: number,
  count: number,
  method: GradientMethod,
  rng: () => number,
): Sample {
  let x: tf.Tensor;
  let dataset: tf.Tensor | undefined;
  if (samples.kind === 'sequences') {
    const rows = samples.sequences.slice(start, start + count);
    const t = rows[0].length;
    if (rows.some((r) => r.length !== t)) throw new Error('makeBatch: sequences of one batch must have equal length');
    const ids = new Int32Array(rows.length * t);
    rows.forEach((r, i) => ids.set(r, i * t));
    x = tf.tensor2d(ids, [rows.length, t], 'int32'); // [n, T]
    if (method.objective === 'fisher' && method.labels === 'dataset') {
      dataset = tf.tidy(() => tf.slice(x, [0, 1], [rows.length, t - 1])); // [n, T−1]
    }
  } else {
    const per = samples.x.data.length / samples.x.shape[0];
    const shape = [count, ...samples.x.shape.slice(1)];
    x = tf.tensor(samples.x.data.subarray(start * per, (start + count) * per), shape, 'float32');
    if (method.objective === 'fisher' && method.labels === 'dataset') {
      dataset = tf.tensor1d(samples.y.subarray(start, start + count), 'int32');
    }
  }
  if (method.objective === 'mas') return { x };
  if (dataset) return { x, labels: dataset };
  // Model labels: drawn from / argmax of the predictive distribution at the current parameters.
  const how = method.labels as 'sampled' | 'argmax';
  const logits2d = tf.tidy(() => {
    const lg = target.logits(x);
    if (lg.rank === 3) {
      const [n, t, v] = lg.shape;
      return tf.reshape(tf.slice(lg, [0, 0, 0], [n, t - 1, v]), [n * (t - 1), v]) as tf.Tensor2D;
    }
    return lg as tf.Tensor2D;
  });
  const lab = modelLabels(logits2d, how, rng);
  logits2d.dispose();
  const labels = x.rank === 2 && target.kind === 'lm' ? tf.tensor2d(lab, [count, x.shape[1]! - 1], 'int32') : tf.tensor1d(lab, 'int32');
  return { x, labels };
}

/** Σ_n f_n for the batch (a scalar to differentiate). */
export function batchObjective(target: ImportanceTarget, s: Sample, objective: 'fisher' | 'mas'): tf.Scalar {
  return tf.tidy(() => batchObjectiveFromLogits(target.logits(s.x), s, objective));
}

/** Σ_n f_n from the batch's logits. */
export function batchObjectiveFromLogits(logits: tf.Tensor, s: Sample, objective: 'fisher' | 'mas'): tf.Scalar {
  return tf.tidy(() => {
    const f = objective === 'fisher' ? perSampleLogLik(logits, s.labels!) : perSampleMas(logits);
    return tf.sum(f) as tf.Scalar;
  });
}

export function variablesFor(target: ImportanceTarget, names: string[]): tf.Variable[] {
  return names.map((n) => {
    const v = target.params.get(n);
    if (!v) throw new EwcError(`importance: the model has no parameter '${n}'.`);
    return v;
  });
}

/** The per-sample loop. */
export function loopImportance(
  target: ImportanceTarget,
  samples: ImportanceSamples,
  opts: ImportanceOptions,
  method: GradientMethod,
): Importances {
  const n = checkSamples(target, samples, method.objective);
  const vars = variablesFor(target, opts.names);
  const acc = vars.map((v) => tf.zeros(v.shape, 'float32'));
  const rng = mulberry32(opts.seed ?? 0);
  try {
    for (let i = 0; i < n; i++) {
      const s = makeBatch(target, samples, i, 1, method, rng);
      const { value, grads } = tf.variableGrads(() => batchObjective(target, s, method.objective), vars);
      value.dispose();
      s.x.dispose();
      s.labels?.dispose();
      vars.forEach((v, k) => {
        const g = grads[v.name];
        if (!g) return; // not connected to the objective: zero gradient, nothing to add
        const next = tf.tidy(() => tf.add(acc[k], method.objective === 'fisher' ? tf.square(g) : tf.abs(g)));
        acc[k].dispose();
        acc[k] = next;
      });
      for (const g of Object.values(grads)) g.dispose();
      opts.onProgress?.(i + 1, n);
    }
    return finish(opts.names, acc, n);
  } finally {
    for (const a of acc) if (!a.isDisposed) a.dispose();
  }
}

/** acc / N to host, keyed by name. */
export function finish(names: string[], acc: tf.Tensor[], n: number): Importances {
  const out: Importances = new Map();
  names.forEach((name, k) => {
    const m = tf.tidy(() => tf.div(acc[k], n));
    out.set(name, { shape: [...acc[k].shape], data: new Float32Array(m.dataSync() as Float32Array) });
    m.dispose();
  });
  return out;
}
