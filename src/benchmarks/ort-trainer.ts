/**
 * The continual-learning nets' training steps on onnxruntime: the same step as trainStep in train.ts (mean
 * cross-entropy + 2c(θ − θ*) penalty gradient, torch's Adam, SI path integral of the total gradient; the CNN's
 * BatchNorm running statistics), fused into one graph per batch size (src/onnx/classifier-graph.ts,
 * src/onnx/cnn-graph.ts). State lives in flat ping-pong banks keyed by the nets' parameter names; the tfjs net
 * stays the owner of the run's parameters between tasks: `pull(net)` before training a task, `push(net)` after.
 * The CNN trainer also computes importances (per-sample loop, inference mode) and test predictions in-graph.
 * Host-facing tensors (penalty, SI, importances) are in the tfjs net's layout; conv weights are converted
 * to ONNX's [out, in, kh, kw] inside.
 * Differences from the tfjs path: SI's path integral accumulates in float32 in-graph (tfjs: float64 on the host).
 */
import * as tf from '@tensorflow/tfjs';
import { buildMlpStepGraph, mlpParamSpecs } from '../onnx/classifier-graph.ts';
import { buildCnnImportanceGraph, buildCnnPredictGraph, buildCnnStepGraph, cnnBufferSpecs, cnnParamSpecs, CNN_CONVS } from '../onnx/cnn-graph.ts';
import { hyperValues, type OptimizerGraphSpec } from '../onnx/optimizer-graph.ts';
import { createSession, f32, ort } from '../onnx/session.ts';
import { PingPong } from '../onnx/state.ts';
import type { BuiltGraph, ParamSpec } from '../onnx/train-graph.ts';
import type { Importances } from '../importance/types.ts';
import type { AdamConfig } from './adam.ts';
import type { Task } from '../data/images/streams.ts';
import { IMAGE_PIXELS } from '../data/images/types.ts';
import { TaskProgress, taskBatches, testBatches, type TrainOptions, type TrainStats } from './train.ts';
import { LEAKY_SLOPE } from '../model/mlp.ts';
import { BN_EPS, BN_MOMENTUM } from '../model/cnn.ts';

const ADAM: OptimizerGraphSpec = { name: 'adam', decay: [], momentum: false };

interface Compiled {
  session: ort.InferenceSession;
  inputs: readonly string[];
  outputs: readonly string[];
}

/** Layout conversion between the tfjs net (host) and the graphs, per parameter name. */
interface Layout {
  toGraph(name: string, data: Float32Array): Float32Array;
  toHost(name: string, data: Float32Array): Float32Array;
}
const IDENTITY: Layout = { toGraph: (_n, d) => d, toHost: (_n, d) => d };

/** Conv weights: tfjs [kh, kw, in, out] ↔ ONNX [out, in, kh, kw]; everything else unchanged. */
const CNN_LAYOUT: Layout = (() => {
  const conv = new Map<string, { k: number; cin: number; cout: number }>(CNN_CONVS.map((c) => [`${c.name}.weight`, c]));
  const perm = (name: string, d: Float32Array, toGraph: boolean) => {
    const c = conv.get(name);
    if (!c) return d;
    const out = new Float32Array(d.length);
    const { k, cin, cout } = c;
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++) {
            const host = ((a * k + b) * cin + i) * cout + o; // [kh, kw, in, out]
            const graph = ((o * cin + i) * k + a) * k + b; // [out, in, kh, kw]
            if (toGraph) out[graph] = d[host];
            else out[host] = d[graph];
          }
    return out;
  };
  return { toGraph: (n, d) => perm(n, d, true), toHost: (n, d) => perm(n, d, false) };
})();

export class OrtClassifierTrainer {
  private readonly shapes: Map<string, number[]>;
  protected readonly bank: PingPong;
  private readonly m: PingPong;
  private readonly v: PingPong;
  protected readonly buffers: PingPong | null;
  private si: PingPong | null = null;
  private penalty: { c: Map<string, Float32Array>; anchor: Map<string, Float32Array> } | null = null;
  private readonly sessions = new Map<string, Promise<Compiled>>();
  private readonly yBuf = new Map<number, BigInt64Array>();
  /** Adam's step count (one optimizer for the whole run, as in the authors' code). */
  steps = 0;

  constructor(
    readonly specs: ParamSpec[],
    readonly bufferSpecs: ParamSpec[],
    private readonly buildStep: (B: number, penalty: boolean, si: boolean) => BuiltGraph,
    private readonly layout: Layout,
    readonly adam: AdamConfig,
    readonly threads = 1,
  ) {
    this.shapes = new Map([...specs, ...bufferSpecs].map((s) => [s.name, s.shape]));
    this.bank = new PingPong(specs);
    this.m = new PingPong(specs);
    this.v = new PingPong(specs);
    this.buffers = bufferSpecs.length ? new PingPong(bufferSpecs) : null;
  }

