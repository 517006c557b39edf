/**
 * Importance files: safetensors holding Ω under the parameter names (HF names for GPT-2), optionally the anchor
 * θ* under `anchor/<name>`, and metadata (method, samples, corpus, model_hash, tasks, params) as strings.
 */
import { existsSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { EwcError } from '../util/errors.ts';
import type { ImportanceMeta, Importances } from './types.ts';

export const ANCHOR_PREFIX = 'anchor/';

export interface ImportanceFile {
  omega: Importances;
  /** θ*, when the file carries it (else the anchor is the model the importances were computed at). */
  anchor: Importances | null;
  meta: ImportanceMeta;
}

export function writeImportanceFile(path: string, f: ImportanceFile): void {
  const tensors: Importances = new Map(f.omega);
  if (f.anchor) for (const [n, t] of f.anchor) tensors.set(ANCHOR_PREFIX + n, t);
  const metadata: Record<string, string> = { format: 'ewc-lm-importance' };
  for (const [k, v] of Object.entries(f.meta)) metadata[k] = String(v);
  writeSafetensors(path, tensors, metadata);
}

export function readImportanceFile(path: string): ImportanceFile {
  if (!existsSync(path)) {
    throw new EwcError(`importance file ${path} does not exist. Create it with 'ewc-lm importance … --out ${path}'.`);
  }
  const r = readSafetensors(path);
  const omega: Importances = new Map();
  let anchor: Importances | null = null;
  for (const [n, t] of r.tensors) {
    if (n.startsWith(ANCHOR_PREFIX)) {
      anchor ??= new Map();
      anchor.set(n.slice(ANCHOR_PREFIX.length), { shape: t.shape, data: t.data });
    } else omega.set(n, { shape: t.shape, data: t.data });
  }
  const m = r.metadata;
  const meta: ImportanceMeta = {
    ...m,
    method: m.method ?? 'unknown',
    samples: Number(m.samples ?? 0),
    corpus: m.corpus ?? '',
    model_hash: m.model_hash ?? '',
    tasks: Number(m.tasks ?? 1),
    params: m.params ?? '',
  };
  delete (meta as Record<string, unknown>).format;
  return { omega, anchor, meta };
}
