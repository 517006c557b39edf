/**
 * The exported dynamic-shape GPT-2 (transformers.js layout, key/value cache) on the golden fixture:
 * full-sequence logits equal the reference (≤ 1e-4), and token-by-token decoding with the cache gives the
 * same logits as the full pass.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { buildExportModel } from '../../src/onnx/export-graph.ts';
import { createSession, f32, i64, ort } from '../../src/onnx/session.ts';
import { sharedPath } from '../../src/util/shared.ts';

const dir = sharedPath('fixtures', 'tiny-gpt2-reference');
const ids: number[][] = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')).input_ids;

describe('ONNX export (transformers.js layout)', () => {
  it('full pass and cached decoding match the reference logits', async () => {
    const { config, params } = loadCheckpoint(dir);
    const sess = await createSession(buildExportModel(config, params));
    const H = config.n_head;
    const D = config.n_embd / H;
    const B = ids.length;
    const T = ids[0].length;
    const V = config.vocab_size;
    const emptyPast = () => {
      const f: Record<string, ort.Tensor> = {};
      for (let i = 0; i < config.n_layer; i++) {
        f[`past_key_values.${i}.key`] = f32(new Float32Array(0), [B, H, 0, D]);
        f[`past_key_values.${i}.value`] = f32(new Float32Array(0), [B, H, 0, D]);
      }
      return f;
    };
    const pos = (from: number, to: number) => ids.flatMap(() => Array.from({ length: to - from }, (_, t) => from + t));
    const full = await sess.run({
      input_ids: i64(ids.flat(), [B, T]),
      attention_mask: i64(new Array(B * T).fill(1), [B, T]),
      position_ids: i64(pos(0, T), [B, T]),
      ...emptyPast(),
    });
    const ref = readSafetensors(`${dir}/expected.safetensors`).tensors.get('logits')!.data;
    const got = full.logits.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    expect(full['present.0.key'].dims).toEqual([B, H, T, D]);

    // Prefix of 10 tokens, then one token at a time with the cache.
    const P = 10;
    let r = await sess.run({
      input_ids: i64(ids.flatMap((row) => row.slice(0, P)), [B, P]),
      attention_mask: i64(new Array(B * P).fill(1), [B, P]),
      position_ids: i64(pos(0, P), [B, P]),
      ...emptyPast(),
    });
    for (let t = P; t < T; t++) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: i64(ids.map((row) => row[t]), [B, 1]),
        attention_mask: i64(new Array(B * (t + 1)).fill(1), [B, t + 1]),
        position_ids: i64(ids.map(() => t), [B, 1]),
      };
      for (let i = 0; i < config.n_layer; i++) {
        feeds[`past_key_values.${i}.key`] = r[`present.${i}.key`];
        feeds[`past_key_values.${i}.value`] = r[`present.${i}.value`];
      }
      r = await sess.run(feeds);
      const step = r.logits.data as Float32Array; // [B, 1, V]
      for (let b = 0; b < B; b++) {
        for (let v = 0; v < V; v++) {
          expect(Math.abs(step[b * V + v] - ref[(b * T + t) * V + v])).toBeLessThanOrEqual(1e-4);
        }
      }
    }
  });
});

describe('OrtKvDecoder', () => {
  it('prefill + cached steps give the same logits as full passes of the ort engine', async () => {
    const { OrtKvDecoder } = await import('../../src/onnx/kv-decoder.ts');
    const { OrtEngine } = await import('../../src/onnx/engine.ts');
    const { config, params } = loadCheckpoint(dir);
    const dec = await OrtKvDecoder.create(config, params);
    const eng = new OrtEngine(config, params);
    const row = ids[0];
    let got = await dec.prefill(row.slice(0, 5));
    for (let t = 5; t <= 8; t++) {
      const want = await eng.logits(Int32Array.from(row.slice(0, t)), 1, t, true);
      let d = 0;
      want.forEach((v, i) => (d = Math.max(d, Math.abs(v - got[i]))));
      expect(d).toBeLessThanOrEqual(1e-4);
      got = await dec.step(row[t]);
    }
    expect(dec.cached).toBe(9);
    dec.dispose();
    eng.dispose();
  });
});
