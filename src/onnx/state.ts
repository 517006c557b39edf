/**
 * Flat float32 state banks: one contiguous Float32Array per bank with a view per parameter name, so that
 * parameters and optimizer moments are fed to ORT without copies (inputs are not copied) and the updated
 * state is written by ORT straight into the other bank of a ping-pong pair (pre-allocated fetches).
 */
import type { ParamSpec } from './train-graph.ts';

export class FlatBank {
  readonly data: Float32Array;
  readonly views = new Map<string, Float32Array>();

  constructor(readonly specs: readonly ParamSpec[]) {
    const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    this.data = new Float32Array(total);
    let off = 0;
    for (const s of specs) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      this.views.set(s.name, this.data.subarray(off, off + n));
      off += n;
    }
  }

  view(name: string): Float32Array {
    const v = this.views.get(name);
    if (!v) throw new Error(`state bank has no entry ${name}`);
    return v;
  }
}

/** Two banks; `cur` is read, `next` is written by a step, then `swap()`. */
export class PingPong {
  cur: FlatBank;
  next: FlatBank;
  constructor(specs: readonly ParamSpec[]) {
    this.cur = new FlatBank(specs);
    this.next = new FlatBank(specs);
  }
  swap(): void {
    [this.cur, this.next] = [this.next, this.cur];
  }
}
