/**
 * SI closed form, the accumulation rule, and importance files.
 *
 * SI on one weight: total loss L(θ) = ½a(θ − m)² + c(θ − θ*)², plain SGD of rate η from θ_0.
 * g_t = (a + 2c)·e_t with e = θ − θ_eq, θ_eq = (am + 2cθ*)/(a + 2c); e_{t+1} = r·e_t, r = 1 − η(a + 2c).
 * Δθ_t = −η g_t ⇒ ω = −Σ g_t Δθ_t = η(a + 2c)² e_0² Σ_{t<K} r^{2t} = η(a + 2c)² e_0² (1 − r^{2K})/(1 − r²),
 * and Ω = ω / ((θ_K − θ_0)² + ξ) with θ_K − θ_0 = e_0(r^K − 1).
 * If the tracker were fed the TASK gradient a(θ − m) only, ω would differ (checked).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accumulate, hashParams, snapshot } from '../../src/importance/accumulate.ts';
import { readImportanceFile, writeImportanceFile } from '../../src/importance/file.ts';
import { SI_XI, SiTracker } from '../../src/importance/si.ts';
import type { Importances } from '../../src/importance/types.ts';

const h = (data: number[], shape = [data.length]) => ({ shape, data: new Float32Array(data) });

function runSi(useTotal: boolean): { omega: number; imp: number; closed: { omega: number; imp: number } } {
  const [a, m, c, star, eta, K, th0] = [2, 1, 3, -0.5, 0.05, 12, 0.3];
  const tr = new SiTracker(['w']);
  let th = th0;
  tr.startTask(new Map([['w', h([th])]]));
  for (let t = 0; t < K; t++) {
    const gTask = a * (th - m);
    const gTotal = gTask + 2 * c * (th - star);
    const next = th - eta * gTotal;
    tr.record(new Map([['w', h([useTotal ? gTotal : gTask])]]), new Map([['w', h([th])]]), new Map([['w', h([next])]]));
    th = Math.fround(next);
  }
  const omega = tr.pathIntegral().get('w')!.data[0];
  const imp = tr.endTask(new Map([['w', h([th])]])).get('w')!.data[0];
  const A = a + 2 * c;
  const eq = (a * m + 2 * c * star) / A;
  const r = 1 - eta * A;
  const e0 = th0 - eq;
  const w = eta * A * A * e0 * e0 * ((1 - r ** (2 * K)) / (1 - r * r));
  const disp = e0 * (r ** K - 1);
  return { omega, imp, closed: { omega: w, imp: w / (disp * disp + SI_XI) } };
}

describe('SI (path integral of the total loss)', () => {
  it('matches the closed form with the total gradient', () => {
    const r = runSi(true);
    expect(Math.abs(r.omega - r.closed.omega)).toBeLessThanOrEqual(1e-5 * r.closed.omega);
    expect(Math.abs(r.imp - r.closed.imp)).toBeLessThanOrEqual(1e-5 * r.closed.imp);
  });
  it('differs from the closed form if only the task gradient were used', () => {
    const r = runSi(false);
    expect(Math.abs(r.omega - r.closed.omega)).toBeGreaterThan(0.05 * r.closed.omega);
  });
  it('accepts tf tensors too, and no clamping: a negative path integral stays negative', () => {
    const tr = new SiTracker(['w'], 0.1);
    const t0 = tf.tensor1d([0]);
    tr.startTask(new Map([['w', t0]]));
    // a step against the gradient direction (e.g. momentum overshoot): g = 1, Δθ = +0.2 ⇒ ω = −0.2
    const g = tf.tensor1d([1]);
    const t1 = tf.tensor1d([0.2]);
    tr.record(new Map([['w', g]]), new Map([['w', t0]]), new Map([['w', t1]]));
    expect(tr.endTask(new Map([['w', t1]])).get('w')!.data[0]).toBeCloseTo(-0.2 / (0.04 + 0.1), 6);
    tf.dispose([t0, g, t1]);
  });
});

describe('accumulation across tasks', () => {
  it('Ω ← Ω + Ω_task, name by name; anchor = latest parameters', () => {
    const t1: Importances = new Map([['a', h([1, 2])], ['b', h([5])]]);
    const t2: Importances = new Map([['a', h([0.5, 0.25])], ['c', h([7])]]);
    const s = accumulate(accumulate(null, t1), t2);
    expect([...s.get('a')!.data]).toEqual([1.5, 2.25]);
    expect([...s.get('b')!.data]).toEqual([5]);
    expect([...s.get('c')!.data]).toEqual([7]);
    expect([...t1.get('a')!.data]).toEqual([1, 2]); // inputs untouched
    expect(() => accumulate(t1, new Map([['a', h([1, 2, 3])]]))).toThrow(/shape/);
    const params: Importances = new Map([['a', h([3, 4])], ['b', h([1])]]);
    const anchor = snapshot(params, ['a']);
    params.get('a')!.data[0] = 99;
    expect([...anchor.get('a')!.data]).toEqual([3, 4]);
    expect(anchor.has('b')).toBe(false);
  });

  it('importance files round-trip Ω, θ* and metadata; the model hash identifies parameters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ewc-imp-'));
    try {
      const omega: Importances = new Map([['h.0.attn.c_attn.weight', h([1, 2, 3, 4], [2, 2])]]);
      const anchor: Importances = new Map([['h.0.attn.c_attn.weight', h([0.1, 0.2, 0.3, 0.4], [2, 2])]]);
      const meta = { method: 'fisher', samples: 12, corpus: 'tokens:x.json', model_hash: hashParams(anchor), tasks: 2, params: 'attention' };
      writeImportanceFile(join(dir, 'i.safetensors'), { omega, anchor, meta });
      const r = readImportanceFile(join(dir, 'i.safetensors'));
      expect([...r.omega.keys()]).toEqual(['h.0.attn.c_attn.weight']);
      expect([...r.omega.get('h.0.attn.c_attn.weight')!.data]).toEqual([1, 2, 3, 4]);
      expect(r.anchor!.get('h.0.attn.c_attn.weight')!.shape).toEqual([2, 2]);
      expect(r.meta).toMatchObject({ method: 'fisher', samples: 12, tasks: 2, params: 'attention', model_hash: meta.model_hash });
      expect(hashParams(anchor)).not.toBe(hashParams(omega));
      expect(() => readImportanceFile(join(dir, 'missing.safetensors'))).toThrow(/does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
