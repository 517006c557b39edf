/**
 * Whole-book hold-out of pretraining (data.heldOut): no document of a held-out file reaches the train or the
 * validation split, whatever spec reads it. On synthetic files, and on the shipped model's own recipe with
 * ../shared/corpora/gutenberg-pretrain-en (the books named in its card are the ones held out).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { resolveWithRecipe } from '../../src/config/recipe.ts';
import { pretrainSchema, type PretrainConfig } from '../../src/config/pretrain.ts';
import { loadPretrainSplits } from '../../src/train/pretrain.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'ewc-pretrain-splits-'));
const para = (book: string, i: number) => `${book} paragraph ${i}. ` + 'Words of the book go on here. '.repeat(80);
for (const b of ['a', 'b', 'c', 'd']) writeFileSync(join(dir, `${b}.txt`), Array.from({ length: 40 }, (_, i) => para(b, i)).join('\n\n'));

function data(over: Partial<PretrainConfig['data']>): PretrainConfig['data'] {
  return { train: [`text:${dir}`], heldOut: [], fractions: [0.8, 0.2, 0], splitSeed: 0, evalSplit: 'validation', ...over };
}

describe('loadPretrainSplits', () => {
  it('drops every document of a held-out file from train and validation, splits the rest by document', () => {
    const all = loadPretrainSplits(data({}));
    const s = loadPretrainSplits(data({ heldOut: [`text:${join(dir, 'b.txt')}#file`, `text:${join(dir, 'd.txt')}`] }));
    const files = (docs: { source: string }[]) => new Set(docs.map((d) => basename(d.source)));
    expect(files(s.train)).toEqual(new Set(['a.txt', 'c.txt']));
    expect(files(s.held)).toEqual(new Set(['a.txt', 'c.txt']));
    expect(s.heldOutSources).toEqual([resolve(dir, 'b.txt'), resolve(dir, 'd.txt')]);
    expect(s.perSpec[`text:${dir}`].heldOutFiles).toBe(2);
    // the remaining documents keep the split they had without the hold-out (a pure function of id and seed)
    const keep = (docs: { source: string; id: string }[]) => docs.filter((d) => /[ac]\.txt$/.test(d.source)).map((d) => d.id);
    expect(s.train.map((d) => d.id)).toEqual(keep(all.train));
    expect(s.held.map((d) => d.id)).toEqual(keep(all.held));
    expect(s.held.length).toBeGreaterThan(0);
    // fractions [.., .., 0]: no document is lost to an unused test split
    expect(s.train.length + s.held.length).toBe(80);
  });

  it('a train spec held out entirely, or fractions that are not three, are errors that say what to do', () => {
    expect(() => loadPretrainSplits(data({ train: [`text:${join(dir, 'a.txt')}`], heldOut: [`text:${join(dir, 'a.txt')}`] }))).toThrow(
      /every document of "text:.*a\.txt" is in data\.heldOut.*Remove it/,
    );
    expect(() => loadPretrainSplits(data({ fractions: [0.9, 0.1] }))).toThrow(/data\.fractions: expected three numbers.*found 2/);
  });
});

const recipePath = join(repoRoot, 'recipes', 'pretrain-small.json');

describe('recipes/pretrain-small.json (the shipped base model)', () => {
  it('holds out 7 whole books of 7 genres; none of their text is trained on', () => {
    const gutenberg = sharedPath('corpora', 'gutenberg-pretrain-en'); // a clear error when ../shared is missing
    const cfg = resolveWithRecipe<PretrainConfig>(pretrainSchema, { recipe: recipePath, cli: {}, sets: [] });
    const prev = process.cwd();
    process.chdir(repoRoot); // the recipe's paths are relative to the project root
    let s;
    try {
      s = loadPretrainSplits(cfg.data);
    } finally {
      process.chdir(prev);
    }
    const manifest = JSON.parse(readFileSync(join(gutenberg, 'MANIFEST.json'), 'utf8')) as { books: { file: string; genre: string }[] };
    const held = s.heldOutSources.map((p) => basename(p));
    expect(held).toHaveLength(7);
    const genres = new Set(held.map((f) => manifest.books.find((b) => b.file === f)!.genre));
    expect(genres.size).toBe(7);
    const trained = new Set([...s.train, ...s.held].map((d) => basename(d.source)));
    for (const f of held) expect(trained.has(f), f).toBe(false);
    expect([...trained].filter((f) => f.endsWith('.txt'))).toHaveLength(62);
    // the card names the same books
    const card = join(repoRoot, 'checkpoints', 'gpt2-small-en', 'README.md');
    if (existsSync(card)) {
      const text = readFileSync(card, 'utf8');
      for (const f of held) expect(text, f).toContain(f);
    }
  });
});
