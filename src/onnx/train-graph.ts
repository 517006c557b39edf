/**
 * The compiled training graphs, one per (kind, batch, context, trainable set, optimizer, penalty set):
 *  - 'grads': objective (nll | mas) [+ penalty·penalty_scale] and gradients of the trainable parameters;
 *    with `accumulate`, outputs gacc_out:N = gacc:N + grad (the running sum of micro-batch gradients).
 *  - 'step':  the whole training step — forward, backward, penalty, global-norm clipping, optimizer update.
 *    With `accumulate`, the task gradient is (gacc:N + this micro-batch's gradient)·h:accum_scale.
 *  - 'apply': clipping + optimizer update of given total gradients grad:N (the split path).
 * I/O names: param:N, slot:<slot>:N, gacc:N, grad:N, pen_c:N, pen_anchor:N, ids, targets, weights, h:<scalar>;
 * outputs new:param:N, new:slot:<slot>:N, grad_out:N, loss, penalty, grad_norm.
 */
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gradients } from './autodiff.ts';
import { Graph, type Value } from './graph.ts';
import { lmInputs, masPerPosition, tokenNll, weightedMean } from './objective.ts';
import { dropoutSites } from './gpt2-graph.ts';
import { add, mul, reduceMean, reduceSum, sub, sumAll } from './ops-math.ts';
import { hyperNames, optimizerUpdate, slotNames, type OptimizerGraphSpec } from './optimizer-graph.ts';

export interface ParamSpec {
  name: string;
  shape: number[];
}

export interface TrainGraphSpec {
  kind: 'grads' | 'step' | 'apply';
  config: GPT2Config;
  batch: number;
  seqLen: number;
  params: ParamSpec[];
  trainable: readonly string[];
  /** 'grads' only (default nll). */
  objective?: 'nll' | 'mas';
  accumulate?: boolean;
  /** Parameters with a penalty term c·(θ − θ*)² ('step': always added; 'grads': when includePenalty). */
  penalty?: readonly string[];
  includePenalty?: boolean;
  optimizer?: OptimizerGraphSpec;
  clip?: boolean;
  /** Dropout on: inputs drop:<site> hold the scaled keep-masks (see dropoutSites in gpt2-graph.ts). */
  dropout?: boolean;
  /**
   * 'step' only: Synaptic Intelligence path integral in-graph (method.md §2): new:si:N = si:N − g·Δθ, with
   * g the total (task + penalty) gradient before clipping and Δθ the step's change of θ.
   */
  si?: boolean;
}

export interface BuiltGraph {
  model: Uint8Array;
  inputs: string[];
  outputs: string[];
}

/** Penalty Σ c(θ − θ*)² and its gradient 2c(θ − θ*) per parameter (closed form, no tape). */
export function penaltyTerms(g: Graph, names: readonly string[], p: (n: string) => Value) {
  return g.untaped(() => {
    const grads = new Map<string, Value>();
    const parts: Value[] = [];
    for (const n of names) {
      const shape = p(n).shape;
      const c = g.input(`pen_c:${n}`, 'float32', shape);
      const a = g.input(`pen_anchor:${n}`, 'float32', shape);
      const d = sub(p(n), a);
      const cd = mul(c, d);
      parts.push(reduceSum(mul(cd, d), shape.map((_, i) => i)));
      grads.set(n, mul(cd, 2));
    }
    return { value: parts.length ? sumAll(parts) : g.scalar(0), grads };
  });
}

