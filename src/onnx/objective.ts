/**
 * Language-model objectives on top of the GPT-2 forward graph.
 *  - nll: per-target NLL [B, T−1] of targets (default ids shifted by one) from logits of positions 0..T−2;
 *    the task loss is Σ w·nll / Σ w (mean over scored targets).
 *  - mas: per-position ‖softmax(logits_t)‖²₂ [B, T] (method.md §2; MAS differentiates its mean).
 */
import type { GPT2Config } from '../model/gpt2-config.ts';
import type { Graph, Value } from './graph.ts';
import { buildGpt2, type Gpt2BuildOptions } from './gpt2-graph.ts';
import { div, maximum, mul, reduceMean, reduceSum } from './ops-math.ts';
import { softmax } from './ops-nn.ts';
import { slice } from './ops-shape.ts';

export interface LmInputs {
  ids: Value; // int64 [B, T]
  targets: Value; // int64 [B, T−1]
  weights: Value; // float32 [B, T−1]
}

/** Declares the standard token inputs `ids`, `targets`, `weights`. */
export function lmInputs(g: Graph, B: number, T: number): LmInputs {
  return {
    ids: g.input('ids', 'int64', [B, T]),
    targets: g.input('targets', 'int64', [B, T - 1]),
    weights: g.input('weights', 'float32', [B, T - 1]),
  };
}

/** Per-target NLL [B, T−1]; the head runs on positions 0..T−2 only. */
export function tokenNll(
  g: Graph,
  c: GPT2Config,
  p: (name: string) => Value,
  inp: { ids: Value; targets: Value },
  B: number,
  T: number,
  perSample = false,
  dropout?: Gpt2BuildOptions['dropout'],
): Value {
  const net = buildGpt2(g, c, p, inp.ids, { batch: B, seqLen: T, perSample, dropout });
  const h = slice(net.hidden, [1], [0], [T - 1]); // [B, T−1, C]
  return net.headNll(h, inp.targets); // [B, T−1]
}

/** Mean NLL over scored targets: Σ w·nll / Σ w (a scalar; 0 when Σ w = 0, as the tfjs model). */
export function weightedMean(nll: Value, weights: Value): Value {
  const all = nll.shape.map((_, i) => i);
  return div(reduceSum(mul(nll, weights), all), maximum(reduceSum(weights, all), 1e-30));
}

/** ‖softmax(logits_t)‖²₂ per position [B, T]. */
export function masPerPosition(
  g: Graph,
  c: GPT2Config,
  p: (name: string) => Value,
  ids: Value,
  B: number,
  T: number,
  perSample = false,
  dropout?: Gpt2BuildOptions['dropout'],
): Value {
  const net = buildGpt2(g, c, p, ids, { batch: B, seqLen: T, perSample, dropout });
  const probs = softmax(net.head(net.hidden)); // [B, T, V]
  return reduceSum(mul(probs, probs), [2]); // [B, T]
}

export { reduceMean };
