/**
 * ORT engine vs PyTorch-CPU (and optionally tfjs-wasm) on the same GPT-2 shapes, in one run.
 *
 *   npx tsx scripts/bench-ort.ts [--shapes small,gpt2] [--modes train,eval] [--rounds 1] [--ort-threads 1,2] [--tfjs] [--out results/bench-ort.json]
 *
 * Each measurement is a fresh process (peak RSS is per process): `node bin/ewc-lm.mjs bench --engine ort …`
 * and `/usr/bin/python3 scripts/bench_torch.py --threads 1|2 …` (Debian python3-torch + libopenblas0-pthread);
 * each engine's best thread setting (1 or 2) is taken. With --rounds > 1 the engines alternate and each keeps its best
 * round (the machine is shared). Targets (issue 5): small train and eval ≥ 1.5× PyTorch; gpt2 train ≥ 1.0×.
 * Prints a table and writes the JSON (machine description, load average, exact commands) to --out.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../src/util/atomic.ts';
import { repoRoot } from '../src/util/shared.ts';

const SHAPES: Record<string, { args: string[]; steps: number; warmup: number; target: Record<string, number> }> = {
  small: {
    args: ['--n-layer', '4', '--n-head', '4', '--n-embd', '256', '--n-ctx', '128', '--vocab', '50257', '--batch', '8'],
    steps: 10,
    warmup: 2,
    target: { train: 1.5, eval: 1.5 },
  },
  gpt2: {
    args: ['--n-layer', '12', '--n-head', '12', '--n-embd', '768', '--n-ctx', '128', '--vocab', '50257', '--batch', '4'],
    steps: 5,
    warmup: 2,
    target: { train: 1.0 },
  },
};

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const shapes = arg('shapes', 'small,gpt2').split(',');
const modes = arg('modes', 'train,eval').split(',');
const rounds = Number(arg('rounds', '1'));
const withTfjs = process.argv.includes('--tfjs');
/** ORT intra-op thread settings tried (best taken, as for PyTorch). */
const ortThreads = arg('ort-threads', '1,2').split(',');
const out = arg('out', join(repoRoot, 'results', 'bench-ort.json'));

type Result = Record<string, unknown> & { tokens_per_s: number; peak_rss_mib: number };

function run(cmd: string, args: string[]): { result: Result; command: string } {
  const command = [cmd, ...args].join(' ');
  process.stderr.write(`$ ${command}\n`);
  const stdout = execFileSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26, env: { ...process.env, EWC_LM_QUIET: '1' } });
  const json = stdout.slice(stdout.indexOf('{'));
  return { result: JSON.parse(json) as Result, command };
}

function machine() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/flags\s*:\s*(.*)/)?.[1] ?? '';
    cpu += flags.includes('avx512f') ? ' (avx512)' : flags.includes('avx2') ? ' (avx2)' : '';
  } catch {
    /* not linux */
  }
  return { cpu, cores: cpus().length, mem_gib: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform}-${process.arch}` };
}

const rows: Record<string, unknown>[] = [];
const loadBefore = loadavg();
for (const shape of shapes) {
  const s = SHAPES[shape];
  if (!s) throw new Error(`unknown shape ${shape}; expected one of ${Object.keys(SHAPES).join(', ')}`);
  for (const mode of modes) {
    if (s.target[mode] === undefined && shape === 'gpt2' && mode === 'eval' && !process.argv.includes('--all')) continue;
    const common = [...s.args, '--steps', String(s.steps), '--warmup', String(s.warmup)];
    const best: Record<string, { result: Result; command: string }> = {};
    const keep = (k: string, r: { result: Result; command: string }) => {
      if (!best[k] || r.result.tokens_per_s > best[k].result.tokens_per_s) best[k] = r;
    };
    for (let r = 0; r < rounds; r++) {
      for (const th of ortThreads) keep(`ort${th}`, run('node', ['bin/ewc-lm.mjs', 'bench', '--engine', 'ort', '--mode', mode, '--threads', th, ...common]));
      for (const th of ['1', '2']) keep(`torch${th}`, run('/usr/bin/python3', ['scripts/bench_torch.py', '--mode', mode, '--threads', th, ...common]));
      if (withTfjs) keep('tfjs', run('node', ['bin/ewc-lm.mjs', 'bench', '--engine', 'tfjs', '--backend', 'wasm', '--mode', mode, ...common]));
    }
    const torch = best.torch1.result.tokens_per_s >= best.torch2.result.tokens_per_s ? best.torch1 : best.torch2;
    const ort = ortThreads.map((t) => best[`ort${t}`]).reduce((a, b) => (b.result.tokens_per_s > a.result.tokens_per_s ? b : a));
    const ratio = ort.result.tokens_per_s / torch.result.tokens_per_s;
    rows.push({
      shape,
      mode,
      ort_tokens_per_s: ort.result.tokens_per_s,
      ort_threads: ort.result.threads,
      ort_peak_rss_mib: ort.result.peak_rss_mib,
      torch_tokens_per_s: torch.result.tokens_per_s,
      torch_threads: torch.result.threads,
      torch_peak_rss_mib: torch.result.peak_rss_mib,
      torch1_tokens_per_s: best.torch1.result.tokens_per_s,
      torch2_tokens_per_s: best.torch2.result.tokens_per_s,
      ...(best.tfjs ? { tfjs_tokens_per_s: best.tfjs.result.tokens_per_s, tfjs_peak_rss_mib: best.tfjs.result.peak_rss_mib } : {}),
      ratio_ort_over_torch: ratio,
      target: s.target[mode] ?? null,
      meets_target: s.target[mode] === undefined ? null : ratio >= s.target[mode],
      commands: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, v.command])),
      raw: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, v.result])),
    });
  }
}
const loadAfter = loadavg();

const pad = (x: unknown, n: number) => String(x).padStart(n);
console.log(`${pad('shape', 6)} ${pad('mode', 5)} ${pad('ort tok/s', 10)} ${pad('torch tok/s', 11)} ${pad('ratio', 6)} ${pad('target', 6)} ${pad('ort RSS MiB', 11)} ${pad('torch RSS', 9)}`);
for (const r of rows) {
  console.log(
    `${pad(r.shape, 6)} ${pad(r.mode, 5)} ${pad((r.ort_tokens_per_s as number).toFixed(0), 10)} ${pad((r.torch_tokens_per_s as number).toFixed(0), 11)} ${pad((r.ratio_ort_over_torch as number).toFixed(2), 6)} ${pad(r.target ?? '-', 6)} ${pad((r.ort_peak_rss_mib as number).toFixed(0), 11)} ${pad((r.torch_peak_rss_mib as number).toFixed(0), 9)}`,
  );
}
let torchVersion = 'unknown';
try {
  torchVersion = execFileSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
} catch {
  /* reported as unknown */
}
const ortVersion = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version;
writeJsonAtomic(out, {
  what: 'GPT-2 training/evaluation tokens/s: ewc-lm ort engine vs PyTorch-CPU (best of 1 and 2 threads)',
  date: new Date().toISOString(),
  command: `npx tsx scripts/bench-ort.ts ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { ...machine(), load_avg_before: loadBefore, load_avg_after: loadAfter, onnxruntime_node: ortVersion, torch: torchVersion },
  note: 'Shared 2-core machine; other jobs ran at the same time when the load average exceeds the core count. Medians after warm-up.',
  rows,
});
console.log(`wrote ${out}`);
