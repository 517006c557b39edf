/**
 * `ewc-lm continual report DIR`: aggregates DIR/results.jsonl per (protocol, net, importance, penalty, λ):
 * mean final accuracy with the 95% t-interval (population std as the paper, or sample std), mean backward
 * transfer and forgetting, the mean accuracy matrix; the best λ per series (argmax of the mean); the paper's
 * numbers beside ours. Writes report.json, report.md and chart.svg / chart.png (mean line and interval band
 * over λ, one panel per importance method).
 *
 * report.json `results[]`: { net, importance, penalty, lambda, runs, mean, ci, lo, hi, std, stdKind, t,
 *   bwt, forgetting, protocolId, accuracyMean (task × after-task), paper[], trainers } — `ci` is the 95%
 *   half-width (null for a single run), [lo, hi] = mean ∓ ci.
 * report.json `ordering[]`: the paper's ranking of Fisher / MAS / SI / no EWC at the paper's optimal λ
 *   against ours, per protocol and penalty (OrderingReport).
 */
import { join } from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { markdownTable } from '../report/table.ts';
import { readResults, RESULTS_FILE } from './grid.ts';
import { backwardTransfer, finalMeanAccuracy, forgetting, meanInterval, seenMeanAccuracies, type StdKind } from './stats.ts';
import { PAPER_POINTS, paperPointsFor, type PaperPoint } from './paper.ts';
import { paperProtocol, protocolId, type Protocol } from './protocol.ts';
import type { RunResult } from './run.ts';
import { writeContinualChart } from './chart.ts';

export interface ResultRow {
  net: string;
  importance: string;
  penalty: string;
  lambda: number;
  runs: number;
  mean: number;
  /** 95% t-interval half-width (null when runs < 2). */
  ci: number | null;
  lo: number | null;
  hi: number | null;
  std: number;
  stdKind: StdKind;
  t: number | null;
  bwt: number | null;
  forgetting: number | null;
  protocolId: string;
  /** Mean over runs of the accuracy matrix: [task][after-task], null where not yet seen. */
  accuracyMean: (number | null)[][];
  /** Mean seconds per run. */
  secondsPerRun: number;
  paper: PaperPoint[];
  /** Runs per training engine (RunResult.trainer; runs recorded before the field existed count as tfjs). */
  trainers: Record<string, number>;
  /** Whether our interval (or, for one run, our mean) overlaps each paper interval (null: the paper gives none). */
  overlapsPaper: (boolean | null)[];
}

export interface BestRow {
  net: string;
  importance: string;
  penalty: string;
  protocolId: string;
  lambda: number;
  mean: number;
  ci: number | null;
  runs: number;
}

/** One method at the paper's optimal λ (or λ = 0 = no EWC) within one protocol and penalty kind. */
export interface OrderingEntry {
  method: string;
  lambda: number;
  runs: number;
  mean: number;
  ci: number | null;
  paperMean: number | null;
  paperCi: number | null;
}

/**
 * The paper's ranking of the methods (at their optimal λ, and no EWC) against ours, per protocol and penalty:
 * `pairs` walks the paper's order from best to worst; `agrees` = our means are in the same order,
 * `separated` = our intervals do not overlap (a difference the runs resolve).
 */
export interface OrderingReport {
  protocolId: string;
  net: string;
  penalty: string;
  paperProtocol: boolean;
  entries: OrderingEntry[];
  paperOrder: string[];
  ourOrder: string[];
  pairs: { better: string; worse: string; agrees: boolean; separated: boolean | null }[];
}

export interface ContinualReport {
  dir: string;
  generatedAt: string;
  std: StdKind;
  protocols: Record<string, Protocol>;
  results: ResultRow[];
  best: BestRow[];
  ordering: OrderingReport[];
  runs: number;
}

