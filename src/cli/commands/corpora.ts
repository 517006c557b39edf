/**
 * `ewc-lm corpora list` — the corpus formats (JSON);
 * `ewc-lm corpora stats SPEC [--tokenizer PATH] [--seed N] [--fractions 0.9,0.05,0.05]` — documents,
 * characters (and tokens with --tokenizer) per split, as JSON.
 */
import type { CommandModule } from 'yargs';
import { corpusStats, FORMATS, loadCorpus } from '../../data/index.ts';
import { loadTokenizer } from '../../tokenization/index.ts';
import { EwcError } from '../../util/errors.ts';
import { printResult } from '../../util/log.ts';

function parseFractions(s: string): [number, number, number] {
  const v = s.split(',').map(Number);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) {
    throw new EwcError(`--fractions: expected three comma-separated numbers train,validation,test (e.g. 0.9,0.05,0.05), found ${JSON.stringify(s)}.`);
  }
  return v as [number, number, number];
}

const list: CommandModule = {
  command: 'list',
  describe: 'list the corpus formats and embedded corpora',
  handler: () =>
    printResult({
      formats: FORMATS.map((f) => ({ name: f.name, syntax: f.syntax, kind: f.kind, embedded: f.embedded && f.arg !== 'path' ? true : f.name === 'dialogs' || f.name === 'books' ? 'with ARG=embedded' : false, describe: f.describe })),
      embedded: ['moby-dick', 'sotu', 'brown', 'brown:fiction', 'dialogs:embedded', 'books:embedded'],
    }),
};

const stats: CommandModule<{}, { spec: string; tokenizer?: string; seed: number; fractions?: string; predefined: boolean }> = {
  command: 'stats <spec>',
  describe: 'documents, characters and tokens per split of a corpus (JSON)',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', demandOption: true, describe: 'corpus spec, e.g. brown:fiction or text:./books' })
      .option('tokenizer', { type: 'string', describe: 'count tokens with this tokenizer' })
      .option('seed', { type: 'number', default: 0 })
      .option('fractions', { type: 'string', describe: 'train,validation,test (default 0.9,0.05,0.05)' })
      .option('predefined', { type: 'boolean', default: true, describe: 'keep splits given by the source (DailyDialog, MultiWOZ)' }) as any,
  handler: (a) => {
    const corpus = loadCorpus(a.spec);
    const tokenizer = a.tokenizer ? loadTokenizer(a.tokenizer) : undefined;
    printResult(corpusStats(corpus, { seed: a.seed, fractions: a.fractions ? parseFractions(a.fractions) : undefined, usePredefined: a.predefined, tokenizer }));
  },
};

const cmd: CommandModule = {
  command: 'corpora <action>',
  describe: 'corpus tools (list, stats)',
  builder: (y) => y.command(list).command(stats).demandCommand(1, 'name an action: list or stats'),
  handler: () => {},
};
export default cmd;
