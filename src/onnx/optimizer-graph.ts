/**
 * In-graph gradient post-processing and optimizer updates, the same formulas as src/train/optimizers.ts
 * (PyTorch's Adam / AdamW / SGD):
 *   total gradient g = task·accum_scale + penalty gradient; norm = √Σ g²; g ← g·min(1, clip/(norm + 1e-6))
 *   adam:  g ← g + wd·θ (decay params); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; θ ← θ − step_size·m/(√v/sqrt_bc2 + ε)
 *   adamw: θ ← θ·decay_factor (decay params; decay_factor = 1 − lr·wd), then the Adam update with g unchanged
 *   sgd:   g ← g + wd·θ; buf ← μ·buf + g (μ > 0); θ ← θ − step_size·(buf or g)
 * Host-computed scalars arrive as inputs `h:<name>` so that one graph serves every step and learning rate.
 */
import type { OptimizerName } from '../engine/types.ts';
import type { Graph, Value } from './graph.ts';
import { add, div, minimum, mul, sqrt, sub, sumAll, sumSquares } from './ops-math.ts';

export interface OptimizerGraphSpec {
  name: OptimizerName;
  /** Parameter names that weight decay applies to (empty when wd = 0). */
  decay: readonly string[];
  /** SGD with a momentum buffer. */
  momentum: boolean;
}

/** Slot names per optimizer (those of src/train/optimizers.ts). */
export function slotNames(o: { name: OptimizerName; momentum: boolean }): string[] {
  if (o.name === 'sgd') return o.momentum ? ['momentum_buffer'] : [];
  return ['exp_avg', 'exp_avg_sq'];
}

/** Host scalars the optimizer graph needs, by name. */
export function hyperNames(o: OptimizerGraphSpec, clip: boolean): string[] {
  const h = ['step_size'];
  if (o.name !== 'sgd') h.push('beta1', 'beta2', 'eps', 'sqrt_bc2');
  if (o.decay.length) h.push(o.name === 'adamw' ? 'decay_factor' : 'wd');
  if (o.name === 'sgd' && o.momentum) h.push('momentum');
  if (clip) h.push('clip');
  return h;
}

/** Values of the host scalars for a step (t = the step count after increment). */
export function hyperValues(
  o: OptimizerGraphSpec,
  s: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; momentum: number; t: number; clip: number | null },
): Record<string, number> {
  const bc1 = 1 - Math.pow(s.beta1, s.t);
  const bc2 = 1 - Math.pow(s.beta2, s.t);
  return {
    step_size: o.name === 'sgd' ? s.lr : s.lr / bc1,
    beta1: s.beta1,
    beta2: s.beta2,
    eps: s.eps,
    sqrt_bc2: Math.sqrt(bc2),
    decay_factor: 1 - s.lr * s.weightDecay,
    wd: s.weightDecay,
    momentum: s.momentum,
    clip: s.clip ?? Infinity,
  };
}

export interface UpdateOutputs {
  gradNorm: Value;
  params: Map<string, Value>;
  slots: Map<string, Map<string, Value>>;
}

/**
 * Clips the total gradients by their global norm (when `clip`) and applies the optimizer.
 * `slotIn(slot, name)` returns the slot's input value; `hyper(name)` a scalar input.
 */
export function optimizerUpdate(
  g: Graph,
  o: OptimizerGraphSpec,
  names: readonly string[],
  params: (name: string) => Value,
  grads: Map<string, Value>,
  slotIn: (slot: string, name: string) => Value,
  hyper: (name: string) => Value,
  clip: boolean,
): UpdateOutputs {
  return g.untaped(() => {
    const gradNorm = sqrt(sumAll(names.map((n) => sumSquares(grads.get(n)!))));
    const coef = clip ? minimum(1, div(hyper('clip'), add(gradNorm, 1e-6))) : null;
    const decay = new Set(o.decay);
    const outP = new Map<string, Value>();
    const outS = new Map<string, Map<string, Value>>(slotNames(o).map((s) => [s, new Map()]));
    // Adam without L2 decay folds the clipping factor into its scalars: (1−β1)·coef and (1−β2)·coef²
    // (one pass over every gradient fewer).
    const isAdam = o.name !== 'sgd';
    let k1: Value | null = null;
    let k2: Value | null = null;
    if (isAdam) {
      const b1 = hyper('beta1');
      const b2 = hyper('beta2');
      k1 = coef ? mul(sub(1, b1), coef) : sub(1, b1);
      k2 = coef ? mul(sub(1, b2), mul(coef, coef)) : sub(1, b2);
    }
    for (const n of names) {
      let gr = grads.get(n)!;
      const fold = isAdam && !(decay.has(n) && o.name === 'adam');
      if (coef && !fold) gr = mul(gr, coef);
      let th = params(n);
      if (decay.has(n)) {
        if (o.name === 'adamw') th = mul(th, hyper('decay_factor'));
        else gr = add(gr, mul(th, hyper('wd')));
      }
      if (o.name === 'sgd') {
        let d = gr;
        if (o.momentum) {
          d = add(mul(slotIn('momentum_buffer', n), hyper('momentum')), gr);
          outS.get('momentum_buffer')!.set(n, d);
        }
        outP.set(n, sub(th, mul(d, hyper('step_size'))));
        continue;
      }
      const b1 = hyper('beta1');
      const b2 = hyper('beta2');
      // When the clip factor is folded, k1, k2 carry it; otherwise gr is already clipped.
      const c1 = fold ? k1! : sub(1, b1);
      const c2 = fold ? k2! : sub(1, b2);
      const m = add(mul(slotIn('exp_avg', n), b1), mul(gr, c1));
      const v = add(mul(slotIn('exp_avg_sq', n), b2), mul(mul(gr, gr), c2));
      const denom = add(div(sqrt(v), hyper('sqrt_bc2')), hyper('eps'));
      outP.set(n, sub(th, mul(div(m, denom), hyper('step_size'))));
      outS.get('exp_avg')!.set(n, m);
      outS.get('exp_avg_sq')!.set(n, v);
    }
    return { gradNorm, params: outP, slots: outS };
  });
}