/** Same sizes and optimiser as the paper (seeds and the importance form may differ). */
export function isPaperProtocol(p: Protocol): boolean {
  const ref = paperProtocol(p.net);
  const keys: (keyof Protocol)[] = ['tasks', 'epochs', 'batchSize', 'trainLimit', 'testLimit', 'importanceSamples', 'lr', 'beta1', 'beta2', 'eps', 'eta', 'siXi'];
  return keys.every((k) => p[k] === ref[k]);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

export function aggregate(results: RunResult[], std: StdKind = 'population'): Omit<ContinualReport, 'dir' | 'generatedAt'> {
  const groups = new Map<string, RunResult[]>();
  const protocols: Record<string, Protocol> = {};
  for (const r of results) {
    protocols[r.protocolId] = r.protocol;
    const k = JSON.stringify([r.protocolId, r.net, r.importance, r.penalty, r.lambda]);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const rows: ResultRow[] = [];
  for (const rs of groups.values()) {
    const r0 = rs[0];
    const mi = meanInterval(rs.map((r) => r.final), { std });
    const T = r0.accuracy.length;
    const accuracyMean = Array.from({ length: T }, (_, i) =>
      Array.from({ length: T }, (_, j) => (j < i ? null : mean(rs.map((r) => r.accuracy[i][j] as number)))),
    );
    const bw = rs.map((r) => r.bwt).filter((x): x is number => x !== null);
    const fg = rs.map((r) => r.forgetting).filter((x): x is number => x !== null);
    // The paper's numbers are shown only beside runs of the paper's protocol (full length, full data).
    const paper = isPaperProtocol(r0.protocol) ? paperPointsFor(r0.net, r0.importance, r0.penalty, r0.lambda) : [];
    rows.push({
      net: r0.net,
      importance: r0.importance,
      penalty: r0.penalty,
      lambda: r0.lambda,
      runs: rs.length,
      mean: mi.mean,
      ci: mi.halfWidth,
      lo: mi.lo,
      hi: mi.hi,
      std: mi.std,
      stdKind: std,
      t: Number.isFinite(mi.t) ? mi.t : null,
      bwt: bw.length ? mean(bw) : null,
      forgetting: fg.length ? mean(fg) : null,
      protocolId: r0.protocolId,
      accuracyMean,
      secondsPerRun: mean(rs.map((r) => r.timings.totalS)),
      paper,
      trainers: rs.reduce<Record<string, number>>((acc, r) => ((acc[r.trainer ?? 'tfjs'] = (acc[r.trainer ?? 'tfjs'] ?? 0) + 1), acc), {}),
      // Interval overlap; a single run (no interval of its own) counts as the point mean.
      overlapsPaper: paper.map((p) => (p.ci === null ? null : Math.abs(mi.mean - p.mean) <= (mi.halfWidth ?? 0) + p.ci)),
    });
  }
  rows.sort((a, b) =>
    a.protocolId.localeCompare(b.protocolId) || a.net.localeCompare(b.net) || a.importance.localeCompare(b.importance) ||
    a.penalty.localeCompare(b.penalty) || a.lambda - b.lambda,
  );
  const best: BestRow[] = [];
  const series = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.protocolId, r.net, r.importance, r.penalty]);
    if (!series.has(k)) series.set(k, []);
    series.get(k)!.push(r);
  }
  for (const s of series.values()) {
    const b = s.reduce((x, y) => (y.mean > x.mean ? y : x));
    best.push({ net: b.net, importance: b.importance, penalty: b.penalty, protocolId: b.protocolId, lambda: b.lambda, mean: b.mean, ci: b.ci, runs: b.runs });
  }
  return { std, protocols, results: rows, best, ordering: ordering(rows, protocols), runs: results.length };
}

const METHODS = ['fisher', 'mas', 'si'] as const;

