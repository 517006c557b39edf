/** Options and handler of `ewc-lm prune-bench lm` (the command itself is in src/cli/commands/prune-bench.ts). */
import type { Argv } from 'yargs';
import { basename, join, resolve } from 'node:path';
import { backendOption, initBackend } from '../backends/index.ts';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { log, printResult } from '../util/log.ts';
import { buildTable, writeBenchReport, type BenchReport } from './bench-report.ts';
import { DEFAULT_LM_BENCH, LM_SCORES, runLmBench, type LmBenchConfig } from './lm-bench.ts';
import { parseScope, type PruneScope } from './rank.ts';
import { parseScoreList } from './scores.ts';

export interface LmBenchArgs {
  model: string;
  corpus: string;
  scores: string;
  scope: string[];
  params?: string[];
  step: number;
  samples: number;
  block: number;
  'eval-docs': number;
  context?: number;
  stride?: number;
  bootstrap: number;
  tokenizer?: string;
  out: string;
  backend: string;
  engine: string;
}

export function lmBenchBuilder(y: Argv): Argv<LmBenchArgs> {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face GPT-2 checkpoint folder' })
    .option('corpus', { type: 'string', demandOption: true, describe: 'corpus spec: importances from its train split, perplexity on its test split' })
    .option('scores', { type: 'string', default: LM_SCORES.join(','), describe: `comma list from ${LM_SCORES.join(', ')}` })
    .option('scope', { type: 'string', array: true, default: ['global'], describe: 'global and/or per-layer' })
    .option('params', { type: 'string', array: true, describe: 'parameter globs (default all; signal: the Conv1D layers h.*.attn.*, h.*.mlp.*)' })
    .option('step', { type: 'number', default: DEFAULT_LM_BENCH.step, describe: 'pruned-fraction grid step; 50/70/80/90/95/99% always included' })
    .option('samples', { type: 'number', default: DEFAULT_LM_BENCH.samples, describe: 'sequences for fisher / mas / signal' })
    .option('block', { type: 'number', default: DEFAULT_LM_BENCH.block, describe: 'tokens per importance sequence' })
    .option('eval-docs', { type: 'number', default: DEFAULT_LM_BENCH.evalDocs, describe: 'held-out documents (first N of the test split)' })
    .option('context', { type: 'number', describe: 'perplexity window (default n_positions)' })
    .option('stride', { type: 'number', describe: 'perplexity stride (default context/2)' })
    .option('bootstrap', { type: 'number', default: DEFAULT_LM_BENCH.bootstrap, describe: 'bootstrap resamples of the perplexity interval (0 = none)' })
    .option('tokenizer', { type: 'string', describe: 'tokenizer folder (default: the model folder)' })
    .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
    .option('engine', { type: 'string', choices: ['tfjs', 'ort'], default: DEFAULT_LM_BENCH.engine, describe: 'engine of the perplexity evaluations (ort: compiled ONNX Runtime, faster on CPU; scores always use tfjs)' })
    .option('backend', backendOption) as unknown as Argv<LmBenchArgs>;
}

export async function lmBenchHandler(a: LmBenchArgs): Promise<void> {
  const t0 = Date.now();
  const backend = await initBackend(a.backend as never);
  const scopes: PruneScope[] = [...new Set(a.scope.flatMap((s) => s.split(',')).filter(Boolean).map(parseScope))];
  const cfg: LmBenchConfig = {
    ...DEFAULT_LM_BENCH,
    corpus: a.corpus,
    scores: parseScoreList(a.scores, LM_SCORES),
    scopes,
    params: a.params && a.params.length ? a.params : null,
    step: a.step,
    samples: a.samples,
    block: a.block,
    evalDocs: a['eval-docs'],
    context: a.context ?? null,
    stride: a.stride ?? null,
    bootstrap: a.bootstrap,
    tokenizer: a.tokenizer ?? null,
    engine: a.engine as 'tfjs' | 'ort',
  };
  if (!(cfg.samples >= 1)) throw new EwcError(`--samples: expected at least 1, found ${cfg.samples}.`);
  const out = resolve(a.out);
  const ck = loadCheckpoint(a.model);
  writeJsonAtomic(join(out, 'config.json'), { command: 'prune-bench lm', model: resolve(a.model), backend, ...cfg });
  const { curves, base, data } = await runLmBench(ck, cfg);
  const nParams = [...ck.params.values()].reduce((s, t) => s + t.data.length, 0);
  const rep: BenchReport = {
    benchmark: 'lm',
    metric: 'perplexity',
    title: `Pruning ${a.model}: held-out perplexity vs pruned fraction`,
    chartTitle: `${basename(resolve(a.model))}: held-out perplexity vs pruned fraction`,
    notes: [
      `Checkpoint ${a.model} (${ck.config.n_layer} layers, n_embd ${ck.config.n_embd}, ${nParams} parameters); unpruned perplexity ${base.toFixed(3)}.`,
      `Held-out text: first ${data.heldOut} documents of the test split of \`${cfg.corpus}\` (${data.heldOutTokens} scored tokens), split seed ${cfg.splitSeed}.`,
      `Scores: magnitude |θ|; fisher (dataset next-token labels) and mas on ${data.sequences} sequences of ${Math.min(cfg.block, ck.config.n_positions)} tokens from the train split; ` +
        `signal |W[in,out]|·mean|x_in| for GPT-2 Conv1D weights (x = layer input, mean over positions then sequences), mean|output| for their biases — Conv1D layers only.`,
      `Selection: ${cfg.params ? cfg.params.join(', ') : 'all parameters (signal: Conv1D layers)'}; one checkpoint, so ci = 0; report.json carries the document-bootstrap 95% interval of each perplexity as lo/hi.`,
      `Fraction grid: step ${cfg.step} plus 50/70/80/90/95/99%; cumulative zeroing, no retraining. Scores on tfjs (${backend}); perplexity on the ${cfg.engine} engine.`,
    ],
    config: { model: resolve(a.model), backend, ...cfg },
    curves,
    table: buildTable(curves, false),
    extra: { basePerplexity: base, data, seconds: (Date.now() - t0) / 1000 },
  };
  const files = writeBenchReport(out, rep);
  printResult({ out, files: ['config.json', ...files], basePerplexity: base, table: rep.table, seconds: (Date.now() - t0) / 1000 });
}
