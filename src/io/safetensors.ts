/**
 * safetensors read/write (https://github.com/huggingface/safetensors, format section):
 *   [8-byte little-endian u64 N][N bytes JSON header][data buffer]
 * The header maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data
 * buffer) plus an optional "__metadata__": {string: string}. Validation follows the reference
 * implementation: offsets must tile the data buffer exactly (contiguous, no overlap, no gap, no tail) and each
 * tensor's byte count must equal numel(shape) · sizeof(dtype). A header size limit guards against hostile files.
 *
 * Writing is deterministic: tensors ordered by element size (largest first, keeping alignment) then by name,
 * compact JSON, header padded with spaces to a multiple of 8 bytes (as the reference writer does), atomic.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { EwcError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import {
  DTYPE_BYTES,
  decodeInts,
  decodeToF32,
  encodeFromF32,
  isKnownDtype,
  type FloatOutDtype,
  type SafetensorsDtype,
} from './dtypes.ts';
import { numel, type HostTensor } from './types.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Default header size limit (the reference implementation uses 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsHeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range inside the data buffer. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in file (data) order. */
  entries: Map<string, SafetensorsHeaderEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file (8 + N). */
  dataStart: number;
  fileBytes: number;
}

export interface LoadedTensor extends HostTensor {
  dtype: SafetensorsDtype;
  /** Exact values for I32 (Int32Array) and I64 (BigInt64Array) tensors. */
  ints?: Int32Array | BigInt64Array;
}

export interface ReadSafetensorsOptions {
  /** Only tensors for which this returns true are decoded (the header is still fully validated). */
  filter?: (name: string) => boolean;
  /** Header size limit in bytes (default MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
}

export interface ReadSafetensorsResult {
  tensors: Map<string, LoadedTensor>;
  metadata: Record<string, string>;
}

const HINT_CORRUPT =
  'The file is truncated or corrupt (or not a safetensors file): download or export it again.';

function fail(file: string, msg: string, hint = HINT_CORRUPT): never {
  throw new EwcError(`${file}: ${msg}${hint ? ' ' + hint : ''}`);
}

/** Parses and validates a header. `head` holds at least the first 8 + N bytes (or the whole file). */
export function parseSafetensorsHeader(
  file: string,
  fileBytes: number,
  readAt: (pos: number, len: number) => Uint8Array,
  maxHeaderBytes = MAX_HEADER_BYTES,
): SafetensorsHeader {
  if (fileBytes < 8) {
    fail(file, `file is ${fileBytes} bytes, expected at least 8 (the header length prefix).`);
  }
  const prefix = readAt(0, 8);
  const n64 = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(maxHeaderBytes)) {
    fail(
      file,
      `header length is ${n64} bytes, above the limit of ${maxHeaderBytes} bytes.`,
      'This is not a valid safetensors file (or a hostile one); refusing to read it.',
    );
  }
  const n = Number(n64);
  if (8 + n > fileBytes) {
    fail(file, `header length is ${n} bytes but the file has only ${fileBytes - 8} bytes after the length prefix.`);
  }
  if (n < 2) fail(file, `header length is ${n} bytes, expected a JSON object (at least 2 bytes).`);
  const text = Buffer.from(readAt(8, n)).toString('utf8');
  if (text[0] !== '{') fail(file, `header does not start with '{' (found ${JSON.stringify(text.slice(0, 16))}).`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `header is not valid JSON (${(e as Error).message}).`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(file, 'header is not a JSON object.');
  }
  const dataStart = 8 + n;
  const dataBytes = fileBytes - dataStart;
  const metadata: Record<string, string> = {};
  const list: [string, SafetensorsHeaderEntry][] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        fail(file, `__metadata__ is ${JSON.stringify(raw)}, expected an object of strings.`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      continue;
    }
    list.push([name, parseEntry(file, name, raw)]);
  }
  // Offsets must tile [0, dataBytes) exactly.
  const sorted = [...list].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let pos = 0;
  let prevName = '';
  for (const [name, e] of sorted) {
    if (e.end > dataBytes) {
      fail(
        file,
        `tensor ${name} has data_offsets [${e.begin}, ${e.end}] beyond the data buffer of ${dataBytes} bytes.`,
      );
    }
    if (e.begin < pos) {
      fail(
        file,
        `tensor ${name} has data_offsets [${e.begin}, ${e.end}] overlapping tensor ${prevName} (which ends at ${pos}).`,
      );
    }
    if (e.begin > pos) {
      fail(
        file,
        `tensor ${name} starts at byte ${e.begin}, expected ${pos}: the offsets leave a gap of ${e.begin - pos} bytes` +
          (prevName ? ` after tensor ${prevName}` : ' at the start of the data buffer') +
          ' (tensor data must be contiguous).',
      );
    }
    pos = e.end;
    prevName = name;
  }
  if (pos !== dataBytes) {
    fail(
      file,
      `the tensors cover ${pos} bytes of data but the file holds ${dataBytes} bytes after the header ` +
        `(${dataBytes - pos} trailing bytes not described by the header).`,
    );
  }
  return { entries: new Map(list), metadata, dataStart, fileBytes };
}