/** The paper's ranking at its optimal λ per method against ours (see OrderingReport). */
export function ordering(rows: ResultRow[], protocols: Record<string, Protocol>): OrderingReport[] {
  const out: OrderingReport[] = [];
  const keys = new Set(rows.map((r) => JSON.stringify([r.protocolId, r.net])));
  for (const k of keys) {
    const [pid, net] = JSON.parse(k) as [string, string];
    const mine = rows.filter((r) => r.protocolId === pid && r.net === net);
    const none = mine.find((r) => r.lambda === 0);
    const nonePaper = PAPER_POINTS.find((p) => p.net === net && p.importance === 'none' && p.source === 'paper');
    for (const penalty of ['ewc', 'stabilized']) {
      const entries: OrderingEntry[] = [];
      for (const m of METHODS) {
        const pp = PAPER_POINTS.find((p) => p.net === net && p.importance === m && p.penalty === penalty && p.source === 'paper');
        const r = pp && mine.find((x) => x.importance === m && x.penalty === penalty && x.lambda === pp.lambda);
        if (pp && r) entries.push({ method: m, lambda: pp.lambda, runs: r.runs, mean: r.mean, ci: r.ci, paperMean: pp.mean, paperCi: pp.ci });
      }
      if (entries.length === 0) continue;
      if (none) entries.push({ method: 'none', lambda: 0, runs: none.runs, mean: none.mean, ci: none.ci, paperMean: nonePaper?.mean ?? null, paperCi: nonePaper?.ci ?? null });
      const paperOrder = [...entries].sort((a, b) => (b.paperMean ?? -1) - (a.paperMean ?? -1)).map((e) => e.method);
      const ourOrder = [...entries].sort((a, b) => b.mean - a.mean).map((e) => e.method);
      const by = new Map(entries.map((e) => [e.method, e]));
      const pairs = paperOrder.slice(0, -1).map((better, i) => {
        const a = by.get(better)!;
        const b = by.get(paperOrder[i + 1])!;
        const separated = a.ci === null || b.ci === null ? null : Math.abs(a.mean - b.mean) > a.ci + b.ci;
        return { better, worse: b.method, agrees: a.mean > b.mean, separated };
      });
      out.push({ protocolId: pid, net, penalty, paperProtocol: isPaperProtocol(protocols[pid]), entries, paperOrder, ourOrder, pairs });
    }
  }
  return out;
}

const f4 = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(4));

function protocolLine(id: string, p: Protocol): string {
  return (
    `- \`${id}\`: ${p.net}, ${p.tasks} tasks × ${p.epochs} epochs, batch ${p.batchSize}, ` +
    `train ${p.trainLimit ?? 'all'} / test ${p.testLimit ?? 'all'} samples per task, importances on the last ` +
    `${p.importanceSamples} training samples (${p.importanceMode}), Adam(${p.lr}, ${p.beta1}, ${p.beta2}, ${p.eps}), ` +
    `η ${p.eta}, SI ξ ${p.siXi}, seeds ${p.seed} / permutations ${p.permSeed}`
  );
}

