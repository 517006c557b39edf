/**
 * Image classification data as compact host arrays (28×28 grey images, 10 classes).
 * Pixels stay uint8 (0–255) until a batch is built; the protocol scales them to [0,1] (÷255).
 */
export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE; // 784
export const NUM_CLASSES = 10;

/** n images, row-major pixels: images[k·784 + i·28 + j] = pixel (row i, column j) of image k. */
export interface ImageSet {
  n: number;
  images: Uint8Array; // [n, 784]
  labels: Uint8Array; // [n]
}

export interface ImageDataset {
  name: string;
  train: ImageSet;
  test: ImageSet;
}

/** Allocates an ImageSet, optionally on a SharedArrayBuffer (so worker threads can read it without copies). */
export function allocImageSet(n: number, shared = false): ImageSet {
  const mk = (len: number) => new Uint8Array(shared ? new SharedArrayBuffer(len) : new ArrayBuffer(len));
  return { n, images: mk(n * IMAGE_PIXELS), labels: mk(n) };
}

/** The first `limit` samples (a view, no copy). */
export function headOf(set: ImageSet, limit: number): ImageSet {
  const n = Math.min(set.n, limit);
  return { n, images: set.images.subarray(0, n * IMAGE_PIXELS), labels: set.labels.subarray(0, n) };
}
