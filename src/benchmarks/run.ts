/**
 * One continual-learning run (method.md §3; the authors' continual_learning()):
 *   fresh net (U(±1/√fan_in)), ONE Adam for the whole run (its moments carry over from task to task, as in
 *   the authors' code), Ω = 0, no penalty on task 1;
 *   for each task t: train `epochs` epochs (loss = CE + Σ c_i(θ_i − θ*_i)² once Ω ≠ 0) → test accuracy on
 *   every task seen so far → unless t is the last task: Ω += importance on the task's last 5000 training
 *   samples (inference mode), θ* = current parameters, rebuild the penalty (plain or stabilized c_i).
 *   SI accumulates its path integral during training (total-loss gradient) and closes it at task end.
 * With λ = 0 no importance is computed (the penalty is identically zero; results equal any method's λ = 0).
 */
import * as tf from '@tensorflow/tfjs';
import { buildStream, type StreamData, type StreamSpec, type Task } from '../data/images/streams.ts';
import { IMAGE_PIXELS } from '../data/images/types.ts';
import { mixSeed, mulberry32 } from '../data/images/rng.ts';
import type { BenchNet } from '../model/bench-net.ts';
import { Mlp } from '../model/mlp.ts';
import { Cnn } from '../model/cnn.ts';
import { computeImportance } from '../importance/registry.ts';
import { SiTracker } from '../importance/si.ts';
import { accumulate } from '../importance/accumulate.ts';
import type { Importances } from '../importance/types.ts';
import { EwcPenalty, penaltyCoefficients } from '../regularizers/penalty.ts';
import { OrtCnnTrainer, ortMlpTrainer, trainTaskOrt, type OrtClassifierTrainer } from './ort-trainer.ts';
import { EwcError } from '../util/errors.ts';
import { progressTicker } from '../util/log.ts';
import { NamedAdam } from './adam.ts';
import { evaluateTask, lastTrainingSamples, trainTask, type StepHooks } from './train.ts';
import { backwardTransfer, finalMeanAccuracy, forgetting, seenMeanAccuracies, type AccuracyMatrix } from './stats.ts';
import { protocolId, runKey, type Protocol, type RunSpec } from './protocol.ts';

export interface RunResult {
  key: string;
  protocolId: string;
  net: string;
  importance: string;
  penalty: string;
  lambda: number;
  run: number;
  /** Seed of this run's init and shuffles: mixSeed(protocol.seed, run). */
  runSeed: number;
  protocol: Protocol;
  /** accuracy[i][j]: test accuracy on task i after training task j (null: not yet seen). */
  accuracy: AccuracyMatrix;
  /** The paper's metric: mean test accuracy over all tasks after the last one. */
  final: number;
  /** Mean accuracy over the tasks seen, after each task. */
  seenMean: number[];
  bwt: number | null;
  forgetting: number | null;
  /** Σ Ω over all parameters after each importance computation (diagnostic). */
  omegaSum: number[];
  timings: { totalS: number; trainS: number[]; evalS: number[]; importanceS: number[] };
  /** tfjs backend of evaluation and importances (and of training when trainer = 'tfjs'). */
  backend: string;
  /** What ran the training steps: 'tfjs' (the backend above) or 'ort' (compiled steps). Absent: tfjs. */
  trainer?: Trainer;
  finishedAt: string;
}

export function streamSpecOf(p: Protocol): StreamSpec {
  return p.net === 'mlp'
    ? { kind: 'permuted-mnist', tasks: p.tasks, permSeed: p.permSeed }
    : { kind: 'mnist-fashion-rot', tasks: p.tasks };
}

export function createNet(p: Protocol, seed: number): BenchNet {
  const rng = mulberry32(seed);
  return p.net === 'mlp' ? new Mlp(rng) : new Cnn(rng);
}

/**
 * Who runs the training steps: tfjs (the backend of initBackend) or onnxruntime (compiled steps; for the CNN
 * also importances and test predictions). Measured on this machine: MLP ≈ 2.5×, CNN ≈ 4× faster than wasm.
 */
export const TRAINERS = ['auto', 'tfjs', 'ort'] as const;
export type Trainer = Exclude<(typeof TRAINERS)[number], 'auto'>;

/** 'auto' = ort (tested equal to tfjs: test/benchmarks/ort-mlp.test.ts, ort-cnn.test.ts). */
export function resolveTrainer(t: (typeof TRAINERS)[number] | undefined): Trainer {
  if (t !== undefined && !(TRAINERS as readonly string[]).includes(t)) throw new EwcError(`continual --trainer: expected one of ${TRAINERS.join(', ')}, found '${t}'.`);
  return t === undefined || t === 'auto' ? 'ort' : t;
}

export interface RunOptions {
  /** Progress lines (stderr in the CLI). */
  log?: (msg: string) => void;
  /** Default 'auto'. */
  trainer?: (typeof TRAINERS)[number];
  /** onnxruntime intra-op threads of the ort trainer (default 1: workers scale instead). */
  ortThreads?: number;
}

function hostParams(net: BenchNet): Importances {
  const out: Importances = new Map();
  for (const [n, v] of net.params) out.set(n, { shape: [...v.shape], data: v.dataSync() as Float32Array });
  return out;
}

