/** `ewc-lm finetune` input errors: clear messages, exit 1, no stack trace, nothing computed. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/util/shared.ts';

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const model = join(repoRoot, 'checkpoints', 'gpt2-mini-en');

describe('ewc-lm finetune: bad input', () => {
  it('a penalty without importances names the missing flag', async () => {
    const r = await cli(['finetune', '--model', model, '--train', 'dialogs:embedded', '--out', '/tmp/ewc-ft-x', '--penalty', 'stabilized', '--lambda', '10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--penalty stabilized needs importances: pass --importance FILE/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('an unknown --set key names the known keys', async () => {
    const r = await cli(['finetune', '--model', model, '--train', 'dialogs:embedded', '--out', '/tmp/ewc-ft-x', '--set', 'train.learningRate=1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/train\.learningRate.*unknown key "learningRate"/);
    expect(r.stderr).toMatch(/lr/);
  });

  it('an unknown corpus format lists the valid ones', async () => {
    const r = await cli(['finetune', '--model', model, '--train', 'nosuch:thing', '--out', '/tmp/ewc-ft-x', '--steps', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nosuch/);
    expect(r.stderr).toMatch(/dailydialog/);
  });
});
