/**
 * The exactly equivalent vectorised form of the gradient importances for dense layers.
 *
 * For a dense layer y = x·W + b (W [in, out]) evaluated on rows r (r = one sample, or one token of a sequence),
 * the gradient of one sample's objective f_n is
 *     ∂f_n/∂W = Σ_{r ∈ n} x_rᵀ δ_r,      ∂f_n/∂b = Σ_{r ∈ n} δ_r,      δ_r = ∂f_n/∂y_r.
 * Because samples do not interact in the forward pass, δ_r = ∂(Σ_m f_m)/∂y_r: ONE backward pass of the batch
 * objective Σ_n f_n with respect to zero "probes" added to every y gives every δ_r. The per-sample gradients
 * are then rebuilt exactly (x_nᵀ δ_n per sample, rank-2 products: the wasm fast path), squared (Fisher) or
 * taken in absolute value (MAS), and summed. With one row per sample (classifiers) the sum is one product
 * per layer, φ(X)ᵀφ(Δ), because φ (square or abs) is multiplicative: φ(x_i δ_j) = φ(x_i)φ(δ_j). Parameters that are not dense weights/biases (LayerNorm,
 * embeddings), and every parameter of a target without probes, fall back to the per-sample loop.
 * Tested equal to the loop in test/importance/gpt2.test.ts and toy.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import {
  batchObjectiveFromLogits,
  checkSamples,
  finish,
  loopImportance,
  makeBatch,
  variablesFor,
  type GradientMethod,
} from './gradient-importance.ts';
import { mulberry32 } from '../util/rng.ts';
import type { DenseLayer, ImportanceOptions, ImportanceSamples, ImportanceTarget, Importances } from './types.ts';
import { nextBatchCount } from './objectives.ts';

export function vectorisedImportance(
  target: ImportanceTarget,
  samples: ImportanceSamples,
  opts: ImportanceOptions,
  method: GradientMethod,
): Importances {
  const n = checkSamples(target, samples, method.objective);
  // A target without probes has no vectorised form: everything goes through the per-sample loop.
  if (!target.probedLogits || !target.denseLayers) return loopImportance(target, samples, opts, method);
  const selected = new Set(opts.names);
  const layers = target.denseLayers.filter((l) => selected.has(l.weight) || (l.bias && selected.has(l.bias)));
  const covered = new Set(layers.flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])]).filter((x) => selected.has(x)));
  const rest = opts.names.filter((x) => !covered.has(x));
  const names = opts.names.filter((x) => covered.has(x));
  const vars = variablesFor(target, names);
  const idx = new Map(names.map((x, k) => [x, k]));
  const acc = vars.map((v) => tf.zeros(v.shape, 'float32'));
  const phi = (g: tf.Tensor) => (method.objective === 'fisher' ? tf.square(g) : tf.abs(g));
  const rng = mulberry32(opts.seed ?? 0);
  const bs = Math.max(1, opts.batchSize ?? 8);
  try {
    for (let start = 0; start < n; ) {
      const count = nextBatchCount(samples, start, n, bs);
      const s = makeBatch(target, samples, start, count, method, rng);
      const rows = target.kind === 'lm' ? count * s.x.shape[1]! : count; // R
      const perSample = rows / count; // rows of one sample (T or 1)
      const probes = new Map<string, tf.Tensor>();
      for (const l of layers) {
        const w = target.params.get(l.weight)!;
        const out = l.layout === 'in_out' ? w.shape[1]! : w.shape[0]!;
        probes.set(l.weight, tf.zeros([rows, out])); // [R, out]
      }
      const probeList = layers.map((l) => probes.get(l.weight)!);
      let inputs = new Map<string, tf.Tensor>();
      const f = (...ps: tf.Tensor[]) => {
        const pm = new Map(layers.map((l, k) => [l.weight, ps[k]]));
        const r = target.probedLogits!(s.x, pm);
        for (const t of r.inputs.values()) tf.keep(t);
        inputs = r.inputs;
        return batchObjectiveFromLogits(r.logits, s, method.objective);
      };
      const { value, grads } = tf.valueAndGrads(f)(probeList);
      value.dispose();
      for (const p of probeList) p.dispose();
      layers.forEach((l, k) => {
        const delta = grads[k]; // [R, out]
        const x = inputs.get(l.weight);
        if (!x) throw new Error(`probedLogits returned no input for '${l.weight}'`);
        addLayer(l, x, delta, count, perSample);
        delta.dispose();
      });
      for (const x of inputs.values()) if (x !== s.x) x.dispose(); // an input may be the batch itself
      s.x.dispose();
      s.labels?.dispose();
      start += count;
      opts.onProgress?.(start, n);
    }
    const out = finish(names, acc, n);
    const merged: Importances = new Map();
    const restOut = rest.length ? loopImportance(target, samples, { ...opts, names: rest }, method) : new Map();
    for (const name of opts.names) merged.set(name, (out.get(name) ?? restOut.get(name))!);
    return merged;
  } finally {
    for (const a of acc) if (!a.isDisposed) a.dispose();
  }

  /** Adds Σ_n φ(per-sample gradient) of one layer's weight and bias into acc. */
  function addLayer(l: DenseLayer, x: tf.Tensor, delta: tf.Tensor, count: number, per: number): void {
    const wi = idx.get(l.weight);
    if (wi !== undefined) {
      const next = tf.tidy(() => {
        if (per === 1) {
          // One row per sample (classifiers): φ is multiplicative (square, abs), so
          // Σ_n φ(x_nᵀ δ_n) = φ(X)ᵀ φ(Δ) — one product per layer.
          const px = phi(x); // [count, in]
          const pd = phi(delta); // [count, out]
          return tf.add(acc[wi], l.layout === 'in_out' ? tf.matMul(tf.transpose(px), pd) : tf.matMul(tf.transpose(pd), px));
        }
        let sum: tf.Tensor = acc[wi];
        for (let m = 0; m < count; m++) {
          const xm = tf.slice(x, [m * per, 0], [per, -1]) as tf.Tensor2D; // [T, in]
          const dm = tf.slice(delta, [m * per, 0], [per, -1]) as tf.Tensor2D; // [T, out]
          const g =
            l.layout === 'in_out'
              ? tf.matMul(tf.transpose(xm), dm) // [in, T]·[T, out] → [in, out]
              : tf.matMul(tf.transpose(dm), xm); // [out, T]·[T, in] → [out, in]
          sum = tf.add(sum, phi(g));
        }
        return sum;
      });
      acc[wi].dispose();
      acc[wi] = next;
    }
    const bi = l.bias !== undefined ? idx.get(l.bias) : undefined;
    if (bi !== undefined) {
      const next = tf.tidy(() => {
        const out = delta.shape[1]!;
        const gb = tf.sum(tf.reshape(delta, [count, per, out]), 1); // [count, out]
        return tf.add(acc[bi], tf.sum(phi(gb), 0));
      });
      acc[bi].dispose();
      acc[bi] = next;
    }
  }
}
