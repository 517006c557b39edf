/**
 * Speed of the continual-learning benchmarks on this machine: seconds per MLP run (10 tasks × 6 epochs of
 * permuted MNIST, the paper protocol) and per CNN epoch (60,000 images), with one worker and with all
 * workers training at once (one process each, as the grid runs them).
 *
 * Each worker times `--mlp-steps` MLP training steps (batch 100, with the EWC penalty active), one Fisher
 * importance on 5000 samples (the vectorised form the grid uses), one 10,000-image evaluation, and
 * `--cnn-steps` CNN training steps; a full run is extrapolated as
 *   MLP run = 36,000 steps + 9 importances + 55 task evaluations;  CNN epoch = 600 steps.
 * `--full-mlp` also times one complete MLP run end to end (minutes).
 * Wall time and CPU time (user + system of each worker process) are both recorded: on a machine shared with
 * other jobs (see the load average) wall times grow, while CPU time stays near what an idle core would take.
 *
 * `--trainer ort` (default) times the compiled steps the grid uses by default (src/benchmarks/ort-trainer.ts;
 * the CNN's importances and evaluation run there too, the CNN importance timed on `--cnn-importance` samples
 * and scaled to 5000); `--trainer tfjs` times the tfjs backend (wasm) for everything.
 *
 *   npx tsx scripts/bench-continual.ts [--trainer ort|tfjs] [--workers 1,2] [--mlp-steps 200] [--cnn-steps 3]
 *       [--cnn-importance 200] [--out results/continual-bench/bench.json]
 */
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backends/index.ts';
import { loadMnist } from '../src/data/images/mnist.ts';
import { buildStream } from '../src/data/images/streams.ts';
import { mulberry32 } from '../src/data/images/rng.ts';
import { IMAGE_PIXELS } from '../src/data/images/types.ts';
import { Mlp } from '../src/model/mlp.ts';
import { Cnn } from '../src/model/cnn.ts';
import type { BenchNet } from '../src/model/bench-net.ts';
import { NamedAdam } from '../src/benchmarks/adam.ts';
import { evaluateTask, lastTrainingSamples, trainStep } from '../src/benchmarks/train.ts';
import { computeImportance } from '../src/importance/registry.ts';
import { EwcPenalty } from '../src/regularizers/penalty.ts';
import { paperProtocol } from '../src/benchmarks/protocol.ts';
import { runContinual } from '../src/benchmarks/run.ts';
import { OrtCnnTrainer, ortMlpTrainer, type OrtClassifierTrainer } from '../src/benchmarks/ort-trainer.ts';
import { PAPER_ADAM } from '../src/benchmarks/adam.ts';
import { penaltyCoefficients } from '../src/regularizers/penalty.ts';
import { MLP_SHAPE } from '../src/model/mlp.ts';
import { writeJsonAtomic } from '../src/util/atomic.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

interface WorkerTimes {
  mlpStepMs: number;
  mlpImportanceS: number;
  mlpEvalS: number;
  cnnStepMs: number;
  /** ort only (tfjs: NaN): one CNN importance on 5000 samples and one 10,000-image CNN evaluation. */
  cnnImportanceS: number;
  cnnEvalS: number;
  /** The same, in CPU time of the worker process (user + system): what an idle core would take. */
  cpu: { mlpStepMs: number; mlpImportanceS: number; mlpEvalS: number; cnnStepMs: number; cnnImportanceS: number; cnnEvalS: number };
  fullMlpRunS?: number;
}