function parseEntry(file: string, name: string, raw: unknown): SafetensorsHeaderEntry {
  const what = `tensor ${name}`;
  if (name.length === 0) fail(file, 'header has a tensor with an empty name.');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail(file, `${what}: header entry is ${JSON.stringify(raw)}, expected {dtype, shape, data_offsets}.`);
  }
  const r = raw as Record<string, unknown>;
  const dtype = r.dtype;
  if (typeof dtype !== 'string') fail(file, `${what}: dtype is ${JSON.stringify(dtype)}, expected a string.`);
  if (!isKnownDtype(dtype)) {
    fail(
      file,
      `${what} has dtype ${JSON.stringify(dtype)}, which this reader does not support ` +
        `(supported: ${Object.keys(DTYPE_BYTES).join(', ')}).`,
      'Convert the checkpoint to float32, float16 or bfloat16 (e.g. in Python: model.float().save_pretrained(dir)).',
    );
  }
  const shape = r.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(file, `${what}: shape is ${JSON.stringify(shape)}, expected an array of non-negative integers.`);
  }
  const off = r.data_offsets;
  if (
    !Array.isArray(off) ||
    off.length !== 2 ||
    !off.every((d) => Number.isSafeInteger(d) && d >= 0) ||
    off[0] > off[1]
  ) {
    fail(file, `${what}: data_offsets is ${JSON.stringify(off)}, expected [begin, end] with 0 <= begin <= end.`);
  }
  const [begin, end] = off as [number, number];
  const expectBytes = numel(shape as number[]) * DTYPE_BYTES[dtype];
  if (end - begin !== expectBytes) {
    fail(
      file,
      `tensor ${name} has shape ${JSON.stringify(shape)} and dtype ${dtype}, which needs ${expectBytes} bytes, ` +
        `but its data_offsets [${begin}, ${end}] span ${end - begin} bytes.`,
    );
  }
  return { dtype, shape: shape as number[], begin, end };
}

function missingFile(path: string): never {
  throw new EwcError(
    `${path}: file not found (expected a safetensors file). Check the path; a Hugging Face model ` +
      `directory holds model.safetensors next to config.json.`,
  );
}

/** Opens a file, runs fn with a positional reader, closes it. */
function withFile<T>(
  path: string,
  fn: (size: number, readAt: (pos: number, len: number, into?: Uint8Array) => Uint8Array) => T,
): T {
  if (!existsSync(path)) missingFile(path);
  if (statSync(path).isDirectory()) {
    throw new EwcError(`${path}: is a directory, expected a .safetensors file.`);
  }
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const readAt = (pos: number, len: number, into?: Uint8Array): Uint8Array => {
      const buf = into ?? new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const k = readSync(fd, buf, got, len - got, pos + got);
        if (k === 0) fail(path, `unexpected end of file at byte ${pos + got}.`);
        got += k;
      }
      return buf;
    };
    return fn(size, readAt);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates only the header (cheap: no tensor data is read). */
export function readSafetensorsHeader(path: string, opts: { maxHeaderBytes?: number } = {}): SafetensorsHeader {
  return withFile(path, (size, readAt) => parseSafetensorsHeader(path, size, readAt, opts.maxHeaderBytes));
}

