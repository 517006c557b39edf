/**
 * Writes the run-time data of the main job on gpt2-small-en into corpora/ (so `npm start` needs no ../shared):
 *
 *   corpora/gutenberg-heldout/<book>.txt   the 7 books of recipes/pretrain-small.json's data.heldOut, as the
 *                                          text reader returns them (Gutenberg header, footer, licence and
 *                                          production credits removed): public-domain text, never trained on.
 *   corpora/gutenberg-original/sample.jsonl a fixed sample of the recipe's *training* split ("the original
 *                                          corpus" of the Fisher importances), its Gutenberg books only
 *                                          (public domain; Brown stays in node_modules): SAMPLE documents drawn by a
 *                                          seeded shuffle of the training-split document ids, in id order.
 *   corpora/gutenberg-{heldout,original}/MANIFEST.json  what each file is: source book, sizes, sha256, how it was made.
 *
 * Usage (from the project root, with ../shared present): npx tsx scripts/ship-corpora.ts
 * Deterministic: rerunning it rewrites the same bytes (checked by test/data/shipped-corpora.test.ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveWithRecipe } from '../src/config/recipe.ts';
import { pretrainSchema, type PretrainConfig } from '../src/config/pretrain.ts';
import { sha256Hex } from '../src/data/hash.ts';
import { readBookText } from '../src/data/readers/text.ts';
import { loadPretrainSplits } from '../src/train/pretrain.ts';
import { permutation } from '../src/train/rng.ts';
import { writeFileAtomic, writeJsonAtomic } from '../src/util/atomic.ts';
import { repoRoot, sharedPath } from '../src/util/shared.ts';

const SAMPLE = 512;
const SAMPLE_SEED = 20261206;

interface Book { file: string; title: string; author: string; year: number; genre: string; pg_ebook_no: number }

function main(): void {
  process.chdir(repoRoot);
  const recipe = join('recipes', 'pretrain-small.json');
  const cfg = resolveWithRecipe<PretrainConfig>(pretrainSchema, { recipe, cli: {}, sets: [] });
  const manifest = JSON.parse(readFileSync(sharedPath('corpora', 'gutenberg-pretrain-en', 'MANIFEST.json'), 'utf8')) as { books: Book[]; source_repo: string; commit: string; sha256: Record<string, string> };
  const splits = loadPretrainSplits(cfg.data);

  const heldDir = join('corpora', 'gutenberg-heldout');
  mkdirSync(heldDir, { recursive: true });
  const held = splits.heldOutSources.map((src) => {
    const file = basename(src);
    const book = manifest.books.find((b) => b.file === file);
    if (!book) throw new Error(`${file} is not in the gutenberg-pretrain-en MANIFEST`);
    const text = readBookText(src);
    writeFileAtomic(join(heldDir, file), text);
    return {
      file, title: book.title, author: book.author, year: book.year, genre: book.genre, pgEbook: book.pg_ebook_no,
      characters: text.length, bytes: Buffer.byteLength(text, 'utf8'), sha256: sha256Hex(text), sourceSha256: manifest.sha256[file],
    };
  });
  writeJsonAtomic(join(heldDir, 'MANIFEST.json'), {
    name: 'gutenberg-heldout',
    what: 'the 7 books held out whole from the pretraining of checkpoints/gpt2-small-en (recipes/pretrain-small.json data.heldOut): the held-out book text of the main job',
    spec: 'text:corpora/gutenberg-heldout',
    made: 'npx tsx scripts/ship-corpora.ts (the text reader of src/data/readers/text.ts: header, footer, licence and production credits removed, line ends normalised)',
    source: `${manifest.source_repo}@${manifest.commit} via ../shared/corpora/gutenberg-pretrain-en`,
    license: 'Public domain in the USA (every work first published before 1929). Plain public-domain text: not a Project Gutenberg edition.',
    books: held,
  });

  // the Fisher sample: a seeded choice of training-split documents
  // Gutenberg documents only, so that everything committed under corpora/ is public-domain text
  const train = splits.train.filter((d) => d.source.includes('gutenberg-pretrain-en')).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const picked = [...permutation(train.length, SAMPLE_SEED).slice(0, SAMPLE)].sort((a, b) => a - b).map((i) => train[i]);
  const origDir = join('corpora', 'gutenberg-original');
  mkdirSync(origDir, { recursive: true });
  const rel = (src: string) => `gutenberg-pretrain-en/${basename(src)}`;
  const lines = picked.map((d) => JSON.stringify({ id: d.id, source: rel(d.source), text: d.text }));
  const body = lines.join('\n') + '\n';
  writeFileAtomic(join(origDir, 'sample.jsonl'), body);
  const perSource: Record<string, number> = {};
  for (const d of picked) perSource[rel(d.source)] = (perSource[rel(d.source)] ?? 0) + 1;
  writeJsonAtomic(join(origDir, 'MANIFEST.json'), {
    name: 'gutenberg-original',
    what: `a fixed sample of ${picked.length} Gutenberg documents (paragraph chunks of at least 2000 characters) of the training split of checkpoints/gpt2-small-en's pretraining (recipes/pretrain-small.json): "the original corpus" of the main job's Fisher importances`,
    spec: 'jsonl:corpora/gutenberg-original/sample.jsonl',
    made: `npx tsx scripts/ship-corpora.ts: training-split documents sorted by id, permuted by src/train/rng.ts permutation(n, ${SAMPLE_SEED}), the first ${SAMPLE} kept, in id order`,
    license: 'Public domain in the USA (every book first published before 1929). Plain public-domain text: not a Project Gutenberg edition.',
    documents: picked.length,
    characters: picked.reduce((a, d) => a + (d.text ?? '').length, 0),
    sha256: sha256Hex(body),
    perSource,
  });
  console.log(JSON.stringify({ heldOut: held.map((h) => [h.file, h.characters]), sample: { documents: picked.length, sources: Object.keys(perSource).length } }, null, 1));
}

main();
