/**
 * Training / evaluation throughput of the trainer's engines (not a test).
 *
 *   npx tsx scripts/bench-train.ts [--engines tfjs,ort] [--backend wasm] [--steps 3] [--only shipped|gpt2-124m]
 *
 * Shapes: the shipped model's config (checkpoints/gpt2-mini-en: 4 layers, d128, 4 heads, ctx 128, vocab 4096,
 * batch 16 as in its recipe) and GPT-2 124M (12 layers, d768, ctx 128, vocab 50257, batch 4 for training and
 * evaluation), random weights. Each (shape, engine, mode) runs in its own child process so that a wasm
 * out-of-memory abort (124M training on wasm: tfjs-notes.md §6) is recorded instead of killing the run.
 * Timing: one warm-up step, then the median of --steps steps; tokens = B·(T−1) scored targets per step.
 *
 * FLOPs per token, as this implementation computes them (dense products only; a multiply-add = 2 FLOPs):
 *   forward = 2·P_matmul + 4·n_layer·T·d   with P_matmul = n_layer·(3d² + d² + 2·d·d_ff) + V·d (LM head),
 *             the attention term = q·kᵀ and p·v over the full T×T score matrix (2·T·d each per layer);
 *   train   = 3 × forward (backward ≈ 2 × forward).
 * GFLOP/s = FLOPs/token × tokens/s / 1e9. Results: results/bench-train.json (machine described).
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeGPT2Config, type GPT2Config } from '../src/model/gpt2-config.ts';
import { writeJsonAtomic } from '../src/util/atomic.ts';
import { repoRoot } from '../src/util/shared.ts';

interface Shape {
  name: string;
  config: Partial<GPT2Config>;
  trainBatch: number;
  evalBatch: number;
}

const SHAPES: Shape[] = [
  { name: 'shipped', config: { vocab_size: 4096, n_positions: 128, n_embd: 128, n_layer: 4, n_head: 4 }, trainBatch: 16, evalBatch: 16 },
  { name: 'gpt2-124m', config: { vocab_size: 50257, n_positions: 128, n_embd: 768, n_layer: 12, n_head: 12 }, trainBatch: 4, evalBatch: 4 },
];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function fullConfig(s: Shape): GPT2Config {
  return makeGPT2Config({ ...s.config, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
}

export function flopsPerToken(c: GPT2Config): { forward: number; train: number } {
  const d = c.n_embd;
  const ff = c.n_inner ?? 4 * d;
  const T = c.n_positions;
  const pMatmul = c.n_layer * (3 * d * d + d * d + 2 * d * ff) + c.vocab_size * d;
  const forward = 2 * pMatmul + 4 * c.n_layer * T * d;
  return { forward, train: 3 * forward };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Child: one (shape, engine, mode) measurement, JSON on stdout. */
