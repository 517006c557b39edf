/**
 * Per-sequence importances inside one graph (method.md §2, language models). The selected parameters enter
 * the forward pass in per-sample form (B identical copies, src/onnx/gpt2-graph.ts), so reverse mode gives each
 * sequence's own gradient — for a linear layer G_n = X_nᵀΔ_n — from a single backward pass of Σ_n f_n
 * (sequences do not interact). Then:
 *   fisher: imp:N = Σ_n (∂f_n/∂θ)²,  f_n = Σ_t w_nt·log p(y_nt | x_≤t) / Σ_t w_nt   (targets y, weights w [B, T−1])
 *   mas:    imp:N = Σ_n |∂f_n/∂θ|,   f_n = Σ_t u_nt·‖softmax(logits_nt)‖²₂ / Σ_t u_nt (position weights u [B, T])
 * The host sums imp over batches and divides by the number of sequences N. Weights let sequences of different
 * lengths share a batch (right padding, weight 0; causal attention keeps padding out of earlier positions).
 * The sign of f does not matter (squared / absolute), so fisher differentiates Σ_n mean NLL.
 */
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gradients } from './autodiff.ts';
import { Graph, type Value } from './graph.ts';
import { perSampleShape } from './gpt2-graph.ts';
import { masPerPosition, tokenNll } from './objective.ts';
import { abs, div, mul, reduceSum } from './ops-math.ts';
import { expand, reshape } from './ops-shape.ts';
import type { BuiltGraph, ParamSpec } from './train-graph.ts';

export interface ImportanceGraphSpec {
  objective: 'fisher' | 'mas';
  config: GPT2Config;
  batch: number;
  seqLen: number;
  params: ParamSpec[];
  /** Parameters whose importance is computed. */
  names: readonly string[];
}

export function buildImportanceGraph(spec: ImportanceGraphSpec): BuiltGraph {
  const { config: c, batch: B, seqLen: T } = spec;
  const g = new Graph(`gpt2_importance_${spec.objective}`);
  const selected = new Set(spec.names);
  const shared = new Map<string, Value>();
  const values = new Map<string, Value>();
  for (const ps of spec.params) {
    const v = g.input(`param:${ps.name}`, 'float32', ps.shape);
    shared.set(ps.name, v);
    if (!selected.has(ps.name)) {
      values.set(ps.name, v);
      continue;
    }
    // [B, ...shape] (vectors [B, 1, n]) copies: the per-sample leaves of the backward pass.
    const full = perSampleShape(B, ps.name, ps.shape);
    const one = [1, ...full.slice(1)];
    values.set(ps.name, g.untaped(() => expand(reshape(v, one), full)));
  }
  const p = (n: string) => values.get(n)!;
  const ids = g.input('ids', 'int64', [B, T]);
  const rowW = g.input('row_weights', 'float32', [B]); // 0 for padding rows of a short last batch
  let perSeq: Value; // [B]
  if (spec.objective === 'fisher') {
    const targets = g.input('targets', 'int64', [B, T - 1]);
    const w = g.input('weights', 'float32', [B, T - 1]);
    const nll = tokenNll(g, c, p, { ids, targets }, B, T);
    perSeq = div(reduceSum(mul(nll, w), [1]), reduceSum(w, [1]));
  } else {
    const u = g.input('pos_weights', 'float32', [B, T]);
    const sq = masPerPosition(g, c, p, ids, B, T);
    perSeq = div(reduceSum(mul(sq, u), [1]), reduceSum(u, [1]));
  }
  const total = reduceSum(mul(perSeq, rowW), [0]);
  const leaves = spec.names.map((n) => p(n));
  const grads = gradients(total, leaves);
  const outputs: Value[] = [];
  g.untaped(() => {
    for (const n of spec.names) {
      const d = grads.get(p(n).name)!; // [B, ...] per-sequence gradients
      const phi = spec.objective === 'fisher' ? mul(d, d) : abs(d);
      const axes = d.rank === 3 && shared.get(n)!.rank === 1 ? [0, 1] : [0];
      outputs.push(g.output(reduceSum(phi, axes), `imp:${n}`));
    }
  });
  return { model: g.toModel(outputs, { pruneInputs: true }), inputs: g.inputs.map((v) => v.name), outputs: outputs.map((o) => o.name) };
}
