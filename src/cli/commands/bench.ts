/**
 * `ewc-lm bench --engine ort|tfjs --mode train|eval [--n-layer --n-head --n-embd --n-ctx --vocab --batch --steps]`
 * Throughput of one engine on a randomly initialised GPT-2 of the given shape: `--warmup` steps first (graph
 * compilation, allocator warm-up), then `--steps` timed steps. train = one full optimizer step (AdamW,
 * forward + backward + update) on [batch, n_ctx] random tokens; eval = per-token NLL of the same batch.
 * tokens/s counts batch·n_ctx tokens per step (as the PyTorch side, scripts/bench_torch.py).
 * Output (stdout, JSON): tokens_per_s (median step), step_s (median), peak_rss_mib (process maximum resident
 * set, whole run), compile_s, and the shape. Speed targets live in scripts/bench-ort.ts, not in tests.
 */
import type { CommandModule } from 'yargs';
import { backendOption, initBackend } from '../../backends/index.ts';
import { createEngine, ENGINE_CHOICES } from '../../engine/index.ts';
import { defaultOptimizer, type TokenBatch } from '../../engine/types.ts';
import { makeGPT2Config } from '../../model/gpt2-config.ts';
import { initGPT2Params } from '../../train/init.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';

interface BenchArgs {
  engine: string;
  mode: string;
  'n-layer': number;
  'n-head': number;
  'n-embd': number;
  'n-ctx': number;
  vocab: number;
  batch: number;
  steps: number;
  warmup: number;
  threads?: number;
  backend: string;
  seed: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function runBench(a: BenchArgs): Promise<Record<string, unknown>> {
  if (a['n-embd'] % a['n-head'] !== 0) throw new EwcError(`--n-embd ${a['n-embd']} must be a multiple of --n-head ${a['n-head']}.`);
  if (a.steps < 1) throw new EwcError(`--steps: expected at least 1, found ${a.steps}.`);
  if (a.threads !== undefined) process.env.EWC_LM_ORT_THREADS = String(a.threads);
  const config = makeGPT2Config({
    n_layer: a['n-layer'],
    n_head: a['n-head'],
    n_embd: a['n-embd'],
    n_positions: a['n-ctx'],
    vocab_size: a.vocab,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
  });
  let backend: string | undefined;
  if (a.engine === 'tfjs') backend = await initBackend(a.backend);
  const params = initGPT2Params(config, a.seed);
  const engine = await createEngine(a.engine, config, params);
  params.clear();
  const B = a.batch;
  const T = a['n-ctx'];
  const ids = new Int32Array(B * T);
  let s = a.seed >>> 0;
  for (let i = 0; i < ids.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    ids[i] = s % a.vocab;
  }
  const batch: TokenBatch = { ids, batch: B, seqLen: T };
  if (a.mode === 'train') engine.configure({ optimizer: { ...defaultOptimizer, name: 'adamw', weightDecay: 0.01 }, clipNorm: 1.0 });
  const times: number[] = [];
  const losses: number[] = [];
  const t0 = performance.now();
  for (let k = 0; k < a.warmup + a.steps; k++) {
    const start = performance.now();
    if (a.mode === 'train') losses.push((await engine.trainStep([batch], { lr: 1e-4, training: false })).loss);
    else await engine.tokenNll(batch);
    const dt = (performance.now() - start) / 1000;
    if (k >= a.warmup) times.push(dt);
    log(`bench ${a.engine} ${a.mode} step ${k + 1}/${a.warmup + a.steps}: ${dt.toFixed(3)} s (${((B * T) / dt).toFixed(0)} tokens/s)${k < a.warmup ? ' [warm-up]' : ''}`);
  }
  const step = median(times);
  const compile = (engine as { compileSeconds?: number }).compileSeconds;
  engine.dispose();
  return {
    engine: a.engine,
    mode: a.mode,
    ...(backend ? { backend } : {}),
    threads: a.engine === 'ort' ? Number(process.env.EWC_LM_ORT_THREADS ?? 2) : undefined,
    shape: { n_layer: a['n-layer'], n_head: a['n-head'], n_embd: a['n-embd'], n_ctx: T, vocab: a.vocab, batch: B },
    steps: a.steps,
    warmup: a.warmup,
    tokens_per_s: (B * T) / step,
    step_s: step,
    step_s_all: times,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    ...(compile !== undefined ? { compile_s: compile } : {}),
    ...(losses.length ? { first_loss: losses[0], last_loss: losses[losses.length - 1] } : {}),
    wall_s: (performance.now() - t0) / 1000,
  };
}

const cmd: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'measure training / evaluation tokens/s and peak RSS of an engine on a random GPT-2 of a given shape',
  builder: (y) =>
    y
      .option('engine', { type: 'string', choices: ENGINE_CHOICES as unknown as string[], default: 'ort', describe: 'compute engine' })
      .option('mode', { type: 'string', choices: ['train', 'eval'], default: 'train', describe: 'train: full optimizer step; eval: per-token NLL' })
      .option('n-layer', { type: 'number', default: 4 })
      .option('n-head', { type: 'number', default: 4 })
      .option('n-embd', { type: 'number', default: 256 })
      .option('n-ctx', { type: 'number', default: 128, describe: 'tokens per row (also n_positions)' })
      .option('vocab', { type: 'number', default: 50257 })
      .option('batch', { type: 'number', default: 8 })
      .option('steps', { type: 'number', default: 10, describe: 'timed steps (median reported)' })
      .option('warmup', { type: 'number', default: 2, describe: 'untimed steps first' })
      .option('threads', { type: 'number', describe: 'ORT intra-op threads (default EWC_LM_ORT_THREADS or 2)' })
      .option('seed', { type: 'number', default: 0 })
      .option('backend', backendOption) as never,
  handler: async (a) => {
    printResult(await runBench(a));
  },
};
export default cmd;
