/** Magnitude importance (method.md §2): Ω_i = |θ_i|. Needs no samples. */
import { variablesFor } from './gradient-importance.ts';
import type { ImportanceTarget, Importances } from './types.ts';

export function magnitudeImportance(target: ImportanceTarget, names: string[]): Importances {
  const out: Importances = new Map();
  const vars = variablesFor(target, names);
  names.forEach((name, k) => {
    const src = vars[k].dataSync() as Float32Array;
    const d = new Float32Array(src.length);
    for (let i = 0; i < d.length; i++) d[i] = Math.abs(src[i]);
    out.set(name, { shape: [...vars[k].shape], data: d });
  });
  return out;
}
