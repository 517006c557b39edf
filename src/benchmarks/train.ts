/**
 * The benchmark training loop (method.md §3): one task = `epochs` passes over the task's training set in
 * shuffled batches of 100 (the last batch may be smaller, as torch's DataLoader), loss = mean cross-entropy
 * + the EWC penalty (when one is active), Adam. Hooks see every step (SI accumulates there).
 */
import * as tf from '@tensorflow/tfjs';
import type { BenchNet } from '../model/bench-net.ts';
import { countCorrect, crossEntropy } from '../model/bench-layers.ts';
import { fillBatch, type Task } from '../data/images/streams.ts';
import { IMAGE_PIXELS, type ImageSet } from '../data/images/types.ts';
import { shuffleInPlace, type Rng } from '../data/images/rng.ts';
import type { NamedAdam } from './adam.ts';

/**
 * The penalty Σ c_i(θ_i − θ*_i)² seen by the loop (src/regularizers/penalty.ts EwcPenalty fits). Its gradient
 * 2c(θ − θ*) is added to the task gradient directly (cheaper on wasm than differentiating the penalty
 * through the tape; the same total gradient). Caller owns the returned tensors.
 */
export interface LossPenalty {
  gradients(params: Map<string, tf.Tensor>): Map<string, tf.Tensor>;
}

/** Per-step hooks. Tensors passed in are owned by the loop (valid only during the call). */
export interface StepHooks {
  /** Before the optimizer update; `grads` = gradients of the TOTAL loss (task + penalty), keyed by name. */
  beforeUpdate?(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void;
  /** After the optimizer update. */
  afterUpdate?(params: Map<string, tf.Variable>): void;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Use only the first N training samples (undefined = all). */
  trainLimit?: number;
  rng: Rng;
  optimizer: NamedAdam;
  penalty?: LossPenalty | null;
  hooks?: StepHooks[];
  /** Called every `progressEvery` steps with (step, totalSteps, lastLoss). */
  onProgress?: (step: number, total: number, loss: number) => void;
  progressEvery?: number;
}

export interface TrainStats {
  steps: number;
  seconds: number;
  /** Mean task loss (cross-entropy, without penalty) of the last epoch. */
  lastEpochLoss: number;
}

export function trainingSize(set: ImageSet, limit?: number): number {
  return limit !== undefined ? Math.min(set.n, limit) : set.n;
}

/** One optimisation step on a prepared batch; returns the cross-entropy. */
export function trainStep(
  net: BenchNet,
  x: tf.Tensor2D,
  y: tf.Tensor1D,
  optimizer: NamedAdam,
  penalty?: LossPenalty | null,
  hooks: StepHooks[] = [],
): number {
  const names = [...net.params.keys()];
  const vars = names.map((n) => net.params.get(n)!);
  const byVarName = new Map(vars.map((v, i) => [v.name, names[i]]));
  const { value: ce, grads } = tf.variableGrads(() => crossEntropy(net.logits(x, true), y), vars);
  net.commitBatchStats();
  const named = new Map<string, tf.Tensor>();
  for (const [vn, g] of Object.entries(grads)) named.set(byVarName.get(vn)!, g);
  if (penalty) {
    // total gradient = ∂CE/∂θ + 2c(θ − θ*)
    const pg = penalty.gradients(net.params);
    for (const [name, g] of pg) {
      const old = named.get(name);
      if (old) {
        named.set(name, tf.add(old, g));
        old.dispose();
        g.dispose();
      } else named.set(name, g);
    }
  }
  for (const h of hooks) h.beforeUpdate?.(net.params, named);
  optimizer.apply(net.params, named);
  for (const h of hooks) h.afterUpdate?.(net.params);
  for (const g of named.values()) g.dispose();
  const loss = ce.dataSync()[0];
  ce.dispose();
  return loss;
}

/** One prepared batch of a task's training plan (buffers are reused: valid until the next batch). */
export interface PlannedBatch {
  x: Float32Array; // [b, 784] in the first b·784 entries
  y: Int32Array; // [b]
  b: number;
  epoch: number;
  /** 1-based step number within the task, and the task's total. */
  step: number;
  total: number;
}

/**
 * The training plan of one task: `epochs` passes over the first `trainLimit` samples, each in a fresh
 * shuffled order (drawn from opts.rng), batches of `batchSize` (the last one may be smaller).
 */
export function* taskBatches(task: Task, opts: Pick<TrainOptions, 'epochs' | 'batchSize' | 'trainLimit' | 'rng'>): Generator<PlannedBatch> {
  const set = task.data.train;
  const n = trainingSize(set, opts.trainLimit);
  const order = new Int32Array(n);
  const B = opts.batchSize;
  const x = new Float32Array(B * IMAGE_PIXELS);
  const y = new Int32Array(B);
  const total = Math.ceil(n / B) * opts.epochs;
  let step = 0;
  for (let e = 0; e < opts.epochs; e++) {
    for (let i = 0; i < n; i++) order[i] = i;
    shuffleInPlace(order, opts.rng);
    for (let s = 0; s < n; s += B) {
      const b = Math.min(B, n - s);
      fillBatch(task, set, order.subarray(s, s + b), x, y);
      yield { x, y, b, epoch: e, step: ++step, total };
    }
  }
}

/** Running statistics of a task's training (the mean loss of the last epoch). */
export class TaskProgress {
  private epoch = -1;
  private lossSum = 0;
  private seen = 0;
  lastEpochLoss = NaN;
  steps = 0;
  private readonly t0 = performance.now();