/** Wall and CPU milliseconds of f(). */
function timed(f: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

function timeSteps(net: BenchNet, steps: number, penalty: EwcPenalty | null, task: ReturnType<typeof buildStream>[number]): { wall: number; cpu: number } {
  const adam = new NamedAdam();
  const x = new Float32Array(100 * IMAGE_PIXELS);
  const y = new Int32Array(100);
  const rng = mulberry32(7);
  const idx = new Int32Array(100);
  const one = () => {
    for (let i = 0; i < 100; i++) idx[i] = Math.floor(rng() * task.data.train.n);
    for (let b = 0; b < 100; b++) {
      const src = idx[b] * IMAGE_PIXELS;
      for (let k = 0; k < IMAGE_PIXELS; k++) x[b * IMAGE_PIXELS + k] = task.data.train.images[src + k] / 255;
      y[b] = task.data.train.labels[idx[b]];
    }
    const xt = tf.tensor2d(x, [100, IMAGE_PIXELS]);
    const yt = tf.tensor1d(y, 'int32');
    trainStep(net, xt, yt, adam, penalty);
    tf.dispose([xt, yt]);
  };
  one(); // warm-up (kernel setup, optimizer state)
  const t = timed(() => {
    for (let s = 0; s < steps; s++) one();
  });
  adam.dispose();
  return { wall: t.wall / steps, cpu: t.cpu / steps };
}

async function timedAsync(f: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

/** Steps of a compiled trainer on random training batches of `task` (after one warm-up step that compiles). */
async function timeOrtSteps(t: OrtClassifierTrainer, steps: number, task: ReturnType<typeof buildStream>[number]): Promise<{ wall: number; cpu: number }> {
  const x = new Float32Array(100 * IMAGE_PIXELS);
  const y = new Int32Array(100);
  const rng = mulberry32(7);
  const fill = () => {
    for (let b = 0; b < 100; b++) {
      const i = Math.floor(rng() * task.data.train.n);
      for (let k = 0; k < IMAGE_PIXELS; k++) x[b * IMAGE_PIXELS + k] = task.data.train.images[i * IMAGE_PIXELS + k] / 255;
      y[b] = task.data.train.labels[i];
    }
  };
  fill();
  await t.step(x, y, 100);
  const r = await timedAsync(async () => {
    for (let s = 0; s < steps; s++) {
      fill();
      await t.step(x, y, 100);
    }
  });
  return { wall: r.wall / steps, cpu: r.cpu / steps };
}

/**
 * What both children share: the backend, the step counts, MNIST task 1, a fresh MLP and one Fisher importance
 * on its last 5000 training samples (timed; vectorised, as a grid run) with the anchor for the penalty.
 */
async function setup() {
  await initBackend('wasm');
  const mlpSteps = Number(arg('mlp-steps', '200'));
  const cnnSteps = Number(arg('cnn-steps', '3'));
  const mnist = loadMnist();
  const [task] = buildStream({ kind: 'permuted-mnist', tasks: 1, permSeed: 0 }, { mnist });
  const mlp = new Mlp(mulberry32(1));
  const names = [...mlp.params.keys()];
  const s = lastTrainingSamples(task, 5000);
  let omega!: ReturnType<typeof computeImportance>;
  const imp = timed(() => {
    omega = computeImportance('fisher', mlp.importanceTarget(), { kind: 'labelled', x: { shape: [s.n, IMAGE_PIXELS], data: s.x }, y: s.y }, { names, mode: 'vectorised', batchSize: 250 });
  });
  const anchor = new Map([...mlp.params].map(([n, v]) => [n, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  return { mlpSteps, cnnSteps, mnist, task, mlp, names, imp, omega, anchor };
}

async function childOrt(): Promise<void> {
  const { mlpSteps, cnnSteps, task, mlp, imp, omega, anchor } = await setup();
  const cnnImp = Number(arg('cnn-importance', '200'));
  const trainer = ortMlpTrainer(MLP_SHAPE, PAPER_ADAM);
  trainer.pull(mlp.params);
  trainer.setPenalty({ c: penaltyCoefficients(omega, { kind: 'ewc', lambda: 41, eta: 0.001 }), anchor });
  const step = await timeOrtSteps(trainer, mlpSteps, task);
  await trainer.dispose();
  const ev = timed(() => evaluateTask(mlp, task));
  mlp.dispose();
  const cnn = new Cnn(mulberry32(1));
  const ct = new OrtCnnTrainer(PAPER_ADAM);
  ct.pull(cnn.params, cnn.buffers);
  const cstep = cnnSteps > 0 ? await timeOrtSteps(ct, cnnSteps, task) : { wall: NaN, cpu: NaN };
  const cs = lastTrainingSamples(task, cnnImp);
  await ct.importance('fisher', { x: cs.x.subarray(0, IMAGE_PIXELS), y: cs.y.subarray(0, 1), n: 1 }); // compile
  const cimp = await timedAsync(async () => void (await ct.importance('fisher', cs)));
  await ct.evaluate(task, 500, 500); // compile
  const cev = await timedAsync(async () => void (await ct.evaluate(task, 500)));
  await ct.dispose();
  cnn.dispose();
  const scale = 5000 / cs.n;
  const out: WorkerTimes = {
    mlpStepMs: step.wall,
    mlpImportanceS: imp.wall / 1000,
    mlpEvalS: ev.wall / 1000,
    cnnStepMs: cstep.wall,
    cnnImportanceS: (cimp.wall * scale) / 1000,
    cnnEvalS: cev.wall / 1000,
    cpu: { mlpStepMs: step.cpu, mlpImportanceS: imp.cpu / 1000, mlpEvalS: ev.cpu / 1000, cnnStepMs: cstep.cpu, cnnImportanceS: (cimp.cpu * scale) / 1000, cnnEvalS: cev.cpu / 1000 },
  };
  process.send!(out);
}

async function child(): Promise<void> {
  const { mlpSteps, cnnSteps, mnist, task, mlp, names, imp, omega, anchor } = await setup();
  const penalty = new EwcPenalty({ config: { kind: 'ewc', lambda: 41, eta: 0.001 }, omega, anchor, names });
  const step = timeSteps(mlp, mlpSteps, penalty, task);
  const ev = timed(() => evaluateTask(mlp, task));
  penalty.dispose();
  mlp.dispose();
  const cnn = new Cnn(mulberry32(1));
  const cstep = cnnSteps > 0 ? timeSteps(cnn, cnnSteps, null, task) : { wall: NaN, cpu: NaN };
  cnn.dispose();
  const out: WorkerTimes = {
    mlpStepMs: step.wall,
    mlpImportanceS: imp.wall / 1000,
    mlpEvalS: ev.wall / 1000,
    cnnStepMs: cstep.wall,
    cnnImportanceS: NaN,
    cnnEvalS: NaN,
    cpu: { mlpStepMs: step.cpu, mlpImportanceS: imp.cpu / 1000, mlpEvalS: ev.cpu / 1000, cnnStepMs: cstep.cpu, cnnImportanceS: NaN, cnnEvalS: NaN },
  };
  if (process.argv.includes('--full-mlp')) {
    const t0 = performance.now();
    await runContinual({ protocol: paperProtocol('mlp'), importance: 'fisher', penalty: 'ewc', lambda: 41, run: 0 }, { mnist });
    out.fullMlpRunS = (performance.now() - t0) / 1000;
  }
  process.send!(out);
}

async function main(): Promise<void> {
  const workerCounts = arg('workers', `1,${cpus().length}`).split(',').map(Number);
  const outPath = arg('out', 'results/continual-bench/bench.json');
  const rows: Record<string, unknown>[] = [];
  const ort = arg('trainer', 'ort') === 'ort';
  for (const w of [...new Set(workerCounts)]) {
    const load0 = loadavg()[0];
    const t0 = performance.now();
    const times = await Promise.all(
      Array.from({ length: w }, () =>
        new Promise<WorkerTimes>((resolve, reject) => {
          const c = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          c.on('message', (m) => resolve(m as WorkerTimes));
          c.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`bench worker exited with ${code}`))));
        }),
      ),
    );
    const mean = (f: (t: WorkerTimes) => number) => times.reduce((a, t) => a + f(t), 0) / times.length;
    const stepMs = mean((t) => t.mlpStepMs);
    const impS = mean((t) => t.mlpImportanceS);
    const evalS = mean((t) => t.mlpEvalS);
    const mlpRunS = (36000 * stepMs) / 1000 + 9 * impS + 55 * evalS;
    const cnnStepMs = mean((t) => t.cnnStepMs);
    const cpuStepMs = mean((t) => t.cpu.mlpStepMs);
    const cpuRunS = (36000 * cpuStepMs) / 1000 + 9 * mean((t) => t.cpu.mlpImportanceS) + 55 * mean((t) => t.cpu.mlpEvalS);
    const cpuCnnStepMs = mean((t) => t.cpu.cnnStepMs);
    rows.push({
      workers: w,
      mlpStepMs: +stepMs.toFixed(2),
      mlpImportanceS: +impS.toFixed(2),
      mlpEvalS: +evalS.toFixed(3),
      mlpRunS: +mlpRunS.toFixed(0),
      mlpRunsPerHour: +((3600 / mlpRunS) * w).toFixed(2),
      fullMlpRunS: times[0].fullMlpRunS ?? null,
      cnnStepMs: +cnnStepMs.toFixed(0),
      cnnEpochS: +((600 * cnnStepMs) / 1000).toFixed(0),
      // ort only (process.send turns the tfjs children's NaN into null): null = not measured
      cnnImportanceS: ort ? +mean((t) => t.cnnImportanceS).toFixed(1) : null,
      cnnEvalS: ort ? +mean((t) => t.cnnEvalS).toFixed(2) : null,
      // paper CNN run: 4 tasks × 6 epochs × 600 steps + 3 importances (5000 samples) + 10 task evaluations
      cnnRunS: ort ? +((24 * 600 * cnnStepMs) / 1000 + 3 * mean((t) => t.cnnImportanceS) + 10 * mean((t) => t.cnnEvalS)).toFixed(0) : null,
      cpu: {
        mlpStepMs: +cpuStepMs.toFixed(2),
        mlpImportanceS: +mean((t) => t.cpu.mlpImportanceS).toFixed(2),
        mlpEvalS: +mean((t) => t.cpu.mlpEvalS).toFixed(3),
        mlpRunS: +cpuRunS.toFixed(0),
        cnnStepMs: +cpuCnnStepMs.toFixed(0),
        cnnEpochS: +((600 * cpuCnnStepMs) / 1000).toFixed(0),
      },
      loadAvgBefore: +load0.toFixed(2),
      loadAvgAfter: +loadavg()[0].toFixed(2),
      wallS: +((performance.now() - t0) / 1000).toFixed(1),
    });
  }
  const result = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    trainer: arg('trainer', 'ort'),
    backend: 'wasm (tfjs parts)',
    protocol: 'MLP run = 10 tasks × 6 epochs × 600 steps (batch 100) + 9 Fisher importances (5000 samples) + 55 test evaluations; CNN epoch = 600 steps',
    reference: "authors' PyTorch code on this machine (method.md §3): 119.5 s per full FC run (1 thread), 78–127 s per CNN epoch",
    rows,
    measuredAt: new Date().toISOString(),
  };
  writeJsonAtomic(outPath, result);
  console.log('| workers | MLP step ms | importance s | eval s | s / MLP run | MLP runs/h (all workers) | CNN step ms | s / CNN epoch | CNN importance s | CNN eval s | s / CNN run (paper) | CPU-s / MLP run | CPU-s / CNN epoch | load avg |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const c = r.cpu as Record<string, number>;
    console.log(`| ${r.workers} | ${r.mlpStepMs} | ${r.mlpImportanceS} | ${r.mlpEvalS} | ${r.mlpRunS} | ${r.mlpRunsPerHour} | ${r.cnnStepMs} | ${r.cnnEpochS} | ${r.cnnImportanceS ?? '–'} | ${r.cnnEvalS ?? '–'} | ${r.cnnRunS ?? '–'} | ${c.mlpRunS} | ${c.cnnEpochS} | ${r.loadAvgBefore}→${r.loadAvgAfter} |`);
  }
  console.log(`wrote ${outPath}`);
}

if (process.argv.includes('--child')) await (arg('trainer', 'ort') === 'ort' ? childOrt() : child());
else await main();