export function buildTrainGraph(spec: TrainGraphSpec): BuiltGraph {
  const { config: c, batch: B, seqLen: T } = spec;
  const g = new Graph(`gpt2_${spec.kind}`);
  const pv = new Map<string, Value>();
  for (const ps of spec.params) pv.set(ps.name, g.input(`param:${ps.name}`, 'float32', ps.shape));
  const p = (n: string) => {
    const v = pv.get(n);
    if (!v) throw new Error(`graph has no parameter ${n}`);
    return v;
  };
  const trainable = spec.trainable;
  const outputs: Value[] = [];
  const hyperCache = new Map<string, Value>();
  const hyper = (n: string) => {
    let v = hyperCache.get(n);
    if (!v) hyperCache.set(n, (v = g.input(`h:${n}`, 'float32', [])));
    return v;
  };

  let taskGrads: Map<string, Value> | null = null;
  if (spec.kind !== 'apply') {
    const dropout = spec.dropout ? (site: string, shape: number[]) => g.input(`drop:${site}`, 'float32', shape) : undefined;
    const usable = spec.dropout ? new Set(dropoutSites(c, B, T).map((d) => d.site)) : new Set<string>();
    const drop = dropout ? (site: string, shape: number[]) => (usable.has(site) ? dropout(site, shape) : null) : undefined;
    let objective: Value;
    if ((spec.objective ?? 'nll') === 'mas') {
      const ids = g.input('ids', 'int64', [B, T]);
      objective = reduceMean(masPerPosition(g, c, p, ids, B, T, false, drop), [0, 1]);
    } else {
      const inp = lmInputs(g, B, T);
      objective = weightedMean(tokenNll(g, c, p, inp, B, T, false, drop), inp.weights);
    }
    outputs.push(g.output(objective, 'loss'));
    const raw = gradients(objective, trainable.map((n) => p(n)));
    taskGrads = new Map(trainable.map((n) => [n, raw.get(`param:${n}`)!]));
    if (spec.accumulate) {
      g.untaped(() => {
        for (const n of trainable) {
          const acc = add(g.input(`gacc:${n}`, 'float32', p(n).shape), taskGrads!.get(n)!);
          taskGrads!.set(n, spec.kind === 'step' ? mul(acc, hyper('accum_scale')) : acc);
        }
      });
    }
  }

  const withPenalty = spec.kind === 'step' || (spec.kind === 'grads' && spec.includePenalty);
  const penNames = withPenalty ? (spec.penalty ?? []).filter((n) => trainable.includes(n)) : [];
  const pen = penaltyTerms(g, penNames, p);
  if (spec.kind !== 'apply') outputs.push(g.output(pen.value, 'penalty'));

  if (spec.kind === 'grads') {
    g.untaped(() => {
      const scale = penNames.length ? hyper('penalty_scale') : null;
      for (const n of trainable) {
        let d = taskGrads!.get(n)!;
        const pg = pen.grads.get(n);
        if (pg && scale) d = add(d, mul(pg, scale));
        outputs.push(g.output(d, `grad_out:${n}`));
      }
    });
  } else {
    const o = spec.optimizer;
    if (!o) throw new Error(`${spec.kind} graph needs an optimizer`);
    const total = new Map<string, Value>();
    g.untaped(() => {
      for (const n of trainable) {
        let d = taskGrads ? taskGrads.get(n)! : g.input(`grad:${n}`, 'float32', p(n).shape);
        const pg = pen.grads.get(n);
        if (pg) d = add(d, pg);
        total.set(n, d);
      }
    });
    const slotIn = (s: string, n: string) => g.input(`slot:${s}:${n}`, 'float32', p(n).shape);
    // Declare slot inputs in a stable order before the update uses them.
    const slotVals = new Map<string, Value>();
    for (const s of slotNames(o)) for (const n of trainable) slotVals.set(`${s}:${n}`, slotIn(s, n));
    for (const h of hyperNames(o, !!spec.clip)) hyper(h);
    const up = optimizerUpdate(g, o, trainable, p, total, (s, n) => slotVals.get(`${s}:${n}`)!, hyper, !!spec.clip);
    if (spec.si && spec.kind === 'step') {
      g.untaped(() => {
        for (const n of trainable) {
          const si = g.input(`si:${n}`, 'float32', p(n).shape);
          outputs.push(g.output(sub(si, mul(total.get(n)!, sub(up.params.get(n)!, p(n)))), `new:si:${n}`));
        }
      });
    }
    outputs.push(g.output(up.gradNorm, 'grad_norm'));
    for (const n of trainable) outputs.push(g.output(up.params.get(n)!, `new:param:${n}`));
    for (const [s, m] of up.slots) for (const n of trainable) outputs.push(g.output(m.get(n)!, `new:slot:${s}:${n}`));
  }
  const model = g.toModel(outputs, { pruneInputs: true });
  return { model, inputs: g.inputs.map((v) => v.name), outputs: outputs.map((v) => v.name) };
}
