/**
 * `ewc-lm eval --model DIR --tokens FILE.json`: on the shared fixture with its input_ids the NLL equals the
 * reference loss within 1e-5 on both engines (CLI spawned); `--engine ort` (the default) equals `--engine tfjs`
 * within 1e-5 on checkpoints/gpt2-mini-en (issue 5); each array is scored on its own; bad token files are
 * clear errors.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { createEngine } from '../../src/engine/index.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { scoreSequences, validateSequences } from '../../src/cli/commands/eval.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';
import { EwcError } from '../../src/util/errors.ts';

const fixture = sharedPath('fixtures', 'tiny-gpt2-reference');
const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { input_ids: number[][]; loss: number };
const tmp = mkdtempSync(join(tmpdir(), 'ewc-lm-eval-'));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, EWC_LM_QUIET: '1' } });
}

describe('ewc-lm eval --tokens', () => {
  it.each(['tfjs', 'ort'])('scores the fixture input_ids with nll = reference loss (within 1e-5), --engine %s', (engine) => {
    const file = join(tmp, 'ids.json');
    writeFileSync(file, JSON.stringify(expected.input_ids));
    const r = cli('eval', '--model', fixture, '--tokens', file, '--engine', engine, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Math.abs(out.nll - expected.loss)).toBeLessThanOrEqual(1e-5);
    expect(out.ppl).toBeCloseTo(Math.exp(out.nll), 6);
    expect(out.tokens).toBe(46);
    expect(out.sequences).toBe(2);
    expect(out.engine).toBe(engine);
    expect(out.backend).toBe(engine === 'tfjs' ? 'wasm' : null);
  });

  it('--engine ort (the default) equals --engine tfjs within 1e-5 on checkpoints/gpt2-mini-en', () => {
    const model = join(repoRoot, 'checkpoints', 'gpt2-mini-en');
    const file = join(tmp, 'mini.json');
    // Three arrays of two lengths (two batches), ids spread over the 4096-token vocabulary.
    const seq = (n: number, k: number) => Array.from({ length: n }, (_, t) => (t * 389 + k * 1013 + 7) % 4096);
    writeFileSync(file, JSON.stringify([seq(40, 1), seq(40, 2), seq(17, 3)]));
    const def = JSON.parse(cli('eval', '--model', model, '--tokens', file).stdout);
    const tfjs = JSON.parse(cli('eval', '--model', model, '--tokens', file, '--engine', 'tfjs', '--backend', 'wasm').stdout);
    expect(def.engine).toBe('ort');
    expect(tfjs.engine).toBe('tfjs');
    expect(def.tokens).toBe(39 + 39 + 16);
    expect(tfjs.tokens).toBe(def.tokens);
    expect(Number.isFinite(def.nll)).toBe(true);
    expect(Math.abs(def.nll - tfjs.nll)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(tfjs.nll));
  });

  it('a bad token file exits 1 with the message only (no stack trace)', () => {
    const file = join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify([[1, 2, 3], [4, 1000, 5]]));
    const r = cli('eval', '--model', fixture, '--tokens', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('array 1, position 1: expected an integer token id in [0, 1000)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('each array is scored on its own; batching does not change the result', async () => {
    await initBackend('wasm');
    const ck = loadCheckpoint(fixture);
    const m = await createEngine('tfjs', ck.config, ck.params);
    const [a, b] = expected.input_ids;
    const seqs = [a, b.slice(0, 10), a.slice(3, 20), b, b.slice(0, 10)];
    // Reference: each sequence alone, one at a time.
    let sum = 0;
    let n = 0;
    for (const s of seqs) {
      const v = await m.tokenNll({ ids: Int32Array.from(s), batch: 1, seqLen: s.length });
      v.forEach((x) => (sum += x));
      n += v.length;
    }
    const before = tf.memory().numTensors;
    const big = await scoreSequences(m, seqs, { batchTokens: 1024 });
    const small = await scoreSequences(m, seqs, { batchTokens: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(big.tokens).toBe(23 + 9 + 16 + 23 + 9);
    expect(small.tokens).toBe(n);
    expect(Math.abs(big.nllSum - sum)).toBeLessThan(1e-4);
    expect(Math.abs(small.nllSum - sum)).toBeLessThan(1e-4);
    m.dispose();
  });

  it('validateSequences rejects long, out-of-range, non-integer, short and malformed input', () => {
    const c = loadCheckpoint(fixture).config; // vocab 1000, n_positions 64
    const bad: Array<[unknown, RegExp]> = [
      [[Array(65).fill(1)], /array 0 has 65 tokens, expected at most n_positions=64/],
      [[[1, 2], [3, 1000]], /array 1, position 1: expected an integer token id in \[0, 1000\).*found 1000/],
      [[[1, -1]], /found -1/],
      [[[1, 2.5]], /found 2\.5/],
      [[[1, '2']], /found "2"/],
      [[[7]], /array 0 has 1 token\(s\), expected at least 2/],
      [[[]], /array 0 has 0 token\(s\)/],
      [[], /non-empty JSON array/],
      [{ ids: [1, 2] }, /expected a non-empty JSON array of token-id arrays, found object/],
      [[5, 6], /element 0 is 5, expected an array of token ids/],
    ];
    for (const [json, re] of bad) {
      expect(() => validateSequences(json, c, '--tokens f.json')).toThrow(EwcError);
      expect(() => validateSequences(json, c, '--tokens f.json')).toThrow(re);
    }
    expect(validateSequences([[1, 2], [3, 4, 5]], c, 'x')).toEqual([[1, 2], [3, 4, 5]]);
  });
});
