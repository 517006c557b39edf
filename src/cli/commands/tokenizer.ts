/**
 * `ewc-lm tokenizer train --corpus SPEC --vocab-size N --out DIR`: trains a byte-level BPE (GPT-2 style,
 * <|endoftext|> last) on the corpus's train split (--split all for every document) and writes
 * tokenizer.json, tokenizer_config.json, vocab.json and merges.txt. Prints JSON with sizes and speed.
 */
import type { CommandModule } from 'yargs';
import { join, resolve } from 'node:path';
import { documentText, loadCorpus, splitCorpus } from '../../data/index.ts';
import { loadTokenizer, saveTrainedTokenizer, trainBpe } from '../../tokenization/index.ts';
import { writeJsonAtomic } from '../../util/atomic.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';

interface TrainArgs {
  corpus: string;
  'vocab-size': number;
  out: string;
  'min-frequency': number;
  split: string;
  seed: number;
}

const train: CommandModule<{}, TrainArgs> = {
  command: 'train',
  describe: 'train a byte-level BPE tokenizer on a corpus',
  builder: (y) =>
    y
      .option('corpus', { type: 'string', demandOption: true, describe: 'corpus spec (see `ewc-lm corpora list`)' })
      .option('vocab-size', { type: 'number', demandOption: true, describe: 'vocabulary size incl. 256 bytes and <|endoftext|>' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('min-frequency', { type: 'number', default: 2, describe: 'stop when the best pair occurs fewer times' })
      .option('split', { type: 'string', choices: ['train', 'all'], default: 'train', describe: 'train split only (default seed 0, 90/5/5) or all documents' })
      .option('seed', { type: 'number', default: 0, describe: 'split seed' }) as any,
  handler: (a) => {
    const corpus = loadCorpus(a.corpus);
    if (corpus.kind === 'tokens') throw new EwcError(`tokenizer train: ${a.corpus} is already tokenized; give a text or dialog corpus.`);
    const docs = a.split === 'all' ? corpus.documents : splitCorpus(corpus, { seed: a.seed }).train;
    log(`training BPE on ${docs.length} documents of ${corpus.spec} (vocab ${a['vocab-size']})`);
    const t = trainBpe(docs.map(documentText), { vocabSize: a['vocab-size'], minFrequency: a['min-frequency'] });
    const out = resolve(a.out);
    const files = saveTrainedTokenizer(out, t);
    const tok = loadTokenizer(out); // proves @huggingface/tokenizers can load it
    const result = {
      out,
      files,
      corpus: corpus.spec,
      split: a.split,
      seed: a.seed,
      documents: docs.length,
      vocabSize: tok.vocabSize,
      eosId: tok.eosId,
      stoppedEarly: t.merges.length < a['vocab-size'] - 257,
      ...t.stats,
      mbPerSecond: t.stats.bytes / 1e6 / t.stats.seconds,
    };
    writeJsonAtomic(join(out, 'training.json'), result);
    printResult(result);
  },
};

const cmd: CommandModule = {
  command: 'tokenizer <action>',
  describe: 'tokenizer tools (train)',
  builder: (y) => y.command(train).demandCommand(1, 'name an action: train'),
  handler: () => {},
};
export default cmd;