  constructor(private readonly opts: Pick<TrainOptions, 'onProgress' | 'progressEvery'>) {}

  add(p: PlannedBatch, loss: number): void {
    if (p.epoch !== this.epoch) {
      this.epoch = p.epoch;
      this.lossSum = 0;
      this.seen = 0;
    }
    this.lossSum += loss * p.b;
    this.seen += p.b;
    this.lastEpochLoss = this.lossSum / this.seen;
    this.steps = p.step;
    const every = this.opts.progressEvery ?? 100;
    if (this.opts.onProgress && (p.step % every === 0 || p.step === p.total)) this.opts.onProgress(p.step, p.total, loss);
  }

  stats(): TrainStats {
    return { steps: this.steps, seconds: (performance.now() - this.t0) / 1000, lastEpochLoss: this.lastEpochLoss };
  }
}

/** Trains `net` on one task (tfjs steps). */
export function trainTask(net: BenchNet, task: Task, opts: TrainOptions): TrainStats {
  const progress = new TaskProgress(opts);
  for (const p of taskBatches(task, opts)) {
    const x = tf.tensor2d(p.x.subarray(0, p.b * IMAGE_PIXELS), [p.b, IMAGE_PIXELS]); // [b, 784]
    const y = tf.tensor1d(p.y.subarray(0, p.b), 'int32'); // [b]
    const loss = trainStep(net, x, y, opts.optimizer, opts.penalty, opts.hooks);
    x.dispose();
    y.dispose();
    progress.add(p, loss);
  }
  return progress.stats();
}

/**
 * The first `limit` test images of a task (all when undefined) in order, in batches of `batchSize`
 * (buffers reused: valid until the next batch).
 */
export function* testBatches(task: Task, batchSize: number, limit?: number): Generator<{ x: Float32Array; y: Int32Array; b: number }> {
  const set = task.data.test;
  const n = limit !== undefined ? Math.min(limit, set.n) : set.n;
  const x = new Float32Array(batchSize * IMAGE_PIXELS);
  const y = new Int32Array(batchSize);
  const idx = new Int32Array(batchSize);
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    for (let i = 0; i < b; i++) idx[i] = s + i;
    fillBatch(task, set, idx.subarray(0, b), x, y);
    yield { x, y, b };
  }
}

/** Test accuracy of `net` (inference mode) on a task's test set. */
export function evaluateTask(net: BenchNet, task: Task, batchSize = 1000, limit?: number): number {
  let correct = 0;
  let n = 0;
  for (const { x, y, b } of testBatches(task, batchSize, limit)) {
    const xt = tf.tensor2d(x.subarray(0, b * IMAGE_PIXELS), [b, IMAGE_PIXELS]);
    const logits = net.logits(xt, false);
    correct += countCorrect(logits, y.subarray(0, b));
    logits.dispose();
    xt.dispose();
    n += b;
  }
  return correct / n;
}

/** The last `count` training samples of a task (within the training limit), as the importance methods take them. */
export function lastTrainingSamples(task: Task, count: number, trainLimit?: number): { x: Float32Array; y: Int32Array; n: number } {
  const set = task.data.train;
  const end = trainingSize(set, trainLimit);
  const n = Math.min(count, end);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = end - n + i;
  const x = new Float32Array(n * IMAGE_PIXELS);
  const y = new Int32Array(n);
  fillBatch(task, set, idx, x, y);
  return { x, y, n };
}
