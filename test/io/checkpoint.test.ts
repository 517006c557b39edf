import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countParams,
  describeCheckpoint,
  expectedParamShapes,
  loadCheckpoint,
  saveCheckpoint,
} from '../../src/io/checkpoint.ts';
import { readSafetensors, serializeSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import type { NamedTensors } from '../../src/io/types.ts';
import { gpt2ConfigToJson } from '../../src/model/gpt2-config.ts';
import { sharedPath } from '../../src/util/shared.ts';
import { errorOf, randomParams, rawSafetensors, scratch, tinyConfig } from './helpers.ts';

const REF = () => sharedPath('fixtures', 'tiny-gpt2-reference');
const RANDOM = () => sharedPath('fixtures', 'tiny-random-gpt2');

function sameBits(a: NamedTensors, b: NamedTensors): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, t] of a) {
    const u = b.get(k)!;
    expect(u.shape).toEqual(t.shape);
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
  }
}

/** Load → save → load → save: the two saved model.safetensors must be byte-identical. */
function roundTrip(src: string) {
  const a = loadCheckpoint(src);
  const d1 = scratch();
  saveCheckpoint(d1, a.config, a.params);
  const b = loadCheckpoint(d1);
  const d2 = scratch();
  saveCheckpoint(d2, b.config, b.params);
  const f1 = readFileSync(join(d1, 'model.safetensors'));
  const f2 = readFileSync(join(d2, 'model.safetensors'));
  expect(f2.equals(f1)).toBe(true);
  expect(readFileSync(join(d2, 'config.json'), 'utf8')).toBe(readFileSync(join(d1, 'config.json'), 'utf8'));
  sameBits(a.params, b.params);
  return { a, b, d1 };
}

