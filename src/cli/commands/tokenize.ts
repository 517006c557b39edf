/**
 * `ewc-lm tokenize --tokenizer PATH --text STR` → JSON {ids, tokens};
 * `ewc-lm tokenize --tokenizer PATH --decode IDS` → JSON {text, tokens} (IDS: a JSON array or "1,2,3").
 */
import type { CommandModule } from 'yargs';
import { loadTokenizer } from '../../tokenization/index.ts';
import { EwcError } from '../../util/errors.ts';
import { printResult } from '../../util/log.ts';

export function parseIds(s: string): number[] {
  const t = s.trim();
  let v: unknown;
  try {
    v = t.startsWith('[') ? JSON.parse(t) : t.split(/[\s,]+/).filter(Boolean).map(Number);
  } catch (e) {
    throw new EwcError(`--decode: cannot read ${JSON.stringify(s)} (${(e as Error).message}). Expected ids like "[15496, 995]" or "15496,995".`);
  }
  if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new EwcError(`--decode: expected non-negative integer ids like "[15496, 995]" or "15496,995", found ${JSON.stringify(s)}.`);
  }
  return v as number[];
}

const cmd: CommandModule<{}, { tokenizer: string; text?: string; decode?: string }> = {
  command: 'tokenize',
  describe: 'encode text to token ids (JSON {ids, tokens}), or --decode ids back to text',
  builder: (y) =>
    y
      .option('tokenizer', { type: 'string', demandOption: true, describe: 'tokenizer.json, or a folder with tokenizer.json / vocab.json+merges.txt / encoder.json+vocab.bpe' })
      .option('text', { type: 'string', describe: 'text to encode' })
      .option('decode', { type: 'string', describe: 'ids to decode: "[15496, 995]" or "15496,995"' })
      .check((a) => {
        if ((a.text === undefined) === (a.decode === undefined)) throw new EwcError('tokenize: pass exactly one of --text STR or --decode IDS.');
        return true;
      }) as any,
  handler: (a) => {
    const tok = loadTokenizer(a.tokenizer);
    if (a.decode !== undefined) {
      const ids = parseIds(a.decode);
      printResult({ text: tok.decode(ids), tokens: ids.map((i) => tok.idToToken(i) ?? null) });
    } else {
      const ids = tok.encode(a.text!);
      printResult({ ids, tokens: ids.map((i) => tok.idToToken(i) ?? null) });
    }
  },
};
export default cmd;
