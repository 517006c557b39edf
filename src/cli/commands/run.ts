/**
 * `ewc-lm run RECIPE [--out DIR] [--set key.path=value …]` — runs a multi-step recipe (recipes/). Finished
 * steps are reused (same inputs, same config hash), so rerunning an interrupted recipe resumes it.
 */
import type { CommandModule } from 'yargs';
import { join, relative } from 'node:path';
import { readRecipe, resolveWithRecipe } from '../../config/recipe.ts';
import { dialogForgettingSchema, type DialogForgettingRecipe } from '../../mainjob/recipe.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';

const KINDS = ['dialog-forgetting'];

const cmd: CommandModule = {
  command: 'run <recipe>',
  describe: 'run a multi-step recipe (e.g. recipes/quickstart.json); rerun to resume',
  builder: (y) =>
    y
      .positional('recipe', { type: 'string', describe: 'recipe JSON file' })
      .option('out', { type: 'string', describe: 'run folder (overrides the recipe\'s "out")' })
      .option('engine', { type: 'string', choices: ['tfjs', 'ort'], describe: 'compute engine (overrides the recipe)' })
      .option('backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend (overrides the recipe)' })
      .option('set', { type: 'string', array: true, describe: 'override any recipe key: --set finetune.train.steps=50' }),
  handler: async (argv) => {
    const path = argv.recipe as string;
    const raw = readRecipe(path) as Record<string, unknown>;
    const kind = (raw?.recipe as string | undefined) ?? 'dialog-forgetting';
    if (!KINDS.includes(kind)) {
      throw new EwcError(`recipe ${path}: "recipe" must be one of ${KINDS.join(', ')}, found ${JSON.stringify(kind)}.`);
    }
    const cli: Record<string, unknown> = {};
    if (argv.out) cli.out = argv.out;
    if (argv.engine) cli.engine = argv.engine;
    if (argv.backend) cli.backend = argv.backend;
    const r = resolveWithRecipe<DialogForgettingRecipe>(dialogForgettingSchema, { recipe: path, cli, sets: (argv.set as string[] | undefined) ?? [] });
    const { runDialogForgetting, RecipeInterrupted } = await import('../../mainjob/pipeline.ts');
    let out;
    try {
      out = await runDialogForgetting(r, path);
    } catch (e) {
      if (e instanceof RecipeInterrupted) {
        log(e.message);
        process.exit(130);
      }
      throw e;
    }
    const { dir, report } = out;
    const rel = relative(process.cwd(), dir) || '.';
    log(`\nreport: ${join(rel, 'report.md')} (also report.json, chart.svg, chart.png)`);
    printResult({
      report: join(dir, 'report.json'),
      markdown: join(dir, 'report.md'),
      chart: join(dir, 'chart.png'),
      baseline: { books: report.baseline.books.ppl, dialog: report.baseline.dialog.ppl },
      runs: report.runs.map((x) => ({ id: x.id, books: x.ppl.books.after.ppl, dialog: x.ppl.dialog.after.ppl })),
    });
  },
};
export default cmd;