export function reportMarkdown(rep: ContinualReport, extra: { commands?: string[]; truncated?: number } = {}): string {
  const L: string[] = [];
  L.push('# Continual-learning benchmark report', '');
  L.push(
    `${rep.runs} runs from \`${RESULTS_FILE}\`. Final accuracy = mean test accuracy over all tasks after the last task. ` +
      `Interval: 95% t-interval, half-width t(0.975, R−1)·std/√R with the ${rep.std === 'population' ? 'POPULATION std (ddof 0), as the paper' : 'sample std (ddof 1)'}. ` +
      'BWT = mean over earlier tasks of (final − just-learned accuracy); forgetting = mean of (best earlier − final).',
    '',
  );
  if (extra.truncated) {
    L.push(
      `${extra.truncated} of these runs are longer runs restricted to their first ${Object.values(rep.protocols)[0]?.tasks} tasks ` +
        '(the top-left block of the accuracy matrix; identical to what a run of that length computes).',
      '',
    );
  }
  L.push('## Protocols', '');
  for (const [id, p] of Object.entries(rep.protocols)) L.push(protocolLine(id, p));
  if (extra.commands?.length) {
    L.push('', 'Commands:', '');
    for (const c of extra.commands) L.push('```', c, '```');
  }
  L.push('', '## Results per λ', '');
  const rows = rep.results.map((r) => ({
    net: r.net,
    importance: r.importance,
    penalty: r.penalty,
    λ: r.lambda,
    runs: r.runs,
    mean: f4(r.mean),
    '± 95%': f4(r.ci),
    '[lo, hi]': r.lo === null ? '–' : `[${f4(r.lo)}, ${f4(r.hi)}]`,
    BWT: f4(r.bwt),
    forgetting: f4(r.forgetting),
    's/run': r.secondsPerRun.toFixed(0),
    trainer: Object.entries(r.trainers).map(([t, n]) => `${t} ${n}`).join(', '),
    paper: !isPaperProtocol(rep.protocols[r.protocolId]) ? 'n/a (not the paper protocol)' : r.paper.map((p) => `${p.mean.toFixed(4)}${p.ci !== null ? ` ± ${p.ci.toFixed(4)}` : ''} (${p.source === 'paper' ? 'paper' : "authors' code here"}${p.runs ? `, ${p.runs} runs` : ''}${p.note ? `, ${p.note}` : ''})`).join('; ') || '–',
    overlap: r.overlapsPaper.map((o) => (o === null ? '–' : o ? 'yes' : 'NO')).join('; ') || '–',
    protocol: r.protocolId,
  }));
  L.push(markdownTable(rows));
  L.push('', '## Best λ (argmax of the mean)', '');
  L.push(
    markdownTable(
      rep.best.map((b) => ({ net: b.net, importance: b.importance, penalty: b.penalty, 'best λ': b.lambda, mean: f4(b.mean), '± 95%': f4(b.ci), runs: b.runs, protocol: b.protocolId })),
    ),
  );
  if (rep.ordering.length) {
    L.push('', "## The paper's ranking of the methods (each at the paper's optimal λ; none = λ 0)", '');
    for (const o of rep.ordering) {
      L.push(`### ${o.net}, ${o.penalty === 'ewc' ? 'plain EWC' : 'stabilized EWC'}, protocol ${o.protocolId}${o.paperProtocol ? '' : " (NOT the paper's protocol: the paper's numbers are for its full protocol)"}`, '');
      L.push(
        markdownTable(
          o.entries.map((e) => ({ method: e.method, λ: e.lambda, runs: e.runs, mean: f4(e.mean), '± 95%': f4(e.ci), paper: e.paperMean === null ? '–' : `${e.paperMean.toFixed(4)}${e.paperCi !== null ? ` ± ${e.paperCi.toFixed(4)}` : ' (about)'}` })),
        ),
        '',
      );
      L.push(`Paper: ${o.paperOrder.join(' > ')}. Ours: ${o.ourOrder.join(' > ')}.`, '');
      for (const p of o.pairs) {
        L.push(`- ${p.better} > ${p.worse}: ${p.agrees ? 'holds' : 'does NOT hold'} in our means${p.separated === null ? ' (one run: no interval)' : p.separated ? ', intervals separated' : ', intervals overlap (not resolved by these runs)'}`);
      }
      L.push('');
    }
  }
  L.push('', '## Mean accuracy matrices (row: task, column: after training task)', '');
  for (const r of rep.results) {
    L.push(`### ${r.net} ${r.importance}/${r.penalty} λ = ${r.lambda} (${r.runs} runs, protocol ${r.protocolId})`, '');
    const T = r.accuracyMean.length;
    L.push(
      markdownTable(
        r.accuracyMean.map((row, i) => {
          const o: Record<string, string> = { task: String(i + 1) };
          for (let j = 0; j < T; j++) o[`after ${j + 1}`] = row[j] === null ? '' : (row[j] as number).toFixed(3);
          return o;
        }),
      ),
      '',
    );
  }
  L.push('Chart: `chart.svg` / `chart.png` (mean line and 95% band over λ, one panel per importance method).', '');
  return L.join('\n');
}

