/**
 * Benchmark (not a test): evaluation throughput and memory of a GPT-2 124M-shaped model on the wasm backend.
 *
 * Writes a checkpoint with seeded random weights (HF GPT2Config defaults: 12 layers, n_embd 768, vocab 50257)
 * to a temp dir, loads it back through loadCheckpoint, and runs forward NLL passes at ctx 128 (as eval does),
 * timing each batch after one warm-up batch. Prints a table; writes results/bench-eval-124m.json.
 *
 *   npx tsx scripts/bench-eval-124m.ts [--batch 8] [--ctx 128] [--batches 3] [--backend wasm]
 *
 * Reference point (../shared/docs/tfjs-notes.md): ~76 tokens/s for 124M eval at ctx 128 on wasm, 2 cores.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backends/index.ts';
import { expectedParamShapes, loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.ts';
import type { NamedTensors } from '../src/io/types.ts';
import { makeGPT2Config } from '../src/model/gpt2-config.ts';
import { GPT2Model } from '../src/model/gpt2.ts';
import { writeJsonAtomic } from '../src/util/atomic.ts';
import { repoRoot } from '../src/util/shared.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const batch = Number(arg('batch', '8'));
const ctx = Number(arg('ctx', '128'));
const batches = Number(arg('batches', '3'));
const backendChoice = arg('backend', 'wasm');
const seed = 1234;

const mib = (b: number) => b / 2 ** 20;
let peakWasmHeap = 0;
function wasmHeapBytes(): number {
  const be = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return be.wasm?.HEAPU8?.byteLength ?? 0;
}
function sample(): void {
  peakWasmHeap = Math.max(peakWasmHeap, wasmHeapBytes());
}

/** Seeded weights with GPT-2's init scale: uniform with std 0.02 (±0.02·√3); LayerNorm weights 1, biases 0. */
function randomWeights(config: ReturnType<typeof makeGPT2Config>): NamedTensors {
  let s = seed >>> 0;
  const a = 0.02 * Math.sqrt(3);
  const out: NamedTensors = new Map();
  for (const [name, shape] of expectedParamShapes(config)) {
    const n = shape.reduce((x, y) => x * y, 1);
    const d = new Float32Array(n);
    if (/ln_(1|2|f)\.weight$/.test(name)) d.fill(1);
    else if (!name.endsWith('.bias')) {
      for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        d[i] = (s / 2 ** 32 - 0.5) * 2 * a;
      }
    }
    out.set(name, { shape, data: d });
  }
  return out;
}

