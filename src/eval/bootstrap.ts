/**
 * Percentile bootstrap of a ratio estimator Σ a / Σ b over units (documents): resample units with
 * replacement, recompute the ratio, take the 2.5% and 97.5% quantiles. Seeded, so intervals reproduce.
 */
import { hashInts, Rng, Stream } from '../train/rng.ts';

export function quantile(sorted: ArrayLike<number>, q: number): number {
  // linear interpolation between order statistics (numpy's default "linear" method)
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** [low, high] of the 95% interval of Σa/Σb. */
export function bootstrapRatio(a: readonly number[], b: readonly number[], samples: number, seed: number): [number, number] {
  const n = a.length;
  const rng = new Rng(hashInts(seed, Stream.bootstrap));
  const stats = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      sa += a[j];
      sb += b[j];
    }
    stats[s] = sa / sb;
  }
  stats.sort();
  return [quantile(stats, 0.025), quantile(stats, 0.975)];
}
