import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';
import { scratch } from './helpers.ts';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, EWC_LM_DEBUG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ewc-lm inspect', () => {
  it('prints config, parameter count and every tensor as JSON', () => {
    const r = cli('inspect', '--model', sharedPath('fixtures', 'tiny-gpt2-reference'));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.config).toMatchObject({ n_embd: 48, n_layer: 3, n_head: 4, vocab_size: 1000, model_type: 'gpt2' });
    // 1000·48 + 64·48 + 3·(4·48 + 48·144 + 144 + 48·48 + 48 + 48·192 + 192 + 192·48 + 48) + 2·48
    const perLayer = 4 * 48 + 48 * 144 + 144 + 48 * 48 + 48 + 48 * 192 + 192 + 192 * 48 + 48;
    expect(j.parameters).toBe(1000 * 48 + 64 * 48 + 3 * perLayer + 2 * 48);
    expect(j.tensors).toHaveLength(40);
    expect(j.tensors[0]).toEqual({ name: 'wte.weight', shape: [1000, 48], dtype: 'F32' });
    expect(j.tensors.find((t: { name: string }) => t.name === 'h.2.mlp.c_proj.weight')).toEqual({
      name: 'h.2.mlp.c_proj.weight',
      shape: [192, 48],
      dtype: 'F32',
    });
    expect(j.source_naming).toBe('hub');
    expect(j.ignored).toEqual(['h.0.attn.bias', 'h.1.attn.bias', 'h.2.attn.bias']);
  });

  it('a bad path exits 1 with a message on stderr and no stack trace', () => {
    const missing = join(scratch(), 'nothing-here');
    const r = cli('inspect', '--model', missing);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: ${missing}: not found. Expected a checkpoint directory`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
