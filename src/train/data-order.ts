/**
 * Seeded data order over a fixed set of training blocks. Epoch e visits the blocks in the permutation
 * seeded by (seed, e); the whole state is `position` = blocks consumed so far, so saving it in the trainer
 * state and resuming reproduces the same sequence of batches.
 */
import { hashInts, permutation, Stream } from './rng.ts';

export class BlockOrder {
  private epoch = -1;
  private perm: Uint32Array = new Uint32Array(0);

  constructor(
    readonly nBlocks: number,
    readonly seed: number,
    public position = 0,
  ) {
    if (nBlocks < 1) throw new Error('BlockOrder needs at least one block');
  }

  /** Index of the block at global position p. */
  blockAt(p: number): number {
    const e = Math.floor(p / this.nBlocks);
    if (e !== this.epoch) {
      this.perm = permutation(this.nBlocks, hashInts(this.seed, Stream.dataOrder, e));
      this.epoch = e;
    }
    return this.perm[p % this.nBlocks];
  }

  /** The next `n` block indices; advances the position. */
  take(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.blockAt(this.position++));
    return out;
  }

  get epochFloat(): number {
    return this.position / this.nBlocks;
  }
}