describe('loadCheckpoint on the shared fixtures', () => {
  it('tiny-gpt2-reference (hub names + legacy attn.bias buffers): loads, and loaded-then-saved reloads bit-identical', () => {
    const { a, b, d1 } = roundTrip(REF());
    expect(a.sourceNaming).toBe('hub');
    expect(b.sourceNaming).toBe('hub');
    expect(a.ignored).toEqual(['h.0.attn.bias', 'h.1.attn.bias', 'h.2.attn.bias']);
    expect([...a.params.keys()]).toEqual([...expectedParamShapes(a.config).keys()]);
    expect(a.params.get('h.0.attn.c_attn.weight')!.shape).toEqual([48, 144]);
    expect(a.config).toMatchObject({ n_embd: 48, n_layer: 3, vocab_size: 1000, bos_token_id: 999, resid_pdrop: 0 });
    // The saved tensors are exactly the fixture's (same names, same bits).
    const orig = readSafetensors(join(REF(), 'model.safetensors')).tensors;
    for (const [k, t] of a.params) expect(Buffer.from(t.data.buffer).equals(Buffer.from(orig.get(k)!.data.buffer))).toBe(true);
    // What transformers needs: config.json with architectures + model_type; safetensors metadata format=pt.
    const cfg = JSON.parse(readFileSync(join(d1, 'config.json'), 'utf8'));
    expect(cfg.architectures).toEqual(['GPT2LMHeadModel']);
    expect(cfg.model_type).toBe('gpt2');
    expect(cfg.n_ctx).toBe(64); // extra keys kept
    const saved = readSafetensors(join(d1, 'model.safetensors'));
    expect(saved.metadata).toEqual({ format: 'pt' });
    expect([...saved.tensors.keys()].some((k) => k.startsWith('transformer.') || k.endsWith('attn.bias') && !k.includes('c_'))).toBe(false);
  });

  it('tiny-gpt2-reference model.prefixed.safetensors (transformer. names, no lm_head) gives the same params', () => {
    const dir = scratch();
    copyFileSync(join(REF(), 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(REF(), 'model.prefixed.safetensors'), join(dir, 'model.prefixed.safetensors'));
    const p = loadCheckpoint(join(dir, 'model.prefixed.safetensors'));
    expect(p.sourceNaming).toBe('prefixed');
    sameBits(p.params, loadCheckpoint(REF()).params);
    roundTrip(join(dir, 'model.prefixed.safetensors'));
  });

  it('tiny-random-gpt2 (HF hub file, transformer. names, extra config keys) round-trips bit-identically', () => {
    const { a, d1 } = roundTrip(RANDOM());
    expect(a.sourceNaming).toBe('prefixed');
    expect(a.params.size).toBe(5 * 12 + 4);
    expect(countParams(a.config)).toBe([...a.params.values()].reduce((s, t) => s + t.data.length, 0));
    const cfg = JSON.parse(readFileSync(join(d1, 'config.json'), 'utf8'));
    expect(cfg.intermediate_size).toBe(37);
    expect(cfg._name_or_path).toBe('hf-internal-testing/tiny-random-gpt2');
  });
});

describe('checkpoint namings, tied heads, dtypes', () => {
  it('drops a tied lm_head.weight equal to wte, keeps an untied one', () => {
    const c = tinyConfig();
    const params = randomParams(c);
    const dir = scratch();
    saveCheckpoint(dir, c, params);
    const withHead = new Map(params);
    withHead.set('lm_head.weight', params.get('wte.weight')!);
    writeSafetensors(join(dir, 'model.safetensors'), withHead, { format: 'pt' });
    const l = loadCheckpoint(dir);
    expect(l.params.has('lm_head.weight')).toBe(false);
    expect(l.ignored).toEqual(['lm_head.weight']);

    const u = tinyConfig({ tie_word_embeddings: false });
    const up = randomParams(u, 7);
    expect(up.has('lm_head.weight')).toBe(true);
    const d2 = scratch();
    saveCheckpoint(d2, u, up);
    const ul = loadCheckpoint(d2);
    expect(ul.params.get('lm_head.weight')!.shape).toEqual([16, 8]);
    sameBits(ul.params, up);
  });

  it('accepts masked_bias buffers and prefixed lm_head', () => {
    const c = tinyConfig();
    const params = randomParams(c);
    const t: NamedTensors = new Map();
    for (const [k, v] of params) t.set('transformer.' + k, v);
    t.set('transformer.h.0.attn.masked_bias', { shape: [], data: new Float32Array([-1e4]) });
    t.set('transformer.h.1.attn.bias', { shape: [1, 1, 8, 8], data: new Float32Array(64) });
    t.set('lm_head.weight', params.get('wte.weight')!);
    const dir = scratch();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(gpt2ConfigToJson(c)));
    writeSafetensors(join(dir, 'model.safetensors'), t, { format: 'pt' });
    const l = loadCheckpoint(dir);
    expect(l.sourceNaming).toBe('prefixed');
    expect(l.ignored.sort()).toEqual(['lm_head.weight', 'transformer.h.0.attn.masked_bias', 'transformer.h.1.attn.bias']);
    sameBits(l.params, params);
  });

  it('saves F16 / BF16 when asked and reloads the rounded values', () => {
    const c = tinyConfig();
    const params = randomParams(c);
    for (const dtype of ['F16', 'BF16'] as const) {
      const dir = scratch();
      saveCheckpoint(dir, c, params, { dtype });
      const l = loadCheckpoint(dir);
      expect(l.dtypes.get('wte.weight')).toBe(dtype);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe(
        dtype === 'F16' ? 'float16' : 'bfloat16',
      );
      const tol = dtype === 'F16' ? 2 ** -11 : 2 ** -8; // half an ulp relative
      for (const [k, t] of params) {
        const got = l.params.get(k)!.data;
        for (let i = 0; i < t.data.length; i++) {
          expect(Math.abs(got[i] - t.data[i])).toBeLessThanOrEqual(tol * Math.abs(t.data[i]) + 2 ** -25);
        }
      }
      // reloading and saving again in the same dtype is lossless
      const d2 = scratch();
      saveCheckpoint(d2, l.config, l.params, { dtype });
      expect(readFileSync(join(d2, 'model.safetensors')).equals(readFileSync(join(dir, 'model.safetensors')))).toBe(true);
    }
  });

  it('reads a sharded checkpoint (model.safetensors.index.json)', () => {
    const c = tinyConfig();
    const params = randomParams(c);
    const dir = scratch();
    const names = [...params.keys()];
    const s1 = new Map(names.slice(0, 10).map((n) => [n, params.get(n)!]));
    const s2 = new Map(names.slice(10).map((n) => [n, params.get(n)!]));
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), s1);
    writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), s2);
    const weight_map: Record<string, string> = {};
    for (const n of s1.keys()) weight_map[n] = 'model-00001-of-00002.safetensors';
    for (const n of s2.keys()) weight_map[n] = 'model-00002-of-00002.safetensors';
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(gpt2ConfigToJson(c)));
    sameBits(loadCheckpoint(dir).params, params);
  });
});

