/**
 * Accumulation across tasks (method.md §1–2): Ω ← Ω + Ω_task after every task but the last (sum, no decay),
 * and the anchor θ* = the parameters at the end of the latest task (one "online" anchor).
 * Sums are taken in float64 and rounded once to float32.
 */
import { createHash } from 'node:crypto';
import { EwcError } from '../util/errors.ts';
import type { HostTensor, Importances } from './types.ts';

/** Ω + Ω_task, name by name. Names present in only one map are kept (a missing one counts as 0). */
export function accumulate(omega: Importances | null, task: Importances): Importances {
  const out: Importances = new Map();
  if (omega) for (const [n, t] of omega) out.set(n, { shape: [...t.shape], data: new Float32Array(t.data) });
  for (const [n, t] of task) {
    const prev = out.get(n);
    if (!prev) {
      out.set(n, { shape: [...t.shape], data: new Float32Array(t.data) });
      continue;
    }
    if (prev.data.length !== t.data.length || prev.shape.some((d, i) => d !== t.shape[i])) {
      throw new EwcError(
        `importance accumulation: '${n}' has shape [${prev.shape}] in the accumulated file but [${t.shape}] ` +
          `in the new task. Accumulate only importances of the same model.`,
      );
    }
    for (let i = 0; i < t.data.length; i++) prev.data[i] = Math.fround(prev.data[i] + t.data[i]);
  }
  return out;
}

/** A copy of the named parameters (the anchor θ*). */
export function snapshot(params: Importances, names?: string[]): Importances {
  const out: Importances = new Map();
  for (const n of names ?? params.keys()) {
    const t = params.get(n);
    if (!t) throw new EwcError(`anchor: the model has no parameter '${n}'.`);
    out.set(n, { shape: [...t.shape], data: new Float32Array(t.data) });
  }
  return out;
}

/** sha256 over the sorted names, shapes and float32 bytes of the parameters: identifies the model. */
export function hashParams(params: Importances): string {
  const h = createHash('sha256');
  for (const n of [...params.keys()].sort()) {
    const t = params.get(n) as HostTensor;
    h.update(`${n}:${t.shape.join('x')};`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}
