/**
 * The export graph (src/onnx/export-graph.ts, what `ewc-lm export` writes) and the importer (src/export,
 * `ewc-lm import-onnx`) on ../shared/fixtures/tiny-random-gpt2 (5 layers, d32, 4 heads, vocab 1000):
 *  - the exported decoder (onnxruntime-node) equals gpt2Logits (tfjs) within 1e-4: full pass with an empty
 *    cache, then a cached continuation (past = the presents of the prefix), and a left-padded batch row
 *    (attention_mask 0 on the padding, positions counted from the first real token) equals the unpadded row;
 *  - import-onnx of the export reproduces the weights bit-identically (named initializers), and so does an
 *    export whose initializers are anonymous (onnx::MatMul_N …), matched by graph position.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { decodeOnnxModel, importGpt2Weights, importOnnxCheckpoint } from '../../src/export/index.ts';
import { buildExportModel } from '../../src/onnx/export-graph.ts';
import { exportOnnx } from '../../src/onnx/export.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../../src/io/checkpoint.ts';
import { gpt2Logits } from '../../src/model/gpt2.ts';
import { createSession, f32, i64, ort } from '../../src/onnx/session.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';

const fixture = sharedPath('fixtures', 'tiny-random-gpt2');
let ck: LoadedCheckpoint;
let tmp: string;

beforeAll(async () => {
  await initBackend('cpu');
  ck = loadCheckpoint(fixture);
  tmp = mkdtempSync(join(tmpdir(), 'ewc-export-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Reference logits [B, T, V] from the tfjs model. */