/** Reads a safetensors file; float tensors become Float32Array exactly (F16/BF16 widened). */
export function readSafetensors(path: string, opts: ReadSafetensorsOptions = {}): ReadSafetensorsResult {
  return withFile(path, (size, readAt) => {
    const header = parseSafetensorsHeader(path, size, readAt, opts.maxHeaderBytes);
    const tensors = new Map<string, LoadedTensor>();
    for (const [name, e] of header.entries) {
      if (opts.filter && !opts.filter(name)) continue;
      const count = numel(e.shape);
      if (e.dtype === 'F32' && LITTLE_ENDIAN) {
        // read straight into the result (no intermediate copy)
        const data = new Float32Array(count);
        readAt(header.dataStart + e.begin, e.end - e.begin, new Uint8Array(data.buffer));
        tensors.set(name, { dtype: e.dtype, shape: [...e.shape], data });
        continue;
      }
      const bytes = readAt(header.dataStart + e.begin, e.end - e.begin);
      const t: LoadedTensor = { dtype: e.dtype, shape: [...e.shape], data: decodeToF32(e.dtype, bytes, count) };
      const ints = decodeInts(e.dtype, bytes, count);
      if (ints) t.ints = ints;
      tensors.set(name, t);
    }
    return { tensors, metadata: header.metadata };
  });
}

/** Parses a whole safetensors file held in memory. */
export function parseSafetensors(
  bytes: Uint8Array,
  source = '<buffer>',
  opts: ReadSafetensorsOptions = {},
): ReadSafetensorsResult {
  const readAt = (pos: number, len: number) => bytes.subarray(pos, pos + len);
  const header = parseSafetensorsHeader(source, bytes.byteLength, readAt, opts.maxHeaderBytes);
  const tensors = new Map<string, LoadedTensor>();
  for (const [name, e] of header.entries) {
    if (opts.filter && !opts.filter(name)) continue;
    const count = numel(e.shape);
    const b = bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    const t: LoadedTensor = { dtype: e.dtype, shape: [...e.shape], data: decodeToF32(e.dtype, b, count) };
    const ints = decodeInts(e.dtype, b, count);
    if (ints) t.ints = ints;
    tensors.set(name, t);
  }
  return { tensors, metadata: header.metadata };
}

export interface WriteSafetensorsOptions {
  /** Output dtype for every tensor, or per tensor (default F32). */
  dtype?: FloatOutDtype | ((name: string) => FloatOutDtype);
}

/** Builds the file as a list of byte chunks (header, then each tensor's data); deterministic. */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, HostTensor>,
  metadata: Record<string, string> = {},
  opts: WriteSafetensorsOptions = {},
): Uint8Array[] {
  const dtypeOf = (name: string): FloatOutDtype =>
    typeof opts.dtype === 'function' ? opts.dtype(name) : (opts.dtype ?? 'F32');
  const items = [...tensors.entries()].map(([name, t]) => {
    if (name === '__metadata__' || name.length === 0) {
      throw new EwcError(`cannot write a tensor named ${JSON.stringify(name)}: the name is reserved or empty.`);
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new EwcError(`cannot write tensor ${name}: shape ${JSON.stringify(t.shape)} is not a list of sizes.`);
    }
    if (t.data.length !== numel(t.shape)) {
      throw new EwcError(
        `cannot write tensor ${name}: shape ${JSON.stringify(t.shape)} needs ${numel(t.shape)} values, ` +
          `found ${t.data.length}.`,
      );
    }
    const dtype = dtypeOf(name);
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      throw new EwcError(`cannot write tensor ${name} as ${String(dtype)}: expected F32, F16 or BF16.`);
    }
    return { name, t, dtype };
  });
  items.sort(
    (a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) {
    const m: Record<string, string> = {};
    for (const k of metaKeys) {
      if (typeof metadata[k] !== 'string') {
        throw new EwcError(`cannot write metadata ${k}: value must be a string, found ${typeof metadata[k]}.`);
      }
      m[k] = metadata[k];
    }
    header.__metadata__ = m;
  }
  const chunks: Uint8Array[] = [];
  let pos = 0;
  for (const { name, t, dtype } of items) {
    const bytes = encodeFromF32(dtype, t.data);
    header[name] = { dtype, shape: t.shape, data_offsets: [pos, pos + bytes.byteLength] };
    pos += bytes.byteLength;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  const raw = Buffer.from(json, 'utf8');
  const pad = (8 - (raw.byteLength % 8)) % 8;
  if (pad) json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  return [prefix, headerBytes, ...chunks];
}

/** Writes tensors atomically as a safetensors file (F32 unless opts.dtype says otherwise). */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, HostTensor>,
  metadata: Record<string, string> = {},
  opts: WriteSafetensorsOptions = {},
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata, opts));
}
