/**
 * `ewc-lm importance --tokens` reproduces the golden fixture (Fisher and MAS of every parameter, 1e-3
 * relative) on the default ort engine (Fisher) and on --engine tfjs (MAS), accumulates across tasks
 * (Ω doubles, tasks = 2, anchor = the model), and `importance stats`
 * reports per-tensor mean, max, max/mean and quantiles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImportanceFile } from '../../src/importance/file.ts';
import { hashParams } from '../../src/importance/accumulate.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';
import { compareToReference } from './toy-targets.ts';
import importanceCmd from '../../src/cli/commands/importance.ts';
import type { CommandModule } from 'yargs';

/** Runs the command's handler in this process (the same code path as the CLI, without a process start). */
async function inProcess(args: Record<string, unknown>): Promise<any> {
  const defaults = { method: 'fisher', params: ['attention'], split: 'train', seed: 0, mode: 'loop', 'batch-size': 8, backend: 'cpu' };
  let out = '';
  const orig = process.stdout.write.bind(process.stdout);
  (process.stdout as any).write = (c: string) => ((out += c), true);
  try {
    await (importanceCmd as CommandModule).handler({ ...defaults, ...args } as never);
  } finally {
    (process.stdout as any).write = orig;
  }
  return out ? JSON.parse(out) : null;
}
async function statsInProcess(file: string): Promise<any> {
  const sub = (importanceCmd as any).builder;
  let stats: CommandModule | null = null;
  sub({ command: (c: CommandModule) => ((stats = c), { option: function () { return this; } }) } as never);
  let out = '';
  const orig = process.stdout.write.bind(process.stdout);
  (process.stdout as any).write = (c: string) => ((out += c), true);
  try {
    await stats!.handler({ file, quantiles: [0.5, 0.9, 0.99, 0.999], top: 0 } as never);
  } finally {
    (process.stdout as any).write = orig;
  }
  return JSON.parse(out);
}

process.env.EWC_LM_QUIET = '1';
let tmp: string;
let ids: string;
const fixture = () => sharedPath('fixtures', 'tiny-gpt2-reference');
const cli = (...args: string[]) =>
  execFileSync(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, EWC_LM_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ewc-imp-cli-'));
  ids = join(tmp, 'ids.json');
  writeFileSync(ids, JSON.stringify(JSON.parse(readFileSync(join(fixture(), 'expected.json'), 'utf8')).input_ids));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ewc-lm importance', () => {
  it('--tokens reproduces expected-fisher and expected-mas; accumulates; stats', async () => {
    const f1 = join(tmp, 'fisher.safetensors');
    const out = JSON.parse(cli('importance', '--model', fixture(), '--tokens', ids, '--method', 'fisher', '--params', 'all', '--out', f1, '--backend', 'cpu'));
    expect(out).toMatchObject({ method: 'fisher', samples: 2, tasks: 1, parameters: 40, engine: 'ort' });
    expect(JSON.parse(readFileSync(f1 + '.json', 'utf8')).resolved).toMatchObject({ method: 'fisher', params: ['all'], tokens: ids });
    const fisher = readImportanceFile(f1);
    expect(compareToReference(fisher.omega, readSafetensors(join(fixture(), 'expected-fisher.safetensors')).tensors)).toEqual([]);
    const ck = loadCheckpoint(fixture());
    expect(fisher.meta.model_hash).toBe(hashParams(ck.params));
    expect([...fisher.anchor!.get('h.0.attn.c_attn.weight')!.data.slice(0, 5)]).toEqual([...ck.params.get('h.0.attn.c_attn.weight')!.data.slice(0, 5)]);

    const m1 = join(tmp, 'mas.safetensors');
    const mas = await inProcess({ model: fixture(), tokens: ids, method: 'mas', params: ['all'], mode: 'loop', engine: 'tfjs', out: m1 });
    expect(mas).toMatchObject({ engine: 'tfjs', backend: 'cpu', mode: 'loop' });
    expect(compareToReference(readImportanceFile(m1).omega, readSafetensors(join(fixture(), 'expected-mas.safetensors')).tensors)).toEqual([]);

    // second task on the attention preset (ort, a graph over a subset of the parameters: float32 sums in
    // another order, hence rtol 1e-4), accumulated into the first file
    const f2 = join(tmp, 'fisher2.safetensors');
    const out2 = await inProcess({ model: fixture(), tokens: ids, out: f2, 'accumulate-into': f1 });
    expect(out2).toMatchObject({ tasks: 2, params: 'attention', parameters: 12 });
    const acc = readImportanceFile(f2);
    const n = 'h.1.attn.c_proj.weight';
    const a = acc.omega.get(n)!.data;
    const b = fisher.omega.get(n)!.data;
    for (let i = 0; i < a.length; i += 97) expect(Math.abs(a[i] - 2 * b[i])).toBeLessThanOrEqual(1e-4 * b[i] + 1e-12);
    expect(acc.omega.get('wte.weight')!.data).toEqual(fisher.omega.get('wte.weight')!.data); // kept from task 1

    const stats = await statsInProcess(f1);
    const t = stats.tensors.find((x: { name: string }) => x.name === n);
    let sum = 0;
    let max = 0;
    for (const v of b) {
      sum += v;
      max = Math.max(max, v);
    }
    expect(t.mean).toBeCloseTo(sum / b.length, 9);
    expect(t.max).toBeCloseTo(max, 9);
    expect(t.maxOverMean).toBeCloseTo(max / (sum / b.length), 5);
    expect(t.quantiles).toHaveLength(4);
    expect(t.quantiles[0]).toBeLessThanOrEqual(t.quantiles[3]);
    expect(stats.groups.map((g: { kind: string }) => g.kind)).toContain('h.*.attn.c_attn.weight');
  });

  it('--corpus: documents of the split are cut into --block blocks; --samples takes the first N', async () => {
    const docs = Array.from({ length: 30 }, (_, d) => Array.from({ length: 40 }, (_, i) => (d * 31 + i * 17) % 1000));
    const file = join(tmp, 'docs.json');
    writeFileSync(file, JSON.stringify(docs));
    const r = await inProcess({ model: fixture(), corpus: `tokens:${file}`, block: 16, samples: 5, method: 'mas', out: join(tmp, 'c.safetensors') });
    expect(r).toMatchObject({ samples: 5, corpus: `tokens:${file}`, method: 'mas' });
    const all = await inProcess({ model: fixture(), corpus: `tokens:${file}`, block: 16, method: 'magnitude', out: join(tmp, 'm.safetensors') });
    expect(all.method).toBe('magnitude');
  });

  it('explains bad arguments', async () => {
    const out = join(tmp, 'x.safetensors');
    await expect(inProcess({ model: fixture(), out })).rejects.toThrow(/exactly one of --corpus SPEC or --tokens/);
    await expect(inProcess({ model: fixture(), tokens: ids, method: 'si', out })).rejects.toThrow(/SI is accumulated during training/);
    await expect(inProcess({ model: fixture(), tokens: ids, params: ['h.*.attn.q.*'], out })).rejects.toThrow(/matches no parameter/);
    await expect(inProcess({ model: fixture(), tokens: ids, out: join(tmp, 'x.bin') })).rejects.toThrow(/\.safetensors/);
  });
});