  /** Copies the net's parameters (and buffers, e.g. BatchNorm running statistics) into the current banks. */
  pull(params: Map<string, tf.Variable>, buffers?: Map<string, tf.Variable>): void {
    for (const s of this.specs) {
      const p = params.get(s.name);
      if (!p) throw new Error(`ort trainer: the net has no parameter ${s.name}`);
      this.bank.cur.view(s.name).set(this.layout.toGraph(s.name, p.dataSync() as Float32Array));
    }
    for (const s of this.bufferSpecs) this.buffers!.cur.view(s.name).set(buffers!.get(s.name)!.dataSync() as Float32Array);
  }

  /** Writes the current banks into the net's parameters (and buffers). */
  push(params: Map<string, tf.Variable>, buffers?: Map<string, tf.Variable>): void {
    const put = (v: tf.Variable, data: Float32Array) => {
      const t = tf.tensor(data, v.shape);
      v.assign(t);
      t.dispose();
    };
    for (const s of this.specs) put(params.get(s.name)!, this.layout.toHost(s.name, this.bank.cur.view(s.name)));
    for (const s of this.bufferSpecs) put(buffers!.get(s.name)!, this.buffers!.cur.view(s.name));
  }

  /** The penalty's coefficients c (penaltyCoefficients) and anchor θ*, keyed by name (host layout); null = none. */
  setPenalty(p: { c: Importances; anchor: Importances } | null): void {
    if (!p) {
      this.penalty = null;
      return;
    }
    const conv = (m: Importances) => new Map([...this.specs].map((s) => [s.name, this.layout.toGraph(s.name, m.get(s.name)!.data)]));
    this.penalty = { c: conv(p.c), anchor: conv(p.anchor) };
  }

  /** Starts (or stops) the in-graph SI path integral at zero. */
  setSi(on: boolean): void {
    this.si = on ? new PingPong(this.specs) : null;
  }

  /** The path integral ω accumulated since setSi / the last take (host layout, float64), then reset to zero. */
  takeSi(): Map<string, Float64Array> {
    if (!this.si) throw new Error('ort trainer takeSi: SI is off');
    const out = new Map<string, Float64Array>();
    for (const s of this.specs) out.set(s.name, Float64Array.from(this.layout.toHost(s.name, this.si.cur.view(s.name))));
    this.si.cur.data.fill(0);
    return out;
  }

  protected compile(key: string, build: () => BuiltGraph): Promise<Compiled> {
    let c = this.sessions.get(key);
    if (!c) {
      const built = build();
      c = createSession(built.model, { threads: this.threads }).then((session) => ({ session, inputs: session.inputNames, outputs: session.outputNames }));
      this.sessions.set(key, c);
    }
    return c;
  }

  protected labels(y: Int32Array, B: number): ort.Tensor {
    let yb = this.yBuf.get(B);
    if (!yb) this.yBuf.set(B, (yb = new BigInt64Array(B)));
    for (let i = 0; i < B; i++) yb[i] = BigInt(y[i]);
    return new ort.Tensor('int64', yb, [B]);
  }

  /** Feeds for the state inputs (param, slot, buf, pen_*, si) plus `extra`. */
  protected feeds(c: Compiled, extra: Record<string, ort.Tensor>, hyper: Record<string, number> = {}): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of c.inputs) {
      if (extra[name]) {
        feeds[name] = extra[name];
        continue;
      }
      const [kind, ...rest] = name.split(':');
      const n = rest[rest.length - 1];
      const shape = this.shapes.get(n)!;
      if (kind === 'h') feeds[name] = f32(Float32Array.of(hyper[n]), []);
      else if (kind === 'param') feeds[name] = f32(this.bank.cur.view(n), shape);
      else if (kind === 'buf') feeds[name] = f32(this.buffers!.cur.view(n), shape);
      else if (kind === 'slot') feeds[name] = f32((rest[0] === 'exp_avg' ? this.m : this.v).cur.view(n), shape);
      else if (kind === 'pen_c') feeds[name] = f32(this.penalty!.c.get(n)!, shape);
      else if (kind === 'pen_anchor') feeds[name] = f32(this.penalty!.anchor.get(n)!, shape);
      else if (kind === 'si') feeds[name] = f32(this.si!.cur.view(n), shape);
      else throw new Error(`ort trainer: unexpected graph input ${name}`);
    }
    return feeds;
  }

  /** One Adam step on the batch x [B, 784] with labels y [B]; returns the cross-entropy (without penalty). */
  async step(x: Float32Array, y: Int32Array, B: number): Promise<number> {
    const pen = !!this.penalty;
    const si = !!this.si;
    const c = await this.compile(`step|${B}|${pen}|${si}`, () => this.buildStep(B, pen, si));
    const hyper = hyperValues(ADAM, { ...this.adam, weightDecay: 0, momentum: 0, t: this.steps + 1, clip: null });
    const feeds = this.feeds(c, { x: f32(x.subarray(0, B * IMAGE_PIXELS), [B, IMAGE_PIXELS]), y: this.labels(y, B) }, hyper);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of c.outputs) {
      const parts = name.split(':');
      const n = parts[parts.length - 1];
      const shape = this.shapes.get(n)!;
      if (parts[1] === 'param') fetches[name] = f32(this.bank.next.view(n), shape);
      else if (parts[1] === 'slot') fetches[name] = f32((parts[2] === 'exp_avg' ? this.m : this.v).next.view(n), shape);
      else if (parts[1] === 'si') fetches[name] = f32(this.si!.next.view(n), shape);
      else if (parts[1] === 'buf') fetches[name] = f32(this.buffers!.next.view(n), shape);
      else fetches[name] = null;
    }
    const r = await c.session.run(feeds, fetches);
    this.steps += 1;
    this.bank.swap();
    this.m.swap();
    this.v.swap();
    this.si?.swap();
    this.buffers?.swap();
    return r.loss.data[0] as number;
  }

  async dispose(): Promise<void> {
    for (const c of this.sessions.values()) await (await c).session.release();
    this.sessions.clear();
  }
}

