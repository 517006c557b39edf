import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, decodePng, encodePng } from '../../src/report/png.ts';

describe('PNG encoder', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('writes a valid file: signature, IHDR, chunk CRCs, IDAT inflating to the right size, exact pixels', () => {
    const w = 7;
    const h = 5;
    for (const ch of [3, 4] as const) {
      const px = new Uint8Array(w * h * ch);
      for (let i = 0; i < px.length; i++) px[i] = (i * 37 + 11) & 0xff;
      const png = encodePng(w, h, px, ch);
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
      // walk the chunks by hand
      let pos = 8;
      const types: string[] = [];
      const idat: Uint8Array[] = [];
      while (pos < png.length) {
        const len = dv.getUint32(pos);
        const type = Buffer.from(png.subarray(pos + 4, pos + 8)).toString('latin1');
        expect(dv.getUint32(pos + 8 + len)).toBe(crc32(png.subarray(pos + 4, pos + 8 + len)));
        if (type === 'IHDR') {
          expect(len).toBe(13);
          expect(dv.getUint32(pos + 8)).toBe(w);
          expect(dv.getUint32(pos + 12)).toBe(h);
          expect(png[pos + 16]).toBe(8); // bit depth
          expect(png[pos + 17]).toBe(ch === 4 ? 6 : 2); // colour type
        }
        if (type === 'IDAT') idat.push(png.subarray(pos + 8, pos + 8 + len));
        types.push(type);
        pos += 12 + len;
      }
      expect(pos).toBe(png.length);
      expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect(inflateSync(Buffer.concat(idat)).length).toBe((w * ch + 1) * h);
      const d = decodePng(png);
      expect([d.width, d.height, d.channels]).toEqual([w, h, ch]);
      expect(Buffer.from(d.pixels).equals(Buffer.from(px))).toBe(true);
    }
  });

  it('the decoder rejects a corrupted chunk', () => {
    const png = encodePng(2, 2, new Uint8Array(16), 4);
    png[20] ^= 1; // inside IHDR
    expect(() => decodePng(png)).toThrow(/bad CRC in IHDR/);
  });
});
