/**
 * text:PATH[#file|#paragraph|#chunk=N] — plain text files (a file, a folder walked recursively for
 * .txt/.text/.md (optionally .gz), or a glob). Project Gutenberg header/footer/licence stripped, BOM and
 * CRLF handled. Documents: by default consecutive paragraphs grouped into chunks of at least 2000 characters
 * (`#chunk=N` to change), so that a single book still splits at document level; `#file` gives one document
 * per file, `#paragraph` one per paragraph. Ids are relative to the spec path (machine-independent).
 */
import { dirname, relative, sep } from 'node:path';
import { statSync } from 'node:fs';
import { EwcError } from '../../util/errors.ts';
import { paragraphs, readText, resolveFiles } from '../files.ts';
import { stripGutenberg } from '../gutenberg.ts';
import type { Document } from '../types.ts';

export const TEXT_EXTENSIONS = /\.(txt|text|md)(\.gz)?$/i;

export type TextUnit = { kind: 'file' } | { kind: 'paragraph' } | { kind: 'chunk'; minChars: number };

export function parseTextUnit(fragment: string | undefined): TextUnit {
  if (!fragment) return { kind: 'chunk', minChars: 2000 };
  if (fragment === 'file') return { kind: 'file' };
  if (fragment === 'paragraph') return { kind: 'paragraph' };
  const m = /^chunk=(\d+)$/.exec(fragment);
  if (m && Number(m[1]) > 0) return { kind: 'chunk', minChars: Number(m[1]) };
  throw new EwcError(`text corpus option #${fragment}: expected #file, #paragraph or #chunk=N (N > 0 characters).`);
}

/** Root against which ids are made relative: the folder itself, or the folder of a file/glob. */
export function idRoot(path: string, files: string[]): string {
  try {
    if (statSync(path).isDirectory()) return path;
  } catch {
    /* a glob */
  }
  return files.length === 1 ? dirname(files[0]) : commonDir(files);
}

function commonDir(files: string[]): string {
  let parts = dirname(files[0]).split(sep);
  for (const f of files) {
    const p = dirname(f).split(sep);
    let i = 0;
    while (i < parts.length && i < p.length && parts[i] === p[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}

export function relId(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** Groups paragraphs into chunks of at least minChars (the last chunk may be shorter). */
export function chunkParagraphs(paras: string[], minChars: number): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let n = 0;
  for (const p of paras) {
    cur.push(p);
    n += p.length;
    if (n >= minChars) {
      out.push(cur.join('\n\n'));
      cur = [];
      n = 0;
    }
  }
  if (cur.length) out.push(cur.join('\n\n'));
  return out;
}

/** Reads one text file, Gutenberg-stripped, as normalized text. */
export function readBookText(file: string): string {
  return stripGutenberg(readText(file)).text;
}

export function readTextDocuments(path: string, fragment?: string): Document[] {
  const unit = parseTextUnit(fragment);
  const files = resolveFiles(path, (f) => TEXT_EXTENSIONS.test(f), 'text files (.txt, .text, .md)');
  const root = idRoot(path, files);
  const docs: Document[] = [];
  for (const file of files) {
    const text = readBookText(file);
    const rel = relId(root, file);
    if (unit.kind === 'file') {
      if (text.trim()) docs.push({ id: rel, source: file, text: text.trim() });
      continue;
    }
    const paras = paragraphs(text);
    const pieces = unit.kind === 'paragraph' ? paras : chunkParagraphs(paras, unit.minChars);
    pieces.forEach((t, i) => docs.push({ id: `${rel}#${i}`, source: file, text: t }));
  }
  return docs;
}
