/**
 * The two failure modes of plain EWC in the paper's section 3, as small reproducible simulations that use the
 * real penalty (EwcPenalty) with plain SGD on a toy quadratic task. scripts/demo-failure-modes.ts prints them;
 * test/regularizers/failure-modes.test.ts asserts them.
 *
 * (a) Instability. One weight, task loss ½a(θ − m)², anchor θ* = 0, SGD rate η. With c the penalty coefficient,
 *     the iteration is linear: e_{t+1} = (1 − ηa − 2ηc)·e_t for e = θ − θ_eq, θ_eq = am/(a + 2c). Plain EWC:
 *     2ηc = 2x (x = ηλΩ), so for x > 1 the factor is below −1: the weight oscillates around θ* with growing
 *     amplitude. Stabilized: 2ηc = x/(1+x) < 1, the factor stays in (0, 1): monotone convergence.
 * (b) Clipping. Many weights pulled by the task, a few with huge Ω displaced slightly from θ*. Plain EWC's
 *     penalty gradient 2λΩd dwarfs the task gradient; global-norm clipping then scales the WHOLE gradient down,
 *     so the task's share of the update (‖g_task‖/(‖g_task‖ + ‖g_penalty‖)) collapses and the task
 *     stops learning. The stabilized gradient is bounded by |d|/η per weight, so the task keeps its share.
 */
import * as tf from '@tensorflow/tfjs';
import { EwcPenalty, type PenaltyKind } from './penalty.ts';

function stepGrad(p: EwcPenalty, theta: Float32Array, shape: number[]): Float32Array {
  const th = tf.tensor(theta, shape);
  const g = p.gradients(new Map([['w', th]])).get('w')!;
  const out = new Float32Array(g.dataSync() as Float32Array);
  tf.dispose([th, g]);
  return out;
}

export interface OscillationSetup {
  /** SGD learning rate (= η of the stabilized coefficient). Paper: 0.001. */
  eta: number;
  lambda: number;
  omega: number;
  /** Task curvature a and optimum m: task loss ½a(θ − m)². */
  a: number;
  m: number;
  /** Initial displacement θ_0 − θ*. */
  theta0: number;
  steps: number;
}

export const OSCILLATION_DEFAULT: OscillationSetup = { eta: 1e-3, lambda: 1, omega: 1500, a: 1, m: 1, theta0: 0.05, steps: 12 };

export interface OscillationResult {
  kind: PenaltyKind;
  /** x = ηλΩ. */
  x: number;
  /** Predicted per-step factor of θ − θ_eq: 1 − ηa − 2ηc. */
  factor: number;
  /** θ_t − θ* for t = 0..steps. */
  trajectory: number[];
  /** Sign changes of θ_t − θ_eq along the trajectory. */
  signChanges: number;
  /** |θ_T − θ_eq| / |θ_0 − θ_eq|. */
  amplitudeRatio: number;
  /** |θ_t − θ_eq| never increases. */
  monotone: boolean;
}

export function oscillationDemo(kind: PenaltyKind, s: OscillationSetup = OSCILLATION_DEFAULT): OscillationResult {
  const p = new EwcPenalty({
    config: { kind, lambda: s.lambda, eta: s.eta },
    omega: new Map([['w', { shape: [1], data: new Float32Array([s.omega]) }]]),
    anchor: new Map([['w', { shape: [1], data: new Float32Array([0]) }]]),
  });
  const x = s.eta * s.lambda * s.omega;
  const c = kind === 'ewc' ? s.lambda * s.omega : (s.lambda * s.omega) / (2 * (1 + x));
  const eq = (s.a * s.m) / (s.a + 2 * c);
  const theta = new Float32Array([s.theta0]);
  const traj = [theta[0]];
  for (let t = 0; t < s.steps; t++) {
    const gp = stepGrad(p, theta, [1])[0];
    const g = s.a * (theta[0] - s.m) + gp; // total gradient
    theta[0] = Math.fround(theta[0] - s.eta * g);
    traj.push(theta[0]);
  }
  p.dispose();
  const dev = traj.map((v) => v - eq);
  let signChanges = 0;
  let monotone = true;
  for (let t = 1; t < dev.length; t++) {
    if (Math.sign(dev[t]) !== Math.sign(dev[t - 1])) signChanges++;
    if (Math.abs(dev[t]) > Math.abs(dev[t - 1])) monotone = false;
  }
  return {
    kind,
    x,
    factor: 1 - s.eta * s.a - 2 * s.eta * c,
    trajectory: traj,
    signChanges,
    amplitudeRatio: Math.abs(dev[dev.length - 1]) / Math.abs(dev[0]),
    monotone,
  };
}

