/**
 * How a document becomes the text that is tokenized. A dialog is its turns joined by "\n"; every document
 * is then ended by the end-of-text token (<|endoftext|>), which is a real target: it is scored, never masked.
 */
import type { Document } from './types.ts';

/** The text of a document as it is tokenized (without the end token, which is appended as an id). */
export function documentText(doc: Document): string {
  if (doc.turns) return doc.turns.join('\n');
  return doc.text ?? '';
}

/** Document length in characters (text or turns joined by "\n"). */
export function documentChars(doc: Document): number {
  if (doc.ids) return 0;
  return documentText(doc).length;
}

/** Whitespace- and case-normalized content, used to find exact duplicates across splits. */
export function contentKey(doc: Document): string {
  if (doc.ids) return 'ids:' + doc.ids.join(',');
  return documentText(doc).toLowerCase().replace(/\s+/g, ' ').trim();
}
