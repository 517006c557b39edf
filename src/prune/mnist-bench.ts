/**
 * The paper's pruning protocol (method.md §4, Figure 5) on the fully connected MNIST net:
 *   1. train the 784-300-150-10 leaky_relu net on MNIST alone (Adam lr 0.001, batch 100, 6 epochs;
 *      src/benchmarks/train.ts), with the SI tracker riding along when 'si' is asked for;
 *   2. importances on the MNIST TEST set (10,000 samples): fisher (dataset labels), mas, signal, magnitude; si
 *      from training (src/importance);
 *   3. per score and scope: rank the parameters once, then zero cumulatively p = 0, step, …, 1 (no retraining)
 *      and measure test accuracy at each p (src/prune/mask.ts CumulativePruner: O(newly pruned) per step);
 *   4. repeat for `models` independently seeded nets; curves = mean ± 95% t-interval (population std).
 * Each finished (model, scope) is written to OUT/models/model-<i>-<scope>.json, so an interrupted run resumes where
 * it stopped; trained nets and their scores are cached (CACHE/model-<i>.safetensors) for other scopes/steps.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist } from '../data/images/mnist.ts';
import { mixSeed, mulberry32 } from '../data/images/rng.ts';
import { fillBatch, type Task } from '../data/images/streams.ts';
import { IMAGE_PIXELS } from '../data/images/types.ts';
import { NamedAdam, PAPER_ADAM } from '../benchmarks/adam.ts';
import { trainTask, type StepHooks } from '../benchmarks/train.ts';
import { Mlp } from '../model/mlp.ts';
import { mlpTarget } from './mlp-target.ts';
import { IncrementalMlpEval } from './mlp-eval.ts';
import { computeImportance } from '../importance/registry.ts';
import { SiTracker } from '../importance/si.ts';
import type { ImportanceSamples, Importances } from '../importance/types.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import type { NamedTensors } from '../io/types.ts';
import { log } from '../util/log.ts';
import { CumulativePruner, type ParamMap } from './mask.ts';
import { rankParameters, type PruneScope } from './rank.ts';
import type { CurveRun } from './curves.ts';
import { benchFractions } from './curves.ts';

export const MNIST_SCORES = ['magnitude', 'fisher', 'mas', 'si', 'signal'] as const;

export interface MnistBenchConfig {
  models: number;
  scores: string[];
  scopes: PruneScope[];
  /** fraction grid step (paper: 0.001); the table fractions are always added to the grid */
  step: number;
  /** optional finer grid from this fraction to 1 (null = none) */
  fineFrom: number | null;
  fineStep: number;
  /** method.md §3/§4: 6 epochs, batch 100, Adam(0.001, 0.9, 0.999, 1e-8) */
  epochs: number;
  batchSize: number;
  seed: number;
  /** use only the first N training images (undefined = all 60,000; tests use fewer) */
  trainLimit?: number;
  /** use only the first N test images for importances and accuracy (undefined = all 10,000) */
  testLimit?: number;
  /** hidden sizes (default the paper's 300, 150; tests use smaller) */
  hidden: number[];
  /** samples per importance batch */
  importanceBatch: number;
}

export const DEFAULT_MNIST_BENCH: MnistBenchConfig = {
  models: 10,
  scores: [...MNIST_SCORES],
  scopes: ['global'],
  step: 0.001,
  fineFrom: null,
  fineStep: 0.01,
  epochs: 6,
  batchSize: 100,
  seed: 1,
  hidden: [300, 150],
  importanceBatch: 100,
};


/** Test set on the host: x [n, 784] in [0,1] and labels. */
function testHost(task: Task, limit?: number): { x: Float32Array; y: Int32Array } {
  const set = task.data.test;
  const n = limit !== undefined ? Math.min(limit, set.n) : set.n;
  const x = new Float32Array(n * IMAGE_PIXELS);
  const y = new Int32Array(n);
  fillBatch(task, set, Int32Array.from({ length: n }, (_, i) => i), x, y);
  return { x, y };
}

/** Test set as one tensor [n, 784] in [0,1] and labels. */
function testTensors(task: Task, limit?: number): { x: tf.Tensor2D; y: Int32Array; host: Float32Array } {
  const set = task.data.test;
  const n = limit !== undefined ? Math.min(limit, set.n) : set.n;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const host = new Float32Array(n * IMAGE_PIXELS);
  const y = new Int32Array(n);
  fillBatch(task, set, idx, host, y);
  return { x: tf.tensor2d(host, [n, IMAGE_PIXELS]), y, host };
}

/** Test accuracy of the net's current parameters. */
export function accuracy(net: Mlp, x: tf.Tensor2D, y: Int32Array, chunk = 5000): number {
  let correct = 0;
  const n = y.length;
  for (let s = 0; s < n; s += chunk) {
    const b = Math.min(chunk, n - s);
    const pred = tf.tidy(() => tf.argMax(net.logits(tf.slice(x, [s, 0], [b, x.shape[1]]) as tf.Tensor2D, false), 1));
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < b; i++) if (p[i] === y[s + i]) correct++;
  }
  return correct / n;
}

