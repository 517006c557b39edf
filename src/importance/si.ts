/**
 * Synaptic Intelligence as a training hook (method.md §2):
 *   during a task:  ω_i ← ω_i − g_i(t)·Δθ_i(t)   g = gradient of the TOTAL loss (task + penalty) at the pre-step
 *                                                point, Δθ = the optimizer step's change of θ_i
 *   at task end:    Ω_i += ω_i / ((θ_i,end − θ_i,start)² + ξ),   ξ = 0.1 (default), no clamping.
 * The tracker sees tensors keyed by name (host tensors, or tf tensors which it reads back); the path integral
 * is kept in float64 on the host. Trainer adapter: siHook in src/regularizers/hook.ts feeds it
 * beforeStep(θ) → afterGradients(g_total) → afterStep(θ).
 */
import type * as tf from '@tensorflow/tfjs';
import { EwcError } from '../util/errors.ts';
import type { HostTensor, Importances } from './types.ts';

/** SI damping ξ (method.md §2; Zenke et al. 2017 and the paper's code use 0.1). */
export const SI_XI = 0.1;

type AnyTensor = HostTensor | tf.Tensor;
type Named = ReadonlyMap<string, AnyTensor>;

function values(t: AnyTensor): ArrayLike<number> {
  return 'dataSync' in t ? (t.dataSync() as Float32Array) : t.data;
}

export class SiTracker {
  private start = new Map<string, Float64Array>();
  private omega = new Map<string, Float64Array>();
  private shapes = new Map<string, number[]>();
  private pre = new Map<string, Float64Array>();
  private grad = new Map<string, Float64Array>();
  private havePre = false;
  private haveGrad = false;
  steps = 0;

  constructor(
    readonly names: string[],
    readonly xi: number = SI_XI,
  ) {
    if (!(xi > 0)) throw new EwcError(`SI ξ: expected a number > 0, found ${xi}.`);
  }

  /** Starts a task at parameters θ_start; resets the path integral. */
  startTask(params: Named): void {
    this.start.clear();
    this.omega.clear();
    this.havePre = false;
    this.haveGrad = false;
    this.steps = 0;
    for (const n of this.names) {
      const p = get(params, n);
      this.start.set(n, Float64Array.from(values(p)));
      this.omega.set(n, new Float64Array(this.start.get(n)!.length));
      this.shapes.set(n, [...p.shape]);
    }
  }

  /** Snapshot of θ before the optimizer step. */
  beforeStep(params: Named): void {
    for (const n of this.names) copyInto(this.pre, n, values(get(params, n)));
    this.havePre = true;
  }

  /** The TOTAL-loss gradient (task + penalty) at the pre-step point, before clipping. */
  afterGradients(grads: Named): void {
    for (const n of this.names) copyInto(this.grad, n, values(get(grads, n)));
    this.haveGrad = true;
  }

  /** ω −= g·(θ_after − θ_before). */
  afterStep(params: Named): void {
    if (this.omega.size === 0) throw new Error('SiTracker.afterStep: startTask was not called');
    if (!this.havePre || !this.haveGrad) {
      throw new Error('SiTracker.afterStep: call beforeStep and afterGradients first');
    }
    for (const n of this.names) {
      const w = this.omega.get(n)!;
      const g = this.grad.get(n)!;
      const b = this.pre.get(n)!;
      const a = values(get(params, n));
      for (let i = 0; i < w.length; i++) w[i] -= g[i] * (a[i] - b[i]);
    }
    this.havePre = false;
    this.haveGrad = false;
    this.steps++;
  }

  /**
   * Adds a path integral accumulated elsewhere (e.g. inside a compiled training step) into ω, keyed by name,
   * in place of beforeStep/afterGradients/afterStep for those steps.
   */
  absorb(pathIntegral: ReadonlyMap<string, ArrayLike<number>>, steps: number): void {
    if (this.omega.size === 0) throw new Error('SiTracker.absorb: startTask was not called');
    for (const n of this.names) {
      const d = pathIntegral.get(n);
      const w = this.omega.get(n)!;
      if (!d || d.length !== w.length) throw new Error(`SiTracker.absorb: expected ${w.length} values for ${n}, found ${d?.length ?? 'none'}`);
      for (let i = 0; i < w.length; i++) w[i] += d[i];
    }
    this.steps += steps;
  }

  /** One whole step at once. */
  record(grads: Named, before: Named, after: Named): void {
    this.beforeStep(before);
    this.afterGradients(grads);
    this.afterStep(after);
  }

  /** The running path integral ω (copy), for inspection. */
  pathIntegral(): Importances {
    const out: Importances = new Map();
    for (const n of this.names) out.set(n, { shape: [...this.shapes.get(n)!], data: Float32Array.from(this.omega.get(n)!) });
    return out;
  }

  /** This task's importance ω/((θ_end − θ_start)² + ξ), to be added into Ω. */
  endTask(params: Named): Importances {
    if (this.start.size === 0) throw new Error('SiTracker.endTask: startTask was not called');
    const out: Importances = new Map();
    for (const n of this.names) {
      const w = this.omega.get(n)!;
      const s = this.start.get(n)!;
      const e = values(get(params, n));
      const d = new Float32Array(w.length);
      for (let i = 0; i < d.length; i++) d[i] = w[i] / ((e[i] - s[i]) ** 2 + this.xi);
      out.set(n, { shape: [...this.shapes.get(n)!], data: d });
    }
    return out;
  }
}

/** Copies v into the reused float64 buffer m[n] (allocated once per name). */
function copyInto(m: Map<string, Float64Array>, n: string, v: ArrayLike<number>): void {
  let b = m.get(n);
  if (!b || b.length !== v.length) m.set(n, (b = new Float64Array(v.length)));
  for (let i = 0; i < v.length; i++) b[i] = v[i];
}

function get(m: Named, n: string): AnyTensor {
  const t = m.get(n);
  if (!t) throw new EwcError(`SI: no tensor for parameter '${n}'.`);
  return t;
}
