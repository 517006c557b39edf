/**
 * GPT-2's byte ↔ unicode table (openai/gpt-2 encoder.py `bytes_to_unicode`): every byte 0..255 maps to a
 * printable character so that byte-level BPE tokens are readable strings (space → 'Ġ', newline → 'Ċ').
 * BYTE_ORDER lists the bytes in GPT-2's vocabulary order (printable Latin-1 first, then the rest), which is
 * the order of ids 0..255 in GPT-2's encoder.json.
 */

function build(): { order: number[]; chars: string[] } {
  const bs: number[] = [];
  const push = (a: number, b: number) => {
    for (let i = a; i <= b; i++) bs.push(i);
  };
  push(0x21, 0x7e); // '!'..'~'
  push(0xa1, 0xac); // '¡'..'¬'
  push(0xae, 0xff); // '®'..'ÿ'
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const chars = new Array<string>(256);
  for (let i = 0; i < 256; i++) chars[bs[i]] = String.fromCodePoint(cs[i]);
  return { order: bs, chars };
}

const built = build();
/** BYTE_TO_CHAR[b] is the printable stand-in of byte b. */
export const BYTE_TO_CHAR: readonly string[] = built.chars;
/** Bytes in GPT-2 vocabulary order: BYTE_ORDER[i] is the byte whose token has id i in GPT-2. */
export const BYTE_ORDER: readonly number[] = built.order;
/** Inverse of BYTE_TO_CHAR. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** UTF-8 bytes of `text` rendered through BYTE_TO_CHAR (the form byte-level BPE tokens are written in). */
export function toByteChars(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/** Inverse of toByteChars; throws on characters outside the byte alphabet. */
export function fromByteChars(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) throw new Error(`not a byte-level character: ${JSON.stringify(ch)}`);
    out.push(b);
  }
  return Uint8Array.from(out);
}