function reference(rows: number[][]): Float32Array {
  const params = new Map([...ck.params].map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
  const ids = tf.tensor2d(rows.flat(), [rows.length, rows[0].length], 'int32');
  const out = gpt2Logits(ck.config, params, ids);
  const data = out.dataSync() as Float32Array;
  tf.dispose([out, ids, ...params.values()]);
  return data;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m; // NaN propagates through Math.max and fails the ≤ check
}

function emptyPast(B: number): Record<string, ort.Tensor> {
  const H = ck.config.n_head;
  const D = ck.config.n_embd / H;
  const f: Record<string, ort.Tensor> = {};
  for (let i = 0; i < ck.config.n_layer; i++) {
    f[`past_key_values.${i}.key`] = f32(new Float32Array(0), [B, H, 0, D]);
    f[`past_key_values.${i}.value`] = f32(new Float32Array(0), [B, H, 0, D]);
  }
  return f;
}

const rows = [
  [40, 416, 79, 206, 750, 12, 526, 301, 3, 999, 0, 17],
  [5, 98, 98, 640, 2, 311, 77, 77, 77, 500, 123, 8],
];
const B = rows.length;
const T = rows[0].length;

describe('ONNX export graph (onnxruntime-node vs tfjs gpt2Logits)', () => {
  it('full pass, cached continuation and a left-padded row match the reference within 1e-4', async () => {
    const V = ck.config.vocab_size;
    const ref = reference(rows);
    const sess = await createSession(buildExportModel(ck.config, ck.params));
    const positions = (from: number, to: number) => rows.flatMap(() => Array.from({ length: to - from }, (_, t) => from + t));

    const full = await sess.run({
      input_ids: i64(rows.flat(), [B, T]),
      attention_mask: i64(new Array(B * T).fill(1), [B, T]),
      position_ids: i64(positions(0, T), [B, T]),
      ...emptyPast(B),
    });
    expect(full.logits.dims).toEqual([B, T, V]);
    expect(maxDiff(full.logits.data as Float32Array, ref)).toBeLessThanOrEqual(1e-4);

    // Prefix of P tokens, then the remaining T−P tokens in one call with the cache.
    const P = 7;
    const pre = await sess.run({
      input_ids: i64(rows.flatMap((r) => r.slice(0, P)), [B, P]),
      attention_mask: i64(new Array(B * P).fill(1), [B, P]),
      position_ids: i64(positions(0, P), [B, P]),
      ...emptyPast(B),
    });
    expect(pre['present.0.key'].dims).toEqual([B, ck.config.n_head, P, ck.config.n_embd / ck.config.n_head]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64(rows.flatMap((r) => r.slice(P)), [B, T - P]),
      attention_mask: i64(new Array(B * T).fill(1), [B, T]),
      position_ids: i64(positions(P, T), [B, T - P]),
    };
    for (let i = 0; i < ck.config.n_layer; i++) {
      feeds[`past_key_values.${i}.key`] = pre[`present.${i}.key`];
      feeds[`past_key_values.${i}.value`] = pre[`present.${i}.value`];
    }
    const cont = await sess.run(feeds);
    expect(cont['present.4.value'].dims[2]).toBe(T);
    const refTail = new Float32Array(B * (T - P) * V);
    for (let b = 0; b < B; b++) refTail.set(ref.subarray((b * T + P) * V, (b + 1) * T * V), b * (T - P) * V);
    expect(maxDiff(cont.logits.data as Float32Array, refTail)).toBeLessThanOrEqual(1e-4);

    // Row 0 left-padded by 3 (pad id 98, mask 0, positions from the first real token) equals its unpadded logits.
    const pad = 3;
    const padded = await sess.run({
      input_ids: i64([98, 98, 98, ...rows[0]], [1, T + pad]),
      attention_mask: i64([0, 0, 0, ...new Array(T).fill(1)], [1, T + pad]),
      position_ids: i64([0, 0, 0, ...Array.from({ length: T }, (_, t) => t)], [1, T + pad]),
      ...emptyPast(1),
    });
    const real = (padded.logits.data as Float32Array).subarray(pad * V);
    expect(maxDiff(real, ref.subarray(0, T * V))).toBeLessThanOrEqual(1e-4);
  });
});

describe('import-onnx', () => {
  it('round-trips an `ewc-lm export` through `ewc-lm import-onnx` bit-identically (named initializers)', () => {
    const out = join(tmp, 'exp');
    exportOnnx(fixture, out);
    // Through the CLI, as a user runs it (config.json found one folder above onnx/model.onnx).
    const stdout = execFileSync(process.execPath, [join(repoRoot, 'bin', 'ewc-lm.mjs'), 'import-onnx', '--onnx', join(out, 'onnx', 'model.onnx'), '--out', join(tmp, 'imp')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const back = JSON.parse(stdout) as ReturnType<typeof importOnnxCheckpoint>;
    expect(back.matched.name).toBe(ck.params.size);
    expect(back.unused).toEqual([]);
    const again = loadCheckpoint(join(tmp, 'imp'));
    expect([...again.params.keys()]).toEqual([...ck.params.keys()]);
    for (const [name, t] of ck.params) {
      const u = again.params.get(name)!;
      expect(u.shape).toEqual(t.shape);
      expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
    }
  });

  it('matches anonymous initializers (onnx::MatMul_N, …) by graph position, bit-identically', () => {
    let k = 0;
    const names = new Map<string, string>();
    const bytes = buildExportModel(ck.config, ck.params, {
      initializerName: (n) => {
        const anon = `onnx::${n.endsWith('.bias') ? 'Add' : 'MatMul'}_${k++}`;
        names.set(n, anon);
        return anon;
      },
    });
    const w = importGpt2Weights(decodeOnnxModel(bytes), ck.config);
    expect([...w.sources.values()].every((s) => s.how === 'position')).toBe(true);
    expect(w.sources.get('h.3.mlp.c_fc.bias')?.initializer).toBe(names.get('h.3.mlp.c_fc.bias'));
    for (const [name, t] of ck.params) expect(w.params.get(name)!.data).toEqual(t.data);
  });

  it('explains what is missing when the config does not fit the export', () => {
    const bytes = buildExportModel(ck.config, ck.params);
    const bigger = { ...ck.config, n_layer: ck.config.n_layer + 1 };
    expect(() => importGpt2Weights(decodeOnnxModel(bytes), bigger)).toThrow(/could not find 12 of .* parameters \(h\.5\.ln_1\.weight/);
    const wider = { ...ck.config, vocab_size: 1001 };
    expect(() => importGpt2Weights(decodeOnnxModel(bytes), wider)).toThrow(/initializer wte\.weight has shape \[1000, 32\] but wte\.weight should be \[1001, 32\]/);
  });
});

describe('import-onnx storage forms', () => {
  it('reads float16 raw_data and float32 external data (model.onnx_data beside the file)', async () => {
    const { ProtoWriter } = await import('../../src/onnx/proto.ts');
    const { f32ToF16Bits, f16BitsToF32 } = await import('../../src/io/dtypes.ts');
    const { writeFileSync, mkdirSync, copyFileSync } = await import('node:fs');
    const dir = join(tmp, 'stored');
    mkdirSync(dir, { recursive: true });
    // TensorProto: dims (1), data_type (2: 1 float, 10 float16), name (8), raw_data (9),
    // external_data (13: key/value entries), data_location (14: 1 = EXTERNAL).
    const side: Buffer[] = [];
    let offset = 0;
    const graph = new ProtoWriter();
    for (const [name, t] of ck.params) {
      const w = new ProtoWriter();
      w.packedInts(1, t.shape);
      const half = name === 'wte.weight' || name.endsWith('.bias');
      w.intField(2, half ? 10 : 1);
      w.stringField(8, `transformer.${name}`);
      if (half) {
        w.lenField(9, new Uint8Array(Uint16Array.from(t.data, f32ToF16Bits).buffer));
      } else {
        const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        for (const [k, v] of [['location', 'model.onnx_data'], ['offset', String(offset)], ['length', String(bytes.length)]]) {
          const e = new ProtoWriter();
          e.stringField(1, k);
          e.stringField(2, v);
          w.lenField(13, e.finish());
        }
        w.intField(14, 1);
        side.push(bytes);
        offset += bytes.length;
      }
      graph.lenField(5, w.finish()); // GraphProto.initializer
    }
    const model = new ProtoWriter();
    model.intField(1, 8); // ir_version
    model.lenField(7, graph.finish()); // ModelProto.graph
    writeFileSync(join(dir, 'model.onnx'), model.finish());
    writeFileSync(join(dir, 'model.onnx_data'), Buffer.concat(side));
    copyFileSync(join(fixture, 'config.json'), join(dir, 'config.json'));

    const r = importOnnxCheckpoint({ onnx: join(dir, 'model.onnx'), config: join(dir, 'config.json'), out: join(tmp, 'stored-imp') });
    expect(r.matched.name).toBe(ck.params.size);
    const back = loadCheckpoint(join(tmp, 'stored-imp')).params;
    for (const [name, t] of ck.params) {
      const got = back.get(name)!.data;
      const half = name === 'wte.weight' || name.endsWith('.bias');
      // float16 tensors come back as exactly the float16 rounding of the original; external float32 bit-identical.
      const want = half ? Float32Array.from(t.data, (v) => f16BitsToF32(f32ToF16Bits(v))) : t.data;
      expect(got, name).toEqual(want);
    }
  });
});
