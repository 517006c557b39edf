import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backends/index.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { DEFAULT_LM_BENCH, lmSelection, runLmBench } from '../../src/prune/lm-bench.ts';
import { buildTable, writeBenchReport } from '../../src/prune/bench-report.ts';
import { sharedPath } from '../../src/util/shared.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A small plain-text corpus: 120 paragraphs of pseudo-random words (each its own document with #paragraph). */
function corpusFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ewc-prune-lm-'));
  const words = ['the', 'whale', 'sea', 'ship', 'captain', 'white', 'ocean', 'harpoon', 'crew', 'sailed', 'storm', 'deck'];
  let s = 7;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const paras: string[] = [];
  for (let p = 0; p < 120; p++) paras.push(Array.from({ length: 20 + Math.floor(rnd() * 20) }, () => words[Math.floor(rnd() * words.length)]).join(' ') + '.');
  const f = join(dir, 'tiny.txt');
  writeFileSync(f, paras.join('\n\n') + '\n');
  return f;
}

describe('prune-bench lm (tiny-random-gpt2)', () => {
  it('ppl at p = 0 is the unpruned model; with every parameter pruned the model is uniform (ppl = vocab_size)', async () => {
    const ck = loadCheckpoint(sharedPath('fixtures', 'tiny-random-gpt2'));
    const corpus = `text:${corpusFile()}#paragraph`;
    const cfg = { ...DEFAULT_LM_BENCH, corpus, scores: ['magnitude', 'fisher', 'signal'], step: 0.5, samples: 4, block: 32, evalDocs: 4, bootstrap: 20 };
    const { curves, base } = await runLmBench(ck, cfg, () => {});
    expect(curves.map((c) => c.score)).toEqual(['magnitude', 'fisher', 'signal']);
    const fr = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1];
    for (const c of curves) {
      expect(c.fraction).toEqual(fr);
      expect(c.mean[0]).toBeCloseTo(base, 10);
      expect(c.ci.every((x) => x === 0)).toBe(true);
      expect(c.lo[0]! <= c.mean[0] && c.mean[0] <= c.hi[0]!).toBe(true);
    }
    // magnitude / fisher rank all parameters (LayerNorm gains included): at p = 1 every logit is 0
    for (const c of curves.filter((x) => x.score !== 'signal')) {
      expect(c.selected).toBe([...ck.params.values()].reduce((a, t) => a + t.data.length, 0));
      expect(c.mean[c.mean.length - 1]).toBeCloseTo(ck.config.vocab_size, 2);
    }
    // signal covers the Conv1D layers only
    const sig = curves.find((x) => x.score === 'signal')!;
    expect(sig.selected).toBe(lmSelection(ck, 'signal', null).reduce((a, n) => a + ck.params.get(n)!.data.length, 0));
    expect(() => lmSelection(ck, 'signal', ['all'])).toThrow(/Conv1D/);
    const out = mkdtempSync(join(tmpdir(), 'ewc-prune-lm-out-'));
    const files = writeBenchReport(out, { benchmark: 'lm', metric: 'perplexity', title: 'tiny', notes: [], config: cfg, curves, table: buildTable(curves, false) });
    expect(files).toEqual(['report.json', 'report.md', 'chart.svg', 'chart.png']);
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(rep.curves[0]).toHaveProperty('ci');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## Perplexity at pruned fraction — global ranking');
  });
});
