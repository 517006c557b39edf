/**
 * Finite-difference checks of gradient rules. A test builds y = f(x_1..x_k) in a graph; the checker forms
 * the scalar L = Σ y·R (R fixed random weights, so every output element matters), asks autodiff for dL/dx_i,
 * and compares the directional derivative Σ_i <dL/dx_i, d_i> with the central difference
 * (L(x + h·d) − L(x − h·d)) / 2h along random directions d. Float32 graphs: h = 1e-2, tolerance 2e-3 rel.
 */
import { Graph, type Value } from '../../src/onnx/graph.ts';
import { gradients } from '../../src/onnx/autodiff.ts';
import { mul, reduceSum } from '../../src/onnx/ops-math.ts';
import { createSession, f32 } from '../../src/onnx/session.ts';
import { mulberry32 } from '../../src/util/rng.ts';

/** The project's seeded generator (src/util/rng.ts), under the name these tests use. */
export const rng = mulberry32;

export function randn(r: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

export interface FdInput {
  shape: number[];
  /** Initial values (default standard normal). */
  data?: Float32Array;
}

export interface FdResult {
  analytic: number[];
  numeric: number[];
  maxRelErr: number;
}

export async function fdCheck(
  inputs: FdInput[],
  build: (g: Graph, xs: Value[]) => Value,
  opts: { seed?: number; h?: number; directions?: number } = {},
): Promise<FdResult> {
  const r = rng(opts.seed ?? 1);
  const h = opts.h ?? 1e-2;
  const g = new Graph('fd');
  const xs = inputs.map((inp, i) => g.input(`x${i}`, 'float32', inp.shape));
  const y = build(g, xs);
  const R = g.constant('float32', y.shape, Array.from(randn(r, y.size)));
  const L = reduceSum(mul(y, R), y.shape.map((_, i) => i));
  const grads = gradients(L, xs);
  const outs = [g.output(L, 'L'), ...xs.map((x, i) => g.output(grads.get(x.name)!, `g${i}`))];
  const sess = await createSession(g.toModel(outs));
  const base = inputs.map((inp) => inp.data ?? randn(r, inp.shape.reduce((a, b) => a * b, 1)));
  const run = async (vals: Float32Array[]) =>
    sess.run(Object.fromEntries(vals.map((v, i) => [`x${i}`, f32(v, inputs[i].shape)])));
  const at = await run(base);
  const gs = inputs.map((_, i) => at[`g${i}`].data as Float32Array);
  const analytic: number[] = [];
  const numeric: number[] = [];
  let maxRelErr = 0;
  for (let k = 0; k < (opts.directions ?? 3); k++) {
    const dirs = base.map((b) => randn(r, b.length));
    let a = 0;
    dirs.forEach((d, i) => d.forEach((v, j) => (a += v * gs[i][j])));
    const plus = await run(base.map((b, i) => b.map((v, j) => v + h * dirs[i][j])));
    const minus = await run(base.map((b, i) => b.map((v, j) => v - h * dirs[i][j])));
    const n = ((plus.L.data[0] as number) - (minus.L.data[0] as number)) / (2 * h);
    analytic.push(a);
    numeric.push(n);
    const scale = Math.max(1, Math.abs(n));
    if (!Number.isFinite(a) || !Number.isFinite(n)) maxRelErr = Infinity;
    else maxRelErr = Math.max(maxRelErr, Math.abs(a - n) / scale);
  }
  await sess.release();
  return { analytic, numeric, maxRelErr };
}
