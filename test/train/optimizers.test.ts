import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { NamedOptimizer } from '../../src/train/optimizers.ts';
import { defaultOptimizer, type OptimizerSpec } from '../../src/engine/types.ts';

/** Runs `steps` updates of one optimizer on θ (a [2,2] matrix w and a [2] bias b) with constant gradient g. */
function run(spec: OptimizerSpec, steps: number, lr: number, g = 0.5, theta = 1): { w: number; b: number; opt: NamedOptimizer; vars: Map<string, tf.Variable> } {
  const vars = new Map<string, tf.Variable>([
    ['w', tf.variable(tf.fill([2, 2], theta))],
    ['b', tf.variable(tf.fill([2], theta))],
  ]);
  const opt = new NamedOptimizer(spec, vars, ['w', 'b']);
  for (let s = 0; s < steps; s++) {
    const grads = new Map<string, tf.Tensor>([
      ['w', tf.fill([2, 2], g)],
      ['b', tf.fill([2], g)],
    ]);
    opt.apply(grads, lr);
    for (const t of grads.values()) t.dispose();
  }
  return { w: vars.get('w')!.dataSync()[0], b: vars.get('b')!.dataSync()[0], opt, vars };
}

function free(r: { opt: NamedOptimizer; vars: Map<string, tf.Variable> }): void {
  r.opt.dispose();
  for (const v of r.vars.values()) v.dispose();
}

describe('optimizers (closed forms, PyTorch conventions)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('Adam, constant gradient g: m̂ = g, v̂ = g² every step ⇒ θ_t = θ0 − t·lr·g/(|g| + ε)', () => {
    // m_t = (1−β1^t) g ⇒ m̂ = g; v_t = (1−β2^t) g² ⇒ v̂ = g²; step = lr·g/(√g² + ε)
    const r = run({ ...defaultOptimizer, name: 'adam' }, 3, 0.01);
    expect(r.w).toBeCloseTo(1 - 3 * 0.01 * (0.5 / (0.5 + 1e-8)), 6);
    expect(r.opt.getState().step).toBe(3);
    free(r);
  });

  it('AdamW decays matrices only (decoupled): θ1 = θ0(1 − lr·wd) − lr·g/(|g|+ε); biases not decayed', () => {
    const r = run({ ...defaultOptimizer, name: 'adamw', weightDecay: 0.1 }, 1, 0.01);
    expect(r.w).toBeCloseTo(1 * (1 - 0.01 * 0.1) - 0.01, 6);
    expect(r.b).toBeCloseTo(1 - 0.01, 6);
    free(r);
  });

  it('Adam with weight decay adds wd·θ to the gradient (L2): first step still moves by lr (sign)', () => {
    const r = run({ ...defaultOptimizer, name: 'adam', weightDecay: 0.1 }, 1, 0.01);
    expect(r.w).toBeCloseTo(1 - 0.01, 6); // g' = 0.5 + 0.1 > 0, normalised step = lr
    free(r);
  });

  it('SGD: θ − lr·g; momentum μ: buf = g, μg + g, … ⇒ θ2 = θ0 − lr·g·(1 + (1 + μ))', () => {
    const a = run({ ...defaultOptimizer, name: 'sgd' }, 2, 0.1);
    expect(a.w).toBeCloseTo(1 - 2 * 0.1 * 0.5, 6);
    expect(Object.keys(a.opt.getState().slots)).toEqual([]);
    free(a);
    const m = run({ ...defaultOptimizer, name: 'sgd', momentum: 0.9 }, 2, 0.1);
    expect(m.w).toBeCloseTo(1 - 0.1 * 0.5 * (1 + 1.9), 6);
    free(m);
  });

  it('state is keyed by parameter name and restores exactly (continuing equals uninterrupted)', () => {
    const spec: OptimizerSpec = { ...defaultOptimizer, name: 'adam' };
    const full = run(spec, 4, 0.01, 0.3);
    const half = run(spec, 2, 0.01, 0.3);
    const st = half.opt.getState();
    expect([...st.slots.exp_avg.keys()]).toEqual(['w', 'b']);
    const vars = new Map<string, tf.Variable>([
      ['w', tf.variable(tf.tensor(half.vars.get('w')!.dataSync(), [2, 2]))],
      ['b', tf.variable(tf.tensor(half.vars.get('b')!.dataSync(), [2]))],
    ]);
    const opt = new NamedOptimizer(spec, vars, ['w', 'b']);
    opt.setState(st);
    for (let s = 0; s < 2; s++) {
      const grads = new Map<string, tf.Tensor>([['w', tf.fill([2, 2], 0.3)], ['b', tf.fill([2], 0.3)]]);
      opt.apply(grads, 0.01);
      for (const t of grads.values()) t.dispose();
    }
    expect(vars.get('w')!.dataSync()[0]).toBe(full.w);
    expect(() => new NamedOptimizer({ ...spec, name: 'sgd', momentum: 0.9 }, vars, ['w', 'b']).setState(st)).toThrow(/expected slots \[momentum_buffer\]/);
    free(full);
    free(half);
    free({ opt, vars });
  });
});
