/**
 * A small, bounded reader for .zip archives held in memory (Node's zlib only; nothing is unpacked to disk).
 *
 * listZip parses the end-of-central-directory record and the central directory; readZipEntry checks the
 * member's local header, inflates it (stored or deflate) with zlib.inflateRawSync, and checks its size and
 * CRC-32. Every size and offset read from the archive is checked against the archive's length and the
 * caller's limits before it is used: at most `maxEntries` members, at most `maxBytes` per member after
 * inflation (zlib stops at the declared size, so a member that inflates to more than it declares is an error,
 * not a memory blow-up). Not supported, each with an error that says so: ZIP64 (members or archives over
 * 4 GiB, more than 65,535 members), multi-part archives, encrypted members, methods other than stored and
 * deflate.
 */
import { inflateRawSync } from 'node:zlib';
import { EwcError } from '../util/errors.ts';

export interface ZipEntry {
  /** Member path inside the archive, "/"-separated (a folder ends with "/"). */
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  /** Uncompressed size as the central directory declares it. */
  size: number;
  crc32: number;
  /** Offset of the member's local header. */
  localOffset: number;
  flags: number;
}

export interface ZipLimits {
  /** Most members the central directory may list (default 1000). */
  maxEntries?: number;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;
const EOCD_LEN = 22;
const CEN_LEN = 46;
const LOC_LEN = 30;
const MAX_COMMENT = 0xffff;
const DEFAULT_MAX_ENTRIES = 1000;

function corrupt(path: string, what: string): EwcError {
  return new EwcError(
    `${path}: not a readable zip archive (${what}). Expected a complete .zip file; the file may be truncated or ` +
      `damaged — download or copy it again, or give the unpacked file instead.`,
  );
}

/** The members listed in the archive's central directory, in their stored order. */
export function listZip(bytes: Uint8Array, path: string, limits: ZipLimits = {}): ZipEntry[] {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < EOCD_LEN) throw corrupt(path, `${buf.length} bytes, shorter than the 22-byte end record`);
  let eocd = -1;
  for (let i = buf.length - EOCD_LEN; i >= Math.max(0, buf.length - EOCD_LEN - MAX_COMMENT); i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG && i + EOCD_LEN + buf.readUInt16LE(i + 20) <= buf.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt(path, 'no end-of-central-directory record in its last 64 KiB');
  const disk = buf.readUInt16LE(eocd + 4);
  const cdDisk = buf.readUInt16LE(eocd + 6);
  const onDisk = buf.readUInt16LE(eocd + 8);
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new EwcError(`${path}: a ZIP64 archive (over 4 GiB or over 65,535 members), which this reader does not support. Unpack it and give the member file instead.`);
  }
  if (disk !== 0 || cdDisk !== 0 || onDisk !== count) {
    throw new EwcError(`${path}: one part of a multi-part (split) zip archive, which this reader does not support. Join the parts (zip -s 0) or unpack them and give the member file instead.`);
  }
  if (count > maxEntries) {
    throw new EwcError(`${path}: the archive lists ${count} members, more than the ${maxEntries} this reader accepts. Expected a small archive (a corpus file or two); unpack it and give the member files instead.`);
  }
  if (cdOffset + cdSize > eocd) throw corrupt(path, `its central directory (${cdSize} bytes at offset ${cdOffset}) runs past the end record at ${eocd}`);
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + CEN_LEN > cdOffset + cdSize || buf.readUInt32LE(p) !== CEN_SIG) throw corrupt(path, `central directory entry ${k + 1} of ${count} is missing or damaged`);
    const flags = buf.readUInt16LE(p + 8);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const next = p + CEN_LEN + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize) throw corrupt(path, `central directory entry ${k + 1} of ${count} runs past the directory`);
    const nameBytes = buf.subarray(p + CEN_LEN, p + CEN_LEN + nameLen);
    const entry: ZipEntry = {
      name: nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1'),
      method: buf.readUInt16LE(p + 10),
      crc32: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localOffset: buf.readUInt32LE(p + 42),
      flags,
    };
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.localOffset === 0xffffffff) {
      throw new EwcError(`${path}: member ${entry.name} uses ZIP64 sizes (over 4 GiB), which this reader does not support. Unpack it and give the member file instead.`);
    }
    if (entry.localOffset + LOC_LEN > cdOffset) throw corrupt(path, `member ${entry.name} starts at offset ${entry.localOffset}, past the member data`);
    entries.push(entry);
    p = next;
  }
  return entries;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zip and gzip use it). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The uncompressed bytes of one member. `maxBytes` bounds the declared size (checked before inflating) and
 * the inflated output (zlib stops there); the result must match the declared size and CRC-32.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, path: string, maxBytes: number): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const where = `${path} (member ${entry.name})`;
  if (entry.flags & 0x1) throw new EwcError(`${where}: the member is encrypted. Expected an unencrypted zip; unpack it with its password and give the file instead.`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new EwcError(`${where}: compression method ${entry.method}; this reader supports stored (0) and deflate (8) only. Re-zip it with plain deflate (zip -Z deflate) or give the unpacked file.`);
  }
  if (entry.size > maxBytes) {
    throw new EwcError(`${where}: declares ${entry.size} bytes uncompressed, more than the limit of ${maxBytes} bytes. Expected a member of at most ${maxBytes} bytes; split the data into smaller files.`);
  }
  const p = entry.localOffset;
  if (p + LOC_LEN > buf.length || buf.readUInt32LE(p) !== LOC_SIG) throw corrupt(path, `no local header for member ${entry.name} at offset ${p}`);
  const start = p + LOC_LEN + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw corrupt(path, `member ${entry.name} needs ${entry.compressedSize} bytes at offset ${start}, the file ends at ${buf.length}`);
  const data = buf.subarray(start, end);
  let out: Buffer;
  if (entry.method === 0) out = Buffer.from(data);
  else {
    try {
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      const tooLarge = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      throw corrupt(path, tooLarge ? `member ${entry.name} inflates to more than the ${entry.size} bytes it declares` : `member ${entry.name} does not inflate: ${(e as Error).message}`);
    }
  }
  if (out.length !== entry.size) throw corrupt(path, `member ${entry.name} holds ${out.length} bytes, its header declares ${entry.size}`);
  const crc = crc32(out);
  if (crc !== entry.crc32) throw corrupt(path, `member ${entry.name} fails its CRC-32 check (0x${crc.toString(16)}, expected 0x${entry.crc32.toString(16)})`);
  return out;
}
