/**
 * Figure-5-style chart of pruning curves (SVG + PNG through src/report/chart.ts): metric vs pruned fraction, one
 * line per score with its 95% band (mean ± ci; for the LM the bootstrap lo/hi when present), two panels: the
 * whole range 0–1 and a zoom on 0.5–1 where the criteria separate.
 */
import { chartPng, chartSvg, type ChartSpec, type SeriesSpec } from '../report/chart.ts';
import type { Curve } from './curves.ts';

export interface CurveChartOptions {
  title: string;
  yLabel: string;
  logY?: boolean;
}

function series(c: Curve & { lo?: (number | null)[]; hi?: (number | null)[] }, from: number): SeriesSpec {
  const keep = c.fraction.map((f, i) => (f >= from - 1e-12 && Number.isFinite(c.mean[i]) ? i : -1)).filter((i) => i >= 0);
  const s: SeriesSpec = { name: c.score, x: keep.map((i) => c.fraction[i]), y: keep.map((i) => c.mean[i]) };
  if (c.n > 1) {
    s.lower = keep.map((i) => c.mean[i] - c.ci[i]);
    s.upper = keep.map((i) => c.mean[i] + c.ci[i]);
  } else if (c.lo && c.hi && keep.every((i) => c.lo![i] !== null && c.hi![i] !== null)) {
    s.lower = keep.map((i) => c.lo![i]!);
    s.upper = keep.map((i) => c.hi![i]!);
  }
  return s;
}

export function curveChartSpec(curves: Curve[], opts: CurveChartOptions): ChartSpec {
  const panel = (from: number, title: string) => ({
    title,
    xLabel: 'pruned fraction',
    yLabel: opts.yLabel,
    series: curves.map((c) => series(c, from)),
    xMin: from,
    xMax: 1,
    ...(opts.logY ? { yLog: true } : { yMin: 0, yMax: 1 }),
  });
  return { title: opts.title, panels: [panel(0, 'whole range'), panel(0.5, 'zoom: 50–100%')], columns: 2, legend: true };
}

export function renderCurveChart(curves: Curve[], opts: CurveChartOptions): { svg: string; png: Uint8Array } {
  const spec = curveChartSpec(curves, opts);
  return { svg: chartSvg(spec), png: chartPng(spec) };
}
