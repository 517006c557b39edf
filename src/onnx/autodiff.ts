/**
 * Reverse-mode automatic differentiation over the graph's tape. Gradient contributions to a value are
 * summed (one Sum node); symbolic scatter contributions (embedding gradients) are ScatterND-added onto
 * the dense sum, so that no dense zero tensor is materialised when a dense contribution exists.
 */
import { attr, type Grad, type Graph, type SparseGrad, type Value } from './graph.ts';
import { sumAll } from './ops-math.ts';
import { zeros } from './ops-shape.ts';

function materialize(g: Graph, contribs: Grad[] | undefined, shape: readonly number[]): Value | null {
  if (!contribs || contribs.length === 0) return null;
  const dense = contribs.filter((c): c is Value => !('kind' in c));
  const sparse = contribs.filter((c): c is SparseGrad => 'kind' in c);
  let acc: Value | null = dense.length ? sumAll(dense) : null;
  for (const s of sparse) {
    const base = acc ?? zeros(g, shape);
    acc = g.node('ScatterND', [base, s.indices, s.updates], [{ dtype: 'float32', shape }], {
      reduction: attr.string('add'),
    })[0];
  }
  return acc;
}

export interface GradientOptions {
  /** Gradient of the loss itself (default: ones of the loss's shape). */
  seed?: Value;
  /** When true (default), parameters that the loss does not reach get zero gradients; else they are omitted. */
  zerosForUnreached?: boolean;
}

/** d(loss)/d(w) for every w in `wrt`, keyed by the value's name. */
export function gradients(loss: Value, wrt: Value[], opts: GradientOptions = {}): Map<string, Value> {
  const g = loss.g;
  return g.untaped(() => {
    const dep = new Set(wrt.map((w) => w.name));
    for (const e of g.tape) {
      if (e.inputs.some((i) => dep.has(i.name))) for (const o of e.outputs) dep.add(o.name);
    }
    const contribs = new Map<string, Grad[]>();
    const push = (name: string, c: Grad): void => {
      const list = contribs.get(name);
      if (list) list.push(c);
      else contribs.set(name, [c]);
    };
    push(loss.name, opts.seed ?? g.constant('float32', loss.shape, new Array(loss.size).fill(1)));
    for (let k = g.tape.length - 1; k >= 0; k--) {
      const e = g.tape[k];
      const needs = e.inputs.map((i) => dep.has(i.name));
      if (!needs.some(Boolean)) continue;
      const dOuts = e.outputs.map((o) => materialize(g, contribs.get(o.name), o.shape));
      for (const o of e.outputs) contribs.delete(o.name);
      if (dOuts.every((d) => !d)) continue;
      const dIns = e.backward(dOuts, needs);
      dIns.forEach((d, i) => {
        if (d && needs[i]) push(e.inputs[i].name, d);
      });
    }
    const out = new Map<string, Value>();
    for (const w of wrt) {
      const d = materialize(g, contribs.get(w.name), w.shape);
      if (d) out.set(w.name, d);
      else if (opts.zerosForUnreached !== false) out.set(w.name, zeros(g, w.shape));
    }
    return out;
  });
}