/** The permuted-MNIST MLP (widths e.g. [784, 300, 150, 10]). */
export function ortMlpTrainer(widths: readonly number[], adam: AdamConfig, threads = 1): OrtClassifierTrainer {
  return new OrtClassifierTrainer(
    mlpParamSpecs(widths),
    [],
    (B, penalty, si) => buildMlpStepGraph({ widths, slope: LEAKY_SLOPE, batch: B, optimizer: ADAM, penalty, si }),
    IDENTITY,
    adam,
    threads,
  );
}

const CNN_OPTS = { slope: LEAKY_SLOPE, bnEps: BN_EPS, bnMomentum: BN_MOMENTUM };

/** The MNIST/FashionMNIST CNN, with in-graph importances and predictions. */
export class OrtCnnTrainer extends OrtClassifierTrainer {
  constructor(adam: AdamConfig, threads = 1) {
    super(cnnParamSpecs(), cnnBufferSpecs(), (B, penalty, si) => buildCnnStepGraph({ batch: B, optimizer: ADAM, penalty, si, ...CNN_OPTS }), CNN_LAYOUT, adam, threads);
  }

  /**
   * Mean over samples of φ(∂f_n/∂θ) (fisher: f = log p(y_n|x_n), φ = square; mas: f = ‖softmax‖², φ = abs),
   * inference mode, one sample per run (the per-sample loop); host layout.
   */
  async importance(objective: 'fisher' | 'mas', s: { x: Float32Array; y: Int32Array; n: number }): Promise<Importances> {
    const c = await this.compile(`imp|${objective}`, () => buildCnnImportanceGraph({ objective, ...CNN_OPTS }));
    const acc = new PingPong(this.specs);
    for (let i = 0; i < s.n; i++) {
      const extra: Record<string, ort.Tensor> = { x: f32(s.x.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), [1, IMAGE_PIXELS]) };
      if (objective === 'fisher') extra.y = new ort.Tensor('int64', BigInt64Array.of(BigInt(s.y[i])), [1]);
      for (const sp of this.specs) extra[`acc:${sp.name}`] = f32(acc.cur.view(sp.name), sp.shape);
      const fetches: Record<string, ort.Tensor> = {};
      for (const sp of this.specs) fetches[`new:acc:${sp.name}`] = f32(acc.next.view(sp.name), sp.shape);
      await c.session.run(this.feeds(c, extra), fetches);
      acc.swap();
    }
    const out: Importances = new Map();
    for (const sp of this.specs) {
      const d = CNN_LAYOUT.toHost(sp.name, Float32Array.from(acc.cur.view(sp.name)));
      for (let i = 0; i < d.length; i++) d[i] /= s.n;
      out.set(sp.name, { shape: hostShape(sp), data: d });
    }
    return out;
  }

  /** Test accuracy (inference mode) on the first `limit` test images of a task, batches of `batch`. */
  async evaluate(task: Task, batch = 500, limit?: number): Promise<number> {
    let correct = 0;
    let n = 0;
    for (const { x, y, b } of testBatches(task, batch, limit)) {
      const c = await this.compile(`pred|${b}`, () => buildCnnPredictGraph({ batch: b, ...CNN_OPTS }));
      const r = await c.session.run(this.feeds(c, { x: f32(x.subarray(0, b * IMAGE_PIXELS), [b, IMAGE_PIXELS]) }));
      const pred = r.pred.data as BigInt64Array;
      for (let i = 0; i < b; i++) if (Number(pred[i]) === y[i]) correct++;
      n += b;
    }
    return correct / n;
  }
}

function hostShape(s: ParamSpec): number[] {
  const c = CNN_CONVS.find((k) => `${k.name}.weight` === s.name);
  return c ? [c.k, c.k, c.cin, c.cout] : [...s.shape];
}

/** Trains one task with compiled steps (the same plan and statistics as trainTask in train.ts). */
export async function trainTaskOrt(
  trainer: OrtClassifierTrainer,
  task: Task,
  opts: Pick<TrainOptions, 'epochs' | 'batchSize' | 'trainLimit' | 'rng' | 'onProgress' | 'progressEvery'>,
): Promise<TrainStats> {
  const progress = new TaskProgress(opts);
  for (const p of taskBatches(task, opts)) progress.add(p, await trainer.step(p.x, p.y, p.b));
  return progress.stats();
}

