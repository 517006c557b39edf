/**
 * `ewc-lm pretrain --recipe FILE [--out DIR] [--resume] [--steps N] [--engine E] [--backend B] [--set k=v …]`:
 * trains a GPT-2 from scratch (src/train/pretrain.ts). Config: defaults → recipe → flags → --set.
 * Ctrl-C finishes the current step, saves out/checkpoint and exits with code 130; --resume continues.
 */
import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pretrainSchema, type PretrainConfig } from '../../config/pretrain.ts';
import { resolveWithRecipe } from '../../config/recipe.ts';
import { pretrain } from '../../train/pretrain.ts';
import { printResult } from '../../util/log.ts';
import { EwcError } from '../../util/errors.ts';

interface Args {
  recipe?: string;
  out?: string;
  resume: boolean;
  steps?: number;
  engine?: string;
  backend?: string;
  set: string[];
}

const cmd: CommandModule<object, Args> = {
  command: 'pretrain',
  describe: 'train a GPT-2 from scratch on corpus specs with its own BPE tokenizer (JSON summary on stdout)',
  builder: (y) =>
    y
      .option('recipe', { type: 'string', describe: 'JSON recipe (see recipes/pretrain-*.json); keys not given keep their defaults' })
      .option('out', { type: 'string', describe: 'output folder (overrides the recipe\'s "out")' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue from OUT/checkpoint (same recipe), bit-identically' })
      .option('steps', { type: 'number', describe: 'total optimizer steps (overrides train.steps)' })
      .option('engine', { type: 'string', choices: ['tfjs', 'ort'], describe: 'compute engine (overrides the recipe)' })
      .option('backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend (overrides the recipe)' })
      .option('set', { type: 'string', array: true, default: [], describe: 'override any config key: --set train.lr=1e-3 --set model.n_layer=2' }) as never,
  handler: async (argv) => {
    let recipe = argv.recipe;
    if (!recipe && argv.resume && argv.out && existsSync(join(argv.out, 'pretrain-config.json'))) recipe = join(argv.out, 'pretrain-config.json');
    if (!recipe) throw new EwcError('pretrain: expected --recipe FILE (e.g. recipes/pretrain-small.json), found none.');
    const cli: Record<string, unknown> = {};
    if (argv.out !== undefined) cli.out = argv.out;
    if (argv.engine !== undefined) cli.engine = argv.engine;
    if (argv.backend !== undefined) cli.backend = argv.backend;
    if (argv.steps !== undefined) cli.train = { steps: argv.steps };
    const cfg = resolveWithRecipe<PretrainConfig>(pretrainSchema, { recipe, cli, sets: argv.set });
    const r = await pretrain(cfg, { resume: argv.resume });
    printResult(r);
    if (r.status === 'interrupted') process.exit(130);
  },
};
export default cmd;
