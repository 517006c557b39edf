/**
 * Masks from a ranking, and cumulative pruning of parameter copies.
 *
 * A mask is a name-keyed map of keep flags (1 = kept, 0 = pruned), one Uint8Array per selected tensor, in the
 * tensor's row-major order. At fraction p every ranking group of N entries loses exactly round(p·N) of them
 * (see prunedCount); masks for increasing p are nested because they are prefixes of one order.
 */
import { EwcError } from '../util/errors.ts';
import { numel, prunedCount, tensorOf, type PruneRanking } from './rank.ts';

export type PruneMask = Map<string, Uint8Array>;

/** A parameter tensor on the host (structurally src/io's HostTensor). */
export interface ParamTensor {
  shape: number[];
  data: Float32Array;
}
export type ParamMap = Map<string, ParamTensor>;

/** The keep-mask at fraction p (all selected tensors, untouched ones all ones). */
export function maskAt(ranking: PruneRanking, p: number): PruneMask {
  const mask: PruneMask = new Map();
  for (const [n, shape] of ranking.shapes) mask.set(n, new Uint8Array(numel(shape)).fill(1));
  for (const g of ranking.groups) {
    const N = g.offsets[g.offsets.length - 1];
    const k = prunedCount(p, N);
    const flags = g.names.map((n) => mask.get(n)!);
    for (let r = 0; r < k; r++) {
      const c = g.order[r];
      const i = tensorOf(g.offsets, c);
      flags[i][c - g.offsets[i]] = 0;
    }
  }
  return mask;
}

/** New parameter map with masked entries set to 0; tensors absent from the mask are copied unchanged. */
export function applyMask(params: ParamMap, mask: PruneMask): ParamMap {
  const out: ParamMap = new Map();
  for (const [n, t] of params) {
    const data = new Float32Array(t.data);
    const m = mask.get(n);
    if (m) {
      if (m.length !== data.length) {
        throw new EwcError(`mask '${n}': expected ${data.length} entries (shape [${t.shape}]), found ${m.length}.`);
      }
      for (let j = 0; j < data.length; j++) if (m[j] === 0) data[j] = 0;
    }
    out.set(n, { shape: t.shape.slice(), data });
  }
  for (const n of mask.keys()) {
    if (!params.has(n)) throw new EwcError(`mask names tensor '${n}', which the model does not have.`);
  }
  return out;
}

/** Per-tensor and total sparsity of a mask. */
export interface SparsityRow {
  name: string;
  shape: number[];
  numel: number;
  pruned: number;
  sparsity: number;
}

export function maskSparsity(mask: PruneMask, shapes: Map<string, number[]>): { rows: SparsityRow[]; total: SparsityRow } {
  const rows: SparsityRow[] = [];
  let N = 0;
  let P = 0;
  for (const [name, m] of mask) {
    let pruned = 0;
    for (let j = 0; j < m.length; j++) if (m[j] === 0) pruned++;
    rows.push({ name, shape: shapes.get(name) ?? [m.length], numel: m.length, pruned, sparsity: m.length ? pruned / m.length : 0 });
    N += m.length;
    P += pruned;
  }
  return { rows, total: { name: 'total', shape: [N], numel: N, pruned: P, sparsity: N ? P / N : 0 } };
}

/**
 * Cumulative pruning of working copies of the selected parameters: advanceTo(p) zeroes the entries ranked
 * between the previous fraction and p (O(newly pruned)), so a whole sweep p = 0…1 costs one pass over the order.
 */
export class CumulativePruner {
  readonly params: ParamMap;
  private readonly done: number[];
  private p = 0;

  /** Copies the ranked tensors of `params` (untouched and unselected tensors are not copied). */
  constructor(readonly ranking: PruneRanking, params: ParamMap) {
    this.params = new Map();
    for (const g of ranking.groups) {
      for (const n of g.names) {
        const t = params.get(n);
        const shape = ranking.shapes.get(n)!;
        if (!t) throw new EwcError(`pruning: the model has no tensor '${n}' (it has a score).`);
        if (t.data.length !== numel(shape)) {
          throw new EwcError(`pruning: tensor '${n}' has shape [${t.shape}] but its score has shape [${shape}].`);
        }
        this.params.set(n, { shape: t.shape.slice(), data: new Float32Array(t.data) });
      }
    }
    this.done = ranking.groups.map(() => 0);
  }

  get fraction(): number {
    return this.p;
  }

  /**
   * Zeroes up to fraction p (p must not decrease). Returns the names of the tensors that changed; `onZero` sees
   * every newly zeroed entry (tensor name, row-major index, value before zeroing), e.g. for incremental evaluation.
   */
  advanceTo(p: number, onZero?: (name: string, index: number, old: number) => void): Set<string> {
    if (p < this.p) throw new EwcError(`cumulative pruning: fractions must increase; ${p} after ${this.p}.`);
    const changed = new Set<string>();
    this.ranking.groups.forEach((g, gi) => {
      const N = g.offsets[g.offsets.length - 1];
      const k = prunedCount(p, N);
      const data = g.names.map((n) => this.params.get(n)!.data);
      for (let r = this.done[gi]; r < k; r++) {
        const c = g.order[r];
        const i = tensorOf(g.offsets, c);
        const j = c - g.offsets[i];
        if (onZero) onZero(g.names[i], j, data[i][j]);
        data[i][j] = 0;
        changed.add(g.names[i]);
      }
      this.done[gi] = Math.max(this.done[gi], k);
    });
    this.p = p;
    return changed;
  }
}

/** Evenly spaced fractions 0, step, 2·step, …, 1 (computed as i/n to avoid drift), plus any `extra` fractions. */
export function fractionGrid(step: number, extra: number[] = []): number[] {
  if (!(step > 0 && step <= 1)) throw new EwcError(`--step: expected a fraction in (0, 1], found ${step}.`);
  const n = Math.round(1 / step);
  if (Math.abs(n * step - 1) > 1e-9) throw new EwcError(`--step: expected 1/step to be an integer, found step ${step}.`);
  const set = new Set<number>();
  for (let i = 0; i <= n; i++) set.add(Number((i / n).toFixed(12)));
  for (const e of extra) set.add(Number(e.toFixed(12)));
  return [...set].sort((a, b) => a - b);
}
