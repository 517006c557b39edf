/**
 * Statistics of an importance map (for `ewc-lm importance stats`): per tensor mean, max, max/mean and
 * quantiles, plus per layer kind (the tensor name with the block index replaced by '*', e.g.
 * 'h.*.attn.c_attn.weight'), so that the paper's observation — some layers (attention, convolutions) hold
 * importances orders of magnitude above their layer mean — is visible. Sums are float64.
 */
import type { Importances } from './types.ts';

export interface TensorStats {
  name: string;
  shape: number[];
  elements: number;
  mean: number;
  max: number;
  /** max / mean (Infinity when the mean is 0 and the max is not; 0 for an all-zero tensor). */
  maxOverMean: number;
  /** Values at the requested quantiles (nearest-rank on the sorted values). */
  quantiles: number[];
  /** Fraction of exact zeros. */
  zeros: number;
}

export interface GroupStats {
  kind: string;
  tensors: number;
  elements: number;
  mean: number;
  max: number;
  maxOverMean: number;
}

export interface ImportanceStats {
  quantiles: number[];
  tensors: TensorStats[];
  groups: GroupStats[];
  overall: { elements: number; mean: number; max: number; maxOverMean: number };
}

const ratio = (max: number, mean: number) => (mean > 0 ? max / mean : max > 0 ? Infinity : 0);

export function quantileSorted(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

export function importanceStats(imp: Importances, qs: number[] = [0.5, 0.9, 0.99, 0.999]): ImportanceStats {
  const tensors: TensorStats[] = [];
  const groups = new Map<string, { tensors: number; elements: number; sum: number; max: number }>();
  let all = 0;
  let allSum = 0;
  let allMax = 0;
  for (const [name, t] of imp) {
    let sum = 0;
    let max = -Infinity;
    let zeros = 0;
    for (const v of t.data) {
      sum += v;
      if (v > max) max = v;
      if (v === 0) zeros++;
    }
    const n = t.data.length;
    const sorted = Float32Array.from(t.data).sort();
    const mean = sum / Math.max(1, n);
    tensors.push({ name, shape: [...t.shape], elements: n, mean, max, maxOverMean: ratio(max, mean), quantiles: qs.map((q) => quantileSorted(sorted, q)), zeros: zeros / Math.max(1, n) });
    const kind = name.replace(/^h\.\d+\./, 'h.*.');
    const g = groups.get(kind) ?? { tensors: 0, elements: 0, sum: 0, max: -Infinity };
    g.tensors++;
    g.elements += n;
    g.sum += sum;
    g.max = Math.max(g.max, max);
    groups.set(kind, g);
    all += n;
    allSum += sum;
    allMax = Math.max(allMax, max);
  }
  return {
    quantiles: qs,
    tensors,
    groups: [...groups].map(([kind, g]) => ({ kind, tensors: g.tensors, elements: g.elements, mean: g.sum / g.elements, max: g.max, maxOverMean: ratio(g.max, g.sum / g.elements) })),
    overall: { elements: all, mean: allSum / Math.max(1, all), max: allMax, maxOverMean: ratio(allMax, allSum / Math.max(1, all)) },
  };
}
