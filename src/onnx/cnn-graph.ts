/**
 * The continual-learning CNN (method.md §3; src/model/cnn.ts) as compiled graphs, NCHW:
 *   x [B,784] → [B,1,28,28] → conv1 5×5 (1→64) → bn1 → leaky_relu → maxpool 2×2 [B,64,12,12]
 *     → conv2 3×3 (64→128) → bn2 → leaky_relu → conv3 3×3 (128→256) → bn3 → leaky_relu [B,256,8,8]
 *     → NHWC flatten [B,16384] (the order of src/model/cnn.ts, so fc.weight [16384, 10] is shared) → fc → [B,10]
 * Conv weights here are ONNX [out, in, kh, kw]; the host converts from/to the tfjs net's [kh, kw, in, out].
 * BatchNorm as torch: training mode normalises with the batch mean and biased variance and outputs running
 * statistics updated with momentum 0.1 and the unbiased variance; inference mode uses the running statistics.
 * Graphs:
 *   'step'        mean CE + penalty gradient 2c(θ − θ*) → Adam (+ SI path integral), new running statistics
 *   'importance'  one sample (B = 1, inference mode): new:acc:N = acc:N + φ(∂f/∂θ), f = log p(y|x) (fisher,
 *                 φ = square) or ‖softmax(z)‖² (mas, φ = abs) — the per-sample loop of src/importance
 *   'predict'     inference-mode argmax [B]
 */
import { gradients } from './autodiff.ts';
import { Graph, type Value } from './graph.ts';
import { abs, add, div, leakyRelu, mul, reduceMean, reduceSum, sqrt, sub } from './ops-math.ts';
import { argmaxLast, linear, softmax, softmaxCrossEntropy } from './ops-nn.ts';
import { reshape, transpose } from './ops-shape.ts';
import { conv2d, maxPool2, reshapeBias } from './ops-conv.ts';
import type { OptimizerGraphSpec } from './optimizer-graph.ts';
import type { BuiltGraph, ParamSpec } from './train-graph.ts';
import { fusedUpdate } from './classifier-graph.ts';

export const CNN_CONVS = [
  { name: 'conv1', k: 5, cin: 1, cout: 64 },
  { name: 'conv2', k: 3, cin: 64, cout: 128 },
  { name: 'conv3', k: 3, cin: 128, cout: 256 },
] as const;
const FC_IN = 8 * 8 * 256;

export interface CnnGraphOptions {
  slope: number;
  bnEps: number;
  bnMomentum: number;
}

/** Parameters in ONNX layout (names as src/model/cnn.ts). */
export function cnnParamSpecs(): ParamSpec[] {
  const out: ParamSpec[] = [];
  CNN_CONVS.forEach((c, i) => {
    out.push({ name: `${c.name}.weight`, shape: [c.cout, c.cin, c.k, c.k] });
    out.push({ name: `${c.name}.bias`, shape: [c.cout] });
    out.push({ name: `bn${i + 1}.weight`, shape: [c.cout] });
    out.push({ name: `bn${i + 1}.bias`, shape: [c.cout] });
  });
  out.push({ name: 'fc.weight', shape: [FC_IN, 10] });
  out.push({ name: 'fc.bias', shape: [10] });
  return out;
}

/** BatchNorm running statistics (buffers). */
export function cnnBufferSpecs(): ParamSpec[] {
  return CNN_CONVS.flatMap((c, i) => [
    { name: `bn${i + 1}.running_mean`, shape: [c.cout] },
    { name: `bn${i + 1}.running_var`, shape: [c.cout] },
  ]);
}

interface Forward {
  logits: Value; // [B, 10]
  /** Training mode: per BN layer the batch mean and biased variance [C] and the element count per channel. */
  stats: { bn: string; mean: Value; variance: Value; count: number }[];
}

function forward(g: Graph, p: (n: string) => Value, buf: (n: string) => Value, x: Value, training: boolean, o: CnnGraphOptions): Forward {
  const B = x.shape[0];
  let h = reshape(x, [B, 1, 28, 28]);
  const stats: Forward['stats'] = [];
  CNN_CONVS.forEach((c, i) => {
    const bn = `bn${i + 1}`;
    h = conv2d(h, p(`${c.name}.weight`), p(`${c.name}.bias`)); // [B, C, H', W']
    let mean: Value;
    let variance: Value;
    if (training) {
      mean = reduceMean(h, [0, 2, 3], true); // [1, C, 1, 1]
      const d0 = sub(h, mean);
      variance = reduceMean(mul(d0, d0), [0, 2, 3], true); // biased
      stats.push({ bn, mean, variance, count: B * h.shape[2] * h.shape[3] });
    } else {
      mean = reshapeBias(buf(`${bn}.running_mean`));
      variance = reshapeBias(buf(`${bn}.running_var`));
    }
    const inv = div(1, sqrt(add(variance, o.bnEps)));
    h = add(mul(mul(sub(h, mean), inv), reshapeBias(p(`${bn}.weight`))), reshapeBias(p(`${bn}.bias`)));
    h = leakyRelu(h, o.slope);
    if (i === 0) h = maxPool2(h); // [B, 64, 12, 12]
  });
  const flat = reshape(transpose(h, [0, 2, 3, 1]), [B, FC_IN]); // NHWC order, [B, 16384]
  return { logits: linear(flat, p('fc.weight'), p('fc.bias')), stats };
}