const config = makeGPT2Config({}); // HF defaults = GPT-2 124M
const dir = mkdtempSync(join(tmpdir(), 'ewc-lm-bench-124m-'));
try {
  let t = Date.now();
  saveCheckpoint(dir, config, randomWeights(config));
  const writeS = (Date.now() - t) / 1000;
  t = Date.now();
  const ck = loadCheckpoint(dir);
  const loadS = (Date.now() - t) / 1000;
  const nParams = [...ck.params.values()].reduce((a, p) => a + p.data.length, 0);

  const backend = await initBackend(backendChoice);
  t = Date.now();
  const model = GPT2Model.fromHost(ck.config, ck.params);
  ck.params.clear(); // drop the host copies
  const uploadS = (Date.now() - t) / 1000;
  sample();

  let s = seed;
  const makeIds = () => {
    const ids = new Int32Array(batch * ctx);
    for (let i = 0; i < ids.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      ids[i] = s % config.vocab_size;
    }
    return ids;
  };
  const heapAfterUpload = wasmHeapBytes();
  // Wall time and this process's CPU time per batch: the wasm backend is single-threaded, so on a shared
  // machine CPU seconds are the better measure of what one uncontended core delivers.
  const runBatch = (): { seconds: number; cpuSeconds: number; nll: number } => {
    const ids = makeIds();
    const t0 = Date.now();
    const c0 = process.cpuUsage();
    const nll = tf.tidy(() => tf.mean(model.tokenNll(tf.tensor2d(ids, [batch, ctx], 'int32'))).dataSync()[0]);
    const c = process.cpuUsage(c0);
    sample();
    return { seconds: (Date.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, nll };
  };
  process.stderr.write(`bench: ${nParams} parameters on ${backend}; warm-up batch…\n`);
  const warm = runBatch();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let lastNll = warm.nll;
  for (let i = 0; i < batches; i++) {
    const r = runBatch();
    times.push(r.seconds);
    cpuTimes.push(r.cpuSeconds);
    lastNll = r.nll;
    process.stderr.write(`bench: batch ${i + 1}/${batches}: ${r.seconds.toFixed(2)} s (${r.cpuSeconds.toFixed(2)} CPU s), ${((batch * ctx) / r.seconds).toFixed(1)} tokens/s\n`);
  }
  const total = times.reduce((a, b) => a + b, 0);
  const tokensPerS = (batch * ctx * batches) / total;
  const cpuTotal = cpuTimes.reduce((a, b) => a + b, 0);
  const tokensPerCpuS = (batch * ctx * batches) / cpuTotal;
  const load = (await import('node:os')).loadavg()[0];
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  model.dispose();

  const rows: Array<[string, string]> = [
    ['backend', backend],
    ['parameters', String(nParams)],
    ['batch × ctx', `${batch} × ${ctx}`],
    ['timed batches', String(batches)],
    ['eval tokens/s (input tokens)', tokensPerS.toFixed(1)],
    ['eval tokens per CPU second', tokensPerCpuS.toFixed(1)],
    ['seconds per batch (mean wall / CPU)', `${(total / batches).toFixed(2)} / ${(cpuTotal / batches).toFixed(2)}`],
    ['1-min load average at end (2 = both cores busy)', load.toFixed(2)],
    ['warm-up batch s', warm.seconds.toFixed(2)],
    ['peak RSS MiB', peakRssMiB.toFixed(0)],
    ['wasm heap after upload / peak MiB', `${mib(heapAfterUpload).toFixed(0)} / ${mib(peakWasmHeap).toFixed(0)}`],
    ['write / load / upload s', `${writeS.toFixed(1)} / ${loadS.toFixed(1)} / ${uploadS.toFixed(1)}`],
    ['mean NLL (random weights; ≈ ln 50257 = 10.82)', lastNll.toFixed(3)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');

  const result = {
    benchmark: 'bench-eval-124m',
    date: new Date().toISOString(),
    command: `npx tsx scripts/bench-eval-124m.ts --batch ${batch} --ctx ${ctx} --batches ${batches} --backend ${backendChoice}`,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    config: { n_layer: config.n_layer, n_embd: config.n_embd, n_head: config.n_head, vocab_size: config.vocab_size, n_positions: config.n_positions },
    parameters: nParams,
    backend,
    batch,
    ctx,
    batches,
    eval_tokens_per_s: tokensPerS,
    scored_tokens_per_s: (batch * (ctx - 1) * batches) / total,
    eval_tokens_per_cpu_s: tokensPerCpuS,
    seconds_per_batch: times,
    cpu_seconds_per_batch: cpuTimes,
    load_average_1min_at_end: load,
    wasm_heap_after_upload_mib: mib(heapAfterUpload),
    warmup_seconds: warm.seconds,
    peak_rss_mib: peakRssMiB,
    peak_wasm_heap_mib: mib(peakWasmHeap),
    checkpoint_write_s: writeS,
    checkpoint_load_s: loadS,
    upload_s: uploadS,
    mean_nll_last_batch: lastNll,
    reference_tokens_per_s_tfjs_notes: 76,
  };
  writeJsonAtomic(join(repoRoot, 'results', 'bench-eval-124m.json'), result);
  process.stderr.write(`bench: wrote results/bench-eval-124m.json\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
