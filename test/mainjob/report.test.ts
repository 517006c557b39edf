/**
 * The main job's report on a synthetic MainJobReport: the four files exist (written atomically, no temp files
 * left), report.json round-trips, report.md has one row per run in order with intervals and shares, the chart
 * has one series per penalty kind and a decodable PNG, and validateMainJobReport accepts the good report and
 * names the exact path of each problem.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '../../src/report/png.ts';
import { mainJobChart, mainJobMarkdown, orderedRuns, runLabel, tradeOffSummary, validateMainJobReport, writeMainJobReport } from '../../src/mainjob/report.ts';

import { BOOKS0, DIALOG0, change, ppl, syntheticReport } from './report-fixture.ts';

describe('writeMainJobReport', () => {
  it('writes report.json (as is), report.md, chart.svg and chart.png atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ewc-lm-mainjob-report-'));
    const report = syntheticReport();
    const paths = writeMainJobReport(dir, report);
    expect(paths).toEqual({ json: join(dir, 'report.json'), md: join(dir, 'report.md'), svg: join(dir, 'chart.svg'), png: join(dir, 'chart.png') });
    expect(readdirSync(dir).sort()).toEqual(['chart.png', 'chart.svg', 'report.json', 'report.md']); // no temp files left
    expect(JSON.parse(readFileSync(paths.json, 'utf8'))).toEqual(report);
    const png = decodePng(new Uint8Array(readFileSync(paths.png)));
    expect(png.width).toBeGreaterThan(800);
    expect(png.height).toBeGreaterThan(300);
    const svg = readFileSync(paths.svg, 'utf8');
    expect(svg.startsWith('<svg') || svg.startsWith('<?xml')).toBe(true);
    for (const label of ['ewc λ=10', 'ewc λ=100', 'stabilized λ=10', 'stabilized λ=100', 'pretrained', 'plain']) expect(svg).toContain(label);
  });

  it('report.md: one row per run in order, with intervals, changes and shares kept vs plain', () => {
    const md = mainJobMarkdown(syntheticReport());
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| run') && !l.startsWith('| ---') && md.indexOf(l) < md.indexOf('## How to read'));
    expect(rows.map((l) => l.split('|')[1].trim())).toEqual([
      'pretrained (no fine-tuning)',
      'plain fine-tuning',
      'ewc λ=10',
      'ewc λ=100',
      'stabilized λ=10',
      'stabilized λ=100',
    ]);
    const header = md.split('\n').find((l) => l.startsWith('| run'))!;
    for (const h of ['book ppl before', 'book ppl after', 'book change', 'dialog ppl before', 'dialog ppl after', 'dialog change', 'forgetting kept vs plain', 'learning kept vs plain']) {
      expect(header).toContain(h);
    }
    const plain = rows[1].split('|').map((c) => c.trim());
    expect(plain[2]).toBe('16.00 [15.20, 16.96]'); // before with its 95% interval
    expect(plain[3]).toBe('26.00 [24.70, 27.56]');
    expect(plain[4]).toBe(`+10.00 (log +${Math.log(26 / 16).toFixed(3)})`);
    expect(plain[7]).toBe(`−20.00 (log −${Math.log(2).toFixed(3)})`);
    expect(plain[8]).toBe('100% (reference)');
    // stabilized λ=100: forgetting share = ln(17.5/16)/ln(26/16), learning share = ln(40/21.5)/ln 2
    const st = rows[5].split('|').map((c) => c.trim());
    expect(st[8]).toBe(`${(100 * Math.log(17.5 / 16) / Math.log(26 / 16)).toFixed(1)}%`);
    expect(st[9]).toBe(`${(100 * Math.log(40 / 21.5) / Math.log(2)).toFixed(1)}%`);
    for (const s of ['## How to read this', '## Timings', '| importance', 'embedded:dialogs', 'fisher on 64 sequences', '## Training']) expect(md).toContain(s);
  });

  it('summary names the best λ per penalty kind under the 80%-of-learning constraint', () => {
    const lines = tradeOffSummary(syntheticReport());
    // ewc: λ=10 keeps ln(40/21)/ln 2 = 93% of learning, λ=100 only ln(40/25)/ln 2 = 68% → best is λ=10,
    // forgetting ln(21/16)/ln(26/16) = 56.0% > 50% → does not meet
    expect(lines.find((l) => l.startsWith('ewc:'))).toMatch(/^ewc: best λ=10 kept 56\.0% of the book rise and 93\.0% of the dialog gain — does not meet/);
    // stabilized: both keep ≥ 80%; λ=100 forgets least (18.5%) → meets
    expect(lines.find((l) => l.startsWith('stabilized:'))).toMatch(/^stabilized: best λ=100 kept 18\.5% .* — meets/);
  });

  it('chart: trade-off panel with one line per penalty kind through increasing λ, plain and pretrained points', () => {
    const spec = mainJobChart(syntheticReport());
    const trade = spec.panels[0];
    expect(trade.series.map((s) => s.name)).toEqual(['ewc', 'stabilized', 'plain fine-tuning', 'pretrained']);
    const ewc = trade.series[0];
    expect(ewc.x).toEqual([21, 25]); // dialog ppl after, λ = 10 then 100
    expect(ewc.y).toEqual([21, 18]); // book ppl after
    expect(ewc.labels).toEqual(['ewc λ=10', 'ewc λ=100']);
    expect(trade.series[3]).toMatchObject({ x: [DIALOG0], y: [BOOKS0] });
    expect(trade.hLines?.[0].y).toBe(BOOKS0);
    expect(spec.panels[1].xLog).toBe(true);
    expect(spec.panels[1].series[1].lower).toEqual([19 * 0.95, 17.5 * 0.95]);
  });

  it('labels and order helpers', () => {
    expect(runLabel({ penalty: 'none', lambda: 0 })).toBe('plain fine-tuning');
    expect(runLabel({ penalty: 'ewc', lambda: 1000 })).toBe('ewc λ=1000');
    expect(runLabel({ penalty: 'stabilized', lambda: 0.5 })).toBe('stabilized λ=0.5');
    expect(orderedRuns(syntheticReport().runs).map((r) => r.id)).toEqual(['none', 'ewc-lambda-10', 'ewc-lambda-100', 'stabilized-lambda-10', 'stabilized-lambda-100']);
  });

  it('a report without bootstrap intervals or a plain run still renders', () => {
    const r = syntheticReport();
    r.runs = r.runs.filter((x) => x.penalty !== 'none').map((x) => ({ ...x, ppl: { books: change(ppl(BOOKS0, false), ppl(x.ppl.books.after.ppl, false)), dialog: x.ppl.dialog } }));
    const md = mainJobMarkdown(r);
    expect(md).toContain('No plain fine-tuning run');
    expect(md).toMatch(/\| ewc λ=10 +\| +16\.00 \| +21\.00 \|/);
    const dir = mkdtempSync(join(tmpdir(), 'ewc-lm-mainjob-report-'));
    writeMainJobReport(dir, r);
    expect(validateMainJobReport(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')))).toEqual([]);
  });
});

describe('validateMainJobReport', () => {
  it('accepts a good report (also after a JSON round trip, also strict)', () => {
    const r = syntheticReport();
    expect(validateMainJobReport(r)).toEqual([]);
    expect(validateMainJobReport(JSON.parse(JSON.stringify(r)), { strict: true })).toEqual([]);
  });

  it('rejects missing and mistyped fields with the exact path', () => {
    const cases: Array<[(r: any) => void, string]> = [
      [(r) => delete r.runs[1].penalty, 'runs[1].penalty: expected one of "none", "ewc", "stabilized", found nothing (missing)'],
      [(r) => (r.runs[0].penalty = 'l2'), 'runs[0].penalty: expected one of "none", "ewc", "stabilized", found string "l2"'],
      [(r) => delete r.runs[2].lambda, 'runs[2].lambda: expected a ≥ 0 finite number, found nothing (missing)'],
      [(r) => (r.runs[2].lambda = '10'), 'runs[2].lambda: expected a ≥ 0 finite number, found string "10"'],
      [(r) => delete r.runs[0].ppl.books.before, 'runs[0].ppl.books.before: expected an object, found nothing (missing)'],
      [(r) => delete r.runs[0].ppl.books.after.ppl, 'runs[0].ppl.books.after.ppl: expected a positive finite number, found nothing (missing)'],
      [(r) => delete r.runs[3].ppl.dialog.before, 'runs[3].ppl.dialog.before: expected an object, found nothing (missing)'],
      [(r) => (r.runs[3].ppl.dialog.after = null), 'runs[3].ppl.dialog.after: expected an object, found null'],
      [(r) => delete r.runs[1].ppl.dialog, 'runs[1].ppl.dialog: expected an object, found nothing (missing)'],
      [(r) => (r.runs = []), 'runs: expected a non-empty array, found an array of 0'],
      [(r) => delete r.baseline.books.ci95, 'baseline.books.ci95: expected {low, high} or null, found nothing (missing)'],
      [(r) => (r.baseline.dialog.ci95 = { low: 5, high: 4 }), 'baseline.dialog.ci95: expected low ≤ high, found low 5 > high 4'],
      [(r) => (r.runs[0].eta = -1), 'runs[0].eta: expected a ≥ 0 finite number, found number -1'],
      [(r) => (r.runs[4].train.warnings = 'none'), 'runs[4].train.warnings: expected an array, found string "none"'],
      [(r) => delete r.model.hash, 'model.hash: expected a string, found nothing (missing)'],
      [(r) => (r.timings.total = -3), 'timings.total: expected a ≥ 0 finite number, found number -3'],
      [(r) => (r.createdAt = 'yesterday'), 'createdAt: expected an ISO date-time, found string "yesterday"'],
      [(r) => (r.runs[1].id = r.runs[0].id), 'runs[1].id: expected unique run ids, found "stabilized-lambda-100" twice'],
      [(r) => (r.runs[0].ppl.books.after.ppl = 99), `runs[0].ppl.books.after.ppl: expected exp(nll) = ${17.5}`],
      [(r) => (r.runs[1].ppl.books.change = 1), 'runs[1].ppl.books.change: expected after.ppl − before.ppl = 5, found 1'],
      [(r) => delete r.importance, 'importance: expected an object, found nothing (missing)'],
    ];
    for (const [mutate, message] of cases) {
      const r = JSON.parse(JSON.stringify(syntheticReport()));
      mutate(r);
      const problems = validateMainJobReport(r);
      expect(problems.length, message).toBeGreaterThan(0);
      expect(problems.some((p) => p.startsWith(message)), `${message}\n got: ${problems.join('\n')}`).toBe(true);
    }
    expect(validateMainJobReport(null)).toEqual(['report: expected an object, found null']);
    expect(validateMainJobReport({ ...syntheticReport(), extra: 1 }, { strict: true })).toEqual(['extra: not part of the report contract (src/mainjob/types.ts)']);
  });
});