function hostParams(net: Mlp): ParamMap {
  const out: ParamMap = new Map();
  for (const [n, v] of net.params) out.set(n, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
  return out;
}

/** What a trained model's cached state depends on (not scopes, step or the number of models). */
function stateKey(cfg: MnistBenchConfig, m: number): string {
  return JSON.stringify({ m, seed: cfg.seed, epochs: cfg.epochs, batchSize: cfg.batchSize, trainLimit: cfg.trainLimit ?? null, testLimit: cfg.testLimit ?? null, hidden: cfg.hidden, importanceBatch: cfg.importanceBatch });
}

export interface PreparedModel {
  base: ParamMap;
  scores: Map<string, Importances>;
  trainSeconds: number;
  testAccuracy: number;
}

/**
 * Trains model m and computes its scores, or loads them from `statePath` (a safetensors file holding
 * `param/<name>` and `score/<score>/<name>`, written after training) when its key matches and it has every score.
 */
export function prepareMnistModel(m: number, cfg: MnistBenchConfig, task: Task, statePath: string | null, onLog = log): PreparedModel {
  const key = stateKey(cfg, m);
  if (statePath && existsSync(statePath)) {
    const r = readSafetensors(statePath);
    const have = (r.metadata.scores ?? '').split(',');
    if (r.metadata.key === key && cfg.scores.every((s) => have.includes(s))) {
      const base: ParamMap = new Map();
      const scores = new Map<string, Importances>();
      for (const [n, t] of r.tensors) {
        if (n.startsWith('param/')) base.set(n.slice(6), { shape: t.shape, data: t.data });
        else if (n.startsWith('score/')) {
          const [, sc, ...rest] = n.split('/');
          if (!scores.has(sc)) scores.set(sc, new Map());
          scores.get(sc)!.set(rest.join('/'), { shape: t.shape, data: t.data });
        }
      }
      onLog(`  model ${m + 1}/${cfg.models}: trained state reused from ${statePath}`);
      return { base, scores, trainSeconds: Number(r.metadata.trainSeconds), testAccuracy: Number(r.metadata.testAccuracy) };
    }
  }
  const t0 = performance.now();
  const seed = mixSeed(cfg.seed, m);
  const net = new Mlp(mulberry32(mixSeed(seed, 1)), [IMAGE_PIXELS, ...cfg.hidden, 10]);
  const names = [...net.params.keys()];
  const test = testTensors(task, cfg.testLimit);
  try {
    // SI accumulates during training when asked for (hooks see the total-loss gradient before each update)
    const si = cfg.scores.includes('si') ? new SiTracker(names) : null;
    const hooks: StepHooks[] = [];
    if (si) {
      si.startTask(net.params);
      hooks.push({
        beforeUpdate: (params, grads) => {
          si.beforeStep(params);
          si.afterGradients(grads);
        },
        afterUpdate: (params) => si.afterStep(params),
      });
    }
    const opt = new NamedAdam(PAPER_ADAM);
    let lastPct = -1;
    const stats = trainTask(net, task, {
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      trainLimit: cfg.trainLimit,
      rng: mulberry32(mixSeed(seed, 2)),
      optimizer: opt,
      hooks,
      progressEvery: 50,
      onProgress: (step, total, loss) => {
        const pct = Math.floor((100 * step) / total);
        if (pct >= lastPct + 10 || step === total) {
          lastPct = pct;
          const el = (performance.now() - t0) / 1000;
          onLog(`  model ${m + 1}/${cfg.models}: training ${pct}% (step ${step}/${total}, loss ${loss.toFixed(4)}, ${(step / el).toFixed(1)} steps/s)`);
        }
      },
    });
    opt.dispose();
    const base = hostParams(net);
    const testAccuracy = accuracy(net, test.x, test.y);
    onLog(`  model ${m + 1}/${cfg.models}: trained in ${stats.seconds.toFixed(1)} s, test accuracy ${testAccuracy.toFixed(4)}`);
    const samples: ImportanceSamples = { kind: 'labelled', x: { shape: [test.y.length, IMAGE_PIXELS], data: test.host }, y: test.y };
    const scores = new Map<string, Importances>();
    for (const s of cfg.scores) {
      const ts = performance.now();
      if (s === 'si') scores.set(s, si!.endTask(net.params));
      else scores.set(s, computeImportance(s, mlpTarget(net), s === 'magnitude' ? null : samples, { names, mode: 'vectorised', batchSize: cfg.importanceBatch }));
      onLog(`  model ${m + 1}/${cfg.models}: ${s} scores in ${((performance.now() - ts) / 1000).toFixed(1)} s`);
    }
    if (statePath) {
      const t: NamedTensors = new Map();
      for (const [n, v] of base) t.set(`param/${n}`, v);
      for (const [s, imp] of scores) for (const [n, v] of imp) t.set(`score/${s}/${n}`, v);
      writeSafetensors(statePath, t, { key, scores: [...scores.keys()].join(','), trainSeconds: String(stats.seconds), testAccuracy: String(testAccuracy) });
    }
    return { base, scores, trainSeconds: stats.seconds, testAccuracy };
  } finally {
    test.x.dispose();
    net.dispose();
  }
}

/** Accuracy at every fraction of the grid for one model, score and scope (cumulative zeroing, no retraining). */
export function sweepMnistModel(
  m: number,
  prep: PreparedModel,
  cfg: MnistBenchConfig,
  scope: PruneScope,
  task: Task,
  onLog = log,
): CurveRun[] {
  const names = [...prep.base.keys()];
  const test = testHost(task, cfg.testLimit);
  const fractions = benchFractions(cfg.step, cfg.fineFrom, cfg.fineStep);
  const ev = new IncrementalMlpEval(test.x, test.y, prep.base);
  const runs: CurveRun[] = [];
  for (const s of cfg.scores) {
    const ts = performance.now();
    const ranking = rankParameters(prep.scores.get(s)!, scope, names);
    const pruner = new CumulativePruner(ranking, prep.base);
    const current: ParamMap = new Map([...prep.base, ...pruner.params]); // pruner.params are zeroed in place
    ev.reset(prep.base);
    const value: number[] = [];
    for (const p of fractions) {
      const changed = pruner.advanceTo(p, (n, i, old) => ev.zero(n, i, old));
      value.push(changed.size || value.length === 0 ? ev.accuracy(current) : value[value.length - 1]);
    }
    runs.push({ score: s, scope, model: m, fraction: fractions, value });
    const at = (f: number) => value[fractions.findIndex((x) => Math.abs(x - f) < 1e-9)];
    onLog(
      `  model ${m + 1}/${cfg.models}: ${scope} ${s}: acc@50/80/90/95% ${[0.5, 0.8, 0.9, 0.95].map((f) => at(f).toFixed(3)).join('/')} ` +
        `(${fractions.length} fractions, ${((performance.now() - ts) / 1000).toFixed(1)} s)`,
    );
  }
  return runs;
}

export interface ModelSummary {
  model: number;
  trainSeconds: number;
  testAccuracy: number;
}

/** Result file of model m and one scope; reused when the configuration (but the model count) matches. */
export function modelFile(out: string, m: number, scope: PruneScope): string {
  return join(out, 'models', `model-${m}-${scope}.json`);
}

function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

function resultKey(cfg: MnistBenchConfig, scope: PruneScope): string {
  return sortedJson({ ...cfg, models: 0, scopes: [scope] });
}

/**
 * Runs (or resumes) all models and scopes (or only the model indices in `only`, e.g. one shard of a run split
 * over processes); returns every curve run. Trained states are cached under `cacheDir`
 * (one safetensors file per model, ~7 MB; null = no cache) so that another scope or step reuses them.
 */
export function runMnistBench(
  cfg: MnistBenchConfig,
  out: string,
  cacheDir: string | null,
  onLog = log,
  only: number[] | null = null,
  reportOnly = false,
): { runs: CurveRun[]; models: ModelSummary[] } {
  const data = loadMnist();
  const task: Task = { name: 'mnist', data, pixelMap: null };
  const runs: CurveRun[] = [];
  const models: ModelSummary[] = [];
  const t0 = performance.now();
  let fresh = 0;
  const order = only ?? Array.from({ length: cfg.models }, (_, m) => m);
  for (const m of order) {
    let prep: PreparedModel | null = null;
    let summary: ModelSummary | null = null;
    for (const scope of cfg.scopes) {
      const f = modelFile(out, m, scope);
      if (existsSync(f)) {
        const saved = JSON.parse(readFileSync(f, 'utf8')) as { key: string; summary: ModelSummary; runs: CurveRun[] };
        if (saved.key === resultKey(cfg, scope)) {
          onLog(`model ${m + 1}/${cfg.models} ${scope}: reusing ${f}`);
          runs.push(...saved.runs);
          summary ??= saved.summary;
          continue;
        }
      }
      if (reportOnly) break;
      if (!prep) {
        onLog(`model ${m + 1}/${cfg.models}: preparing…`);
        prep = prepareMnistModel(m, cfg, task, cacheDir ? join(cacheDir, `model-${m}.safetensors`) : null, onLog);
      }
      summary = { model: m, trainSeconds: prep.trainSeconds, testAccuracy: prep.testAccuracy };
      const r = sweepMnistModel(m, prep, cfg, scope, task, onLog);
      writeJsonAtomic(f, { key: resultKey(cfg, scope), summary, runs: r });
      runs.push(...r);
    }
    if (prep) {
      fresh++;
      const el = (performance.now() - t0) / 1000;
      const left = order.length - order.indexOf(m) - 1;
      onLog(`model ${m + 1}/${cfg.models} done; ETA ${((el / fresh) * left).toFixed(0)} s`);
    }
    if (reportOnly && !cfg.scopes.every((sc) => runs.some((r) => r.model === m && r.scope === sc))) {
      // report-only: keep only models finished for every scope
      for (let i = runs.length - 1; i >= 0; i--) if (runs[i].model === m) runs.splice(i, 1);
      onLog(`model ${m + 1}/${cfg.models}: not finished, left out of the report`);
      continue;
    }
    models.push(summary!);
  }
  return { runs, models };
}
