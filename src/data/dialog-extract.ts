/**
 * Dialog extraction from fiction, after the Gutenberg Dialogue Dataset (Csaky & Recski, EACL 2021):
 * paragraphs that contain quoted speech are utterances; consecutive utterance paragraphs form a dialog;
 * any paragraph without speech ends the dialog; dialogs of one utterance are dropped and long ones are cut
 * into exchanges of at most maxTurns.
 *
 * Quotes: straight "…" (toggled within a paragraph) and curly “…”. A quote still open at the end of a
 * paragraph runs to its end (the convention for speeches spanning paragraphs). An utterance is the quoted
 * spans of a paragraph joined by a space ("“Come,” he said, “sit.”" → "Come, sit.").
 *
 * Narrative side: every quoted span is cut out of the text (so no sentence is both dialog and book); the
 * remainder of a speech paragraph is kept only when it is at least half of it and ≥ 40 characters, so
 * attributions ("he said.") are dropped.
 */

export interface QuoteSplit {
  /** The quoted text (inner spans, joined by a space); '' when the paragraph has no speech. */
  speech: string;
  /** The paragraph without its quoted spans (quote marks included), whitespace collapsed. */
  rest: string;
}

export function splitQuotes(paragraph: string): QuoteSplit {
  const spans: string[] = [];
  let rest = '';
  let open = -1; // index after the opening mark, or -1
  for (let i = 0; i < paragraph.length; i++) {
    const c = paragraph[i];
    if (open < 0 && (c === '"' || c === '“')) open = i + 1;
    else if (open >= 0 && (c === '"' || c === '”')) {
      spans.push(paragraph.slice(open, i));
      open = -1;
    } else if (open < 0) rest += c;
  }
  if (open >= 0) spans.push(paragraph.slice(open));
  const speech = spans
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => /\p{L}/u.test(s))
    .join(' ');
  return { speech, rest: rest.replace(/\s+/g, ' ').trim() };
}

export interface Extraction {
  dialogs: string[][];
  /** Narrative paragraphs (quoted speech removed), in order. */
  narrative: string[];
}

export function extractDialogs(paragraphs: string[], maxTurns = 8): Extraction {
  const dialogs: string[][] = [];
  const narrative: string[] = [];
  let cur: string[] = [];
  const flush = () => {
    if (cur.length >= 2) dialogs.push(cur);
    cur = [];
  };
  for (const p of paragraphs) {
    const { speech, rest } = splitQuotes(p);
    if (speech) {
      cur.push(speech);
      if (cur.length >= maxTurns) flush();
      const collapsed = p.replace(/\s+/g, ' ').trim();
      if (rest.length >= 40 && rest.length >= 0.5 * collapsed.length && /\p{L}/u.test(rest)) narrative.push(rest);
    } else {
      flush();
      // a paragraph without speech may still hold quote marks around non-letters; keep its rest
      if (/\p{L}/u.test(rest)) narrative.push(rest === p.replace(/\s+/g, ' ').trim() ? p : rest);
    }
  }
  flush();
  return { dialogs, narrative };
}
