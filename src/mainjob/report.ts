/**
 * The main job's report, in the run folder (all files atomic):
 *   report.json  the MainJobReport structure as is (./types.ts; validateMainJobReport in ./report-schema.ts)
 *   report.md    title, model, corpora, importances, the results table (rows = runs: plain fine-tuning,
 *                ewc λ…, stabilized λ…; columns = book and dialog perplexity before / after / change with 95%
 *                intervals, forgetting and learning kept vs plain), a trade-off summary, how to read it,
 *                training details and timings
 *   chart.svg/png  the forgetting/learning trade-off: book ppl after (y) vs dialog ppl after (x), one labelled
 *                point per run, one line per penalty kind through increasing λ, the pretrained model as a
 *                reference point and line; plus book and dialog ppl after vs λ (log λ) with 95% bands
 */
import { join } from 'node:path';
import { writeChart, type PanelSpec, type SeriesSpec } from '../report/chart.ts';
import { formatNumber, markdownTable, type Row } from '../report/table.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import type { MainJobReport, PplChange, PplSummary, RunReport } from './types.ts';

export { validateMainJobReport } from './report-schema.ts';

/** Thresholds of the summary line (the issue's acceptance: ≤ half the rise kept, ≥ 80% of the gain kept). */
export const KEPT_FORGETTING_MAX = 0.5;
export const KEPT_LEARNING_MIN = 0.8;

const PENALTY_ORDER = { none: 0, ewc: 1, stabilized: 2 } as const;
/** Fixed colours, so that every main-job chart reads the same. */
const COLORS = { ewc: '#1f77b4', stabilized: '#ff7f0e', plain: '#d62728', pretrained: '#2ca02c' } as const;

/** "plain fine-tuning", "ewc λ=100", "stabilized λ=100". */
export function runLabel(r: Pick<RunReport, 'penalty' | 'lambda'>): string {
  return r.penalty === 'none' ? 'plain fine-tuning' : `${r.penalty} λ=${formatNumber(r.lambda)}`;
}

/** Runs in report order: plain, then ewc by increasing λ, then stabilized by increasing λ. */
export function orderedRuns(runs: readonly RunReport[]): RunReport[] {
  return [...runs].sort((a, b) => PENALTY_ORDER[a.penalty] - PENALTY_ORDER[b.penalty] || a.lambda - b.lambda);
}

const f2 = (v: number) => formatNumber(v, { fixed: 2 });
const signed = (v: number, fmt: (v: number) => string) => (v > 0 ? '+' : v < 0 ? '−' : '±') + fmt(Math.abs(v));

/** "16.02 [15.10, 17.05]" (interval omitted without bootstrap). */
export function pplCell(p: PplSummary): string {
  return p.ci95 ? `${f2(p.ppl)} [${f2(p.ci95.low)}, ${f2(p.ci95.high)}]` : f2(p.ppl);
}

/** "+9.98 (log +0.482)": change of perplexity and of log-perplexity. */
export function changeCell(c: PplChange): string {
  return `${signed(c.change, f2)} (log ${signed(c.logChange, (v) => formatNumber(v, { fixed: 3 }))})`;
}

const pct = (v: number | null, plain: boolean) => (plain ? '100% (reference)' : v === null ? '—' : `${formatNumber(v * 100, { fixed: 1 })}%`);

function resultsTable(report: MainJobReport): string {
  const rows: Row[] = [
    {
      run: 'pretrained (no fine-tuning)',
      bb: pplCell(report.baseline.books),
      ba: '',
      bc: '',
      db: pplCell(report.baseline.dialog),
      da: '',
      dc: '',
      fk: '',
      lk: '',
    },
    ...orderedRuns(report.runs).map((r) => ({
      run: runLabel(r),
      bb: pplCell(r.ppl.books.before),
      ba: pplCell(r.ppl.books.after),
      bc: changeCell(r.ppl.books),
      db: pplCell(r.ppl.dialog.before),
      da: pplCell(r.ppl.dialog.after),
      dc: changeCell(r.ppl.dialog),
      fk: pct(r.forgettingVsPlain, r.penalty === 'none'),
      lk: pct(r.learningVsPlain, r.penalty === 'none'),
    })),
  ];
  return markdownTable(rows, {
    columns: [
      { key: 'run', header: 'run' },
      { key: 'bb', header: 'book ppl before', align: 'right' },
      { key: 'ba', header: 'book ppl after', align: 'right' },
      { key: 'bc', header: 'book change', align: 'right' },
      { key: 'db', header: 'dialog ppl before', align: 'right' },
      { key: 'da', header: 'dialog ppl after', align: 'right' },
      { key: 'dc', header: 'dialog change', align: 'right' },
      { key: 'fk', header: 'forgetting kept vs plain', align: 'right' },
      { key: 'lk', header: 'learning kept vs plain', align: 'right' },
    ],
  });
}

