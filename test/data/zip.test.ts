import { describe, expect, it } from 'vitest';
import { crc32, listZip, readZipEntry } from '../../src/data/zip.ts';
import { EwcError } from '../../src/util/errors.ts';
import { centralEntryOffset, makeZip } from './make-zip.ts';

const MB = 2 ** 20;
const text = 'Hello zip. '.repeat(500);
const zip = makeZip([
  { name: 'a/deflated.json', data: text },
  { name: 'stored.txt', data: 'stored bytes ✓', method: 0 },
]);

function readAll(bytes: Buffer, maxBytes = MB, maxEntries?: number): string[] {
  return listZip(bytes, 'x.zip', { maxEntries }).map((e) => readZipEntry(bytes, e, 'x.zip', maxBytes).toString('utf8'));
}

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EwcError);
    return (e as Error).message;
  }
  throw new Error('expected an EwcError');
}

describe('zip reader', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('lists members in order and reads deflate and stored members', () => {
    const entries = listZip(zip, 'x.zip');
    expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([
      ['a/deflated.json', 8, text.length],
      ['stored.txt', 0, Buffer.byteLength('stored bytes ✓')],
    ]);
    expect(entries[0].compressedSize).toBeLessThan(text.length / 10);
    expect(readAll(zip)).toEqual([text, 'stored bytes ✓']);
  });

  it('a truncated archive, or a file that is no zip, is a clear error', () => {
    expect(message(() => listZip(zip.subarray(0, zip.length - 30), 'x.zip'))).toMatch(/^x\.zip: not a readable zip archive \(no end-of-central-directory record.*truncated or damaged/);
    expect(message(() => listZip(Buffer.from('just text'), 'x.zip'))).toMatch(/9 bytes, shorter than the 22-byte end record/);
    expect(message(() => listZip(Buffer.alloc(5000, 0x20), 'x.zip'))).toMatch(/no end-of-central-directory record/);
    expect(message(() => listZip(zip.subarray(0, Math.floor(zip.length / 2)), 'x.zip'))).toMatch(/no end-of-central-directory/);
  });

  it('a directory pointing outside the file is an error, not an out-of-range read', () => {
    const z = Buffer.from(zip);
    z.writeUInt32LE(z.length, z.length - 22 + 16); // central directory offset past the end
    expect(message(() => listZip(z, 'x.zip'))).toMatch(/central directory .* runs past the end record/);
    const y = Buffer.from(zip);
    y.writeUInt32LE(0x12345678, centralEntryOffset(y, 1)); // second entry's signature damaged
    expect(message(() => listZip(y, 'x.zip'))).toMatch(/central directory entry 2 of 2 is missing or damaged/);
    const w = Buffer.from(zip);
    w.writeUInt32LE(w.length - 60, centralEntryOffset(w, 0) + 42); // local header offset into the directory
    expect(message(() => listZip(w, 'x.zip'))).toMatch(/member a\/deflated\.json starts at offset \d+, past the member data/);
  });

  it('damaged member data fails to inflate or fails its CRC', () => {
    const z = Buffer.from(zip);
    const start = 30 + 'a/deflated.json'.length;
    for (let i = start; i < start + 20; i++) z[i] ^= 0xff;
    expect(message(() => readAll(z))).toMatch(/x\.zip: not a readable zip archive \(member a\/deflated\.json (does not inflate|holds \d+ bytes|fails its CRC-32)/);
    const s = Buffer.from(zip);
    const storedStart = listZip(s, 'x.zip')[1].localOffset + 30 + 'stored.txt'.length;
    s[storedStart] ^= 0x01;
    expect(message(() => readAll(s))).toMatch(/member stored\.txt fails its CRC-32 check \(0x[0-9a-f]+, expected 0x[0-9a-f]+\)/);
  });

  it('sizes are bounded: the declared size, the inflated size and the member count', () => {
    expect(message(() => readAll(zip, 1000))).toMatch(/member a\/deflated\.json\): declares 5500 bytes uncompressed, more than the limit of 1000 bytes/);
    const lie = Buffer.from(zip);
    lie.writeUInt32LE(100, centralEntryOffset(lie, 0) + 24); // declares 100 bytes, inflates to 5500
    expect(message(() => readAll(lie))).toMatch(/member a\/deflated\.json inflates to more than the 100 bytes it declares/);
    expect(message(() => readAll(zip, MB, 1))).toMatch(/lists 2 members, more than the 1 this reader accepts/);
  });

  it('ZIP64, multi-part, encrypted and unknown-method archives are refused by name', () => {
    const z64 = Buffer.from(zip);
    z64.writeUInt16LE(0xffff, z64.length - 22 + 10);
    expect(message(() => listZip(z64, 'x.zip'))).toMatch(/a ZIP64 archive .* does not support/);
    const multi = Buffer.from(zip);
    multi.writeUInt16LE(1, multi.length - 22 + 4);
    expect(message(() => listZip(multi, 'x.zip'))).toMatch(/multi-part \(split\) zip archive/);
    const enc = Buffer.from(zip);
    enc.writeUInt16LE(0x801, centralEntryOffset(enc, 0) + 8);
    expect(message(() => readAll(enc))).toMatch(/member a\/deflated\.json\): the member is encrypted/);
    const bz = Buffer.from(zip);
    bz.writeUInt16LE(12, centralEntryOffset(bz, 0) + 10);
    expect(message(() => readAll(bz))).toMatch(/compression method 12; this reader supports stored \(0\) and deflate \(8\) only/);
  });
});
