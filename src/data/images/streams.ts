/**
 * Task streams for the continual-learning benchmarks (method.md §3). A task is a dataset seen through a
 * fixed pixel map: x_task[k] = x_source[map[k]] (k = i·28 + j). Permutations and rotations are both
 * pixel maps, applied when a batch is built, so no permuted copy of the data is ever stored.
 *
 *   permuted MNIST: task 1 = MNIST unpermuted; task t ≥ 2 = MNIST under randomPermutation(784,
 *     mulberry32(mixSeed(permSeed, t))) — fixed by permSeed, hence shared by every run of a grid.
 *   CNN stream: MNIST → FashionMNIST → MNIST rot90 CCW → FashionMNIST rot90 CCW, where rot90 CCW is
 *     new[i][j] = old[j][27 − i].
 */
import { EwcError } from '../../util/errors.ts';
import { IMAGE_PIXELS, IMAGE_SIDE, type ImageDataset, type ImageSet } from './types.ts';
import { mixSeed, mulberry32, randomPermutation } from './rng.ts';

export interface Task {
  name: string;
  data: ImageDataset;
  /** x_task[k] = x_source[pixelMap[k]]; null = identity. */
  pixelMap: Int32Array | null;
}

/** Serializable description of a stream (what a worker needs to rebuild it from the shared datasets). */
export type StreamSpec =
  | { kind: 'permuted-mnist'; tasks: number; permSeed: number }
  | { kind: 'mnist-fashion-rot'; tasks: number };

export const CNN_STREAM_TASKS = 4;

/** rot90 counter-clockwise as a pixel map: new[i][j] = old[j][27 − i]. */
export function rot90CcwMap(): Int32Array {
  const m = new Int32Array(IMAGE_PIXELS);
  const S = IMAGE_SIDE;
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) m[i * S + j] = j * S + (S - 1 - i);
  return m;
}

/** The fixed permutation of permuted-MNIST task `t` (1-based; t = 1 → null, the identity). */
export function taskPermutation(t: number, permSeed: number): Int32Array | null {
  if (t <= 1) return null;
  return randomPermutation(IMAGE_PIXELS, mulberry32(mixSeed(permSeed, t)));
}

export interface StreamData {
  mnist: ImageDataset;
  fashion?: ImageDataset;
}

export function buildStream(spec: StreamSpec, data: StreamData): Task[] {
  if (spec.kind === 'permuted-mnist') {
    if (!(spec.tasks >= 1)) throw new EwcError(`permuted MNIST: expected at least 1 task, found ${spec.tasks}.`);
    return Array.from({ length: spec.tasks }, (_, k) => ({
      name: k === 0 ? 'mnist' : `mnist-perm${k + 1}`,
      data: data.mnist,
      pixelMap: taskPermutation(k + 1, spec.permSeed),
    }));
  }
  if (spec.kind === 'mnist-fashion-rot') {
    if (!(spec.tasks >= 1 && spec.tasks <= CNN_STREAM_TASKS)) {
      throw new EwcError(`CNN stream: expected 1–${CNN_STREAM_TASKS} tasks, found ${spec.tasks}.`);
    }
    if (!data.fashion) throw new EwcError('CNN stream: Fashion-MNIST was not loaded.');
    const rot = rot90CcwMap();
    const all: Task[] = [
      { name: 'mnist', data: data.mnist, pixelMap: null },
      { name: 'fashion-mnist', data: data.fashion, pixelMap: null },
      { name: 'mnist-rot90', data: data.mnist, pixelMap: rot },
      { name: 'fashion-mnist-rot90', data: data.fashion, pixelMap: rot },
    ];
    return all.slice(0, spec.tasks);
  }
  const never: never = spec;
  throw new EwcError(`unknown stream ${JSON.stringify(never)}`);
}

/**
 * Writes the images set.images[idx[b]] through the task's pixel map, scaled to [0,1], into
 * x (length ≥ idx.length·784, [B, 784] row-major) and their labels into y.
 */
export function fillBatch(task: Task, set: ImageSet, idx: ArrayLike<number>, x: Float32Array, y: Int32Array): void {
  const map = task.pixelMap;
  const img = set.images;
  for (let b = 0; b < idx.length; b++) {
    const src = idx[b] * IMAGE_PIXELS;
    const dst = b * IMAGE_PIXELS;
    if (map) for (let k = 0; k < IMAGE_PIXELS; k++) x[dst + k] = img[src + map[k]] / 255;
    else for (let k = 0; k < IMAGE_PIXELS; k++) x[dst + k] = img[src + k] / 255;
    y[b] = set.labels[idx[b]];
  }
}
