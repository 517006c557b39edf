/** The report's ranking of the methods at the paper's optimal λ (aggregate → ordering) on synthetic runs. */
import { describe, expect, it } from 'vitest';
import { aggregate, reportMarkdown } from '../../src/benchmarks/report.ts';
import { continualChartPanels } from '../../src/benchmarks/chart.ts';
import { paperProtocol, protocolId, resolveProtocol } from '../../src/benchmarks/protocol.ts';
import type { RunResult } from '../../src/benchmarks/run.ts';

const protocol = resolveProtocol(paperProtocol('cnn'), { epochs: 1 });
const pid = protocolId(protocol);

function fake(importance: string, lambda: number, finals: number[], trainer?: 'ort' | 'tfjs'): RunResult[] {
  return finals.map((f, run) => ({
    key: `${pid}|cnn|${importance}|ewc|${lambda}|${run}`,
    protocolId: pid,
    net: 'cnn',
    importance,
    penalty: 'ewc',
    lambda,
    run,
    runSeed: run,
    protocol,
    // 4 tasks; the last column averages to `f`
    accuracy: [
      [0.99, 0.9, 0.8, f],
      [null, 0.9, 0.8, f],
      [null, null, 0.9, f],
      [null, null, null, f],
    ],
    final: f,
    seenMean: [0.99, 0.9, 0.83, f],
    bwt: null,
    forgetting: null,
    omegaSum: [],
    timings: { totalS: 1, trainS: [], evalS: [], importanceS: [] },
    backend: 'wasm',
    ...(trainer ? { trainer } : {}),
    finishedAt: '',
  }));
}

describe('continual report: the paper ranking', () => {
  it('ranks MAS / Fisher / SI / none at the paper λ, says which pairs hold and which intervals separate', () => {
    const runs = [
      ...fake('fisher', 0, [0.3, 0.32, 0.31], 'ort'),
      ...fake('mas', 300, [0.6, 0.62, 0.61], 'ort'),
      ...fake('fisher', 675, [0.63, 0.61, 0.62], 'ort'), // Fisher above MAS here, intervals overlap
      ...fake('si', 24, [0.5, 0.52, 0.51]),
      ...fake('si', 99, [0.9, 0.9]), // not the paper's λ: ignored by the ranking
    ];
    const agg = aggregate(runs);
    expect(agg.ordering).toHaveLength(1); // plain EWC only (no stabilized runs)
    const o = agg.ordering[0];
    expect(o.paperProtocol).toBe(false);
    expect(o.paperOrder).toEqual(['mas', 'fisher', 'si', 'none']);
    expect(o.ourOrder).toEqual(['fisher', 'mas', 'si', 'none']);
    expect(o.pairs).toEqual([
      { better: 'mas', worse: 'fisher', agrees: false, separated: false },
      { better: 'fisher', worse: 'si', agrees: true, separated: true },
      { better: 'si', worse: 'none', agrees: true, separated: true },
    ]);
    const mas = o.entries.find((e) => e.method === 'mas')!;
    expect([mas.lambda, mas.runs, mas.paperMean]).toEqual([300, 3, 0.6012]);
    expect(mas.mean).toBeCloseTo(0.61, 12);
    const md = reportMarkdown({ dir: '.', generatedAt: '', ...agg });
    expect(md).toContain('Paper: mas > fisher > si > none. Ours: fisher > mas > si > none.');
    expect(md).toContain('mas > fisher: does NOT hold in our means, intervals overlap');
    expect(md).toContain("NOT the paper's protocol");
    // trainer counts per cell; runs without the field are tfjs runs
    expect(agg.results.find((r) => r.importance === 'si' && r.lambda === 24)!.trainers).toEqual({ tfjs: 3 });
    expect(agg.results.find((r) => r.importance === 'mas')!.trainers).toEqual({ ort: 3 });
  });
});

describe('continual chart: the no-EWC reference', () => {
  it('appears in every panel of its protocol (a line near the data, in the title when far below it)', () => {
    const near = aggregate([...fake('fisher', 0, [0.3, 0.32, 0.31]), ...fake('mas', 300, [0.4, 0.6, 0.5]), ...fake('si', 24, [0.35, 0.55, 0.45])]);
    const panels = continualChartPanels({ dir: '.', generatedAt: '', ...near });
    expect(panels.map((p) => p.title)).toEqual(['CNN fisher', 'CNN mas', 'CNN si']);
    for (const p of panels) {
      expect(p.hLines?.map((h) => h.y)).toEqual([expect.closeTo(0.31, 12)]);
      expect(p.series.every((x) => x.x.every((l) => l > 0))).toBe(true); // λ = 0 is the line, not a point
    }
    const far = aggregate([...fake('fisher', 0, [0.3, 0.32, 0.31]), ...fake('mas', 300, [0.95, 0.951, 0.952])]);
    const mas = continualChartPanels({ dir: '.', generatedAt: '', ...far }).find((p) => p.title?.startsWith('CNN mas'))!;
    expect(mas.hLines).toEqual([]);
    expect(mas.title).toContain('no EWC (lambda 0, 0.310 ± ');
  });
});
