/**
 * A pool of worker threads running continual-learning runs in parallel (one wasm backend each: the wasm
 * backend is single-threaded in Node, separate workers scale — tfjs-notes.md §2). The datasets are loaded
 * once in the main thread into SharedArrayBuffers and shared, not copied.
 *
 * Messages main → worker: {type:'run', spec} | {type:'stop'}.
 * worker → main: {type:'ready'} | {type:'log', msg} | {type:'result', result} | {type:'error', message, stack}.
 */
import { Worker } from 'node:worker_threads';
import type { StreamData } from '../data/images/streams.ts';
import type { RunSpec } from './protocol.ts';
import type { RunResult, Trainer } from './run.ts';
import { EwcError } from '../util/errors.ts';

export interface PoolOptions {
  workers: number;
  data: StreamData;
  backend: string;
  trainer: Trainer;
  /** Called in the main thread for every finished run, in completion order. */
  onResult: (r: RunResult) => void;
  log?: (msg: string) => void;
}

/** Runs every spec on `workers` threads; resolves when all are done (rejects on the first failure). */
export function runInWorkers(specs: RunSpec[], opts: PoolOptions): Promise<void> {
  const queue = [...specs];
  const n = Math.max(1, Math.min(opts.workers, specs.length));
  if (specs.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let running = 0;
    let failed = false;
    const finish = (err?: Error) => {
      if (failed) return;
      if (err) {
        failed = true;
        for (const w of workers) void w.terminate();
        reject(err);
        return;
      }
      if (queue.length === 0 && running === 0) {
        for (const w of workers) w.postMessage({ type: 'stop' });
        resolve();
      }
    };
    for (let id = 0; id < n; id++) {
      const w = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
        workerData: { data: opts.data, backend: opts.backend, trainer: opts.trainer, id },
      });
      workers.push(w);
      let current: RunSpec | null = null;
      const next = () => {
        const spec = queue.shift();
        if (!spec) {
          current = null;
          finish();
          return;
        }
        current = spec;
        running++;
        w.postMessage({ type: 'run', spec });
      };
      w.on('message', (m: any) => {
        if (m.type === 'ready') next();
        else if (m.type === 'log') opts.log?.(m.msg);
        else if (m.type === 'result') {
          running--;
          try {
            opts.onResult(m.result as RunResult);
          } catch (e) {
            finish(e as Error);
            return;
          }
          next();
        } else if (m.type === 'error') {
          running--;
          const what = current ? `${current.importance}/${current.penalty} λ=${current.lambda} run ${current.run}` : 'a run';
          finish(new EwcError(`continual: ${what} failed in worker ${id}: ${m.message}`, { stack: m.stack }));
        }
      });
      w.on('error', (e) => finish(e));
      w.on('exit', (code) => {
        if (code !== 0 && !failed && (queue.length > 0 || current)) finish(new Error(`worker ${id} exited with code ${code}`));
      });
    }
  });
}
