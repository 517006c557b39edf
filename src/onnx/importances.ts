/**
 * Fisher (dataset / argmax / sampled labels) and MAS importances of a GPT-2 on the ort engine, per sequence
 * and batched inside one graph (src/onnx/importance-graph.ts). Sequences may differ in length: a batch is
 * right-padded to the longest sequence of the whole set (one graph), padded targets weigh 0, and padding rows
 * of a short last batch are repeats of a real sequence whose contribution is subtracted by a row weight of 0.
 * Returns name-keyed mean importances (Σ_n φ(∂f_n/∂θ) / N), the same numbers as the per-sample loop.
 */
import type { HostTensor } from '../io/types.ts';
import { EwcError } from '../util/errors.ts';
import type { OrtEngine } from './engine.ts';
import { buildImportanceGraph } from './importance-graph.ts';
import { f32, i64 } from './session.ts';
import { mulberry32 } from '../util/rng.ts';

export interface OrtImportanceOptions {
  objective: 'fisher' | 'mas';
  labels?: 'dataset' | 'argmax' | 'sampled';
  /** Parameter names (default: all). */
  names?: readonly string[];
  /** Sequences per graph run (default 8). */
  batchSize?: number;
  /** Seed of the sampled-label generator. */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}


/** Labels from the model's predictive distribution at positions 0..len−2 of one row of logits [T, V]. */
function modelLabels(logits: Float32Array, T: number, V: number, len: number, how: 'argmax' | 'sampled', rng: () => number): number[] {
  const out: number[] = [];
  for (let t = 0; t < len - 1; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    let best = 0;
    for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
    if (how === 'argmax') {
      out.push(best);
      continue;
    }
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(row[v] - row[best]);
    let u = rng() * z;
    let pick = V - 1;
    for (let v = 0; v < V; v++) {
      u -= Math.exp(row[v] - row[best]);
      if (u <= 0) {
        pick = v;
        break;
      }
    }
    out.push(pick);
  }
  void T;
  return out;
}

export async function ortImportances(engine: OrtEngine, sequences: number[][], opts: OrtImportanceOptions): Promise<Map<string, HostTensor>> {
  const N = sequences.length;
  if (N === 0) throw new EwcError('importance: expected at least one sequence, found 0.');
  const names = opts.names ? [...opts.names] : [...engine.paramNames];
  for (const n of names) if (!engine.paramNames.includes(n)) throw new EwcError(`importance: the model has no parameter '${n}'.`);
  const min = opts.objective === 'fisher' ? 2 : 1;
  sequences.forEach((s, i) => {
    if (s.length < min) throw new EwcError(`importance: sequence ${i} has ${s.length} tokens; ${opts.objective} needs at least ${min}.`);
  });
  const T = Math.max(2, ...sequences.map((s) => s.length));
  if (T > engine.config.n_positions) throw new EwcError(`importance: a sequence of ${T} tokens exceeds n_positions = ${engine.config.n_positions}.`);
  const B = Math.min(opts.batchSize ?? 8, N);
  const V = engine.config.vocab_size;
  const labels = opts.labels ?? 'dataset';
  const rng = mulberry32(opts.seed ?? 0);
  const key = `importance|${opts.objective}|${B}|${T}|${names.join(',')}`;
  const c = await engine.compiled(key, () =>
    buildImportanceGraph({ objective: opts.objective, config: engine.config, batch: B, seqLen: T, params: engine.specs, names }),
  );
  const acc = new Map<string, Float64Array>(names.map((n) => [n, new Float64Array(engine.specs.find((s) => s.name === n)!.shape.reduce((a, b) => a * b, 1))]));
  for (let start = 0; start < N; start += B) {
    const rows = sequences.slice(start, start + B);
    const real = rows.length;
    while (rows.length < B) rows.push(rows[0]); // padding rows, row weight 0
    const ids = new BigInt64Array(B * T);
    const targets = new BigInt64Array(B * (T - 1));
    const weights = new Float32Array(B * (T - 1));
    const posW = new Float32Array(B * T);
    const rowW = new Float32Array(B);
    const idsI32 = new Int32Array(B * T);
    rows.forEach((r, b) => {
      r.forEach((id, t) => {
        ids[b * T + t] = BigInt(id);
        idsI32[b * T + t] = id;
      });
      rowW[b] = b < real ? 1 : 0;
    });
    let model: number[][] | null = null;
    if (opts.objective === 'fisher' && labels !== 'dataset') {
      const lg = await engine.logits(idsI32, B, T);
      model = rows.map((r, b) => modelLabels(lg.subarray(b * T * V, (b + 1) * T * V), T, V, r.length, labels, rng));
    }
    rows.forEach((r, b) => {
      for (let t = 0; t < r.length; t++) posW[b * T + t] = 1;
      for (let t = 0; t < r.length - 1; t++) {
        targets[b * (T - 1) + t] = BigInt(model ? model[b][t] : r[t + 1]);
        weights[b * (T - 1) + t] = 1;
      }
    });
    const extra = {
      ids: i64(ids, [B, T]),
      targets: i64(targets, [B, T - 1]),
      weights: f32(weights, [B, T - 1]),
      pos_weights: f32(posW, [B, T]),
      row_weights: f32(rowW, [B]),
    };
    const r = await c.session.run(engine.paramFeeds(c, extra));
    for (const n of names) {
      const d = r[`imp:${n}`].data as Float32Array;
      const a = acc.get(n)!;
      for (let i = 0; i < d.length; i++) a[i] += d[i];
    }
    opts.onProgress?.(Math.min(start + B, N), N);
  }
  const out = new Map<string, HostTensor>();
  for (const n of names) {
    const a = acc.get(n)!;
    out.set(n, { shape: [...engine.specs.find((s) => s.name === n)!.shape], data: Float32Array.from(a, (v) => v / N) });
  }
  return out;
}
