import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';
import { pruneParams } from '../../src/prune/prune-params.ts';
import { loadScoreFile } from '../../src/prune/scores.ts';
import { sparsityReport } from '../../src/prune/sparsity-report.ts';
import { writePrunedCheckpoint } from '../../src/prune/write.ts';

const bin = join(repoRoot, 'bin', 'ewc-lm.mjs');
const run = (args: string[]) => JSON.parse(execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, EWC_LM_QUIET: '1' } }));

describe('ewc-lm prune', () => {
  const model = sharedPath('fixtures', 'tiny-random-gpt2');
  const orig = loadCheckpoint(model).params;

  it('writes a checkpoint that reloads with zeros exactly where the mask says (global magnitude)', () => {
    const out = mkdtempSync(join(tmpdir(), 'ewc-prune-'));
    const res = run(['prune', '--model', model, '--score', 'magnitude', '--sparsity', '0.3', '--params', 'h.*.attn.**', 'h.*.mlp.**', '--out', out]);
    const back = loadCheckpoint(out).params;
    const mask = readSafetensors(join(out, 'prune-mask.safetensors'));
    expect(mask.metadata.semantics).toBe('1 = kept, 0 = pruned');
    let selected = 0;
    let pruned = 0;
    for (const [n, t] of back) {
      const o = orig.get(n)!;
      const m = mask.tensors.get(n);
      expect(n.startsWith('h.') && (n.includes('.attn.') || n.includes('.mlp.'))).toBe(!!m);
      for (let j = 0; j < t.data.length; j++) {
        if (m && m.data[j] === 0) expect(t.data[j]).toBe(0);
        else expect(t.data[j]).toBe(o.data[j]); // everything else bit-identical
      }
      if (m) {
        selected += m.data.length;
        pruned += m.data.filter((x) => x === 0).length;
      }
    }
    expect(pruned).toBe(Math.round(0.3 * selected));
    expect(res.pruned).toBe(pruned);
    // magnitude: every pruned |θ| ≤ every kept |θ| among the selected tensors
    let maxPruned = 0;
    let minKept = Infinity;
    for (const [n, m] of mask.tensors) {
      const o = orig.get(n)!.data;
      for (let j = 0; j < o.length; j++) {
        if (m.data[j] === 0) maxPruned = Math.max(maxPruned, Math.abs(o[j]));
        else minKept = Math.min(minKept, Math.abs(o[j]));
      }
    }
    expect(maxPruned).toBeLessThanOrEqual(minKept);
    const rep = JSON.parse(readFileSync(join(out, 'prune-report.json'), 'utf8'));
    expect(rep.total.pruned).toBe(pruned);
    expect(readFileSync(join(out, 'prune-report.md'), 'utf8')).toMatch(/\| `h\.0\.attn\.c_attn\.weight` +\| \[32, 96\] +\| +3072 \|/);
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
  });

  it('per-layer with an importance file: each weight matrix loses round(p·N_t), biases untouched', () => {
    const out = mkdtempSync(join(tmpdir(), 'ewc-prune-'));
    // scores = flat index within the tensor (so the first round(p·N) entries of each matrix go), plus an anchor to skip
    const scores = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [n, t] of orig) if (n.startsWith('h.0.')) scores.set(n, { shape: t.shape, data: Float32Array.from(t.data, (_, j) => j) });
    scores.set('anchor/h.0.ln_1.weight', { shape: orig.get('h.0.ln_1.weight')!.shape, data: new Float32Array(32) });
    const file = join(out, 'scores.safetensors');
    writeSafetensors(file, scores, { method: 'test' });
    // in-process (the same calls as the command) to keep the test fast
    const ck = loadCheckpoint(model);
    const r = pruneParams(ck.params, loadScoreFile(file).scores, { sparsity: 0.5, scope: 'per-layer' });
    const report = sparsityReport(r, { sparsity: 0.5, scope: 'per-layer', score: file, params: [] });
    writePrunedCheckpoint({ out: join(out, 'ck'), sourceDir: ck.dir, config: ck.config, params: r.params, mask: r.mask, shapes: r.ranking.shapes, report, resolvedConfig: {} });
    expect(report.untouched).toEqual(['h.0.attn.c_attn.bias', 'h.0.attn.c_proj.bias', 'h.0.ln_1.bias', 'h.0.ln_1.weight', 'h.0.ln_2.bias', 'h.0.ln_2.weight', 'h.0.mlp.c_fc.bias', 'h.0.mlp.c_proj.bias']);
    const back = loadCheckpoint(join(out, 'ck')).params;
    for (const [n, t] of back) {
      const o = orig.get(n)!.data;
      const k = n.startsWith('h.0.') && t.shape.length === 2 ? Math.round(0.5 * o.length) : 0;
      for (let j = 0; j < o.length; j++) expect(t.data[j]).toBe(j < k ? 0 : o[j]);
    }
  });

  it('rejects a bad sparsity and an unknown score with a clear message', () => {
    const out = mkdtempSync(join(tmpdir(), 'ewc-prune-'));
    const r = spawnSync(process.execPath, [bin, 'prune', '--model', model, '--score', 'magnitude', '--sparsity', '1.5', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--sparsity: expected a fraction in \[0, 1\], found 1.5/);
    const r2 = spawnSync(process.execPath, [bin, 'prune', '--model', model, '--score', 'bogus', '--sparsity', '0.5', '--out', out], { encoding: 'utf8' });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/--score: expected magnitude/);
  });
});
