/**
 * chatterbot:PATH — chatterbot-corpus YAML files ({categories: [...], conversations: [[utt, utt, …], …]});
 * PATH is a file, a folder (all .yml/.yaml) or a glob. Each conversation is one dialog.
 */
import { EwcError } from '../../util/errors.ts';
import { readText, resolveFiles } from '../files.ts';
import type { Document } from '../types.ts';
import { idRoot, relId } from './text.ts';
import { parseYamlSubset } from './yaml-subset.ts';

export function readChatterbot(path: string): Document[] {
  const files = resolveFiles(path, (f) => /\.ya?ml$/i.test(f), 'chatterbot YAML files (.yml)');
  const root = idRoot(path, files);
  const docs: Document[] = [];
  for (const file of files) {
    const y = parseYamlSubset(readText(file), file) as any;
    const convs = y?.conversations;
    if (!Array.isArray(convs)) {
      throw new EwcError(`${file}: expected a chatterbot corpus with a "conversations:" list, found keys ${JSON.stringify(Object.keys(y ?? {}))}.`);
    }
    const rel = relId(root, file);
    convs.forEach((c: unknown, i: number) => {
      const turns = (Array.isArray(c) ? c : [c])
        .filter((t): t is string => typeof t === 'string')
        .map((t) => t.replace(/\s+$/, ''))
        .filter((t) => t.trim().length > 0);
      if (turns.length) docs.push({ id: `${rel}:${i}`, source: file, turns });
    });
  }
  return docs;
}
