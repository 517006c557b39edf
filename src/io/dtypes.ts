/**
 * safetensors dtypes and exact conversions between float32 and the 16-bit float formats.
 *
 * F16 (IEEE binary16): 1 sign, 5 exponent (bias 15), 10 mantissa bits; exponent 0 = zero/subnormal
 * (value mant·2^-24), exponent 31 = inf (mant 0) / NaN. Every F16 and BF16 value is exactly representable
 * in float32, so reading is exact. Writing rounds to nearest, ties to even (as torch's .half()/.bfloat16()).
 */

/** Every dtype the safetensors format defines that this reader can decode, with its byte size. */
export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
/** Dtypes this package writes. */
export type FloatOutDtype = 'F32' | 'F16' | 'BF16';

export function isKnownDtype(d: string): d is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, d);
}

export function isFloatDtype(d: SafetensorsDtype): boolean {
  return d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16';
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let f16Table: Float32Array | undefined;
/** Float32 value of every F16 bit pattern (65536 entries, built once). */
function f16Lut(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16BitsToF32(h);
  f16Table = t;
  return t;
}

/** Exact decoding of one F16 bit pattern. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero / subnormal
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const cvtF32 = new Float32Array(1);
const cvtU32 = new Uint32Array(cvtF32.buffer);

/** F16 bit pattern of a float32 value, rounded to nearest even; overflow → ±inf; NaN → 0x7e00. */
export function f32ToF16Bits(v: number): number {
  cvtF32[0] = v;
  const x = cvtU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? 0x7e00 | sign : sign | 0x7c00;
  const e = exp - 127 + 15; // F16 biased exponent
  if (e >= 31) return sign | 0x7c00; // overflow to inf
  if (e <= 0) {
    // subnormal F16 (or underflow to zero): value = m · 2^-24 with m = round(full mantissa · 2^(e-1-13))
    if (e < -10) return sign; // below half the smallest subnormal: rounds to ±0
    mant |= 0x800000; // implicit leading one
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (m & 1) === 1)) m++;
    return sign | m; // m may carry into the smallest normal (0x400), which is the right encoding
  }
  let out = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (out & 1) === 1)) out++; // carry may roll into exp (→ inf): correct
  return out;
}

/** BF16 bit pattern of a float32 value (upper 16 bits, rounded to nearest even; NaN stays a quiet NaN). */
export function f32ToBf16Bits(v: number): number {
  cvtF32[0] = v;
  const x = cvtU32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

/**
 * Decodes `count` elements of `dtype` from little-endian `bytes` into float32 (integers converted by value).
 * `ints` receives exact integer values for I32/I64 (and narrower integer types) when requested.
 */
export function decodeToF32(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      if (littleEndian) new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
      else for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case 'F16': {
      const lut = f16Lut();
      for (let i = 0; i < count; i++) out[i] = lut[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
      break;
    }
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = ((bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16) >>> 0;
      break;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'U64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigUint64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'U32':
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'U16':
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = bytes[i];
      break;
    default: {
      const never: never = dtype;
      throw new Error(`unreachable dtype ${String(never)}`);
    }
  }
  return out;
}

/** Exact integer values of an I32 / I64 tensor (I64 as BigInt64Array); undefined for other dtypes. */
export function decodeInts(
  dtype: SafetensorsDtype,
  bytes: Uint8Array,
  count: number,
): Int32Array | BigInt64Array | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'I32') {
    const a = new Int32Array(count);
    for (let i = 0; i < count; i++) a[i] = dv.getInt32(i * 4, true);
    return a;
  }
  if (dtype === 'I64') {
    const a = new BigInt64Array(count);
    for (let i = 0; i < count; i++) a[i] = dv.getBigInt64(i * 8, true);
    return a;
  }
  return undefined;
}

/** Little-endian bytes of float32 data in the output dtype (F32 returns a view when the host is LE). */
export function encodeFromF32(dtype: FloatOutDtype, data: Float32Array): Uint8Array {
  if (dtype === 'F32') {
    if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const b = new Uint8Array(data.length * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
    return b;
  }
  const b = new Uint8Array(data.length * 2);
  const enc = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < data.length; i++) {
    const h = enc(data[i]);
    b[2 * i] = h & 0xff;
    b[2 * i + 1] = h >>> 8;
  }
  return b;
}
