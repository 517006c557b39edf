/**
 * The chart of a continual report, like the paper's figures: final mean accuracy over λ with the 95%
 * interval as a band, one panel per importance method (per net and protocol), one series per penalty;
 * λ = 0 ("no EWC") as a dashed reference line; the paper's points as markers; every point with an error bar. The λ axis is logarithmic
 * when the positive λs span more than a factor of 20. Drawn by src/report/chart.ts (SVG + PNG).
 */
import { join } from 'node:path';
import { writeChart, type PanelSpec, type SeriesSpec } from '../report/chart.ts';
import type { ContinualReport, ResultRow } from './report.ts';

const PENALTY_NAME: Record<string, string> = { ewc: 'EWC', stabilized: 'stabilized EWC' };

export function continualChartPanels(rep: ContinualReport): PanelSpec[] {
  const panels = new Map<string, ResultRow[]>();
  const multiProtocol = Object.keys(rep.protocols).length > 1;
  for (const r of rep.results) {
    const k = JSON.stringify([r.protocolId, r.net, r.importance]);
    if (!panels.has(k)) panels.set(k, []);
    panels.get(k)!.push(r);
  }
  const out: PanelSpec[] = [];
  for (const rows of panels.values()) {
    const r0 = rows[0];
    const pos = rows.filter((r) => r.lambda > 0);
    const lams = pos.map((r) => r.lambda);
    const xLog = lams.length >= 2 && Math.max(...lams) / Math.min(...lams) > 20;
    const series: SeriesSpec[] = [];
    for (const pen of [...new Set(rows.map((r) => r.penalty))].sort()) {
      const rs = (xLog ? pos : rows).filter((r) => r.penalty === pen).sort((a, b) => a.lambda - b.lambda);
      if (rs.length === 0) continue;
      series.push({
        name: PENALTY_NAME[pen] ?? pen,
        x: rs.map((r) => r.lambda),
        y: rs.map((r) => r.mean),
        lower: rs.map((r) => r.lo ?? r.mean),
        upper: rs.map((r) => r.hi ?? r.mean),
        style: rs.length === 1 ? 'points' : 'line+points',
      });
      // Error bars (vertical segments, same series name → same colour) so that isolated λs show their interval.
      for (const r of rs) {
        if (r.lo !== null && r.hi !== null) series.push({ name: PENALTY_NAME[pen] ?? pen, x: [r.lambda, r.lambda], y: [r.lo, r.hi], style: 'line' });
      }
    }
    const paper = rows.flatMap((r) => r.paper.filter((p) => p.source === 'paper' && p.lambda > 0));
    if (paper.length) {
      series.push({
        name: 'paper',
        x: paper.map((p) => p.lambda),
        y: paper.map((p) => p.mean),
        style: 'points',
        labels: paper.map((p) => (p.penalty === 'stabilized' ? 'stab.' : '')),
      });
      for (const p of paper) {
        if (p.ci !== null) series.push({ name: 'paper', x: [p.lambda, p.lambda], y: [p.mean - p.ci, p.mean + p.ci], style: 'line' });
      }
    }
    const zero = rows.filter((r) => r.lambda === 0);
    out.push({
      title: `${r0.net.toUpperCase()} ${r0.importance}${multiProtocol ? ` (${r0.protocolId})` : ''}`,
      xLabel: xLog ? 'lambda (log scale)' : 'lambda',
      yLabel: 'final mean accuracy',
      xLog,
      series,
      hLines: xLog ? zero.map((z) => ({ y: z.mean, label: `no EWC (lambda 0, ${z.penalty})` })) : [],
    });
  }
  return out;
}

/** Writes chart.svg and chart.png into dir; returns their paths. */
export function writeContinualChart(dir: string, rep: ContinualReport): string[] {
  const panels = continualChartPanels(rep);
  if (panels.length === 0) return [];
  const { svg, png } = writeChart(join(dir, 'chart'), {
    title: 'Accuracy over lambda, 95% CI',
    panels,
    columns: Math.min(3, panels.length),
  });
  return [svg, png];
}