function paramInputs(g: Graph) {
  const specs = cnnParamSpecs();
  const pv = new Map<string, Value>(specs.map((s) => [s.name, g.input(`param:${s.name}`, 'float32', s.shape)]));
  const bv = new Map<string, Value>();
  const buf = (n: string) => {
    let v = bv.get(n);
    if (!v) bv.set(n, (v = g.input(`buf:${n}`, 'float32', [cnnBufferSpecs().find((s) => s.name === n)!.shape[0]])));
    return v;
  };
  return { names: specs.map((s) => s.name), p: (n: string) => pv.get(n)!, buf };
}

export function buildCnnStepGraph(spec: { batch: number; optimizer: OptimizerGraphSpec; penalty: boolean; si: boolean } & CnnGraphOptions): BuiltGraph {
  const g = new Graph('cnn_step');
  const { names, p, buf } = paramInputs(g);
  const x = g.input('x', 'float32', [spec.batch, 784]);
  const y = g.input('y', 'int64', [spec.batch]);
  const f = forward(g, p, buf, x, true, spec);
  const loss = reduceMean(softmaxCrossEntropy(f.logits, y), [0]);
  const outputs: Value[] = [g.output(loss, 'loss')];
  const raw = gradients(loss, names.map(p));
  g.untaped(() => {
    // Running statistics (torch BatchNorm2d): r ← (1 − m)·r + m·batch, unbiased variance.
    for (const s of f.stats) {
      const C = s.mean.shape[1];
      const m = spec.bnMomentum;
      const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
      const rm = add(mul(buf(`${s.bn}.running_mean`), 1 - m), mul(reshape(s.mean, [C]), m));
      const rv = add(mul(buf(`${s.bn}.running_var`), 1 - m), mul(reshape(s.variance, [C]), m * unbias));
      outputs.push(g.output(rm, `new:buf:${s.bn}.running_mean`), g.output(rv, `new:buf:${s.bn}.running_var`));
    }
  });
  fusedUpdate(g, names, p, raw, spec, outputs);
  const model = g.toModel(outputs, { pruneInputs: true });
  return { model, inputs: g.inputs.map((v) => v.name), outputs: outputs.map((v) => v.name) };
}

export function buildCnnImportanceGraph(spec: { objective: 'fisher' | 'mas' } & CnnGraphOptions): BuiltGraph {
  const g = new Graph(`cnn_${spec.objective}`);
  const { names, p, buf } = paramInputs(g);
  const x = g.input('x', 'float32', [1, 784]);
  const { logits } = forward(g, p, buf, x, false, spec);
  let f: Value;
  if (spec.objective === 'fisher') {
    const y = g.input('y', 'int64', [1]);
    f = reduceSum(softmaxCrossEntropy(logits, y), [0]); // −log p(y|x): the same square
  } else {
    const s = softmax(logits);
    f = reduceSum(mul(s, s), [0, 1]);
  }
  const grads = gradients(f, names.map(p));
  const outputs: Value[] = [];
  g.untaped(() => {
    for (const n of names) {
      const d = grads.get(`param:${n}`)!;
      const acc = g.input(`acc:${n}`, 'float32', p(n).shape);
      outputs.push(g.output(add(acc, spec.objective === 'fisher' ? mul(d, d) : abs(d)), `new:acc:${n}`));
    }
  });
  const model = g.toModel(outputs, { pruneInputs: true });
  return { model, inputs: g.inputs.map((v) => v.name), outputs: outputs.map((v) => v.name) };
}

export function buildCnnPredictGraph(spec: { batch: number } & CnnGraphOptions): BuiltGraph {
  const g = new Graph('cnn_predict');
  const { p, buf } = paramInputs(g);
  const x = g.input('x', 'float32', [spec.batch, 784]);
  const { logits } = g.untaped(() => forward(g, p, buf, x, false, spec));
  const out = g.output(argmaxLast(logits), 'pred');
  const model = g.toModel([out], { pruneInputs: true });
  return { model, inputs: g.inputs.map((v) => v.name), outputs: ['pred'] };
}