export interface WrittenReport {
  dir: string;
  files: string[];
  json: ContinualReport;
}

/**
 * A run restricted to its first K tasks: the top-left K×K block of its accuracy matrix, with the metrics
 * recomputed. A K-task run computes exactly what a longer run with the same protocol otherwise computes up
 * to its K-th task (same seeds, permutations independent of the task count), so truncated long runs and
 * K-task runs share one protocol id and are aggregated together.
 */
export function truncateRun(r: RunResult, k: number): RunResult | null {
  if (r.accuracy.length < k) return null;
  if (r.accuracy.length === k) return r;
  const acc = r.accuracy.slice(0, k).map((row) => row.slice(0, k));
  const protocol = { ...r.protocol, tasks: k };
  const pid = protocolId(protocol);
  return {
    ...r,
    key: `${pid}|${r.key.split('|').slice(1).join('|')}`,
    protocolId: pid,
    protocol,
    accuracy: acc,
    final: finalMeanAccuracy(acc),
    seenMean: seenMeanAccuracies(acc),
    bwt: backwardTransfer(acc),
    forgetting: forgetting(acc),
    omegaSum: r.omegaSum.slice(0, k - 1),
    timings: { ...r.timings, truncatedFrom: r.accuracy.length } as RunResult['timings'],
  };
}

export interface ReportOptions {
  std?: StdKind;
  commands?: string[];
  /** Restrict every run to its first K tasks (longer runs are truncated, shorter ones dropped). */
  tasks?: number;
  /** Further result folders whose runs are included (e.g. longer runs to truncate). */
  from?: string[];
}

export function writeReport(dir: string, opts: ReportOptions = {}): WrittenReport {
  if (!existsSync(join(dir, RESULTS_FILE))) {
    throw new EwcError(`continual report: expected ${join(dir, RESULTS_FILE)}, found no such file. Pass the --out folder of a continual run.`);
  }
  let results = [dir, ...(opts.from ?? [])].flatMap((d) => readResults(d));
  if (opts.tasks !== undefined) {
    const k = opts.tasks;
    if (!Number.isInteger(k) || k < 1) throw new EwcError(`continual report --tasks: expected an integer ≥ 1, found ${k}.`);
    results = results.map((r) => truncateRun(r, k)).filter((r): r is RunResult => r !== null);
  }
  const seen = new Set<string>();
  results = results.filter((r) => (seen.has(r.key) ? false : (seen.add(r.key), true)));
  if (results.length === 0) throw new EwcError(`continual report: ${join(dir, RESULTS_FILE)} holds no finished runs yet${opts.tasks ? ` with ≥ ${opts.tasks} tasks` : ''}.`);
  const agg = aggregate(results, opts.std ?? 'population');
  const rep: ContinualReport = { dir, generatedAt: new Date().toISOString(), ...agg };
  const files = [join(dir, 'report.json'), join(dir, 'report.md')];
  writeJsonAtomic(files[0], rep);
  const commands = opts.commands ?? [dir, ...(opts.from ?? [])].flatMap((d) => gridCommands(d));
  writeFileAtomic(files[1], reportMarkdown(rep, { commands, truncated: results.filter((r) => 'truncatedFrom' in r.timings).length }));
  files.push(...writeContinualChart(dir, rep));
  return { dir, files, json: rep };
}

/** The commands recorded in the grid's config-*.json files (as `ewc-lm …`). */
export function gridCommands(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.startsWith('config-') && x.endsWith('.json')).sort()) {
    try {
      const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { command?: string };
      if (c.command) out.push(`ewc-lm ${c.command}`);
    } catch {
      /* not a grid config */
    }
  }
  return out;
}
