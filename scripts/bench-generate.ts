/**
 * Benchmark (not a test): generation speed of `ewc-lm generate`'s three logits sources on a GPT-2-shaped model
 * with seeded random weights: tfjs with the key/value cache, tfjs recomputing the window, and the ort engine
 * (window recomputed on compiled graphs, padded to 32-token buckets). Greedy; the three must produce the same
 * ids (checked). Prints a table; writes results/bench-generate.json.
 *
 *   npx tsx scripts/bench-generate.ts [--layers 12] [--embd 768] [--prompt 64] [--new 32] [--backend wasm]
 *     [--sources cached,full,ort]
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backends/index.ts';
import { generate, openLogitsSource, type GenerateOptions } from '../src/generate/index.ts';
import { makeGPT2Config } from '../src/model/gpt2-config.ts';
import { initGPT2Params } from '../src/train/init.ts';
import { writeJsonAtomic } from '../src/util/atomic.ts';
import { repoRoot } from '../src/util/shared.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const layers = Number(arg('layers', '12'));
const embd = Number(arg('embd', '768'));
const promptLen = Number(arg('prompt', '64'));
const newTokens = Number(arg('new', '32'));
const backendChoice = arg('backend', 'wasm');
const sources = arg('sources', 'cached,full,ort').split(',');

const config = makeGPT2Config({ n_layer: layers, n_embd: embd, n_head: Math.max(1, embd / 64), n_positions: 1024, vocab_size: 50257 });
const params = initGPT2Params(config, 1234);
const prompt = Array.from({ length: promptLen }, (_, i) => (i * 7919) % 50000);
const opts: GenerateOptions = { maxNewTokens: newTokens, temperature: 0, topK: 0, seed: 0, eosId: null };

const rows: Record<string, unknown>[] = [];
let reference: number[] | null = null;
const backend = await initBackend(backendChoice);
for (const s of sources) {
  const kind = s === 'ort' ? 'ort' : 'tfjs';
  const opened = await openLogitsSource(kind, config, params, { backend: backendChoice, cache: s === 'cached' });
  try {
    // warm-up: one token (compiles / packs weights), not timed
    const w0 = performance.now();
    await generate(opened.source, prompt, { ...opts, maxNewTokens: 1 });
    const warm = (performance.now() - w0) / 1000;
    const t0 = performance.now();
    const r = await generate(opened.source, prompt.map((x) => (x + 1) % 50000), opts); // a different prompt: no cache reuse
    const seconds = (performance.now() - t0) / 1000;
    const ids = r.ids;
    const same = reference === null ? null : ids.every((x, i) => x === reference![i]);
    reference ??= ids;
    rows.push({ source: s, engine: opened.engine, backend: opened.backend, warmupSeconds: warm, seconds, tokensPerSecond: newTokens / seconds, sameIds: same });
    console.error(`${s}: ${(newTokens / seconds).toFixed(2)} tokens/s (${seconds.toFixed(1)} s; warm-up ${warm.toFixed(1)} s)`);
  } finally {
    opened.close();
  }
}

console.log(`\ngenerate: ${layers} layers, n_embd ${embd}, vocab 50257, prompt ${promptLen}, ${newTokens} new tokens, greedy, backend ${backend}, ${cpus().length} cores\n`);
console.log('| source | tokens/s | seconds | warm-up s | same ids as first |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.source} | ${(r.tokensPerSecond as number).toFixed(2)} | ${(r.seconds as number).toFixed(2)} | ${(r.warmupSeconds as number).toFixed(2)} | ${r.sameIds ?? '(reference)'} |`);
}
const out = join(repoRoot, 'results', 'bench-generate.json');
writeJsonAtomic(out, {
  command: `npx tsx scripts/bench-generate.ts ${process.argv.slice(2).join(' ')}`.trim(),
  model: { layers, embd, vocab: 50257, seed: 1234 },
  promptLen,
  newTokens,
  backend,
  cores: cpus().length,
  cpu: cpus()[0]?.model,
  loadAverage: loadavg(), // other jobs on the machine skew absolute numbers; compare sources by ratio
  createdAt: new Date().toISOString(),
  rows,
});
console.log(`\nwrote ${out}`);
