#!/usr/bin/env node
/**
 * Acceptance check of `ewc-lm export --format onnx`: transformers.js, loading the exported folder with local
 * files only, generates greedily the same tokens as `ewc-lm generate` (tfjs engine, greedy).
 *
 *   node scripts/check-transformersjs.mjs --tjs DIR_WITH_NODE_MODULES [--model DIR] [--new 24] [--out results/export-transformersjs.json]
 *
 * @huggingface/transformers is not a dependency of ewc-lm; install it anywhere, e.g.
 *   mkdir /tmp/tjs && cd /tmp/tjs && npm init -y && npm install --ignore-scripts @huggingface/transformers
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname, basename } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (k, d) => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const tjsDir = arg('tjs');
if (!tjsDir) {
  console.error('pass --tjs DIR, a folder whose node_modules holds @huggingface/transformers');
  process.exit(2);
}
const model = resolve(arg('model', join(root, '..', 'shared', 'fixtures', 'tiny-random-gpt2')));
const maxNew = Number(arg('new', '24'));
const out = arg('out', join(root, 'results', 'export-transformersjs.json'));
const prompts = ['Hello world, this is', 'The quick brown fox', 'Once upon a time'];

const work = mkdtempSync(join(tmpdir(), 'ewc-tjs-'));
const exported = join(work, 'model');
const cli = (args) => JSON.parse(execFileSync('node', [join(root, 'bin', 'ewc-lm.mjs'), ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const exp = cli(['export', '--model', model, '--format', 'onnx', '--out', exported]);

const tjsPkg = JSON.parse(readFileSync(join(tjsDir, 'node_modules', '@huggingface', 'transformers', 'package.json'), 'utf8'));
const entry = join(tjsDir, 'node_modules', '@huggingface', 'transformers', tjsPkg.exports?.['.']?.node?.import?.default ?? tjsPkg.main);
const { env, AutoTokenizer, AutoModelForCausalLM } = await import(pathToFileURL(entry).href);
env.allowRemoteModels = false;
env.localModelPath = work + '/';
const tok = await AutoTokenizer.from_pretrained(basename(exported));
const lm = await AutoModelForCausalLM.from_pretrained(basename(exported), { dtype: 'fp32' });

const rows = [];
for (const prompt of prompts) {
  const inputs = tok(prompt);
  const gen = await lm.generate({ ...inputs, max_new_tokens: maxNew, do_sample: false });
  const all = gen.tolist()[0].map(Number);
  const tjsIds = all.slice(inputs.input_ids.dims[1]);
  const ours = cli(['generate', '--model', model, '--prompt', prompt, '--max-new-tokens', String(maxNew), '--temperature', '0']);
  // ewc-lm stops at the end token; compare the common prefix length and require equality over ours.
  const same = ours.ids.every((id, i) => id === tjsIds[i]);
  rows.push({ prompt, ewc_lm_ids: ours.ids, transformersjs_ids: tjsIds, same });
}
const result = {
  what: 'transformers.js loads `ewc-lm export` output offline and generates greedily the same tokens as `ewc-lm generate`',
  date: new Date().toISOString(),
  command: `node scripts/check-transformersjs.mjs ${process.argv.slice(2).join(' ')}`,
  model,
  transformers_js: tjsPkg.version,
  export: { onnx_bytes: exp.onnx_bytes, copied: exp.copied },
  all_same: rows.every((r) => r.same),
  rows,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify({ all_same: result.all_same, prompts: rows.length, out }));
process.exit(result.all_same ? 0 : 1);
