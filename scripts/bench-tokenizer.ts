/**
 * Tokenizer benchmark: byte-level BPE training throughput on the embedded corpora (Moby Dick + Brown + State
 * of the Union, ≈ 18 MB of UTF-8 text), and encoding throughput of @huggingface/tokenizers with GPT-2's
 * tokenizer and with the trained one (the cached byte-level encoder of fast-bpe.ts and the tokenizers.js
 * reference), plus the token-cache read speed. Prints a table, writes results/bench-tokenizer.json (machine
 * info + the command). Both wall-clock and process CPU time are reported: on a shared machine the CPU
 * figure is the one that says what the code costs.
 *
 *   npx tsx scripts/bench-tokenizer.ts [--vocab 8192] [--encode-mb 2]
 */
import { cpus, loadavg, totalmem, tmpdir, platform, release } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { documentText, loadCorpus, tokenizeDocuments, type Document } from '../src/data/index.ts';
import { loadTokenizer, saveTrainedTokenizer, trainBpe } from '../src/tokenization/index.ts';
import { writeJsonAtomic } from '../src/util/atomic.ts';
import { repoRoot, sharedPath } from '../src/util/shared.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const vocab = arg('vocab', 8192);
const encodeMb = arg('encode-mb', 2);

const specs = ['moby-dick', 'brown', 'sotu'];
const docs: Document[] = specs.flatMap((s) => loadCorpus(s).documents);
const texts = docs.map(documentText);
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t, 'utf8'), 0);

const rows: Record<string, unknown>[] = [];
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = fn();
  const u = process.cpuUsage(c);
  return { value, wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}
function row(task: string, input: string, mb: number, tm: { wall: number; cpu: number }, detail: string) {
  rows.push({ task, input, mb, wallSeconds: tm.wall, cpuSeconds: tm.cpu, mbPerSecWall: mb / tm.wall, mbPerSecCpu: mb / tm.cpu, detail });
}
const tr = timed(() => trainBpe(texts, { vocabSize: vocab, progress: true }));
const trained = tr.value;
const trainS = tr.wall;
row(`BPE train, vocab ${vocab}`, specs.join('+'), bytes / 1e6, tr,
  `${trained.merges.length} merges; counting ${trained.stats.countSeconds.toFixed(2)} s, merging ${(trainS - trained.stats.countSeconds).toFixed(2)} s (wall); ${trained.stats.distinctWords} distinct words`,
);
const dir = mkdtempSync(join(tmpdir(), 'bench-bpe-'));
saveTrainedTokenizer(dir, trained);

// encoding: the first ~encodeMb MB of documents (whole documents)
const sample: Document[] = [];
let sb = 0;
for (const d of docs) {
  if (sb >= encodeMb * 1e6) break;
  sample.push(d);
  sb += Buffer.byteLength(documentText(d), 'utf8');
}
function encodeRow(name: string, enc: (t: string) => number[]) {
  const tm = timed(() => sample.reduce((n, d) => n + enc(documentText(d)).length, 0));
  const n = tm.value;
  row(`encode (${name})`, `${sample.length} docs`, sb / 1e6, tm, `${n} tokens, ${(n / tm.cpu / 1e3).toFixed(0)}k tokens/s (cpu), ${(sb / n).toFixed(2)} bytes/token`);
}
const gpt2 = loadTokenizer(sharedPath('fixtures/gpt2-tokenizer'));
const mine = loadTokenizer(dir);
encodeRow('GPT-2 50257, fast-bpe', gpt2.encode);
encodeRow('GPT-2 50257, tokenizers.js', gpt2.referenceEncode);
encodeRow(`trained ${vocab}, fast-bpe`, mine.encode);
encodeRow(`trained ${vocab}, tokenizers.js`, mine.referenceEncode);

// cache: first call tokenizes and writes, second reads
const cache = mkdtempSync(join(tmpdir(), 'bench-cache-'));
row('tokenizeDocuments, cache miss', `${sample.length} docs`, sb / 1e6, timed(() => tokenizeDocuments(sample, gpt2, { cacheDir: cache, progress: false })), 'fast-bpe encode (its piece cache already warm from the rows above) + write the cache file');
row('tokenizeDocuments, cache hit', `${sample.length} docs`, sb / 1e6, timed(() => tokenizeDocuments(sample, gpt2, { cacheDir: cache, progress: false })), 'hash texts + read ids');

const pad = (s: string, n: number) => s.padEnd(n);
const f = (x: unknown) => pad((x as number).toFixed(2), 9);
console.log(`\n${pad('task', 38)}${pad('MB', 9)}${pad('wall s', 9)}${pad('cpu s', 9)}${pad('MB/s wall', 11)}${pad('MB/s cpu', 10)}detail`);
for (const r of rows) {
  console.log(`${pad(String(r.task), 38)}${f(r.mb)}${f(r.wallSeconds)}${f(r.cpuSeconds)}${pad((r.mbPerSecWall as number).toFixed(2), 11)}${pad((r.mbPerSecCpu as number).toFixed(2), 10)}${r.detail}`);
}
const out = {
  command: `npx tsx scripts/bench-tokenizer.ts --vocab ${vocab} --encode-mb ${encodeMb}`,
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, os: `${platform()} ${release()}` },
  note: 'MB = 10^6 bytes of UTF-8 text. Other processes shared the 2 cores while this ran (load average in loadavg): wall-clock figures are lower bounds; the cpu figures (process user+system time) are the cost of the code.',
  loadavg: loadavg(),
  corpus: { specs, documents: docs.length, bytes },
  rows,
};
writeJsonAtomic(join(repoRoot, 'results/bench-tokenizer.json'), out);
console.log(`\nwrote results/bench-tokenizer.json`);
