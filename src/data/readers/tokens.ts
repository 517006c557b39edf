/** tokens:FILE.json — a JSON array of token-id arrays, one per document (already tokenized). */
import { EwcError } from '../../util/errors.ts';
import { readText } from '../files.ts';
import type { Document } from '../types.ts';

export function readTokenDocuments(path: string): Document[] {
  const text = readText(path);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new EwcError(`${path} is not valid JSON (${(e as Error).message}). Expected [[id, id, …], …].`);
  }
  if (!Array.isArray(v)) throw new EwcError(`${path}: expected a JSON array of token-id arrays, found ${typeof v}.`);
  return v.map((d, i) => {
    if (!Array.isArray(d) || d.some((x) => !Number.isInteger(x) || x < 0)) {
      throw new EwcError(`${path}: document ${i} must be an array of non-negative integers, found ${JSON.stringify(d).slice(0, 60)}.`);
    }
    return { id: `doc${i}`, source: path, ids: d as number[] };
  });
}
