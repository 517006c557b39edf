/**
 * `ewc-lm continual …`: the continual-learning benchmarks of method.md §3 with a λ grid search.
 *
 *   ewc-lm continual --net mlp|cnn --importance fisher|mas|si|signal --penalty ewc|stabilized
 *       --lambda 0,41,85 --runs R [--tasks K] [--epochs E] [--train-limit N] [--workers W]
 *       [--trainer auto|ort|tfjs] [--preset paper|quick] --out DIR
 *     runs R runs per λ in parallel worker threads (default one per core), appending each finished run to
 *     DIR/results.jsonl; rerunning the same command skips finished runs. Then writes the report.
 *   ewc-lm continual report DIR [--std population|sample] [--tasks K] [--from DIR2 …]
 *     report.md + report.json + chart.svg/png over every run in DIR/results.jsonl.
 * Output (stdout, JSON): the grid summary and the report's results.
 */
import type { Argv, CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { backendOption } from '../../backends/index.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';
import {
  BENCH_IMPORTANCES,
  NETS,
  PENALTIES,
  PRESETS,
  presetProtocol,
  resolveProtocol,
  type BenchImportance,
  type BenchPenalty,
  type NetName,
  type PresetName,
} from '../../benchmarks/protocol.ts';
import { runGrid } from '../../benchmarks/grid.ts';
import { writeReport } from '../../benchmarks/report.ts';
import { TRAINERS } from '../../benchmarks/run.ts';

export function parseLambdas(s: string | number | (string | number)[]): number[] {
  const parts = (Array.isArray(s) ? s : [s]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter((x) => x !== '');
  const out = parts.map((x) => Number(x));
  out.forEach((v, i) => {
    if (!Number.isFinite(v) || v < 0) {
      throw new EwcError(`--lambda: expected a comma-separated list of numbers ≥ 0 (e.g. 0,41,85), found '${parts[i]}'.`);
    }
  });
  if (out.length === 0) throw new EwcError('--lambda: expected at least one value (e.g. --lambda 0,41).');
  return [...new Set(out)];
}

const STD_CHOICES = ['population', 'sample'];

const report: CommandModule = {
  command: 'report <dir>',
  describe: 'summarise DIR/results.jsonl: mean and 95% t-interval per λ, best λ, forgetting; report.md/json + chart',
  builder: (y: Argv) =>
    y
      .positional('dir', { type: 'string', describe: 'the --out folder of a continual grid', demandOption: true })
      .option('std', {
        choices: STD_CHOICES,
        default: 'population',
        describe: "std in the interval: 'population' (ddof 0, as the paper) or 'sample' (ddof 1)",
      })
      .option('tasks', { type: 'number', describe: 'restrict every run to its first K tasks (longer runs truncated, shorter dropped)' })
      .option('from', { type: 'array', string: true, describe: 'further result folders to include (e.g. longer runs to truncate)' }),
  handler: (a: any) => {
    const rep = writeReport(resolve(String(a.dir)), { std: a.std, tasks: a.tasks, from: (a.from ?? []).map((d: string) => resolve(d)) });
    printResult({ dir: rep.dir, files: rep.files, results: rep.json.results });
  },
};

const continual: CommandModule = {
  command: 'continual',
  describe: 'continual-learning benchmark (permuted-MNIST MLP / MNIST-FashionMNIST CNN) with a λ grid and t-intervals',
  builder: (y: Argv) =>
    y
      .command(report)
      .option('net', { choices: NETS as unknown as string[], default: 'mlp', describe: 'network and task stream' })
      .option('importance', { choices: BENCH_IMPORTANCES as unknown as string[], default: 'fisher', describe: 'importance Ω' })
      .option('penalty', { choices: PENALTIES as unknown as string[], default: 'ewc', describe: 'plain EWC or stabilized EWC coefficients' })
      .option('lambda', { type: 'string', describe: 'comma-separated λ values, e.g. 0,41,85' })
      .option('runs', { type: 'number', default: 5, describe: 'runs per λ (paper: 20)' })
      .option('preset', { choices: PRESETS as unknown as string[], default: 'paper', describe: 'paper = the exact protocol; quick = tiny (tests, smoke runs)' })
      .option('tasks', { type: 'number', describe: 'tasks in the stream (default: 10 mlp, 4 cnn)' })
      .option('epochs', { type: 'number', describe: 'epochs per task (default 6)' })
      .option('train-limit', { type: 'number', describe: 'train on the first N samples of each task' })
      .option('test-limit', { type: 'number', describe: 'test on the first N samples of each task' })
      .option('importance-samples', { type: 'number', describe: 'last N training samples for importances (default 5000)' })
      .option('importance-mode', { choices: ['loop', 'vectorised'], describe: 'per-sample loop or the exact vectorised form' })
      .option('seed', { type: 'number', describe: 'base seed of the runs (default 0)' })
      .option('perm-seed', { type: 'number', describe: 'seed of the permuted-MNIST permutations (default 0)' })
      .option('eta', { type: 'number', describe: 'η of the stabilized coefficient (default: the learning rate 0.001)' })
      .option('workers', { type: 'number', describe: 'worker threads (default: one per core; 0 = this thread)' })
      .option('trainer', { choices: TRAINERS as unknown as string[], default: 'auto', describe: 'who runs the training steps: ort (compiled graphs on onnxruntime; auto) or tfjs (--backend)' })
      .option('std', { choices: STD_CHOICES, default: 'population', describe: 'std of the report interval' })
      .option('out', { type: 'string', describe: 'output folder (results.jsonl, report, chart)' })
      .option('backend', backendOption),
  handler: async (a: any) => {
    if (!a.out) throw new EwcError('continual: expected --out DIR (where results.jsonl and the report go), found none.');
    if (a.lambda === undefined) throw new EwcError('continual: expected --lambda LIST (e.g. --lambda 0,41,85), found none.');
    const net = a.net as NetName;
    const protocol = resolveProtocol(presetProtocol(a.preset as PresetName, net), {
      tasks: a.tasks,
      epochs: a.epochs,
      trainLimit: a['train-limit'],
      testLimit: a['test-limit'],
      importanceSamples: a['importance-samples'],
      importanceMode: a['importance-mode'],
      seed: a.seed,
      permSeed: a['perm-seed'],
      eta: a.eta,
    });
    const backend = a.backend === 'auto' ? 'auto' : String(a.backend);
    const out = resolve(String(a.out));
    const summary = await runGrid(
      { protocol, importance: a.importance as BenchImportance, penalty: a.penalty as BenchPenalty, lambdas: parseLambdas(a.lambda), runs: a.runs },
      { out, workers: a.workers, backend, trainer: a.trainer, log, meta: { preset: a.preset, command: process.argv.slice(2).join(' ') } },
    );
    const rep = writeReport(out, { std: a.std });
    printResult({ ...summary, files: rep.files, results: rep.json.results });
  },
};

export default continual;
