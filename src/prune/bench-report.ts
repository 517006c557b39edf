/**
 * Outputs of `prune-bench`: report.json (curves + table + config), report.md (table at 50/70/80/90/95/99%,
 * the paper's numbers beside ours for MNIST), and a chart like the paper's Figure 5 (SVG and PNG).
 */
import { join } from 'node:path';
import { markdownTable, type Row } from '../report/table.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { fractionIndex, TABLE_FRACTIONS, type Curve } from './curves.ts';
import { paperValue } from './paper.ts';
import { renderCurveChart } from './chart.ts';
import { APPROX_TOL, MUCH_GAP, type OrderingCheck } from './ordering.ts';

export interface BenchReport {
  benchmark: 'mnist' | 'lm';
  metric: 'accuracy' | 'perplexity';
  title: string;
  /** Chart title (default: the title); keep it under ~60 characters. */
  chartTitle?: string;
  /** Free-text protocol notes (what was run, deviations from the paper). */
  notes: string[];
  config: Record<string, unknown>;
  curves: Curve[];
  /** Per score/scope at the table fractions: mean, ci, and the paper's value (MNIST, global) or null. */
  table: { score: string; scope: string; fraction: number; mean: number | null; ci: number | null; paper: number | null }[];
  /** Extra results (e.g. per-model base accuracy, timing). */
  extra?: Record<string, unknown>;
}

export function buildTable(curves: Curve[], withPaper: boolean): BenchReport['table'] {
  const out: BenchReport['table'] = [];
  for (const c of curves) {
    for (const f of TABLE_FRACTIONS) {
      const i = fractionIndex(c, f);
      out.push({
        score: c.score,
        scope: c.scope,
        fraction: f,
        mean: i >= 0 ? c.mean[i] : null,
        ci: i >= 0 ? c.ci[i] : null,
        paper: withPaper && c.scope === 'global' ? paperValue(c.score, f) : null,
      });
    }
  }
  return out;
}

function fmt(v: number | null, metric: BenchReport['metric']): string {
  if (v === null || !Number.isFinite(v)) return v === null ? '—' : String(v);
  return metric === 'accuracy' ? v.toFixed(3) : v >= 1000 ? v.toExponential(2) : v.toFixed(2);
}

export function reportMarkdown(rep: BenchReport): string {
  const lines: string[] = [`# ${rep.title}`, ''];
  for (const n of rep.notes) lines.push(`- ${n}`);
  lines.push('');
  const scopes = [...new Set(rep.curves.map((c) => c.scope))];
  for (const scope of scopes) {
    const curves = rep.curves.filter((c) => c.scope === scope);
    lines.push(`## ${rep.metric === 'accuracy' ? 'Test accuracy' : 'Perplexity'} at pruned fraction — ${scope} ranking`, '');
    const n = curves[0]?.n ?? 0;
    lines.push(
      n > 1
        ? `Mean ± 95% t-interval half-width over ${n} models (population std, as the paper).`
        : `One ${rep.benchmark === 'lm' ? 'checkpoint' : 'model'}: no interval across models${rep.benchmark === 'lm' ? ' (report.json has the document-bootstrap 95% interval of each perplexity as lo/hi)' : ''}.`,
      '',
    );
    const rows: Row[] = curves.map((c) => {
      const r: Row = { score: c.score };
      for (const f of TABLE_FRACTIONS) {
        const i = fractionIndex(c, f);
        r[`${Math.round(f * 100)}%`] = i < 0 ? '—' : c.n > 1 ? `${fmt(c.mean[i], rep.metric)} ± ${fmt(c.ci[i], rep.metric)}` : fmt(c.mean[i], rep.metric);
      }
      return r;
    });
    lines.push(markdownTable(rows));
    const paperRows = rep.table.filter((t) => t.scope === scope && t.paper !== null);
    if (paperRows.length) {
      lines.push(`Paper (Figure 5, global ranking; no value at 99%) and ours − paper:`, '');
      const pr: Row[] = curves.map((c) => {
        const r: Row = { score: c.score };
        for (const f of TABLE_FRACTIONS.filter((x) => x < 0.99)) {
          const t = rep.table.find((x) => x.score === c.score && x.scope === scope && x.fraction === f);
          r[`${Math.round(f * 100)}%`] =
            t && t.paper !== null ? `${t.paper.toFixed(3)} (${t.mean !== null ? (t.mean - t.paper >= 0 ? '+' : '') + (t.mean - t.paper).toFixed(3) : '—'})` : '—';
        }
        return r;
      });
      lines.push(markdownTable(pr));
    }
    const ordering = (rep.extra?.ordering ?? []) as OrderingCheck[];
    if (scope === 'global' && ordering.length) {
      lines.push(
        `The paper's ordering at 80–90%, magnitude ≈ signal ≫ Fisher > MAS ≈ SI, read as: ≈ |Δ| ≤ ${APPROX_TOL}, ≫ Δ ≥ ${MUCH_GAP}, > Δ > 0 (Δ = difference of mean accuracies):`,
        '',
        markdownTable(
          ordering.map((c) => ({
            fraction: `${Math.round(c.fraction * 100)}%`,
            relation: c.relation,
            a: c.meanA,
            b: c.meanB,
            'Δ': c.diff,
            holds: c.holds ? 'yes' : 'no',
            'paper Δ': c.paperDiff,
            'holds in the paper': c.paperHolds === null ? '—' : c.paperHolds ? 'yes' : 'no',
          })),
          { number: { fixed: 3 } },
        ),
      );
    }
    const base = chartBase(scopes, scope);
    lines.push(`![${rep.title} (${scope})](${base}.svg)`, '', `Chart: [${base}.svg](${base}.svg), [${base}.png](${base}.png); data: report.json.`, '');
  }
  return lines.join('\n');
}

function chartBase(scopes: string[], scope: string): string {
  return scopes.length === 1 ? 'chart' : `chart-${scope}`;
}

/** Writes report.json, report.md, chart.svg, chart.png (and per-scope charts when several scopes ran). */
export function writeBenchReport(out: string, rep: BenchReport): string[] {
  const files = ['report.json', 'report.md'];
  writeJsonAtomic(join(out, 'report.json'), rep);
  const scopes = [...new Set(rep.curves.map((c) => c.scope))];
  for (const scope of scopes) {
    const base = chartBase(scopes, scope);
    const { svg, png } = renderCurveChart(
      rep.curves.filter((c) => c.scope === scope),
      {
        title: `${rep.chartTitle ?? rep.title} (${scope})`,
        yLabel: rep.metric === 'accuracy' ? 'test accuracy' : 'perplexity (log scale)',
        logY: rep.metric === 'perplexity',
      },
    );
    writeFileAtomic(join(out, `${base}.svg`), svg);
    writeFileAtomic(join(out, `${base}.png`), png);
    files.push(`${base}.svg`, `${base}.png`);
  }
  writeFileAtomic(join(out, 'report.md'), reportMarkdown(rep));
  return files;
}