/**
 * Per penalty kind: the run with the least forgetting among those keeping ≥ KEPT_LEARNING_MIN of plain
 * fine-tuning's dialog gain, and whether it also keeps ≤ KEPT_FORGETTING_MAX of the book rise.
 */
export function tradeOffSummary(report: MainJobReport): string[] {
  const plain = report.runs.find((r) => r.penalty === 'none');
  if (!plain) return ['No plain fine-tuning run: forgetting and learning cannot be compared with it.'];
  const lines: string[] = [];
  const rise = plain.ppl.books.logChange;
  const gain = -plain.ppl.dialog.logChange;
  lines.push(
    `Plain fine-tuning changed book log-perplexity by ${signed(rise, (v) => formatNumber(v, { fixed: 3 }))} ` +
      `(ppl ${f2(plain.ppl.books.before.ppl)} → ${f2(plain.ppl.books.after.ppl)}) and dialog log-perplexity by ` +
      `${signed(-gain, (v) => formatNumber(v, { fixed: 3 }))} (ppl ${f2(plain.ppl.dialog.before.ppl)} → ${f2(plain.ppl.dialog.after.ppl)}).`,
  );
  if (!(rise > 0)) lines.push('Plain fine-tuning did not raise book perplexity: there is no forgetting to prevent on these data.');
  if (!(gain > 0)) lines.push('Plain fine-tuning did not lower dialog perplexity: there is nothing learned to keep on these data.');
  for (const kind of ['ewc', 'stabilized'] as const) {
    const runs = orderedRuns(report.runs.filter((r) => r.penalty === kind));
    if (runs.length === 0) continue;
    const ok = runs.filter((r) => r.learningVsPlain !== null && r.learningVsPlain >= KEPT_LEARNING_MIN && r.forgettingVsPlain !== null);
    if (ok.length === 0) {
      lines.push(`${kind}: no λ of ${runs.map((r) => formatNumber(r.lambda)).join(', ')} kept ≥ ${KEPT_LEARNING_MIN * 100}% of the dialog gain.`);
      continue;
    }
    const best = ok.reduce((a, b) => (b.forgettingVsPlain! < a.forgettingVsPlain! ? b : a));
    const meets = best.forgettingVsPlain! <= KEPT_FORGETTING_MAX;
    lines.push(
      `${kind}: best λ=${formatNumber(best.lambda)} kept ${pct(best.forgettingVsPlain, false)} of the book rise and ` +
        `${pct(best.learningVsPlain, false)} of the dialog gain — ${meets ? 'meets' : 'does not meet'} the target ` +
        `(≤ ${KEPT_FORGETTING_MAX * 100}% of the rise with ≥ ${KEPT_LEARNING_MIN * 100}% of the gain).`,
    );
  }
  return lines;
}

function corporaLines(report: MainJobReport): string[] {
  const data = (report.config as { data?: Record<string, unknown> } | null)?.data;
  const s = (k: string) => (data && typeof data[k] === 'string' ? `\`${data[k]}\`` : 'n/a');
  const size = (p: PplSummary) => `${p.documents} documents, ${p.tokens} scored tokens`;
  return [
    `- original corpus (importances): ${s('original')}${data && typeof data.originalSplit === 'string' ? ` (${data.originalSplit} split)` : ''}`,
    `- dialogs (fine-tuned on the train split, scored on held-out dialogs): ${s('dialogs')} — ${size(report.baseline.dialog)}`,
    `- books (held out, never trained on; measures forgetting): ${s('books')}${data && typeof data.booksSplit === 'string' ? ` (${data.booksSplit} split)` : ''} — ${size(report.baseline.books)}`,
  ];
}

