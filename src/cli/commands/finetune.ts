/**
 * `ewc-lm finetune --model DIR --train SPEC [--penalty none|ewc|stabilized] [--importance FILE] [--lambda X]
 *  [--params GLOB…] --out DIR [trainer flags] [--recipe FILE] [--set key=value …] [--resume]`
 */
import type { CommandModule } from 'yargs';
import { backendOption } from '../../backends/index.ts';
import { engineOption } from '../../engine/index.ts';
import { resolveWithRecipe } from '../../config/recipe.ts';
import { finetuneSchema, type FinetuneConfig } from '../../finetune/config.ts';
import { finetune } from '../../finetune/finetune.ts';
import { trainFlagOptions, trainLayerFromArgv } from '../../finetune/flags.ts';
import { printResult } from '../../util/log.ts';

const cmd: CommandModule = {
  command: 'finetune',
  describe: 'fine-tune a GPT-2 checkpoint on a corpus, optionally with the (stabilized) EWC penalty',
  builder: (y) =>
    y
      .option('model', { type: 'string', describe: 'pretrained model folder (HF layout with tokenizer.json)' })
      .option('train', { type: 'string', describe: 'corpus spec to fine-tune on (ewc-lm corpora list)' })
      .option('out', { type: 'string', describe: 'output folder' })
      .option('penalty', { type: 'string', choices: ['none', 'ewc', 'stabilized'], describe: 'penalty (default none)' })
      .option('importance', { type: 'string', describe: 'importance file (ewc-lm importance --out FILE)' })
      .option('lambda', { type: 'number', describe: 'EWC strength λ' })
      .option('eta', { type: 'number', describe: 'η of the stabilized coefficient (default: the learning rate)' })
      .option('params', { type: 'string', array: true, describe: 'penalised parameters: globs or presets attention | all (default attention)' })
      .option('recipe', { type: 'string', describe: 'JSON file with finetune config keys (flags override it)' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted run from --out/checkpoint' })
      .option('engine', { ...engineOption, default: undefined, describe: 'compute engine: ort (default; compiled ONNX Runtime graphs) or tfjs (eager, on --backend)' })
      .option('backend', backendOption)
      .options(trainFlagOptions),
  handler: async (argv) => {
    const a = argv as Record<string, unknown>;
    const cli: Record<string, unknown> = {};
    if (a.model !== undefined) cli.model = a.model;
    if (a.train !== undefined) cli.trainCorpus = a.train;
    if (a.out !== undefined) cli.out = a.out;
    if (a.engine !== undefined) cli.engine = a.engine;
    if (a.backend !== undefined) cli.backend = a.backend;
    const pen: Record<string, unknown> = {};
    if (a.penalty !== undefined) pen.kind = a.penalty;
    if (a.lambda !== undefined) pen.lambda = a.lambda;
    if (a.eta !== undefined) pen.eta = a.eta;
    if (a.importance !== undefined) pen.importance = a.importance;
    if (a.params !== undefined) pen.params = a.params;
    if (Object.keys(pen).length) cli.penalty = pen;
    const tl = trainLayerFromArgv(a);
    if (Object.keys(tl).length) cli.train = tl;
    const cfg = resolveWithRecipe<FinetuneConfig>(finetuneSchema, {
      recipe: a.recipe as string | undefined,
      cli,
      sets: (a.set as string[] | undefined) ?? [],
    });
    const r = await finetune(cfg, { resume: a.resume as boolean });
    printResult({
      out: r.out,
      status: r.train.status,
      penalty: r.penalty,
      lambda: r.lambda,
      eta: r.eta,
      penalisedParams: r.penalisedParams,
      steps: r.train.step,
      lastLoss: r.train.lastLoss,
      lastEval: r.train.lastEval,
      tokensPerSecond: r.train.tokensPerSecond,
      penaltyStats: r.penaltyStats,
    });
    // Ctrl-C: the checkpoint is saved; exit like pretrain (130) so that scripts see the interruption.
    if (r.train.status === 'interrupted') process.exit(130);
  },
};
export default cmd;
