/**
 * Pruning curves: a metric (accuracy or perplexity) at each pruned fraction, one run per model, aggregated to
 * mean ± 95% t-interval half-width with the POPULATION std (ddof 0), as the paper (method.md §3–4). The
 * statistics are src/benchmarks/stats.ts's meanInterval (one t-quantile implementation in the project).
 */
import { meanInterval } from '../benchmarks/stats.ts';
import { EwcError } from '../util/errors.ts';
import type { PruneScope } from './rank.ts';
import { fractionGrid } from './mask.ts';

export type CurveMetric = 'accuracy' | 'perplexity';

/** One model's sweep. */
export interface CurveRun {
  score: string;
  scope: PruneScope;
  model: number;
  fraction: number[];
  value: number[];
}

/** The aggregated curve written to report.json (arrays over `fraction`). */
export interface Curve {
  score: string;
  scope: PruneScope;
  metric: CurveMetric;
  /** runs (models) aggregated */
  n: number;
  fraction: number[];
  mean: number[];
  /** 95% t-interval half-width t(0.975, n−1)·std/√n (population std); 0 when n < 2 */
  ci: number[];
  std: number[];
  /** per-model values [model][fraction] */
  runs: number[][];
}

export function aggregateCurves(runs: CurveRun[], metric: CurveMetric): Curve[] {
  const groups = new Map<string, CurveRun[]>();
  for (const r of runs) {
    const k = `${r.score}\u0000${r.scope}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const out: Curve[] = [];
  for (const rs of groups.values()) {
    const f = rs[0].fraction;
    for (const r of rs) {
      if (r.fraction.length !== f.length || r.fraction.some((x, i) => x !== f[i])) {
        throw new EwcError(`pruning curves: model ${r.model} of '${r.score}' used different fractions; rerun with one --step.`);
      }
    }
    rs.sort((a, b) => a.model - b.model);
    const mean: number[] = [];
    const ci: number[] = [];
    const std: number[] = [];
    for (let i = 0; i < f.length; i++) {
      const mi = meanInterval(rs.map((r) => r.value[i]), { std: 'population', level: 0.95 });
      mean.push(mi.mean);
      ci.push(mi.halfWidth ?? 0);
      std.push(mi.std);
    }
    out.push({ score: rs[0].score, scope: rs[0].scope, metric, n: rs.length, fraction: f.slice(), mean, ci, std, runs: rs.map((r) => r.value.slice()) });
  }
  return out;
}

/** Index of fraction f in a curve (exact grid point, tolerance 1e-9), or -1. */
export function fractionIndex(c: { fraction: number[] }, f: number): number {
  return c.fraction.findIndex((x) => Math.abs(x - f) < 1e-9);
}

/** The fractions of the report tables (paper Figure 5 read-outs + 99%). */
export const TABLE_FRACTIONS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.99];

/**
 * The benchmark grid: 0…1 by `step`, plus the table fractions, plus (optionally) a finer grid from `fineFrom` to 1
 * by `fineStep`, where the curves fall steeply.
 */
export function benchFractions(step: number, fineFrom: number | null = null, fineStep = 0.01): number[] {
  const extra = [...TABLE_FRACTIONS];
  if (fineFrom !== null) {
    const fine = fractionGrid(fineStep).filter((x) => x >= fineFrom - 1e-12);
    extra.push(...fine);
  }
  return fractionGrid(step, extra);
}