function trainingTable(report: MainJobReport): string {
  return markdownTable(
    orderedRuns(report.runs).map((r) => ({
      run: runLabel(r),
      id: r.id,
      'η': r.eta,
      steps: r.train.steps,
      'last loss': r.train.lastLoss,
      'tokens/s': r.train.tokensPerSecond,
      seconds: r.train.seconds,
      'max penalty ratio': r.train.maxPenaltyRatio,
      warnings: r.train.warnings.length ? r.train.warnings.join('; ') : '',
      checkpoint: `\`${r.checkpoint}\``,
    })),
    { empty: '—' },
  );
}

/** The markdown report. */
export function mainJobMarkdown(report: MainJobReport): string {
  const imp = report.importance;
  const timings = Object.entries(report.timings).map(([step, seconds]) => ({ step, seconds }));
  return [
    '# Fine-tuning on dialogs: what was kept and what was learned',
    '',
    `Recipe \`${report.recipe}\`, ${report.createdAt}. Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ` +
      `${report.machine.memoryGiB} GiB, ${report.machine.platform}.`,
    '',
    `Model: \`${report.model.dir}\` (${report.model.parameters.toLocaleString('en-US')} parameters, hash ${report.model.hash.slice(0, 12) || 'n/a'}).`,
    '',
    '## Corpora',
    '',
    ...corporaLines(report),
    '',
    '## Importances',
    '',
    `${imp.method} on ${imp.samples} sequences of the original corpus, parameters ${imp.params.map((p) => `\`${p}\``).join(', ')} ` +
      `(${imp.penalisedTensors} tensors penalised), ${formatNumber(imp.seconds, { digits: 3 })} s; file \`${imp.file}\`. ` +
      'The anchor θ* is the pretrained model.',
    '',
    '## Results',
    '',
    resultsTable(report),
    ...tradeOffSummary(report).map((l) => `- ${l}`),
    '',
    '![forgetting/learning trade-off](chart.svg)',
    '',
    '## How to read this',
    '',
    'Book perplexity is measured on held-out books the model was never fine-tuned on: its rise after fine-tuning is ' +
      'forgetting. Dialog perplexity is measured on held-out dialogs: its fall is learning. "before" is the pretrained ' +
      'model (the same for every run), "after" the fine-tuned checkpoint; brackets are 95% bootstrap intervals over ' +
      'documents. Before and after are scored on the same documents, so a change can be real even when the two ' +
      'intervals overlap. "forgetting kept vs plain" is this run\'s rise of book log-perplexity as a share of plain ' +
      'fine-tuning\'s (lower is better; 0% = no forgetting); "learning kept vs plain" is its fall of dialog ' +
      'log-perplexity as a share of plain fine-tuning\'s (higher is better). A larger λ pulls the penalised weights ' +
      'closer to the pretrained ones: less forgetting, and usually less learning. In the chart, points nearer the ' +
      'lower left are better on both; the dashed line is the pretrained model\'s book perplexity.',
    '',
    '## Training',
    '',
    trainingTable(report),
    '## Timings',
    '',
    markdownTable(timings, { columns: ['step', { key: 'seconds', format: { digits: 4 } }] }),
    `Versions: ${Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
  ].join('\n');
}

/** Axis range of `vals` widened by `pad` of its span on both sides (room for points and labels at the edges). */
function padded(vals: number[], pad = 0.08): { min: number; max: number } {
  const v = vals.filter(Number.isFinite);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const span = hi - lo || Math.abs(hi) || 1;
  return { min: lo - pad * span, max: hi + pad * span };
}

function panelRanges(series: SeriesSpec[], hLines: { y: number }[], xPad: boolean): Partial<PanelSpec> {
  const ys = [...series.flatMap((s) => [...s.y, ...(s.lower ?? []), ...(s.upper ?? [])]), ...hLines.map((h) => h.y)];
  const y = padded(ys);
  const out: Partial<PanelSpec> = { yMin: y.min, yMax: y.max };
  if (xPad) {
    const x = padded(series.flatMap((s) => s.x), 0.12);
    out.xMin = x.min;
    out.xMax = x.max;
  }
  return out;
}

/** The chart spec (exported for tests). */
export function mainJobChart(report: MainJobReport): Parameters<typeof writeChart>[1] {
  const runs = orderedRuns(report.runs);
  const base = report.baseline;
  const trade: SeriesSpec[] = [];
  const byLambdaBooks: SeriesSpec[] = [];
  const byLambdaDialog: SeriesSpec[] = [];
  for (const kind of ['ewc', 'stabilized'] as const) {
    const rs = runs.filter((r) => r.penalty === kind);
    if (rs.length === 0) continue;
    trade.push({
      name: kind,
      color: COLORS[kind],
      x: rs.map((r) => r.ppl.dialog.after.ppl),
      y: rs.map((r) => r.ppl.books.after.ppl),
      style: 'line+points',
      labels: rs.map((r) => runLabel(r)),
    });
    const pos = rs.filter((r) => r.lambda > 0);
    const band = (pick: (r: RunReport) => PplSummary) =>
      pos.every((r) => pick(r).ci95) ? { lower: pos.map((r) => pick(r).ci95!.low), upper: pos.map((r) => pick(r).ci95!.high) } : {};
    if (pos.length > 0) {
      byLambdaBooks.push({ name: kind, color: COLORS[kind], x: pos.map((r) => r.lambda), y: pos.map((r) => r.ppl.books.after.ppl), style: 'line+points', ...band((r) => r.ppl.books.after) });
      byLambdaDialog.push({ name: kind, color: COLORS[kind], x: pos.map((r) => r.lambda), y: pos.map((r) => r.ppl.dialog.after.ppl), style: 'line+points', ...band((r) => r.ppl.dialog.after) });
    }
  }
  const plain = runs.filter((r) => r.penalty === 'none');
  if (plain.length > 0) {
    trade.push({
      name: 'plain fine-tuning',
      color: COLORS.plain,
      x: plain.map((r) => r.ppl.dialog.after.ppl),
      y: plain.map((r) => r.ppl.books.after.ppl),
      style: 'points',
      labels: plain.map(() => 'plain'),
    });
  }
  trade.push({ name: 'pretrained', color: COLORS.pretrained, x: [base.dialog.ppl], y: [base.books.ppl], style: 'points', labels: ['pretrained'] });
  const panels: PanelSpec[] = [
    {
      title: 'forgetting vs learning',
      xLabel: 'dialog ppl after (lower = learned more)',
      yLabel: 'book ppl after (lower = forgot less)',
      series: trade,
      hLines: [{ y: base.books.ppl }],
      ...panelRanges(trade, [], true),
    },
  ];
  const refLines = (pick: (r: RunReport) => number, baseline: number) => [
    { y: baseline, label: 'pretrained' },
    ...plain.slice(0, 1).map((r) => ({ y: pick(r), label: 'plain fine-tuning' })),
  ];
  if (byLambdaBooks.length > 0) {
    const hb = refLines((r) => r.ppl.books.after.ppl, base.books.ppl);
    const hd = refLines((r) => r.ppl.dialog.after.ppl, base.dialog.ppl);
    panels.push(
      { title: 'books (forgetting)', xLabel: 'λ', yLabel: 'book ppl after', xLog: true, series: byLambdaBooks, hLines: hb, ...panelRanges(byLambdaBooks, hb, false) },
      { title: 'dialogs (learning)', xLabel: 'λ', yLabel: 'dialog ppl after', xLog: true, series: byLambdaDialog, hLines: hd, ...panelRanges(byLambdaDialog, hd, false) },
    );
  }
  return { title: 'Fine-tuning on dialogs: forgetting/learning trade-off', panels, columns: panels.length };
}

/** Writes report.json, report.md, chart.svg and chart.png into `dir` (atomically); returns their paths. */
export function writeMainJobReport(dir: string, report: MainJobReport): { json: string; md: string; svg: string; png: string } {
  const json = join(dir, 'report.json');
  const md = join(dir, 'report.md');
  writeJsonAtomic(json, report);
  writeFileAtomic(md, mainJobMarkdown(report));
  const { svg, png } = writeChart(join(dir, 'chart'), mainJobChart(report));
  return { json, md, svg, png };
}
