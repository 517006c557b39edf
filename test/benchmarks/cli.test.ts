import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/util/shared.ts';
import { writeReport } from '../../src/benchmarks/report.ts';

const out = mkdtempSync(join(tmpdir(), 'ewc-continual-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
// Asynchronous (not spawnSync): a blocked event loop starves vitest's worker RPC on a loaded machine.
const cli = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [join(repoRoot, 'bin/ewc-lm.mjs'), ...args], { cwd: repoRoot, env: { ...process.env, EWC_LM_QUIET: '1' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });

describe('ewc-lm continual', () => {
  it('runs the quick preset, writes results + report', async () => {
    const r = await cli(['continual', '--preset', 'quick', '--tasks', '2', '--importance', 'fisher', '--lambda', '0,10', '--runs', '1', '--workers', '0', '--backend', 'wasm', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.ran).toBe(2);
    expect(res.results.map((x: { lambda: number }) => x.lambda)).toEqual([0, 10]);
    for (const f of ['results.jsonl', 'report.md', 'report.json', 'chart.svg', 'chart.png']) expect(existsSync(join(out, f))).toBe(true);
    expect(res.results[0].runs).toBe(1);
    expect(res.results[0].ci).toBeNull(); // one run: no interval
  });

  it('explains a missing --out and a missing results file', async () => {
    const a = await cli(['continual', '--lambda', '1']);
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/--out DIR/);
    // (invalid λ lists and a missing results file are tested in-process: grid.test.ts, report errors below)
    expect(() => writeReport(join(out, 'nope'))).toThrow(/results\.jsonl/);
  });
});
