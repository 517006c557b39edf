/**
 * dailydialog:PATH[#raw] — DailyDialog's dialogues_<split>.txt files (one dialog per line, utterances ended
 * by " __eou__"; .gz accepted). PATH is a folder (searched recursively; act/emotion label files ignored;
 * when both x.txt and x.txt.gz exist the plain file is used) or one file. The split comes from the file name
 * (dialogues_train / _validation / _test) and is kept by splitCorpus. The text is space-tokenized
 * ("Hello , sir ."); by default spaces before punctuation and inside contractions are removed
 * ("Hello, sir.", "I’ll"); `#raw` keeps the original spacing.
 */
import { basename } from 'node:path';
import { EwcError } from '../../util/errors.ts';
import { readText, resolveFiles } from '../files.ts';
import type { Document, SplitName } from '../types.ts';

const FILE = /dialogues_(train|validation|valid|test|text)\.txt(\.gz)?$/;

/** Undoes DailyDialog's space tokenization of punctuation. */
export function detokenize(s: string): string {
  return s
    .replace(/\s+([.,!?;:%)\]}])/g, '$1')
    .replace(/([(\[{$])\s+/g, '$1')
    .replace(/(\p{L})\s*([’'])\s*(s|t|ll|re|ve|m|d)\b/gu, '$1$2$3')
    .replace(/\s+/g, ' ')
    .trim();
}

export function parseDailyDialogLine(line: string, raw: boolean): string[] {
  return line
    .split('__eou__')
    .map((t) => (raw ? t.trim() : detokenize(t)))
    .filter((t) => t.length > 0);
}

export function readDailyDialog(path: string, fragment?: string): Document[] {
  if (fragment !== undefined && fragment !== 'raw') {
    throw new EwcError(`dailydialog option #${fragment}: expected #raw or nothing.`);
  }
  const raw = fragment === 'raw';
  let files = resolveFiles(path, (f) => FILE.test(basename(f)), 'DailyDialog files (dialogues_train.txt, …)');
  const plain = new Set(files.filter((f) => !f.endsWith('.gz')).map((f) => basename(f)));
  files = files.filter((f) => !(f.endsWith('.gz') && plain.has(basename(f).slice(0, -3))));
  const docs: Document[] = [];
  for (const file of files) {
    const m = FILE.exec(basename(file));
    const split: SplitName | undefined =
      m?.[1] === 'train' ? 'train' : m?.[1] === 'test' ? 'test' : m?.[1] === 'validation' || m?.[1] === 'valid' ? 'validation' : undefined;
    const tag = split ?? basename(file);
    const lines = readText(file).split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      if (!line.includes('__eou__')) {
        throw new EwcError(`${file}:${i + 1}: expected a DailyDialog line with utterances ended by " __eou__", found ${JSON.stringify(line.slice(0, 60))}.`);
      }
      const turns = parseDailyDialogLine(line, raw);
      if (turns.length) docs.push({ id: `${tag}:${i + 1}`, source: file, turns, ...(split ? { split } : {}) });
    });
  }
  return docs;
}