describe('checkpoint bad input: clear errors', () => {
  const c = tinyConfig();
  const params = randomParams(c);
  function dirWith(t: NamedTensors, cfg: unknown = gpt2ConfigToJson(c)): string {
    const dir = scratch();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    writeSafetensors(join(dir, 'model.safetensors'), t, { format: 'pt' });
    return dir;
  }

  it('missing directory, config, weights', () => {
    expect(errorOf(() => loadCheckpoint('/no/such/dir'))).toMatch(
      /\/no\/such\/dir: not found\. Expected a checkpoint directory holding config\.json and model\.safetensors/,
    );
    const d = scratch();
    expect(errorOf(() => loadCheckpoint(d))).toMatch(/config\.json: not found\. A checkpoint needs config\.json/);
    writeFileSync(join(d, 'config.json'), '{}');
    expect(errorOf(() => loadCheckpoint(d))).toMatch(/model\.safetensors not found in the checkpoint directory/);
    writeFileSync(join(d, 'pytorch_model.bin'), 'x');
    expect(errorOf(() => loadCheckpoint(d))).toMatch(/Found only PyTorch weights \(pytorch_model\.bin\); convert them/);
    const f = join(d, 'weights.safetensors');
    writeFileSync(f, 'x');
    expect(errorOf(() => loadCheckpoint(d))).toMatch(/Found weights\.safetensors: pass that file's path/);
    expect(errorOf(() => loadCheckpoint(f))).toMatch(/weights\.safetensors: file is 1 bytes, expected at least 8/);
  });

  it('config.json that is not JSON or not a valid config', () => {
    const d = dirWith(params);
    writeFileSync(join(d, 'config.json'), '{"n_embd": ');
    expect(errorOf(() => loadCheckpoint(d))).toMatch(/config\.json: not valid JSON/);
    writeFileSync(join(d, 'config.json'), '{"n_embd": 10, "n_head": 3}');
    expect(errorOf(() => loadCheckpoint(d))).toMatch(/config\.json: invalid GPT-2 config: n_embd \(10\) is not divisible by n_head \(3\)/);
  });

  it('a config that does not match the tensors', () => {
    const d = dirWith(params, gpt2ConfigToJson(tinyConfig({ n_embd: 12 })));
    const m = errorOf(() => loadCheckpoint(d));
    expect(m).toMatch(
      /model\.safetensors: .*tensor h\.0\.attn\.c_attn\.weight has shape \[8,24\], expected \[12,36\] from config\.json \(n_embd=12\)/,
    );
    expect(m).toMatch(/tensor wte\.weight has shape \[16,8\], expected \[16,12\] from config\.json \(vocab_size=16, n_embd=12\)/);
    expect(m).toMatch(/The config does not match the weights/);
  });

  it('a missing tensor', () => {
    const t = new Map(params);
    t.delete('h.1.mlp.c_fc.bias');
    expect(errorOf(() => loadCheckpoint(dirWith(t)))).toMatch(
      /model\.safetensors: missing tensors: h\.1\.mlp\.c_fc\.bias\. The config does not match the weights: check that .*config\.json \(n_layer=2/,
    );
    // fewer layers in the file than in the config
    expect(errorOf(() => loadCheckpoint(dirWith(params, gpt2ConfigToJson(tinyConfig({ n_layer: 3 })))))).toMatch(
      /missing tensors: h\.2\.ln_1\.weight, h\.2\.ln_1\.bias/,
    );
  });

  it('an unexpected tensor', () => {
    const t = new Map(params);
    t.set('h.0.attn.rotary.weight', { shape: [2], data: new Float32Array(2) });
    expect(errorOf(() => loadCheckpoint(dirWith(t)))).toMatch(/unexpected tensors: h\.0\.attn\.rotary\.weight/);
    // an untied head under a tied config is fine only when equal to wte
    const h = new Map(params);
    h.set('lm_head.weight', { shape: [16, 8], data: new Float32Array(128).fill(0.5) });
    expect(errorOf(() => loadCheckpoint(dirWith(h)))).toMatch(
      /tensor lm_head\.weight differs from wte\.weight \(max \|diff\| .* but .*config\.json says tie_word_embeddings=true\. Set "tie_word_embeddings": false/,
    );
    // an untied config without lm_head
    expect(errorOf(() => loadCheckpoint(dirWith(params, gpt2ConfigToJson(tinyConfig({ tie_word_embeddings: false })))))).toMatch(
      /missing tensors: lm_head\.weight/,
    );
  });

  it('duplicate namings', () => {
    const t = new Map(params);
    t.set('transformer.wte.weight', params.get('wte.weight')!);
    expect(errorOf(() => loadCheckpoint(dirWith(t)))).toMatch(/tensor (transformer\.)?wte\.weight duplicates .*wte\.weight/);
  });

  it('a parameter stored with an integer dtype', () => {
    const t = new Map(params);
    t.delete('ln_f.bias');
    const floats = serializeSafetensors(t);
    // rebuild the file by hand with ln_f.bias as I32 appended at the end of the data buffer
    const hdrLen = Number(Buffer.from(floats[0]).readBigUInt64LE(0));
    const header = JSON.parse(Buffer.from(floats[1]).toString('utf8'));
    const data = Buffer.concat(floats.slice(2));
    header['ln_f.bias'] = { dtype: 'I32', shape: [8], data_offsets: [data.length, data.length + 32] };
    expect(hdrLen).toBe(floats[1].length);
    const dir = scratch();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(gpt2ConfigToJson(c)));
    writeFileSync(join(dir, 'model.safetensors'), rawSafetensors(header, Buffer.concat([data, Buffer.alloc(32)])));
    expect(errorOf(() => loadCheckpoint(dir))).toMatch(/tensor ln_f\.bias has dtype I32, expected a float type/);
  });

  it('saveCheckpoint refuses params that do not match the config', () => {
    const t = new Map(params);
    t.delete('ln_f.bias');
    t.set('extra', { shape: [1], data: new Float32Array(1) });
    expect(errorOf(() => saveCheckpoint(scratch(), c, t))).toMatch(
      /cannot save checkpoint to .*: the parameters do not match the config \(n_layer=2, n_embd=8\): missing ln_f\.bias, unexpected extra/,
    );
  });

  it('describeCheckpoint reads headers only', () => {
    const d = describeCheckpoint(REF());
    expect(d.tensors.get('wte.weight')).toMatchObject({ dtype: 'F32', shape: [1000, 48] });
    expect(d.metadata[join(REF(), 'model.safetensors')]).toEqual({ format: 'pt' });
  });
});