async function one(shapeName: string, engineKind: string, mode: string, backendName: string, steps: number): Promise<void> {
  const { initBackend } = await import('../src/backends/index.ts');
  const { createEngine } = await import('../src/engine/index.ts');
  const { initGPT2Params } = await import('../src/train/init.ts');
  const { defaultOptimizer } = await import('../src/engine/types.ts');
  const shape = SHAPES.find((s) => s.name === shapeName)!;
  const c = fullConfig(shape);
  const backend = engineKind === 'tfjs' ? await initBackend(backendName) : null;
  const engine = await createEngine(engineKind, c, initGPT2Params(c, 1));
  const B = mode === 'train' ? shape.trainBatch : shape.evalBatch;
  const T = c.n_positions;
  const ids = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) ids[i] = (i * 7919) % c.vocab_size;
  const batch = { ids, batch: B, seqLen: T };
  engine.configure({ optimizer: { ...defaultOptimizer, name: 'adamw' }, clipNorm: 1 });
  const times: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    if (mode === 'train') await engine.trainStep([batch], { lr: 1e-4 });
    else await engine.tokenNll(batch);
    if (s > 0) times.push((performance.now() - t0) / 1000);
  }
  engine.dispose();
  const tokens = B * (T - 1);
  const sec = median(times);
  process.stdout.write(JSON.stringify({ ok: true, backend, batch: B, seconds_per_step: sec, tokens_per_s: tokens / sec, peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
}

async function main(): Promise<void> {
  const engines = arg('engines', 'tfjs').split(',');
  const backend = arg('backend', 'wasm');
  const steps = Number(arg('steps', '3'));
  const only = arg('only', '');
  const self = fileURLToPath(import.meta.url);
  const rows: Record<string, unknown>[] = [];
  const load0 = os.loadavg();
  for (const shape of SHAPES.filter((s) => !only || s.name === only)) {
    const c = fullConfig(shape);
    const fl = flopsPerToken(c);
    for (const engine of engines) {
      for (const mode of ['train', 'eval']) {
        process.stderr.write(`bench ${shape.name} ${engine} ${mode} …\n`);
        let r: Record<string, unknown>;
        try {
          const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--one', `${shape.name}:${engine}:${mode}`, '--backend', backend, '--steps', String(steps)], {
            cwd: repoRoot,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, EWC_LM_QUIET: '1' },
            maxBuffer: 1 << 24,
          });
          r = JSON.parse(out.trim().split('\n').pop()!);
        } catch (e) {
          const err = e as { stderr?: string; message: string };
          // the wasm module prints its whole source line on a crash: keep only real error lines
          const lines = (err.stderr ?? err.message).split('\n').map((l) => l.trim()).filter((l) => l.length < 400);
          const msg = lines.filter((l) => /^(\w*Error|Aborted)\b|out of memory|OOM/.test(l)).slice(0, 2).join(' | ') || err.message.slice(0, 200);
          r = { ok: false, error: msg };
        }
        const flops = mode === 'train' ? fl.train : fl.forward;
        const tps = r.tokens_per_s as number | undefined;
        rows.push({
          shape: shape.name,
          engine,
          mode,
          n_layer: c.n_layer,
          n_embd: c.n_embd,
          n_ctx: c.n_positions,
          vocab: c.vocab_size,
          flops_per_token: flops,
          gflops_per_s: tps ? (flops * tps) / 1e9 : null,
          ...r,
        });
      }
    }
  }
  const head = ['shape', 'engine', 'mode', 'batch', 'tokens/s', 'MFLOP/token', 'GFLOP/s', 'peak RSS MiB', 'note'];
  const lines = [head.join(' | '), head.map(() => '---').join(' | ')];
  for (const r of rows) {
    lines.push(
      [r.shape, r.engine, r.mode, r.batch ?? '-', r.tokens_per_s ? (r.tokens_per_s as number).toFixed(0) : '-', ((r.flops_per_token as number) / 1e6).toFixed(1), r.gflops_per_s ? (r.gflops_per_s as number).toFixed(2) : '-', r.peak_rss_mib ?? '-', r.ok ? '' : String(r.error).slice(0, 80)].join(' | '),
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  const cpus = os.cpus();
  const result = {
    command: `npx tsx scripts/bench-train.ts --engines ${engines.join(',')} --backend ${backend} --steps ${steps}${only ? ' --only ' + only : ''}`,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      cpu_model: cpus[0]?.model ?? 'unknown',
      mem_gib: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      load_average_at_start: load0,
      note: 'shared machine: other jobs were running, so figures are lower bounds',
    },
    flops_formula: 'forward = 2·(n_layer·(4d² + 2·d·d_ff) + V·d) + 4·n_layer·T·d; train = 3 × forward',
    rows,
  };
  const out = join(repoRoot, 'results', `bench-train${only ? '-' + only : ''}.json`);
  writeJsonAtomic(out, result);
  process.stderr.write(`wrote ${out}\n`);
}

const oneIdx = process.argv.indexOf('--one');
if (oneIdx >= 0) {
  const [shape, engine, mode] = process.argv[oneIdx + 1].split(':');
  await one(shape, engine, mode, arg('backend', 'wasm'), Number(arg('steps', '3')));
} else {
  await main();
}
