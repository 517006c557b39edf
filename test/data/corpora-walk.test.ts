/**
 * `corpora stats` works for every embedded corpus and every corpus in ../shared/corpora (found through their
 * MANIFEST.json). Token counts are only computed for a small corpus to keep this fast.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusStats, loadCorpus } from '../../src/data/index.ts';
import { loadTokenizer } from '../../src/tokenization/index.ts';
import { sharedPath } from '../../src/util/shared.ts';

interface Manifest {
  name: string;
  kind: 'book' | 'dialog';
  paths: string[];
  text_chars: number;
  dialogues?: Record<string, number>;
}

/** The spec a user would write for each shared corpus (by its manifest's kind and files). */
function specFor(dir: string, m: Manifest): string {
  if (m.name === 'dailydialog') return `dailydialog:${dir}`;
  if (m.paths.some((p) => p.endsWith('.yml'))) return `chatterbot:${dir}`;
  const texts = m.paths.filter((p) => p.endsWith('.txt'));
  if (m.kind === 'dialog') return `plays:${texts.length === 1 ? join(dir, texts[0]) : join(dir, '*.txt')}`;
  return `text:${texts.length === 1 ? join(dir, texts[0]) : join(dir, '*.txt')}`;
}

const root = sharedPath('corpora');
const manifests = readdirSync(root)
  .sort()
  .map((d) => ({ dir: join(root, d), m: JSON.parse(readFileSync(join(root, d, 'MANIFEST.json'), 'utf8')) as Manifest }));

describe('corpora stats on ../shared/corpora', () => {
  it('found all 14 manifests', () => expect(manifests.length).toBeGreaterThanOrEqual(14));

  it.each(manifests.map(({ dir, m }) => [m.name, dir, m] as const))('%s', (_name, dir, m) => {
    const spec = specFor(dir, m);
    const corpus = loadCorpus(spec);
    const s = corpusStats(corpus, { seed: 0 });
    // Project Gutenberg header, footer and licence are gone
    if (!spec.startsWith('chatterbot:')) expect(corpus.documents.some((d) => /project gutenberg/i.test(d.text ?? d.turns?.join('\n') ?? ''))).toBe(false);
    expect(s.kind).toBe(m.kind === 'dialog' ? 'dialog' : 'text');
    expect(s.splits.train.documents).toBeGreaterThan(0);
    const total = s.splits.train.documents + s.splits.validation.documents + s.splits.test.documents;
    expect(total + s.removedDuplicates.validation + s.removedDuplicates.test).toBe(s.documents);
    // the readers keep most of the text (YAML keys, speaker names, licences and markup are dropped)
    expect(s.characters).toBeGreaterThan(0.5 * m.text_chars);
    expect(s.characters).toBeLessThanOrEqual(m.text_chars);
    if (m.name === 'dailydialog') {
      expect(s.split.predefined).toBe(true);
      expect(s.documents).toBe(m.dialogues!.train + m.dialogues!.validation + m.dialogues!.test); // 13118
      // MANIFEST: 77 validation dialogues occur in train; 106 test dialogues in train + 5 in validation (+1 more
      // found by this normalization, which also ignores spacing around the turn separators)
      expect(s.removedDuplicates).toEqual({ train: 0, validation: 77, test: 112 });
    }
  });

  it('token counts with the GPT-2 tokenizer (chatterbot-russian)', () => {
    const tok = loadTokenizer(sharedPath('fixtures/gpt2-tokenizer'));
    const c = loadCorpus(`chatterbot:${sharedPath('corpora/chatterbot-russian')}`);
    const s = corpusStats(c, { tokenizer: tok });
    const tokens = s.splits.train.tokens! + s.splits.validation.tokens! + s.splits.test.tokens!;
    // one <|endoftext|> per dialog on top of the text; the YAML files (keys, dashes) hold 3904 tokens in all
    expect(tokens).toBeGreaterThan(c.documents.length * 5);
    expect(tokens).toBeLessThan(3904 + c.documents.length);
  });
});

describe('corpora stats on the embedded corpora', () => {
  it.each([
    ['moby-dick', 136, 1.1e6],
    ['sotu', 233, 1e7],
    ['sotu:1900-1909', 10, 1e5],
    ['brown', 500, 5.9e6],
    ['brown:fiction', 29, 2e5],
    ['brown:imaginative', 126, 1e6],
    ['dialogs:embedded', 700, 4e5],
    ['books:embedded', 200, 1.9e6],
  ] as const)('%s', (spec, minDocs, minChars) => {
    const corpus = loadCorpus(spec);
    const s = corpusStats(corpus, { seed: 0 });
    // Project Gutenberg header, footer and licence are gone
    if (!spec.startsWith('chatterbot:')) expect(corpus.documents.some((d) => /project gutenberg/i.test(d.text ?? d.turns?.join('\n') ?? ''))).toBe(false);
    expect(s.documents).toBeGreaterThanOrEqual(minDocs);
    expect(s.characters).toBeGreaterThan(minChars);
    expect(s.splits.validation.documents + s.splits.test.documents).toBeGreaterThan(0);
  });
});
