/**
 * The continual-learning MLP's training steps on onnxruntime (src/onnx/classifier-graph.ts): the same
 * step as trainStep in train.ts (mean cross-entropy + 2c(θ − θ*) penalty gradient, torch's Adam, SI path
 * integral of the total gradient), fused into one graph per batch size. State lives in flat ping-pong banks
 * keyed by the Hugging-Face-style names of src/model/mlp.ts (fc<l>.weight [in, out], fc<l>.bias [out]);
 * the tfjs net stays the owner of the run's parameters between tasks (evaluation and importances use it):
 * `pull(net)` before training a task, `push(net)` after.
 * Differences from the tfjs path: SI's path integral accumulates in float32 in-graph (tfjs: float64 on the host).
 */
import * as tf from '@tensorflow/tfjs';
import { buildMlpStepGraph, mlpParamSpecs } from '../onnx/classifier-graph.ts';
import type { OptimizerGraphSpec } from '../onnx/optimizer-graph.ts';
import { hyperValues } from '../onnx/optimizer-graph.ts';
import { createSession, f32, ort } from '../onnx/session.ts';
import { PingPong } from '../onnx/state.ts';
import type { ParamSpec } from '../onnx/train-graph.ts';
import type { Importances } from '../importance/types.ts';
import type { AdamConfig } from './adam.ts';
import type { Task } from '../data/images/streams.ts';
import { TaskProgress, taskBatches, type TrainOptions, type TrainStats } from './train.ts';

const ADAM: OptimizerGraphSpec = { name: 'adam', decay: [], momentum: false };

interface Compiled {
  session: ort.InferenceSession;
  inputs: readonly string[];
  outputs: readonly string[];
}

export class OrtMlpTrainer {
  readonly specs: ParamSpec[];
  private readonly shapes: Map<string, number[]>;
  private readonly bank: PingPong;
  private readonly m: PingPong;
  private readonly v: PingPong;
  private si: PingPong | null = null;
  private penalty: { c: Importances; anchor: Importances } | null = null;
  private readonly sessions = new Map<string, Promise<Compiled>>();
  private readonly yBuf = new Map<number, BigInt64Array>();
  /** Adam's step count (one optimizer for the whole run, as in the authors' code). */
  steps = 0;

  constructor(
    readonly widths: readonly number[],
    readonly slope: number,
    readonly adam: AdamConfig,
    readonly threads = 1,
  ) {
    this.specs = mlpParamSpecs(widths);
    this.shapes = new Map(this.specs.map((s) => [s.name, s.shape]));
    this.bank = new PingPong(this.specs);
    this.m = new PingPong(this.specs);
    this.v = new PingPong(this.specs);
  }

  /** Copies the net's parameters into the current bank. */
  pull(params: Map<string, tf.Variable>): void {
    for (const s of this.specs) {
      const p = params.get(s.name);
      if (!p) throw new Error(`OrtMlpTrainer: the net has no parameter ${s.name}`);
      this.bank.cur.view(s.name).set(p.dataSync() as Float32Array);
    }
  }

  /** Writes the current bank into the net's parameters. */
  push(params: Map<string, tf.Variable>): void {
    for (const s of this.specs) {
      const t = tf.tensor(this.bank.cur.view(s.name), s.shape);
      params.get(s.name)!.assign(t);
      t.dispose();
    }
  }

  /** The penalty's coefficients c (penaltyCoefficients) and anchor θ*, keyed by name; null = none. */
  setPenalty(p: { c: Importances; anchor: Importances } | null): void {
    this.penalty = p;
  }

  /** Starts (or stops) the in-graph SI path integral at zero. */
  setSi(on: boolean): void {
    this.si = on ? new PingPong(this.specs) : null;
  }

  /** The path integral ω accumulated since setSi / the last take, in float64 (then reset to zero). */
  takeSi(): Map<string, Float64Array> {
    if (!this.si) throw new Error('OrtMlpTrainer.takeSi: SI is off');
    const out = new Map<string, Float64Array>();
    for (const s of this.specs) out.set(s.name, Float64Array.from(this.si.cur.view(s.name)));
    this.si.cur.data.fill(0);
    return out;
  }