export interface ClippingSetup {
  /** Weights pulled by the task. */
  n: number;
  /** Of which this many (the first) carry huge importance. */
  huge: number;
  omegaHuge: number;
  omegaSmall: number;
  lambda: number;
  /** SGD learning rate (= η of the stabilized coefficient). */
  eta: number;
  /** Global-norm clipping threshold. */
  clip: number;
  /** Initial displacement of the huge-importance weights from θ*. */
  displacement: number;
  /** Task optima m_i drawn deterministically in [−spread, spread]. */
  spread: number;
  steps: number;
}

export const CLIPPING_DEFAULT: ClippingSetup = {
  n: 1000,
  huge: 5,
  omegaHuge: 1e6,
  omegaSmall: 1e-3,
  lambda: 1,
  eta: 0.01,
  clip: 1,
  displacement: 1e-3,
  spread: 0.1,
  steps: 200,
};

export interface ClippingResult {
  kind: PenaltyKind;
  /**
   * The task's share of the (clipped) update, ‖g_task‖ / (‖g_task‖ + ‖g_penalty‖) — clipping scales both parts
   * by the same factor — at the first step and averaged over the steps.
   */
  taskShareFirst: number;
  taskShareMean: number;
  /** Fraction of steps where clipping was active. */
  clippedFraction: number;
  /** Task loss ½Σ(θ − m)² before and after. */
  taskLossStart: number;
  taskLossEnd: number;
  /** Largest |θ − θ*| of the huge-importance weights over the run. */
  hugeMaxDisplacement: number;
}

export function clippingDemo(kind: PenaltyKind, s: ClippingSetup = CLIPPING_DEFAULT): ClippingResult {
  const omega = new Float32Array(s.n).fill(s.omegaSmall);
  omega.fill(s.omegaHuge, 0, s.huge);
  const p = new EwcPenalty({
    config: { kind, lambda: s.lambda, eta: s.eta },
    omega: new Map([['w', { shape: [s.n], data: omega }]]),
    anchor: new Map([['w', { shape: [s.n], data: new Float32Array(s.n) }]]),
  });
  const m = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++) m[i] = s.spread * Math.sin(1 + i * 2.399963); // deterministic spread
  const theta = new Float32Array(s.n);
  theta.fill(s.displacement, 0, s.huge);
  const taskLoss = () => {
    let l = 0;
    for (let i = 0; i < s.n; i++) l += 0.5 * (theta[i] - m[i]) ** 2;
    return l;
  };
  const start = taskLoss();
  let shareSum = 0;
  let first = 0;
  let clipped = 0;
  let hugeMax = s.displacement;
  for (let t = 0; t < s.steps; t++) {
    const gp = stepGrad(p, theta, [s.n]);
    let nt = 0;
    let np = 0;
    let nn = 0;
    const g = new Float64Array(s.n);
    for (let i = 0; i < s.n; i++) {
      const gt = theta[i] - m[i];
      g[i] = gt + gp[i];
      nt += gt * gt;
      np += gp[i] * gp[i];
      nn += g[i] * g[i];
    }
    const share = Math.sqrt(nt) / (Math.sqrt(nt) + Math.sqrt(np));
    if (t === 0) first = share;
    shareSum += share;
    const norm = Math.sqrt(nn);
    const scale = norm > s.clip ? s.clip / norm : 1;
    if (scale < 1) clipped++;
    for (let i = 0; i < s.n; i++) theta[i] = Math.fround(theta[i] - s.eta * scale * g[i]);
    for (let i = 0; i < s.huge; i++) hugeMax = Math.max(hugeMax, Math.abs(theta[i]));
  }
  p.dispose();
  return {
    kind,
    taskShareFirst: first,
    taskShareMean: shareSum / s.steps,
    clippedFraction: clipped / s.steps,
    taskLossStart: start,
    taskLossEnd: taskLoss(),
    hugeMaxDisplacement: hugeMax,
  };
}
