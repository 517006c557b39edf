import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
} from '../../src/io/safetensors.ts';
import type { NamedTensors } from '../../src/io/types.ts';
import { EwcError } from '../../src/util/errors.ts';
import { errorOf, f32le, rawSafetensors, scratch, u16le } from './helpers.ts';

function sample(): NamedTensors {
  return new Map([
    ['b.weight', { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-40]) }],
    ['a.bias', { shape: [3], data: new Float32Array([NaN, Infinity, -Infinity]) }],
    ['scalar', { shape: [], data: new Float32Array([42]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

function bits(a: Float32Array): number[] {
  return [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
}

describe('safetensors round trip', () => {
  it('writes and reads back F32 tensors bit-exactly, with metadata', () => {
    const dir = scratch();
    const p = join(dir, 'x.safetensors');
    writeSafetensors(p, sample(), { format: 'pt', note: 'hi' });
    const r = readSafetensors(p);
    expect(r.metadata).toEqual({ format: 'pt', note: 'hi' });
    for (const [name, t] of sample()) {
      const got = r.tensors.get(name)!;
      expect(got.dtype).toBe('F32');
      expect(got.shape).toEqual(t.shape);
      expect(bits(got.data)).toEqual(bits(t.data));
    }
    expect(readdirSync(dir)).toEqual(['x.safetensors']); // no temp file left behind
  });

  it('is deterministic: sorted names, 8-byte aligned header padded with spaces', () => {
    const parts = serializeSafetensors(sample(), { z: '1', a: '2' });
    const bytes = Buffer.concat(parts);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    const pad = text.slice(text.trimEnd().length);
    expect(pad).toMatch(/^ {0,7}$/);
    expect(Buffer.byteLength(text.trimEnd()) + pad.length).toBe(n);
    const header = JSON.parse(text);
    expect(Object.keys(header)).toEqual(['__metadata__', 'a.bias', 'b.weight', 'empty', 'scalar']);
    expect(Object.keys(header.__metadata__)).toEqual(['a', 'z']);
    // insertion order of the input does not matter
    const reversed = new Map([...sample()].reverse());
    expect(Buffer.concat(serializeSafetensors(reversed, { a: '2', z: '1' })).equals(bytes)).toBe(true);
  });

  it('writes F16 and BF16 when asked, largest element size first', () => {
    const t: NamedTensors = new Map([
      ['h', { shape: [3], data: new Float32Array([1, 2 ** -24, 65504]) }],
      ['f', { shape: [1], data: new Float32Array([0.1]) }],
    ]);
    const bytes = Buffer.concat(serializeSafetensors(t, {}, { dtype: (n) => (n === 'h' ? 'F16' : 'F32') }));
    const r = parseSafetensors(bytes);
    expect(r.tensors.get('h')!.dtype).toBe('F16');
    expect([...r.tensors.get('h')!.data]).toEqual([1, 2 ** -24, 65504]);
    const hdr = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
    expect(hdr.f.data_offsets).toEqual([0, 4]); // F32 before F16
    const b = parseSafetensors(Buffer.concat(serializeSafetensors(t, {}, { dtype: 'BF16' })));
    expect(b.tensors.get('f')!.dtype).toBe('BF16');
    expect(b.tensors.get('f')!.data[0]).toBe(0.10009765625); // bf16(0.1) = 0x3dcd
  });

  it('reads F16 / BF16 / I32 / I64 / BOOL tensors from a file the test writes byte by byte', () => {
    const f16 = [0x0001, 0x03ff, 0x0400, 0x3c00, 0xc000, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000];
    const bf16 = [0x3f80, 0xc0a0, 0x0001, 0x7f80];
    const i32 = new Uint8Array(new Int32Array([-7, 2 ** 30]).buffer);
    const i64 = new Uint8Array(new BigInt64Array([-3n, 2n ** 40n]).buffer);
    const parts = [u16le(f16), u16le(bf16), i32, i64, new Uint8Array([1, 0, 1, 1])];
    const header: Record<string, unknown> = {};
    const names = ['half', 'brain', 'ints', 'longs', 'mask'];
    const dtypes = ['F16', 'BF16', 'I32', 'I64', 'BOOL'];
    const shapes = [[10], [2, 2], [2], [2], [4]];
    let pos = 0;
    parts.forEach((p, i) => {
      header[names[i]] = { dtype: dtypes[i], shape: shapes[i], data_offsets: [pos, pos + p.byteLength] };
      pos += p.byteLength;
    });
    const dir = scratch();
    const path = join(dir, 'mixed.safetensors');
    writeFileSync(path, rawSafetensors(header, Buffer.concat(parts)));
    const r = readSafetensors(path);
    const h = r.tensors.get('half')!.data;
    expect([...h.subarray(0, 8)]).toEqual([
      2 ** -24, 1023 * 2 ** -24, 2 ** -14, 1, -2, 65504, Infinity, -Infinity,
    ]);
    expect(Number.isNaN(h[8])).toBe(true);
    expect(Object.is(h[9], -0)).toBe(true);
    expect(r.tensors.get('brain')!.shape).toEqual([2, 2]);
    expect([...r.tensors.get('brain')!.data]).toEqual([1, -5, Math.fround(2 ** -133), Infinity]);
    expect([...(r.tensors.get('ints')!.ints as Int32Array)]).toEqual([-7, 2 ** 30]);
    expect([...(r.tensors.get('longs')!.ints as BigInt64Array)]).toEqual([-3n, 2n ** 40n]);
    expect([...r.tensors.get('longs')!.data]).toEqual([-3, 2 ** 40]);
    expect([...r.tensors.get('mask')!.data]).toEqual([1, 0, 1, 1]);
    // filter decodes only the chosen tensors
    expect([...readSafetensors(path, { filter: (n) => n === 'ints' }).tensors.keys()]).toEqual(['ints']);
    expect([...readSafetensorsHeader(path).entries.keys()]).toEqual(names);
  });

  it('reads non-string metadata values as JSON text', () => {
    const r = parseSafetensors(rawSafetensors({ __metadata__: { format: 'pt', step: 3 } }, new Uint8Array(0)));
    expect(r.metadata).toEqual({ format: 'pt', step: '3' });
    expect(r.tensors.size).toBe(0);
  });

  it('refuses to write inconsistent tensors', () => {
    const bad: NamedTensors = new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]);
    expect(errorOf(() => serializeSafetensors(bad))).toMatch(/tensor w: shape \[2,2\] needs 4 values, found 3/);
  });
});

describe('safetensors bad input: each error names the file, the tensor, expected vs found', () => {
  const dir = scratch();
  let k = 0;
  function file(bytes: Uint8Array): string {
    const p = join(dir, `bad${k++}.safetensors`);
    writeFileSync(p, bytes);
    return p;
  }
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  function msg(bytes: Uint8Array, opts = {}): string {
    const p = file(bytes);
    let err: unknown;
    try {
      readSafetensors(p, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EwcError);
    const m = (err as Error).message;
    expect(m.startsWith(p)).toBe(true);
    return m;
  }

  it('missing file', () => {
    const p = join(dir, 'nope.safetensors');
    expect(errorOf(() => readSafetensors(p))).toMatch(/nope\.safetensors: file not found/);
  });
  it('file shorter than 8 bytes', () => {
    expect(msg(new Uint8Array(5))).toMatch(/file is 5 bytes, expected at least 8/);
  });
  it('header length beyond the end of the file (truncated)', () => {
    const full = rawSafetensors({ w: ok }, f32le([1, 2]));
    expect(msg(full.subarray(0, 20))).toMatch(/header length is \d+ bytes but the file has only 12 bytes/);
  });
  it('header larger than the limit (hostile file)', () => {
    expect(msg(rawSafetensors({ w: ok }, f32le([1, 2]), 2n ** 50n))).toMatch(
      /header length is 1125899906842624 bytes, above the limit of 100000000 bytes/,
    );
    expect(msg(rawSafetensors({ w: ok }, f32le([1, 2])), { maxHeaderBytes: 16 })).toMatch(/above the limit of 16/);
  });
  it('header not JSON', () => {
    expect(msg(rawSafetensors('{"w": {"dtype": "F32",', new Uint8Array(0)))).toMatch(/header is not valid JSON/);
    expect(msg(rawSafetensors('[1,2]   ', new Uint8Array(0)))).toMatch(/header does not start with '\{'/);
  });
  it('unknown dtype', () => {
    const m = msg(rawSafetensors({ w: { ...ok, dtype: 'F8_E4M3' } }, f32le([1, 2])));
    expect(m).toMatch(/tensor w has dtype "F8_E4M3", which this reader does not support \(supported: F64, F32/);
    expect(m).toMatch(/Convert the checkpoint/);
  });
  it('shape / byte-count mismatch', () => {
    expect(msg(rawSafetensors({ w: { ...ok, shape: [3] } }, f32le([1, 2])))).toMatch(
      /tensor w has shape \[3\] and dtype F32, which needs 12 bytes, but its data_offsets \[0, 8\] span 8 bytes/,
    );
  });
  it('overlapping offsets', () => {
    const h = { a: ok, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expect(msg(rawSafetensors(h, f32le([1, 2, 3])))).toMatch(/tensor b has data_offsets \[4, 12\] overlapping tensor a/);
  });
  it('out-of-range offsets', () => {
    const h = { a: ok, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    expect(msg(rawSafetensors(h, f32le([1, 2, 3])))).toMatch(
      /tensor b has data_offsets \[8, 16\] beyond the data buffer of 12 bytes/,
    );
  });
  it('non-contiguous offsets (gap)', () => {
    const h = { a: ok, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } };
    expect(msg(rawSafetensors(h, f32le([1, 2, 3, 4])))).toMatch(/tensor b starts at byte 12, expected 8.*gap of 4 bytes after tensor a/);
  });
  it('data not covering the buffer (trailing bytes)', () => {
    expect(msg(rawSafetensors({ w: ok }, f32le([1, 2, 3])))).toMatch(
      /the tensors cover 8 bytes of data but the file holds 12 bytes after the header \(4 trailing bytes/,
    );
  });
  it('malformed entries', () => {
    expect(msg(rawSafetensors({ w: { ...ok, data_offsets: [8, 0] } }, f32le([1, 2])))).toMatch(
      /tensor w: data_offsets is \[8,0\], expected \[begin, end\]/,
    );
    expect(msg(rawSafetensors({ w: { ...ok, shape: [-2] } }, f32le([1, 2])))).toMatch(
      /tensor w: shape is \[-2\], expected an array of non-negative integers/,
    );
    expect(msg(rawSafetensors({ w: 3 }, f32le([1, 2])))).toMatch(/tensor w: header entry is 3/);
  });
  it('accepts a valid minimal file (control)', () => {
    const p = file(rawSafetensors({ w: ok }, f32le([1, 2])));
    expect([...readSafetensors(p).tensors.get('w')!.data]).toEqual([1, 2]);
    expect(readFileSync(p).byteLength).toBeGreaterThan(8);
  });
});
