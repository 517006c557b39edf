import { describe, expect, it } from 'vitest';
import { aggregateCurves, type CurveRun } from '../../src/prune/curves.ts';
import { buildTable, reportMarkdown } from '../../src/prune/bench-report.ts';
import { orderingCheck } from '../../src/prune/ordering.ts';
import { curveChartSpec } from '../../src/prune/chart.ts';

const f = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1];
const run = (score: string, model: number, value: number[]): CurveRun => ({ score, scope: 'global', model, fraction: f, value });

describe('pruning curves', () => {
  it('aggregate to mean ± t(0.975, n−1)·std_pop/√n', () => {
    // values 0.9, 0.8, 0.7 at every fraction: mean 0.8, population std √(0.02/3), t(0.975, 2) = 4.302652729911275
    const runs = [0, 1, 2].map((m) => run('magnitude', m, f.map(() => [0.9, 0.8, 0.7][m])));
    const [c] = aggregateCurves(runs, 'accuracy');
    expect(c.n).toBe(3);
    expect(c.fraction).toEqual(f);
    for (let i = 0; i < f.length; i++) {
      expect(c.mean[i]).toBeCloseTo(0.8, 12);
      expect(c.std[i]).toBeCloseTo(Math.sqrt(0.02 / 3), 12);
      expect(c.ci[i]).toBeCloseTo((4.302652729911275 * Math.sqrt(0.02 / 3)) / Math.sqrt(3), 9);
    }
    expect(c.runs).toEqual([0, 1, 2].map((m) => f.map(() => [0.9, 0.8, 0.7][m])));
  });

  it('reject runs with different grids', () => {
    expect(() => aggregateCurves([run('a', 0, f.map(() => 1)), { ...run('a', 1, [1, 1]), fraction: [0, 1] }], 'accuracy')).toThrow(/fractions/);
  });

  it('table carries the paper values for the global MNIST curves; ordering check reads the table fractions', () => {
    const mk = (score: string, at80: number, at90: number) => [0, 1].map((m) => run(score, m, f.map((x) => (x === 0.8 ? at80 : x === 0.9 ? at90 : 0.5))));
    const curves = aggregateCurves(
      [...mk('magnitude', 0.95, 0.85), ...mk('signal', 0.94, 0.88), ...mk('fisher', 0.7, 0.3), ...mk('mas', 0.6, 0.29), ...mk('si', 0.5, 0.26)],
      'accuracy',
    );
    const table = buildTable(curves, true);
    expect(table.find((t) => t.score === 'fisher' && t.fraction === 0.8)!.paper).toBe(0.737);
    expect(table.find((t) => t.score === 'si' && t.fraction === 0.99)!.paper).toBeNull();
    const { checks } = orderingCheck(curves);
    const get = (fr: number, rel: string) => checks.find((c) => c.fraction === fr && c.relation === rel)!;
    expect(get(0.8, 'magnitude ≈ signal').holds).toBe(true);
    expect(get(0.8, 'signal ≫ fisher').holds).toBe(true);
    expect(get(0.8, 'fisher > mas').holds).toBe(true);
    expect(get(0.8, 'mas ≈ si').holds).toBe(false); // 0.6 vs 0.5
    expect(get(0.9, 'mas ≈ si').holds).toBe(true);
    const md = reportMarkdown({ benchmark: 'mnist', metric: 'accuracy', title: 't', notes: [], config: {}, curves, table, extra: { ordering: checks } });
    expect(md).toContain('| magnitude | 0.500 ± 0.000 | 0.500 ± 0.000 | 0.950 ± 0.000 |');
    expect(md).toContain('0.737 (-0.037)');
    const spec = curveChartSpec(curves, { title: 't', yLabel: 'acc' });
    expect(spec.panels[1].series[0].x[0]).toBe(0.5);
    expect(spec.panels[0].series.map((s) => s.name)).toEqual(['magnitude', 'signal', 'fisher', 'mas', 'si']);
  });
});
