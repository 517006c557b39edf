/**
 * Body of a grid worker thread: initialises its own tfjs backend (one single-threaded wasm instance per
 * worker), rebuilds the task stream from the shared (SharedArrayBuffer) datasets, then runs the specs it is
 * sent one at a time and posts each result back. Messages: see pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backends/index.ts';
import type { StreamData } from '../data/images/streams.ts';
import { runContinual, type Trainer } from './run.ts';
import type { RunSpec } from './protocol.ts';

interface Init {
  data: StreamData;
  backend: string;
  trainer: Trainer;
  id: number;
}
const init = workerData as Init;
const port = parentPort!;

await initBackend(init.backend);
port.on('message', async (msg: { type: 'run'; spec: RunSpec } | { type: 'stop' }) => {
  if (msg.type === 'stop') {
    process.exit(0);
  }
  try {
    const result = await runContinual(msg.spec, init.data, { trainer: init.trainer, log: (m) => port.postMessage({ type: 'log', msg: `[w${init.id}] ${m}` }) });
    port.postMessage({ type: 'result', result });
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message, stack: (e as Error).stack });
  }
});
port.postMessage({ type: 'ready' });