  private compiled(B: number): Promise<Compiled> {
    const key = `${B}|${!!this.penalty}|${!!this.si}`;
    let c = this.sessions.get(key);
    if (!c) {
      const built = buildMlpStepGraph({ widths: this.widths, slope: this.slope, batch: B, optimizer: ADAM, penalty: !!this.penalty, si: !!this.si });
      c = createSession(built.model, { threads: this.threads }).then((session) => ({ session, inputs: session.inputNames, outputs: session.outputNames }));
      this.sessions.set(key, c);
    }
    return c;
  }

  /** One Adam step on the batch x [B, 784] with labels y [B]; returns the cross-entropy (without penalty). */
  async step(x: Float32Array, y: Int32Array, B: number): Promise<number> {
    const c = await this.compiled(B);
    let yb = this.yBuf.get(B);
    if (!yb) this.yBuf.set(B, (yb = new BigInt64Array(B)));
    for (let i = 0; i < B; i++) yb[i] = BigInt(y[i]);
    const hyper = hyperValues(ADAM, { ...this.adam, weightDecay: 0, momentum: 0, t: this.steps + 1, clip: null });
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of c.inputs) {
      const [kind, ...rest] = name.split(':');
      const n = rest[rest.length - 1];
      if (name === 'x') feeds[name] = f32(x.subarray(0, B * this.widths[0]), [B, this.widths[0]]);
      else if (name === 'y') feeds[name] = new ort.Tensor('int64', yb, [B]);
      else if (kind === 'h') feeds[name] = f32(Float32Array.of(hyper[n]), []);
      else if (kind === 'param') feeds[name] = f32(this.bank.cur.view(n), this.shapes.get(n)!);
      else if (kind === 'slot') feeds[name] = f32((rest[0] === 'exp_avg' ? this.m : this.v).cur.view(n), this.shapes.get(n)!);
      else if (kind === 'pen_c') feeds[name] = f32(this.penalty!.c.get(n)!.data, this.shapes.get(n)!);
      else if (kind === 'pen_anchor') feeds[name] = f32(this.penalty!.anchor.get(n)!.data, this.shapes.get(n)!);
      else if (kind === 'si') feeds[name] = f32(this.si!.cur.view(n), this.shapes.get(n)!);
      else throw new Error(`OrtMlpTrainer: unexpected graph input ${name}`);
    }
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of c.outputs) {
      const parts = name.split(':');
      const n = parts[parts.length - 1];
      if (name === 'loss') fetches[name] = null;
      else if (parts[1] === 'param') fetches[name] = f32(this.bank.next.view(n), this.shapes.get(n)!);
      else if (parts[1] === 'slot') fetches[name] = f32((parts[2] === 'exp_avg' ? this.m : this.v).next.view(n), this.shapes.get(n)!);
      else if (parts[1] === 'si') fetches[name] = f32(this.si!.next.view(n), this.shapes.get(n)!);
      else fetches[name] = null;
    }
    const r = await c.session.run(feeds, fetches);
    this.steps += 1;
    this.bank.swap();
    this.m.swap();
    this.v.swap();
    this.si?.swap();
    return r.loss.data[0] as number;
  }

  async dispose(): Promise<void> {
    for (const c of this.sessions.values()) await (await c).session.release();
    this.sessions.clear();
  }
}

/** Trains one task with the compiled steps (the same plan and statistics as trainTask in train.ts). */
export async function trainTaskOrt(
  trainer: OrtMlpTrainer,
  task: Task,
  opts: Pick<TrainOptions, 'epochs' | 'batchSize' | 'trainLimit' | 'rng' | 'onProgress' | 'progressEvery'>,
): Promise<TrainStats> {
  const progress = new TaskProgress(opts);
  for (const p of taskBatches(task, opts)) progress.add(p, await trainer.step(p.x, p.y, p.b));
  return progress.stats();
}
