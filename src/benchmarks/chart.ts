/**
 * The chart of a continual report, like the paper's figures: final mean accuracy over λ with the 95%
 * interval as a band, one panel per importance method (per net and protocol), one series per penalty over
 * the positive λs; λ = 0 ("no EWC", the same computation whatever the method) as a dashed reference line in
 * every panel of its protocol and net (in the panel title instead when it lies far below the data); the paper's points as markers; every point with an error bar. The λ
 * axis is logarithmic when the positive λs span more than a factor of 20. Drawn by src/report/chart.ts.
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
  // λ = 0 runs train without any penalty: one reference per (protocol, net), shown in each of its panels.
  const zeroOf = new Map<string, ResultRow[]>();
  for (const r of rep.results) {
    if (r.lambda !== 0) continue;
    const k = JSON.stringify([r.protocolId, r.net]);
    if (!zeroOf.has(k)) zeroOf.set(k, []);
    zeroOf.get(k)!.push(r);
  }
  const out: PanelSpec[] = [];
  for (const rows of panels.values()) {
    const r0 = rows[0];
    const pos = rows.filter((r) => r.lambda > 0);
    const lams = pos.map((r) => r.lambda);
    const xLog = lams.length >= 2 && Math.max(...lams) / Math.min(...lams) > 20;
    const series: SeriesSpec[] = [];
    for (const pen of [...new Set(rows.map((r) => r.penalty))].sort()) {
      const rs = pos.filter((r) => r.penalty === pen).sort((a, b) => a.lambda - b.lambda);
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
    const zero = zeroOf.get(JSON.stringify([r0.protocolId, r0.net])) ?? [];
    // A no-EWC line far below the data would squeeze the differences that matter into a sliver: then it
    // goes into the title instead.
    const ys = series.flatMap((x) => x.y);
    const lo = Math.min(...ys);
    const span = Math.max(...ys) - lo;
    const far = ys.length > 0 && zero.some((z) => z.mean < lo - 2 * Math.max(span, 0.01));
    const zeroText = (z: ResultRow) => `no EWC (lambda 0${z.ci !== null ? `, ${z.mean.toFixed(3)} ± ${z.ci.toFixed(3)}` : `, ${z.mean.toFixed(3)}`})`;
    out.push({
      title: `${r0.net.toUpperCase()} ${r0.importance}${multiProtocol ? ` (${r0.protocolId})` : ''}${far ? `; ${zero.map(zeroText).join(', ')}` : ''}`,
      xLabel: xLog ? 'lambda (log scale)' : 'lambda',
      yLabel: 'final mean accuracy',
      xLog,
      series,
      hLines: far ? [] : zero.map((z) => ({ y: z.mean, label: zeroText(z) })),
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
