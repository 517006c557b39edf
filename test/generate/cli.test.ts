/**
 * `ewc-lm generate` spawned on ../shared/fixtures/tiny-random-gpt2: greedy output equals the in-process
 * generation (and the JSON has the documented fields); seeded sampling is reproducible across processes and
 * the cache does not change it; argument errors exit 1 with the message only.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backends/index.ts';
import { generateText, TfjsFullSource } from '../../src/generate/index.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { GPT2Model } from '../../src/model/gpt2.ts';
import { loadTokenizer } from '../../src/tokenization/index.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';

const fixture = sharedPath('fixtures', 'tiny-random-gpt2');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), 'generate', '--model', fixture, ...args], {
    encoding: 'utf8',
    env: { ...process.env, EWC_LM_QUIET: '1' },
  });
  return r;
}

describe('ewc-lm generate', () => {
  it('greedy: prints {prompt, text, ids, tokens, stoppedBy} equal to in-process generation', async () => {
    const r = cli('--prompt', 'The cat sat', '--max-new-tokens', '7', '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    await initBackend('wasm');
    const ck = loadCheckpoint(fixture);
    const m = GPT2Model.fromHost(ck.config, ck.params);
    const ref = await generateText(new TfjsFullSource(m), loadTokenizer(fixture), 'The cat sat', { maxNewTokens: 7, temperature: 0, topK: 0, seed: 0 });
    m.dispose();
    expect(out.prompt).toBe('The cat sat');
    expect(out.ids).toEqual(ref.ids);
    expect(out.text).toBe(ref.text);
    expect(out.tokens).toEqual(ref.tokens);
    expect(out.stoppedBy).toBe('max-new-tokens');
    expect(out.ids).toHaveLength(7);
    expect(out.settings).toEqual({ maxNewTokens: 7, temperature: 0, topK: 0, seed: 0 });
    expect(out.engine).toBe('tfjs');
    expect(out.cache).toBe(true);
  });

  it('sampling with a seed is reproducible across processes, with or without the cache', () => {
    const args = ['--prompt', 'Once upon', '--max-new-tokens', '8', '--temperature', '1', '--top-k', '50', '--seed', '11', '--backend', 'wasm'];
    const a = JSON.parse(cli(...args).stdout);
    const b = JSON.parse(cli(...args, '--no-cache').stdout);
    expect(b.ids).toEqual(a.ids);
    expect(b.cache).toBe(false);
    expect(a.ids).toHaveLength(8);
    expect(a.settings.seed).toBe(11);
  });

  it('bad arguments exit 1 with a clear message and no stack', () => {
    const r = cli('--prompt', 'x', '--top-k', '-3');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--top-k: expected an integer ≥ 0');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('a model folder without tokenizer files asks for --tokenizer, which then works', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ewc-lm-generate-'));
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(fixture, f), join(dir, f));
    const spawn = (...extra: string[]) =>
      spawnSync(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), 'generate', '--model', dir, '--prompt', 'hi', '--max-new-tokens', '2', '--backend', 'wasm', ...extra], {
        encoding: 'utf8',
        env: { ...process.env, EWC_LM_QUIET: '1' },
      });
    const bad = spawn();
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('pass --tokenizer PATH');
    const ok = spawn('--tokenizer', fixture);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).ids).toHaveLength(2);
  });
});