export async function runContinual(spec: RunSpec, data: StreamData, opts: RunOptions = {}, tasksIn?: Task[]): Promise<RunResult> {
  const p = spec.protocol;
  const t0 = performance.now();
  const tasks = tasksIn ?? buildStream(streamSpecOf(p), data);
  const runSeed = mixSeed(p.seed, spec.run);
  const net = createNet(p, mixSeed(runSeed, 1));
  const shuffleRng = mulberry32(mixSeed(runSeed, 2));
  const optimizer = new NamedAdam({ lr: p.lr, beta1: p.beta1, beta2: p.beta2, eps: p.eps });
  const names = [...net.params.keys()];
  const active = spec.lambda > 0;
  const si = active && spec.importance === 'si' ? new SiTracker(names, p.siXi) : null;
  const trainer = resolveTrainer(opts.trainer);
  const threads = opts.ortThreads ?? 1;
  const ort: OrtClassifierTrainer | null =
    trainer !== 'ort' ? null : p.net === 'mlp' ? ortMlpTrainer((net as Mlp).shape, optimizer.cfg, threads) : new OrtCnnTrainer(optimizer.cfg, threads);
  const buffers = net instanceof Cnn ? net.buffers : undefined;
  ort?.setSi(!!si);
  const hooks: StepHooks[] = si && !ort
    ? [
        {
          beforeUpdate: (params, grads) => {
            si.beforeStep(params);
            si.afterGradients(grads);
          },
          afterUpdate: (params) => si.afterStep(params),
        },
      ]
    : [];
  let omega: Importances | null = null;
  let penalty: EwcPenalty | null = null;
  const T = tasks.length;
  const accuracy: AccuracyMatrix = Array.from({ length: T }, () => new Array<number | null>(T).fill(null));
  const timings = { totalS: 0, trainS: [] as number[], evalS: [] as number[], importanceS: [] as number[] };
  const omegaSum: number[] = [];
  const tag = `${spec.importance}/${spec.penalty} λ=${spec.lambda} run ${spec.run}`;
  try {
    for (let t = 0; t < T; t++) {
      si?.startTask(net.params);
      // Progress within a task: at most one line per 30 s (steps/s and the task's ETA; the task's own line ends it).
      const tick = progressTicker(30_000);
      const onProgress = (step: number, total: number, loss: number) => {
        const q = tick(step, total);
        if (q) opts.log?.(`[${tag}] task ${t + 1}/${T}: step ${step}/${total}, ${q.rate.toFixed(1)} steps/s, loss ${loss.toFixed(4)}, task ETA ${q.etaS.toFixed(0)} s`);
      };
      const plan = { epochs: p.epochs, batchSize: p.batchSize, trainLimit: p.trainLimit ?? undefined, rng: shuffleRng, onProgress, progressEvery: 10 };
      let tr;
      if (ort) {
        ort.pull(net.params, buffers);
        tr = await trainTaskOrt(ort, tasks[t], plan);
        ort.push(net.params, buffers);
        if (si) si.absorb(ort.takeSi(), tr.steps);
      } else {
        tr = trainTask(net, tasks[t], { ...plan, optimizer, penalty, hooks });
      }
      timings.trainS.push(tr.seconds);
      let e0 = performance.now();
      for (let i = 0; i <= t; i++) {
        accuracy[i][t] =
          ort instanceof OrtCnnTrainer ? await ort.evaluate(tasks[i], 500, p.testLimit ?? undefined) : evaluateTask(net, tasks[i], 1000, p.testLimit ?? undefined);
      }
      timings.evalS.push((performance.now() - e0) / 1000);
      const seen = accuracy.slice(0, t + 1).reduce((a, r) => a + (r[t] as number), 0) / (t + 1);
      opts.log?.(`[${tag}] task ${t + 1}/${T} (${tasks[t].name}): ${tr.steps} steps in ${tr.seconds.toFixed(1)} s, loss ${tr.lastEpochLoss.toFixed(4)}, mean acc over ${t + 1} tasks ${seen.toFixed(4)}`);
      if (t === T - 1 || !active) continue;
      e0 = performance.now();
      let taskOmega: Importances;
      if (si) {
        taskOmega = si.endTask(net.params);
      } else {
        const s = lastTrainingSamples(tasks[t], p.importanceSamples, p.trainLimit ?? undefined);
        taskOmega =
          ort instanceof OrtCnnTrainer && spec.importance !== 'signal'
            ? await ort.importance(spec.importance as 'fisher' | 'mas', s)
            : computeImportance(
          spec.importance,
          net.importanceTarget(),
          { kind: 'labelled', x: { shape: [s.n, IMAGE_PIXELS], data: s.x }, y: s.y },
          { names, mode: p.importanceMode, batchSize: 250 },
        );
      }
      omega = accumulate(omega, taskOmega);
      let os = 0;
      for (const o of omega.values()) for (let i = 0; i < o.data.length; i++) os += o.data[i];
      omegaSum.push(os);
      const config = { kind: spec.penalty, lambda: spec.lambda, eta: p.eta };
      const anchor = hostParams(net);
      // The compiled steps take the coefficients on the host; the tfjs steps an EwcPenalty on device.
      if (ort) ort.setPenalty({ c: penaltyCoefficients(omega, config), anchor });
      else {
        penalty?.dispose();
        penalty = new EwcPenalty({ config, omega, anchor, names });
      }
      timings.importanceS.push((performance.now() - e0) / 1000);
    }
  } finally {
    await ort?.dispose();
    penalty?.dispose();
    optimizer.dispose();
    net.dispose();
  }
  timings.totalS = (performance.now() - t0) / 1000;
  return {
    key: runKey(spec),
    protocolId: protocolId(p),
    net: p.net,
    importance: spec.importance,
    penalty: spec.penalty,
    lambda: spec.lambda,
    run: spec.run,
    runSeed,
    protocol: p,
    accuracy,
    final: finalMeanAccuracy(accuracy),
    seenMean: seenMeanAccuracies(accuracy),
    bwt: backwardTransfer(accuracy),
    forgetting: forgetting(accuracy),
    omegaSum,
    timings,
    backend: tf.getBackend(),
    trainer,
    finishedAt: new Date().toISOString(),
  };
}
