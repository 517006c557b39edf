/**
 * A small bitmap font for rasterised charts: 5×9 cells (cap height 7 rows, 2 descender rows), ASCII 32–126
 * plus a few symbols charts use (± λ · × − – — μ σ θ Δ ≤ ≥ ° α). Each glyph is 9 base-32 digits, one per row
 * from the top; a digit's 5 bits are the row's pixels, most significant bit leftmost. Unknown characters
 * render as a box (□). Drawn by this project (no font file is embedded).
 */

export const GLYPH_W = 5;
export const GLYPH_H = 9;
/** Horizontal advance per character, in font pixels (glyph + 1 column spacing). */
export const ADVANCE = 6;
/** Rows above the baseline (cap height). */
export const ASCENT = 7;

const GLYPHS: [string, string][] = [
  ["A", 'ehhvhhh00'], ["B", 'uhhuhhu00'], ["C", 'ehggghe00'], ["D", 'uhhhhhu00'],
  ["E", 'vgguggv00'], ["F", 'vgguggg00'], ["G", 'ehgnhhf00'], ["H", 'hhhvhhh00'],
  ["I", 'e44444e00'], ["J", '72222ic00'], ["K", 'hikokih00'], ["L", 'ggggggv00'],
  ["M", 'hrllhhh00'], ["N", 'hhpljhh00'], ["O", 'ehhhhhe00'], ["P", 'uhhuggg00'],
  ["Q", 'ehhhlid00'], ["R", 'uhhukih00'], ["S", 'fgge11u00'], ["T", 'v44444400'],
  ["U", 'hhhhhhe00'], ["V", 'hhhhha400'], ["W", 'hhhllla00'], ["X", 'hha4ahh00'],
  ["Y", 'hha444400'], ["Z", 'v1248gv00'], ["0", 'ehjlphe00'], ["1", '4c4444e00'],
  ["2", 'eh1248v00'], ["3", 'v2421he00'], ["4", '26aiv2200'], ["5", 'vgu11he00'],
  ["6", '68guhhe00'], ["7", 'v12488800'], ["8", 'ehhehhe00'], ["9", 'ehhf12c00'],
  ["a", '00e1fhf00'], ["b", 'gguhhhu00'], ["c", '00eggge00'], ["d", '11fhhhf00'],
  ["e", '00ehvge00'], ["f", '688s88800'], ["g", '00fhhhf1e'], ["h", 'gguhhhh00'],
  ["i", '40c444e00'], ["j", '2062222ic'], ["k", 'ggikoki00'], ["l", 'c44444e00'],
  ["m", '00qllll00'], ["n", '00uhhhh00'], ["o", '00ehhhe00'], ["p", '00uhhhugg'],
  ["q", '00fhhhf11'], ["r", '00mpggg00'], ["s", '00fge1u00'], ["t", '88s889600'],
  ["u", '00hhhjd00'], ["v", '00hhha400'], ["w", '00hhlla00'], ["x", '00ha4ah00'],
  ["y", '00hhhhf1e'], ["z", '00v248v00'], [" ", '000000000'], ["!", '444440400'],
  ["\"", 'aa0000000'], ["#", 'aavavaa00'], ["$", '4fke5u400'], ["%", 'op248j300'],
  ["&", 'cik8lid00'], ["'", '440000000'], ["(", '248884200'], [")", '842224800'],
  ["*", '04lel4000'], ["+", '044v44000'], [",", '00000c480'], ["-", '000v00000'],
  [".", '00000cc00'], ["/", '01248g000'], [":", '0cc0cc000'], [";", '0cc0c4800'],
  ["<", '248g84200'], ["=", '00v0v0000'], [">", '842124800'], ["?", 'eh1240400'],
  ["@", 'eh1dlle00'], ["[", 'e88888e00'], ["\\", '0g8421000'], ["]", 'e22222e00'],
  ["^", '4ah000000'], ["_", '0000000v0'], ["`", '840000000'], ["{", '244844200'],
  ["|", '444444400'], ["}", '844244800'], ["~", '008l20000'], ["±", '44v440v00'],
  ["λ", '844aahh00'], ["·", '000400000'], ["×", '0ha4ah000'], ["−", '000v00000'],
  ["–", '000v00000'], ["—", '000v00000'], ["μ", '00hhhrlgg'], ["σ", '00fihhe00'],
  ["θ", 'ehhvhhe00'], ["Δ", '044aahv00'], ["≤", '248420v00'], ["≥", '842480v00'],
  ["°", 'cic000000'], ["α", '00diiid00'], ["□", 'vhhhhhv00'],
];

const table = new Map<string, Uint8Array>();
for (const [ch, code] of GLYPHS) {
  const rows = new Uint8Array(GLYPH_H);
  for (let r = 0; r < GLYPH_H; r++) rows[r] = parseInt(code[r], 32);
  table.set(ch, rows);
}

/** The glyph rows of a character (the box glyph for characters the font lacks). */
export function glyph(ch: string): Uint8Array {
  return table.get(ch) ?? table.get('□')!;
}

/** Whether the font draws this character itself. */
export function hasGlyph(ch: string): boolean {
  return table.has(ch);
}

/** Width of a string in font pixels (before scaling). */
export function textWidth(s: string): number {
  const n = [...s].length;
  return n === 0 ? 0 : n * ADVANCE - 1;
}
