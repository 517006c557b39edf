/**
 * transformers.js (@huggingface/transformers, dev dependency) loads an export of
 * ../shared/fixtures/tiny-random-gpt2 with local files only and its greedy `generate` (key/value cache)
 * yields exactly the tokens of greedy decoding with our tfjs model (argmax over gpt2Logits, recomputing the
 * whole context each step, stopping after the end token 98 as the exported generation_config says).
 * Checked for exportOnnx (src/onnx/export.ts) called directly and for the `ewc-lm export` CLI (which runs it),
 * for a single prompt and for a left-padded batch of two prompts of different lengths; its tokenizer encodes
 * like ours.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from '@huggingface/transformers';
import { initBackend } from '../../src/backends/index.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../../src/io/checkpoint.ts';
import { gpt2Logits } from '../../src/model/gpt2.ts';
import { loadTokenizer } from '../../src/tokenization/index.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';

const fixture = sharedPath('fixtures', 'tiny-random-gpt2');
const EOS = 98;
const NEW = 16;
let ck: LoadedCheckpoint;
let tmp: string;

beforeAll(async () => {
  await initBackend('cpu');
  ck = loadCheckpoint(fixture);
  tmp = mkdtempSync(join(tmpdir(), 'ewc-tjs-'));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = tmp;
  exportOnnx(fixture, join(tmp, 'lib'));
  execFileSync(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), 'export', '--model', fixture, '--format', 'onnx', '--out', join(tmp, 'cli')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Greedy decoding with the tfjs model: prompt + up to NEW tokens, stopping after EOS. */
function greedyReference(prompt: number[]): number[] {
  const params = new Map([...ck.params].map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
  const seq = [...prompt];
  for (let i = 0; i < NEW; i++) {
    const next = tf.tidy(() => {
      const logits = gpt2Logits(ck.config, params, tf.tensor2d(seq, [1, seq.length], 'int32')); // [1, T, V]
      return tf.argMax(logits.slice([0, seq.length - 1, 0], [1, 1, ck.config.vocab_size]).reshape([-1])).dataSync()[0];
    });
    seq.push(next);
    if (next === EOS) break;
  }
  tf.dispose([...params.values()]);
  return seq;
}

const ids = (t: Tensor) => (t.tolist() as bigint[][]).map((r) => r.map(Number));

describe.each(['lib', 'cli'])('transformers.js on the %s export (local files only)', (which) => {
  it('greedy generate equals greedy decoding with the tfjs model; the tokenizer encodes like ours', async () => {
    const model = await AutoModelForCausalLM.from_pretrained(which, { local_files_only: true });
    const tok = await AutoTokenizer.from_pretrained(which, { local_files_only: true });
    const text = 'Hello world, this is a test';
    const enc = tok(text);
    const ours = loadTokenizer(fixture).encode(text);
    expect(ids(enc.input_ids)[0]).toEqual(ours);

    const out = await model.generate({ ...enc, max_new_tokens: NEW, do_sample: false });
    expect(ids(out as Tensor)[0]).toEqual(greedyReference(ours));

    // A left-padded batch: rows of 5 and 9 prompt tokens.
    const a = [40, 416, 79, 206, 750];
    const b = [12, 526, 301, 3, 999, 0, 17, 640, 2];
    const pad = b.length - a.length;
    const batchIds = new Tensor('int64', BigInt64Array.from([...new Array(pad).fill(EOS), ...a, ...b].map(BigInt)), [2, b.length]);
    const mask = new Tensor('int64', BigInt64Array.from([...new Array(pad).fill(0), ...a.map(() => 1), ...b.map(() => 1)].map(BigInt)), [2, b.length]);
    const rows = ids((await model.generate({ input_ids: batchIds, attention_mask: mask, max_new_tokens: NEW, do_sample: false })) as Tensor);
    const strip = (r: number[], from: number) => {
      const gen = r.slice(from);
      const end = gen.indexOf(EOS);
      return end < 0 ? gen : gen.slice(0, end + 1); // a finished row is padded with EOS afterwards
    };
    expect([...a, ...strip(rows[0], b.length)]).toEqual(greedyReference(a));
    expect([...b, ...strip(rows[1], b.length)]).toEqual(greedyReference(b));
    await model.dispose();
  });
});
