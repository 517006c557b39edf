/**
 * The compiled training step of the continual-learning MLP (method.md §3: 784-300-150-10, leaky_relu 0.01,
 * W in [in, out] layout as src/model/mlp.ts), one static-shape graph per batch size:
 *   loss = mean cross-entropy(logits, y)        (the task loss; the penalty is not part of `loss`)
 *   g    = ∂loss/∂θ + 2c(θ − θ*)                (penalty gradient in closed form, when `penalty`)
 *   θ, m, v ← Adam(θ, g)                        (optimizer-graph.ts; torch's Adam, no clipping)
 *   si   ← si − g·Δθ                            (when `si`: SI's path integral, g before the update)
 * I/O names follow train-graph.ts: param:N, slot:<slot>:N, pen_c:N, pen_anchor:N, si:N, x, y, h:<scalar>;
 * outputs loss, new:param:N, new:slot:<slot>:N, new:si:N.
 */
import { gradients } from './autodiff.ts';
import { Graph, type Value } from './graph.ts';
import { add, leakyRelu, mul, reduceMean, sub } from './ops-math.ts';
import { linear, softmaxCrossEntropy } from './ops-nn.ts';
import { hyperNames, optimizerUpdate, slotNames, type OptimizerGraphSpec } from './optimizer-graph.ts';
import { penaltyTerms, type BuiltGraph, type ParamSpec } from './train-graph.ts';

export interface MlpStepSpec {
  /** Layer widths, e.g. [784, 300, 150, 10]; parameters fc<l>.weight [in, out] and fc<l>.bias [out]. */
  widths: readonly number[];
  slope: number;
  batch: number;
  optimizer: OptimizerGraphSpec;
  penalty: boolean;
  si: boolean;
}

export function mlpParamSpecs(widths: readonly number[]): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (let l = 1; l < widths.length; l++) {
    out.push({ name: `fc${l}.weight`, shape: [widths[l - 1], widths[l]] });
    out.push({ name: `fc${l}.bias`, shape: [widths[l]] });
  }
  return out;
}

export function buildMlpStepGraph(spec: MlpStepSpec): BuiltGraph {
  const B = spec.batch;
  const L = spec.widths.length - 1;
  const g = new Graph('mlp_step');
  const specs = mlpParamSpecs(spec.widths);
  const names = specs.map((s) => s.name);
  const pv = new Map<string, Value>(specs.map((s) => [s.name, g.input(`param:${s.name}`, 'float32', s.shape)]));
  const p = (n: string) => pv.get(n)!;
  const x = g.input('x', 'float32', [B, spec.widths[0]]); // [B, 784]
  const y = g.input('y', 'int64', [B]); // [B]
  let h = x;
  for (let l = 1; l <= L; l++) {
    const z = linear(h, p(`fc${l}.weight`), p(`fc${l}.bias`)); // [B, out]
    h = l < L ? leakyRelu(z, spec.slope) : z;
  }
  const loss = reduceMean(softmaxCrossEntropy(h, y), [0]); // []
  const outputs: Value[] = [g.output(loss, 'loss')];
  const raw = gradients(loss, names.map(p));
  fusedUpdate(g, names, p, raw, spec, outputs);
  const model = g.toModel(outputs, { pruneInputs: true });
  return { model, inputs: g.inputs.map((v) => v.name), outputs: outputs.map((v) => v.name) };
}

/**
 * The part of a fused training step after the task gradients (shared by the MLP and CNN graphs): total
 * gradient g = task gradient + 2c(θ − θ*) (inputs pen_c:N, pen_anchor:N when `penalty`), the optimizer
 * update (slot:<slot>:N, h:<scalar> inputs), SI's new:si:N = si:N − g·Δθ (when `si`); appends the outputs
 * new:si:N, new:param:N, new:slot:<slot>:N to `outputs`.
 */
export function fusedUpdate(
  g: Graph,
  names: readonly string[],
  p: (n: string) => Value,
  raw: Map<string, Value>,
  spec: { optimizer: OptimizerGraphSpec; penalty: boolean; si: boolean },
  outputs: Value[],
): void {
  const pen = penaltyTerms(g, spec.penalty ? names : [], p);
  const total = new Map<string, Value>();
  g.untaped(() => {
    for (const n of names) {
      const d = raw.get(`param:${n}`)!;
      const pg = pen.grads.get(n);
      total.set(n, pg ? add(d, pg) : d);
    }
  });
  const slotVals = new Map<string, Value>();
  for (const s of slotNames(spec.optimizer)) for (const n of names) slotVals.set(`${s}:${n}`, g.input(`slot:${s}:${n}`, 'float32', p(n).shape));
  const hyper = new Map<string, Value>();
  for (const h of hyperNames(spec.optimizer, false)) hyper.set(h, g.input(`h:${h}`, 'float32', []));
  const up = optimizerUpdate(g, spec.optimizer, names, p, total, (s, n) => slotVals.get(`${s}:${n}`)!, (h) => hyper.get(h)!, false);
  if (spec.si) {
    g.untaped(() => {
      for (const n of names) {
        const si = g.input(`si:${n}`, 'float32', p(n).shape);
        outputs.push(g.output(sub(si, mul(total.get(n)!, sub(up.params.get(n)!, p(n)))), `new:si:${n}`));
      }
    });
  }
  for (const n of names) outputs.push(g.output(up.params.get(n)!, `new:param:${n}`));
  for (const [s, m] of up.slots) for (const n of names) outputs.push(g.output(m.get(n)!, `new:slot:${s}:${n}`));
}
