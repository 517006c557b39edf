/**
 * The λ grid: R runs per λ of one (net, importance, penalty), each appended to <out>/results.jsonl as it
 * finishes; rerunning skips runs whose key (protocol id, net, importance, penalty, λ, run) is already there.
 * Runs are ordered run-major (run 0 of every λ, then run 1, …) so an interrupted grid still covers every λ.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../data/images/mnist.ts';
import { loadFashionMnist } from '../data/images/fashion.ts';
import type { StreamData } from '../data/images/streams.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { protocolId, runKey, type BenchImportance, type BenchPenalty, type Protocol, type RunSpec } from './protocol.ts';
import { resolveTrainer, runContinual, type RunResult, type TRAINERS } from './run.ts';
import { runInWorkers } from './pool.ts';
import { initBackend } from '../backends/index.ts';

export const RESULTS_FILE = 'results.jsonl';

export interface GridSpec {
  protocol: Protocol;
  importance: BenchImportance;
  penalty: BenchPenalty;
  lambdas: number[];
  runs: number;
}

export function planRuns(g: GridSpec): RunSpec[] {
  if (g.lambdas.length === 0) throw new EwcError('continual: expected at least one λ (--lambda 0,41), found none.');
  for (const l of g.lambdas) {
    if (!(l >= 0) || !Number.isFinite(l)) throw new EwcError(`continual --lambda: expected numbers ≥ 0, found ${l}.`);
  }
  if (g.protocol.net === 'cnn' && g.importance === 'signal') {
    throw new EwcError("continual: 'signal' importance is defined for dense layers only (the MLP); for --net cnn use fisher, mas or si.");
  }
  if (!Number.isInteger(g.runs) || g.runs < 1) throw new EwcError(`continual --runs: expected an integer ≥ 1, found ${g.runs}.`);
  const out: RunSpec[] = [];
  for (let run = 0; run < g.runs; run++) {
    for (const lambda of g.lambdas) out.push({ protocol: g.protocol, importance: g.importance, penalty: g.penalty, lambda, run });
  }
  return out;
}

/** Reads results.jsonl; a truncated last line (interrupted write) is ignored. */
export function readResults(dir: string): RunResult[] {
  const path = join(dir, RESULTS_FILE);
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const out: RunResult[] = [];
  lines.forEach((l, i) => {
    try {
      out.push(JSON.parse(l) as RunResult);
    } catch {
      if (i !== lines.length - 1) throw new EwcError(`${path}: line ${i + 1} is not valid JSON. Remove or fix it, then rerun.`);
    }
  });
  return out;
}

export function loadStreamData(net: Protocol['net'], shared: boolean): StreamData {
  return { mnist: loadMnist({ shared }), fashion: net === 'cnn' ? loadFashionMnist({ shared }) : undefined };
}

export interface GridOptions {
  out: string;
  /** Worker threads (default one per core); 0 = run in this thread. */
  workers?: number;
  backend: string;
  /** Who runs the training steps (default 'auto' = ort). */
  trainer?: (typeof TRAINERS)[number];
  log?: (msg: string) => void;
  /** Extra fields saved in config.json (e.g. the command line). */
  meta?: Record<string, unknown>;
}

export interface GridSummary {
  out: string;
  protocolId: string;
  planned: number;
  skipped: number;
  ran: number;
  seconds: number;
}

export async function runGrid(g: GridSpec, opts: GridOptions): Promise<GridSummary> {
  const t0 = performance.now();
  mkdirSync(opts.out, { recursive: true });
  const plan = planRuns(g);
  const done = new Set(readResults(opts.out).map((r) => r.key));
  const todo = plan.filter((s) => !done.has(runKey(s)));
  const workers = opts.workers ?? availableParallelism();
  const pid = protocolId(g.protocol);
  const trainer = resolveTrainer(opts.trainer);
  // One resolved-config file per (protocol, importance, penalty, λ list): a second command with other λs
  // does not overwrite the first one's record.
  const lamTag = g.lambdas.map((l) => String(l).replace(/[^0-9a-zA-Z.-]/g, '_')).join('_');
  writeJsonAtomic(join(opts.out, `config-${pid}-${g.importance}-${g.penalty}-l${lamTag}.json`), {
    protocolId: pid,
    protocol: g.protocol,
    importance: g.importance,
    penalty: g.penalty,
    lambdas: g.lambdas,
    runs: g.runs,
    workers,
    backend: opts.backend,
    trainer,
    ...opts.meta,
  });
  const log = opts.log ?? (() => {});
  log(`continual: ${plan.length} runs planned, ${plan.length - todo.length} already in ${join(opts.out, RESULTS_FILE)}, ${todo.length} to run on ${workers === 0 ? 'this thread' : `${Math.min(workers, todo.length)} worker(s)`}`);
  let finished = 0;
  const onResult = (r: RunResult) => {
    appendFileSync(join(opts.out, RESULTS_FILE), JSON.stringify(r) + '\n');
    finished++;
    const el = (performance.now() - t0) / 1000;
    const eta = (el / finished) * (todo.length - finished);
    log(`continual: run ${finished}/${todo.length} done (${r.importance}/${r.penalty} λ=${r.lambda} run ${r.run}: final ${r.final.toFixed(4)}, ${r.timings.totalS.toFixed(1)} s); ETA ${eta.toFixed(0)} s`);
  };
  if (todo.length > 0) {
    if (workers === 0) {
      await initBackend(opts.backend);
      const data = loadStreamData(g.protocol.net, false);
      for (const s of todo) onResult(await runContinual(s, data, { log, trainer }));
    } else {
      const data = loadStreamData(g.protocol.net, true);
      await runInWorkers(todo, { workers, data, backend: opts.backend, trainer, onResult, log });
    }
  }
  return { out: opts.out, protocolId: pid, planned: plan.length, skipped: plan.length - todo.length, ran: todo.length, seconds: (performance.now() - t0) / 1000 };
}
