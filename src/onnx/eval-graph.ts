/**
 * Evaluation graphs (no gradients): per-target NLL [B, T−1] (perplexity) and logits [B, T, V] (generation;
 * `lastOnly` returns the last position's logits [B, V] only, which is what greedy decoding needs).
 */
import type { GPT2Config } from '../model/gpt2-config.ts';
import { Graph, type Value } from './graph.ts';
import { buildGpt2 } from './gpt2-graph.ts';
import { tokenNll } from './objective.ts';
import { reshape, slice } from './ops-shape.ts';
import type { BuiltGraph, ParamSpec } from './train-graph.ts';

export interface EvalGraphSpec {
  kind: 'nll' | 'logits';
  config: GPT2Config;
  batch: number;
  seqLen: number;
  params: ParamSpec[];
  lastOnly?: boolean;
}

export function buildEvalGraph(spec: EvalGraphSpec): BuiltGraph {
  const { config: c, batch: B, seqLen: T } = spec;
  const g = new Graph(`gpt2_eval_${spec.kind}`);
  g.recording = false; // no tape needed
  const pv = new Map<string, Value>();
  for (const ps of spec.params) pv.set(ps.name, g.input(`param:${ps.name}`, 'float32', ps.shape));
  const p = (n: string) => pv.get(n)!;
  const ids = g.input('ids', 'int64', [B, T]);
  let out: Value;
  if (spec.kind === 'nll') {
    const targets = g.input('targets', 'int64', [B, T - 1]);
    out = g.output(tokenNll(g, c, p, { ids, targets }, B, T), 'nll');
  } else {
    const net = buildGpt2(g, c, p, ids, { batch: B, seqLen: T });
    const h = spec.lastOnly ? reshape(slice(net.hidden, [1], [T - 1], [T]), [B, c.n_embd]) : net.hidden;
    out = g.output(net.head(h), 'logits');
  }
  return { model: g.toModel([out]), inputs: g.inputs.map((v) => v.name), outputs: [out.name] };
}
