import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, decodeToF32, encodeFromF32 } from '../../src/io/dtypes.ts';
import { u16le } from './helpers.ts';

// Known F16 patterns: value = (-1)^s · 2^(e-15) · (1 + m/1024), subnormals m · 2^-24.
const F16_KNOWN: [number, number][] = [
  [0x0000, 0],
  [0x0001, 2 ** -24], // smallest subnormal 5.96e-8
  [0x0002, 2 ** -23],
  [0x03ff, 1023 * 2 ** -24], // largest subnormal
  [0x0400, 2 ** -14], // smallest normal
  [0x3555, 0.333251953125],
  [0x3c00, 1],
  [0x3c01, 1 + 2 ** -10],
  [0xc000, -2],
  [0x7bff, 65504], // largest finite
  [0x8001, -(2 ** -24)],
  [0x7c00, Infinity],
  [0xfc00, -Infinity],
];
// Known BF16 patterns: the upper 16 bits of a float32.
const BF16_KNOWN: [number, number][] = [
  [0x3f80, 1],
  [0xc0a0, -5],
  [0x3eab, 0.333984375],
  [0x0001, 2 ** -133], // float32 subnormal
  [0x0080, 2 ** -126],
  [0x7f7f, 3.3895313892515355e38],
  [0x7f80, Infinity],
  [0xff80, -Infinity],
];

describe('F16 / BF16 decoding', () => {
  it('decodes known F16 values exactly, including subnormals, inf, NaN and -0', () => {
    const bits = [...F16_KNOWN.map((k) => k[0]), 0x7e00, 0x7c01, 0xfe00, 0x8000];
    const out = decodeToF32('F16', u16le(bits), bits.length);
    F16_KNOWN.forEach(([, v], i) => expect(out[i]).toBe(v));
    for (let i = F16_KNOWN.length; i < F16_KNOWN.length + 3; i++) expect(Number.isNaN(out[i])).toBe(true);
    expect(Object.is(out[out.length - 1], -0)).toBe(true);
  });

  it('decodes known BF16 values exactly', () => {
    const bits = [...BF16_KNOWN.map((k) => k[0]), 0x7fc0];
    const out = decodeToF32('BF16', u16le(bits), bits.length);
    BF16_KNOWN.forEach(([, v], i) => expect(out[i]).toBe(Math.fround(v)));
    expect(Number.isNaN(out[bits.length - 1])).toBe(true);
  });
});

/** Reference F16 rounding by search: the nearest finite F16 value, ties to the even pattern. */
function refF16(v: number, finite: { bits: number; val: number }[]): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) rounds to even = inf
  let lo = 0;
  let hi = finite.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (finite[mid].val <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - finite[lo].val;
  const dh = finite[hi].val - a;
  const pick = dl < dh ? finite[lo] : dh < dl ? finite[hi] : (finite[lo].bits & 1) === 0 ? finite[lo] : finite[hi];
  return sign | pick.bits;
}

describe('F32 → F16 / BF16 encoding (round to nearest even)', () => {
  it('round-trips every F16 bit pattern', () => {
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = f16BitsToF32(h);
      const ok = Number.isNaN(v) ? (f32ToF16Bits(v) & 0x7e00) === 0x7e00 : f32ToF16Bits(v) === h;
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('rounds ties to even and handles overflow / underflow', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(-1e9)).toBe(0xfc00);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → 0
    expect(f32ToF16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 ulp tie → even (2)
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits((1023.5 * 2 ** -24))).toBe(0x0400); // largest subnormal + half ulp → smallest normal
  });

  it('matches a brute-force nearest-value reference on random float32 values', () => {
    const finite: { bits: number; val: number }[] = [];
    for (let h = 0; h < 0x7c00; h++) finite.push({ bits: h, val: f16BitsToF32(h) });
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const bad: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const v = Math.fround((rnd() - 0.5) * 2 ** Math.floor(rnd() * 50 - 30));
      if (f32ToF16Bits(v) !== refF16(v, finite)) bad.push(v);
    }
    expect(bad).toEqual([]);
  });

  it('encodes BF16 with round to nearest even', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // above the tie
    expect(f32ToBf16Bits(Infinity)).toBe(0x7f80);
    expect(f32ToBf16Bits(3.4e38)).toBe(0x7f80); // rounds past the largest BF16 to inf
    expect(f32ToBf16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
    for (const [bits, v] of BF16_KNOWN) expect(f32ToBf16Bits(v)).toBe(bits);
  });

  it('encodeFromF32 writes little-endian bytes', () => {
    expect([...encodeFromF32('F16', new Float32Array([1, -2]))]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect([...encodeFromF32('BF16', new Float32Array([1]))]).toEqual([0x80, 0x3f]);
    expect([...encodeFromF32('F32', new Float32Array([1]))]).toEqual([0, 0, 0x80, 0x3f]);
  });
});
