/**
 * jsonl:PATH[#field] — one JSON object per line with a text field (default "text").
 * dialogs-jsonl:PATH — one dialog per line: {"turns": ["…", "…", …]} (optional "id").
 * A line that is not JSON, or lacks the field, is an error naming the file and line number.
 */
import { EwcError } from '../../util/errors.ts';
import { readText, resolveFiles } from '../files.ts';
import type { Document } from '../types.ts';
import { idRoot, relId } from './text.ts';

const JSONL = /\.(jsonl|ndjson|json)(\.gz)?$/i;

function* lines(path: string): Generator<{ file: string; rel: string; line: number; value: any }> {
  const files = resolveFiles(path, (f) => JSONL.test(f), 'JSONL files (.jsonl, .ndjson)');
  const root = idRoot(path, files);
  for (const file of files) {
    const text = readText(file);
    const ls = text.split('\n');
    for (let i = 0; i < ls.length; i++) {
      const raw = ls[i].trim();
      if (!raw) continue;
      let value: any;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        throw new EwcError(
          `${file}:${i + 1}: not valid JSON (${(e as Error).message}). Expected one JSON object per line, ` +
            `e.g. {"text": "…"}; found ${JSON.stringify(raw.slice(0, 60))}.`,
        );
      }
      yield { file, rel: relId(root, file), line: i + 1, value };
    }
  }
}

function docId(value: any, rel: string, line: number): string {
  return typeof value?.id === 'string' || typeof value?.id === 'number' ? `${rel}:${value.id}` : `${rel}:${line}`;
}

export function readJsonlDocuments(path: string, field = 'text'): Document[] {
  const docs: Document[] = [];
  for (const { file, rel, line, value } of lines(path)) {
    const t = value?.[field];
    if (typeof t !== 'string') {
      throw new EwcError(
        `${file}:${line}: expected a string field "${field}", found ${t === undefined ? 'no such field' : typeof t}. ` +
          `Name the field with jsonl:PATH#FIELD.`,
      );
    }
    if (t.trim()) docs.push({ id: docId(value, rel, line), source: file, text: t });
  }
  return docs;
}

export function readDialogsJsonl(path: string): Document[] {
  const docs: Document[] = [];
  for (const { file, rel, line, value } of lines(path)) {
    const turns = value?.turns;
    if (!Array.isArray(turns) || turns.some((t: unknown) => typeof t !== 'string')) {
      throw new EwcError(
        `${file}:${line}: expected {"turns": ["…", "…"]} (an array of strings), found ${JSON.stringify(value).slice(0, 80)}.`,
      );
    }
    const clean = (turns as string[]).map((t) => t.trim()).filter((t) => t.length > 0);
    if (clean.length) docs.push({ id: docId(value, rel, line), source: file, turns: clean });
  }
  return docs;
}
