/**
 * Checks the paper's ordering of pruning criteria at 80% and 90% (global ranking):
 *   magnitude ≈ signal ≫ Fisher > MAS ≈ SI.
 * Operational reading (stated in the report): "a ≈ b" — |mean_a − mean_b| ≤ 0.05 accuracy;
 * "a ≫ b" — mean_a − mean_b ≥ 0.10; "a > b" — mean_a > mean_b. For ≈ and > the 95% intervals are reported too.
 */
import { fractionIndex, type Curve } from './curves.ts';
import { paperValue } from './paper.ts';

export const APPROX_TOL = 0.05;
export const MUCH_GAP = 0.1;

export interface OrderingCheck {
  fraction: number;
  relation: string;
  a: string;
  b: string;
  meanA: number;
  meanB: number;
  diff: number;
  holds: boolean;
  /** the same relation on the paper's Figure 5 values (null when the paper has none at this fraction) */
  paperDiff: number | null;
  paperHolds: boolean | null;
}

const RELATIONS: [string, '≈' | '≫' | '>', string][] = [
  ['magnitude', '≈', 'signal'],
  ['signal', '≫', 'fisher'],
  ['magnitude', '≫', 'fisher'],
  ['fisher', '>', 'mas'],
  ['mas', '≈', 'si'],
];

export function orderingCheck(curves: Curve[], fractions = [0.8, 0.9]): { checks: OrderingCheck[]; notes: string[] } {
  const g = new Map(curves.filter((c) => c.scope === 'global').map((c) => [c.score, c]));
  const checks: OrderingCheck[] = [];
  for (const f of fractions) {
    for (const [a, rel, b] of RELATIONS) {
      const ca = g.get(a);
      const cb = g.get(b);
      if (!ca || !cb) continue;
      const ia = fractionIndex(ca, f);
      const ib = fractionIndex(cb, f);
      if (ia < 0 || ib < 0) continue;
      const meanA = ca.mean[ia];
      const meanB = cb.mean[ib];
      const diff = meanA - meanB;
      const test = (d: number) => (rel === '≈' ? Math.abs(d) <= APPROX_TOL : rel === '≫' ? d >= MUCH_GAP : d > 0);
      const pa = paperValue(a, f);
      const pb = paperValue(b, f);
      const paperDiff = pa !== null && pb !== null ? pa - pb : null;
      checks.push({ fraction: f, relation: `${a} ${rel} ${b}`, a, b, meanA, meanB, diff, holds: test(diff), paperDiff, paperHolds: paperDiff === null ? null : test(paperDiff) });
    }
  }
  const notes: string[] = [];
  if (checks.length) {
    notes.push(
      `Paper's ordering at 80–90% (magnitude ≈ signal ≫ Fisher > MAS ≈ SI), read as ≈: |Δ| ≤ ${APPROX_TOL}, ≫: Δ ≥ ${MUCH_GAP}, >: Δ > 0 — ` +
        checks.map((c) => `${Math.round(c.fraction * 100)}% ${c.relation}: ${c.holds ? 'holds' : 'FAILS'} (Δ ${c.diff >= 0 ? '+' : ''}${c.diff.toFixed(3)})`).join('; ') +
        '.',
    );
  }
  return { checks, notes };
}
