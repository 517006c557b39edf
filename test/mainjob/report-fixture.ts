/**
 * A synthetic MainJobReport for tests of the report (report.test.ts) and anyone who needs a valid one:
 * pretrained book ppl 16, dialog ppl 40; plain fine-tuning → 26 / 20; ewc λ 10, 100; stabilized λ 10, 100
 * (η = 1); intervals ±5–6%; shares vs plain computed as the pipeline does.
 */
import type { MainJobReport, PplChange, PplSummary, RunReport } from '../../src/mainjob/types.ts';

export const ppl = (p: number, ci = true): PplSummary => ({
  ppl: p,
  nll: Math.log(p),
  tokens: 5000,
  documents: 40,
  ci95: ci ? { low: p * 0.95, high: p * 1.06 } : null,
});
export const change = (before: PplSummary, after: PplSummary): PplChange => ({ before, after, change: after.ppl - before.ppl, logChange: after.nll - before.nll });

export const BOOKS0 = 16;
export const DIALOG0 = 40;

function run(penalty: RunReport['penalty'], lambda: number, books: number, dialog: number): RunReport {
  return {
    id: penalty === 'none' ? 'none' : `${penalty}-lambda-${lambda}`,
    penalty,
    lambda,
    eta: penalty === 'stabilized' ? 1 : null,
    ppl: { books: change(ppl(BOOKS0), ppl(books)), dialog: change(ppl(DIALOG0), ppl(dialog)) },
    forgettingVsPlain: null,
    learningVsPlain: null,
    train: { steps: 100, lastLoss: 3.1, tokensPerSecond: 1234.5, seconds: 81, maxPenaltyRatio: penalty === 'none' ? null : 0.3, warnings: [] },
    checkpoint: `runs/x/${penalty}-${lambda}`,
  };
}

export function syntheticReport(): MainJobReport {
  // deliberately out of order: the report sorts plain, ewc by λ, stabilized by λ
  const runs = [
    run('stabilized', 100, 17.5, 21.5),
    run('ewc', 10, 21, 21),
    run('none', 0, 26, 20),
    run('ewc', 100, 18, 25),
    run('stabilized', 10, 19, 20.5),
  ];
  const plain = runs.find((r) => r.penalty === 'none')!;
  for (const r of runs) {
    if (r === plain) continue;
    r.forgettingVsPlain = r.ppl.books.logChange / plain.ppl.books.logChange;
    r.learningVsPlain = r.ppl.dialog.logChange / plain.ppl.dialog.logChange;
  }
  return {
    recipe: 'recipes/quickstart.json',
    createdAt: '2026-11-30T01:00:00.000Z',
    config: { recipe: 'dialog-forgetting', data: { original: 'embedded:books', originalSplit: 'train', dialogs: 'embedded:dialogs', books: 'embedded:books', booksSplit: 'test' } },
    versions: { 'ewc-lm': '0.1.0', node: 'v20' },
    machine: { cpu: 'test cpu', cores: 2, memoryGiB: 8, platform: 'linux-x64' },
    model: { dir: 'models/tiny', hash: 'abcdef0123456789', parameters: 123456 },
    importance: { file: 'runs/x/importance/importance.safetensors', method: 'fisher', samples: 64, params: ['attention'], penalisedTensors: 8, seconds: 3.2 },
    baseline: { books: ppl(BOOKS0), dialog: ppl(DIALOG0) },
    runs,
    timings: { importance: 3.2, 'eval-base': 1.5, total: 200 },
  };
}

