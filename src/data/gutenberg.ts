/**
 * Project Gutenberg boilerplate removal: the header up to "*** START OF THE/THIS PROJECT GUTENBERG EBOOK … ***"
 * and the footer from "End of (the) Project Gutenberg('s) …" or "*** END OF THE/THIS PROJECT GUTENBERG EBOOK"
 * (whichever comes first) to the end, which also removes the licence text that follows it.
 */
const START = /^\s*\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*$/im;
const END = [
  /^\s*\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK/im,
  /^\s*End of (?:the )?Project Gutenberg(?:'s|’s)? /im,
  /^\s*\*{3}\s*START: FULL LICEN[SC]E/im,
];

export function stripGutenberg(text: string): { text: string; stripped: boolean } {
  let out = text;
  let stripped = false;
  const s = START.exec(out);
  if (s) {
    out = out.slice(s.index + s[0].length);
    stripped = true;
  }
  let cut = out.length;
  for (const re of END) {
    const m = re.exec(out);
    if (m && m.index < cut) cut = m.index;
  }
  if (cut < out.length) {
    out = out.slice(0, cut);
    stripped = true;
  }
  return { text: stripped ? out.trim() + '\n' : out, stripped };
}
