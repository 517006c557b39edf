/**
 * `ewc-lm prune-bench mnist --models 10 --scores magnitude,fisher,mas,si,signal [--scope global|per-layer]
 *   [--step 0.001] --out DIR` — the paper's Figure 5 protocol (method.md §4, src/prune/mnist-bench.ts).
 * `ewc-lm prune-bench lm --model DIR --corpus SPEC --scores magnitude,fisher,mas,signal [--params GLOB…]
 *   --out DIR` — perplexity vs sparsity of a GPT-2 on held-out text (src/prune/lm-bench.ts).
 * Both write DIR/report.json (curves: score, scope, fraction[], mean[], ci[] …), DIR/report.md (table at
 * 50/70/80/90/95/99%), DIR/chart.svg + chart.png, and DIR/config.json (the resolved configuration).
 * stdout: JSON summary (the table).
 */
import type { Argv, CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { backendOption, initBackend } from '../../backends/index.ts';
import { aggregateCurves } from '../../prune/curves.ts';
import { buildTable, writeBenchReport, type BenchReport } from '../../prune/bench-report.ts';
import { DEFAULT_MNIST_BENCH, MNIST_SCORES, runMnistBench, type MnistBenchConfig } from '../../prune/mnist-bench.ts';
import { orderingCheck } from '../../prune/ordering.ts';
import { parseScope, type PruneScope } from '../../prune/rank.ts';
import { parseScoreList } from '../../prune/scores.ts';
import { writeJsonAtomic } from '../../util/atomic.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';
import { join } from 'node:path';
import { lmBenchBuilder, lmBenchHandler, type LmBenchArgs } from '../../prune/lm-bench-cli.ts';

interface MnistArgs {
  models: number;
  scores: string;
  scope: string[];
  step: number;
  'fine-from'?: number;
  'fine-step': number;
  out: string;
  seed: number;
  epochs: number;
  'train-limit'?: number;
  'test-limit'?: number;
  hidden?: number[];
  cache?: string;
  'only-models'?: string;
  'report-only': boolean;
  backend: string;
}

function scopes(v: string[]): PruneScope[] {
  const list = v.flatMap((s) => s.split(',')).filter(Boolean).map(parseScope);
  return [...new Set(list)];
}

function parseOnly(v: string, models: number): number[] {
  const list = v.split(',').filter(Boolean).map(Number);
  if (list.length === 0 || list.some((m) => !Number.isInteger(m) || m < 0 || m >= models)) {
    throw new EwcError(`--only-models: expected a comma list of model indices in [0, ${models}), found '${v}'.`);
  }
  return list;
}

const mnist: CommandModule<object, MnistArgs> = {
  command: 'mnist',
  describe: 'accuracy of the FC MNIST net vs pruned fraction, per score (paper Figure 5)',
  builder: (y: Argv) =>
    y
      .option('models', { type: 'number', default: DEFAULT_MNIST_BENCH.models, describe: 'independently trained nets per curve' })
      .option('scores', { type: 'string', default: MNIST_SCORES.join(','), describe: `comma list from ${MNIST_SCORES.join(', ')}` })
      .option('scope', { type: 'string', array: true, default: ['global'], describe: 'global and/or per-layer (comma list or repeated)' })
      .option('step', { type: 'number', default: DEFAULT_MNIST_BENCH.step, describe: 'pruned-fraction grid step (1/step must be an integer); 50/70/80/90/95/99% are always included' })
      .option('fine-from', { type: 'number', describe: 'add a finer grid from this fraction to 1 (e.g. 0.8)' })
      .option('fine-step', { type: 'number', default: 0.01, describe: 'step of the finer grid' })
      .option('only-models', { type: 'string', describe: 'run only these model indices (comma list, 0-based, in this order) and write their result files, no report: a shard of a run split over processes' })
      .option('report-only', { type: 'boolean', default: false, describe: 'train nothing: report the models already finished in OUT (the report states how many)' })
      .option('epochs', { type: 'number', default: DEFAULT_MNIST_BENCH.epochs, describe: 'training epochs (paper: 6)' })
      .option('seed', { type: 'number', default: DEFAULT_MNIST_BENCH.seed, describe: 'base seed (model i uses mixSeed(seed, i))' })
      .option('train-limit', { type: 'number', describe: 'use only the first N training images (smoke runs)' })
      .option('test-limit', { type: 'number', describe: 'use only the first N test images (smoke runs)' })
      .option('hidden', { type: 'number', array: true, describe: 'hidden sizes (default 300 150, the paper\'s)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (resumes finished models found there)' })
      .option('cache', { type: 'string', describe: "folder for trained nets + scores, reused by other scopes/steps (default OUT/cache, ~7 MB a model, not a result to commit; 'off' = none)" })
      .option('backend', backendOption) as never,
  handler: async (a) => {
    const t0 = Date.now();
    const backend = await initBackend(a.backend as never);
    const cfg: MnistBenchConfig = {
      ...DEFAULT_MNIST_BENCH,
      models: a.models,
      scores: parseScoreList(a.scores, MNIST_SCORES),
      scopes: scopes(a.scope),
      step: a.step,
      fineFrom: a['fine-from'] ?? null,
      fineStep: a['fine-step'],
      epochs: a.epochs,
      seed: a.seed,
      hidden: a.hidden && a.hidden.length ? a.hidden : DEFAULT_MNIST_BENCH.hidden,
      ...(a['train-limit'] !== undefined ? { trainLimit: a['train-limit'] } : {}),
      ...(a['test-limit'] !== undefined ? { testLimit: a['test-limit'] } : {}),
    };
    if (!(cfg.models >= 1 && Number.isInteger(cfg.models))) throw new EwcError(`--models: expected a positive integer, found ${cfg.models}.`);
    const out = resolve(a.out);
    writeJsonAtomic(join(out, 'config.json'), { command: 'prune-bench mnist', backend, ...cfg });
    log(`prune-bench mnist: ${cfg.models} model(s), scores ${cfg.scores.join(',')}, scope ${cfg.scopes.join(',')}, step ${cfg.step}, backend ${backend}`);
    const cache = a.cache === 'off' ? null : a.cache ? resolve(a.cache) : join(out, 'cache');
    const only = a['only-models'] !== undefined ? parseOnly(a['only-models'], cfg.models) : null;
    const { runs, models } = runMnistBench(cfg, out, cache, log, only, a['report-only']);
    if (models.length === 0) throw new EwcError(`prune-bench mnist: no finished model in ${out}; run without --report-only first.`);
    if (only) {
      printResult({ out, models: only, finished: models.length, seconds: (Date.now() - t0) / 1000 });
      return;
    }
    const curves = aggregateCurves(runs, 'accuracy');
    const paperProtocol = cfg.epochs === 6 && cfg.trainLimit === undefined && cfg.testLimit === undefined && cfg.hidden.join() === '300,150';
    const notes = [
      `FC net ${[784, ...cfg.hidden, 10].join('-')} (leaky_relu 0.01), trained on MNIST alone: Adam lr 0.001, batch ${cfg.batchSize}, ${cfg.epochs} epochs` +
        (cfg.trainLimit ? `, first ${cfg.trainLimit} training images` : '') + '.',
      `Importances on the MNIST test set${cfg.testLimit ? ` (first ${cfg.testLimit})` : ''} (fisher: dataset labels; mas; signal; magnitude |θ|; si accumulated during training, ξ = 0.1). Accuracy on the same test set.`,
      `Parameters ranked ascending by |score| (global: all weights and biases in one ranking; per-layer: each weight matrix separately, biases left alone); round(p·N) zeroed cumulatively, no retraining.`,
      `${models.length} model(s) per curve${models.length < cfg.models ? ` (of ${cfg.models} planned; finished: ${models.map((m) => m.model).join(', ')})` : ''}; mean ± 95% t-interval half-width with population std (ddof 0), t(0.975, n−1).`,
      `Fraction grid: step ${cfg.step} (the paper: 0.001)${cfg.fineFrom !== null ? `, step ${cfg.fineStep} from ${cfg.fineFrom} to 1` : ''}, plus 50/70/80/90/95/99%.`,
      `Backend ${backend}; mean base test accuracy ${(models.reduce((s, m) => s + m.testAccuracy, 0) / models.length).toFixed(4)}.`,
    ];
    const table = buildTable(curves, paperProtocol);
    const ordering = orderingCheck(curves);
    const rep: BenchReport = {
      benchmark: 'mnist',
      metric: 'accuracy',
      title: 'Pruning the FC MNIST net: test accuracy vs pruned fraction',
      notes,
      config: { backend, ...cfg },
      curves,
      table,
      extra: { models, ordering: ordering.checks, seconds: (Date.now() - t0) / 1000 },
    };
    const files = writeBenchReport(out, rep);
    printResult({ out, files: ['config.json', ...files], table, ordering: ordering.checks, seconds: (Date.now() - t0) / 1000 });
  },
};

const lm: CommandModule<object, LmBenchArgs> = {
  command: 'lm',
  describe: 'perplexity of a GPT-2 checkpoint on held-out text vs pruned fraction, per score',
  builder: lmBenchBuilder as never,
  handler: lmBenchHandler,
};

const cmd: CommandModule = {
  command: 'prune-bench',
  describe: 'pruning curves: mnist (paper Figure 5) or lm (GPT-2 perplexity vs sparsity)',
  builder: (y: Argv) => y.command(mnist as CommandModule).command(lm as CommandModule).demandCommand(1, 'name a benchmark: mnist or lm'),
  handler: () => {},
};
export default cmd;
