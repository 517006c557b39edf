/**
 * The run-time data of the main job committed under corpora/ (scripts/ship-corpora.ts): each file matches its
 * MANIFEST, the held-out books are exactly recipes/pretrain-small.json's data.heldOut as the text reader reads
 * them from ../shared, and the Fisher sample holds training-split documents only (never a held-out book).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadCorpus } from '../../src/data/index.ts';
import { resolveWithRecipe } from '../../src/config/recipe.ts';
import { pretrainSchema, type PretrainConfig } from '../../src/config/pretrain.ts';
import { loadPretrainSplits } from '../../src/train/pretrain.ts';
import { sha256Hex } from '../../src/data/hash.ts';
import { readBookText } from '../../src/data/readers/text.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';

const held = join(repoRoot, 'corpora', 'gutenberg-heldout');
const orig = join(repoRoot, 'corpora', 'gutenberg-original');
const heldManifest = JSON.parse(readFileSync(join(held, 'MANIFEST.json'), 'utf8')) as { books: { file: string; sha256: string; characters: number; genre: string }[] };
const origManifest = JSON.parse(readFileSync(join(orig, 'MANIFEST.json'), 'utf8')) as { sha256: string; documents: number };
const recipe = JSON.parse(readFileSync(join(repoRoot, 'recipes', 'pretrain-small.json'), 'utf8')) as { data: { heldOut: string[] } };

describe('corpora/gutenberg-heldout', () => {
  it('holds the recipe\'s 7 held-out books, each matching its MANIFEST hash, 7 genres', () => {
    const files = readdirSync(held).filter((f) => f.endsWith('.txt')).sort();
    expect(files).toEqual(recipe.data.heldOut.map((s) => basename(s)).sort());
    expect(new Set(heldManifest.books.map((b) => b.genre)).size).toBe(7);
    for (const b of heldManifest.books) {
      const text = readFileSync(join(held, b.file), 'utf8');
      expect(sha256Hex(text), b.file).toBe(b.sha256);
      expect(text.length).toBe(b.characters);
    }
  });

  it('each is the text reader\'s output for the shared book (Gutenberg boilerplate removed)', () => {
    for (const b of heldManifest.books) {
      const text = readFileSync(join(held, b.file), 'utf8');
      expect(text === readBookText(sharedPath('corpora', 'gutenberg-pretrain-en', b.file)), b.file).toBe(true);
      expect(text).not.toMatch(/START OF (THE|THIS) PROJECT GUTENBERG|END OF (THE|THIS) PROJECT GUTENBERG|^Produced by/im);
    }
  });

  it('reads as the corpus spec the main job uses', () => {
    const c = loadCorpus(`text:${held}`);
    expect(new Set(c.documents.map((d) => d.id.split('#')[0]))).toEqual(new Set(heldManifest.books.map((b) => b.file)));
  });
});

describe('corpora/gutenberg-original (the Fisher sample)', () => {
  it('matches its MANIFEST and holds only training books', () => {
    const body = readFileSync(join(orig, 'sample.jsonl'), 'utf8');
    expect(sha256Hex(body)).toBe(origManifest.sha256);
    const c = loadCorpus(`jsonl:${join(orig, 'sample.jsonl')}`);
    expect(c.documents).toHaveLength(origManifest.documents);
    const heldFiles = new Set(heldManifest.books.map((b) => b.file));
    const rows = body.trim().split('\n').map((l) => JSON.parse(l) as { id: string; source: string });
    for (const r of rows) expect(heldFiles.has(basename(r.source)), r.id).toBe(false);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it('every document is in the training split of the recipe (not validation, not held out)', () => {
    const cfg = resolveWithRecipe<PretrainConfig>(pretrainSchema, { recipe: join(repoRoot, 'recipes', 'pretrain-small.json'), cli: {}, sets: [] });
    sharedPath('corpora', 'gutenberg-pretrain-en'); // a clear error when ../shared is missing
    const prev = process.cwd();
    process.chdir(repoRoot);
    let trainIds: Set<string>;
    try {
      trainIds = new Set(loadPretrainSplits(cfg.data).train.map((d) => d.id));
    } finally {
      process.chdir(prev);
    }
    const rows = readFileSync(join(orig, 'sample.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    for (const r of rows) expect(trainIds.has(r.id), r.id).toBe(true);
  });
});
