/**
 * Project Gutenberg boilerplate removal, in the way established Gutenberg cleaners work (a header cut at the
 * START marker, a footer cut at the first END marker, then the eBook's production credits dropped):
 *
 * 1. Header: everything up to and including the "*** START OF THE/THIS PROJECT GUTENBERG EBOOK … ***" marker.
 *    The marker may wrap over several lines ("***START OF THE PROJECT GUTENBERG EBOOK THE LIFE OF\nROBINSON
 *    CRUSOE***"); it ends at its closing "***" (looked for within MAX_MARKER characters) or at the end of
 *    its line when it has none.
 * 2. Footer: from the first of "*** END OF THE/THIS PROJECT GUTENBERG EBOOK", "End of (the) Project
 *    Gutenberg('s) …" or "*** START: FULL LICENSE" to the end (the licence text follows it).
 * 3. Production credits: the paragraphs right after the header that credit the volunteers who made the
 *    e-text ("Produced by …", "E-text prepared by … and the Project Gutenberg Online Distributed Proofreading
 *    Team", "Transcribed from the 1897 … edition by …", "This eBook was produced by …", "Text file produced
 *    by … / HTML file produced by …") and PG's own notice of an improved edition ("THERE IS AN IMPROVED
 *    EDITION OF THIS TITLE …" framed by lines of asterisks). At most MAX_CREDITS paragraphs of at most
 *    MAX_CREDIT_CHARS each, so a book that happens to open with "Produced by" prose is not eaten.
 *
 * Kept on purpose: transcriber's notes inside the book ("Transcriber's Note: … the Project Gutenberg
 * edition …"). They describe the edition's text (spelling kept, footnotes moved) in the transcriber's words,
 * sit among the author's front matter or footnotes, and cannot be told from an author's note by any rule
 * that would not also cut real text; they are a few hundred characters in a book of hundreds of thousands.
 * test/data/gutenberg.test.ts pins every variant, and the corpora walk test asserts that in the 69 shared
 * books "Project Gutenberg" survives only inside such notes.
 */

const START = /^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK/im;
const END = [
  /^\s*\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK/im,
  /^\s*End of (?:the )?Project Gutenberg(?:'s|’s)? /im,
  /^\s*\*{3}\s*START: FULL LICEN[SC]E/im,
];
/** A wrapped START marker closes with "***" within this many characters. */
const MAX_MARKER = 400;
const MAX_CREDITS = 3;
const MAX_CREDIT_CHARS = 600;
const CREDIT = new RegExp(
  '^(?:' +
    [
      '(?:this )?e-?(?:book|text) (?:was )?(?:produced|prepared|transcribed)\\b',
      '(?:e-?text |text file |html (?:file |version )?)?(?:produced|prepared) by\\b',
      'transcribed (?:from .{0,200}? )?by\\b',
      '\\*+\\s*there is an improved edition of this title',
    ].join('|') +
    ')',
  'is',
);

export interface StripResult {
  text: string;
  /** Whether any header, footer or credit was removed. */
  stripped: boolean;
  /** The credit paragraphs removed (for `corpora stats` and tests). */
  credits: string[];
}

/** Cuts the header (START marker, possibly wrapped) and the footer; returns the body as found. */
function cutMarkers(text: string): { body: string; cut: boolean } {
  let body = text;
  let cut = false;
  const s = START.exec(body);
  if (s) {
    let end = body.indexOf('\n', s.index);
    if (end < 0) end = body.length;
    const line = body.slice(s.index, end);
    if (!/\*{3}\s*$/.test(line)) {
      // a marker wrapped over lines: it ends at its closing ***
      const close = body.slice(s.index + s[0].length, s.index + MAX_MARKER).indexOf('***');
      if (close >= 0) {
        end = s.index + s[0].length + close + 3;
        const nl = body.indexOf('\n', end);
        const rest = nl < 0 ? body.slice(end) : body.slice(end, nl);
        if (rest.trim() === '') end = nl < 0 ? body.length : nl;
      }
    }
    body = body.slice(end);
    cut = true;
  }
  let stop = body.length;
  for (const re of END) {
    const m = re.exec(body);
    if (m && m.index < stop) stop = m.index;
  }
  if (stop < body.length) {
    body = body.slice(0, stop);
    cut = true;
  }
  return { body, cut };
}

/** Drops the production-credit paragraphs at the start of a body (see the file comment). */
function dropCredits(body: string): { body: string; credits: string[] } {
  const credits: string[] = [];
  let rest = body.replace(/^\s+/, '');
  for (let i = 0; i < MAX_CREDITS && rest.length > 0; i++) {
    const m = /\n[ \t]*\n/.exec(rest);
    const para = m ? rest.slice(0, m.index) : rest;
    if (para.length > MAX_CREDIT_CHARS || !CREDIT.test(para.trim())) break;
    credits.push(para.trim());
    rest = rest.slice(para.length).replace(/^\s+/, '');
  }
  return { body: rest, credits };
}

export function stripGutenberg(text: string): StripResult {
  const { body, cut } = cutMarkers(text);
  if (!cut) return { text, stripped: false, credits: [] };
  const { body: rest, credits } = dropCredits(body);
  return { text: rest.trim() + '\n', stripped: true, credits };
}
