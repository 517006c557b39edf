/**
 * Trainer hooks (src/train/loop.ts TrainHooks) for the penalty and for SI.
 *
 * ewcHook: before the task, hands the engine the penalty (c_i and θ*_i, src/regularizers/penalty.ts
 * penaltySpec; the engine adds Σ c_i(θ_i − θ*_i)² and its gradient inside every step). After each step it
 * tracks the penalty / task-loss ratio (logged every `logEvery` steps) and warns:
 *   - when the penalty stays exactly 0 while λ > 0 and Ω ≠ 0 (after the first update θ ≠ θ*, so a penalty that
 *     is always 0 means it is not connected: wrong names, frozen parameters, Ω not loaded);
 *   - when it grows without bound: non-finite, or multiplied by ≥ 1.5 at every step of a 20-step window
 *     (geometric growth: plain EWC with ηλΩ > 1 under SGD, see failure-modes.ts; ordinary drift from θ* grows
 *     only polynomially) — suggests stabilized EWC or a smaller λ / lr.
 * siHook: feeds SiTracker the parameters before/after each step and the TOTAL gradient (task + penalty, before
 * clipping — the split path of the loop gives exactly that).
 */
import type { HookContext, TrainHooks } from '../train/loop.ts';
import type { StepResult } from '../engine/types.ts';
import type { SiTracker } from '../importance/si.ts';
import type { Importances } from '../importance/types.ts';
import { log } from '../util/log.ts';
import { penaltySpec, type PenaltyKind } from './penalty.ts';

export interface EwcHookOptions {
  kind: PenaltyKind;
  lambda: number;
  /** η of the stabilized coefficient; default: the trainer's (peak) learning rate. */
  eta?: number;
  omega: Importances;
  anchor: Importances;
  /** Penalised parameter names (default: all names of Ω). */
  names?: string[];
  /** Log the penalty/task-loss ratio every N steps (default: the trainer's logEvery). */
  logEvery?: number;
  /** Steps with a penalty of exactly 0 (after the first) before warning. */
  zeroSteps?: number;
  /** Window (steps) of the unbounded-growth check (default 20). */
  growthWindow?: number;
  /** Per-step growth factor that, sustained over the whole window, counts as unbounded (default 1.5). */
  growthFactor?: number;
}

export interface PenaltyStats {
  steps: number;
  lastPenalty: number;
  lastLoss: number;
  /** penalty / task loss at the last step. */
  lastRatio: number;
  maxRatio: number;
  warnings: string[];
  /** The η actually used in the coefficients. */
  eta: number;
}

export function ewcHook(o: EwcHookOptions): TrainHooks & { stats: PenaltyStats } {
  const stats: PenaltyStats = { steps: 0, lastPenalty: 0, lastLoss: NaN, lastRatio: 0, maxRatio: 0, warnings: [], eta: o.eta ?? NaN };
  const names = o.names ?? [...o.omega.keys()];
  let omegaNonZero = false;
  for (const n of names) if (o.omega.get(n)?.data.some((v) => v !== 0)) omegaNonZero = true;
  const zeroSteps = o.zeroSteps ?? 5;
  const window = o.growthWindow ?? 20;
  const growth = o.growthFactor ?? 1.5;
  const history: number[] = [];
  let zeroRun = 0;
  let warnedZero = false;
  let warnedGrowth = false;
  const warn = (msg: string) => {
    stats.warnings.push(msg);
    log(`warning: ${msg}`);
  };
  return {
    stats,
    beforeTask(ctx: HookContext) {
      const eta = o.eta ?? ctx.config.lr;
      stats.eta = eta;
      ctx.engine.setPenalty(penaltySpec({ kind: o.kind, lambda: o.lambda, eta }, o.omega, o.anchor, names));
    },
    afterStep(ctx: HookContext, r: StepResult) {
      stats.steps++;
      stats.lastPenalty = r.penalty;
      stats.lastLoss = r.loss;
      stats.lastRatio = r.loss !== 0 ? r.penalty / r.loss : Infinity;
      if (Number.isFinite(stats.lastRatio)) stats.maxRatio = Math.max(stats.maxRatio, stats.lastRatio);
      const every = o.logEvery ?? ctx.config.logEvery;
      if (every > 0 && stats.steps % every === 0) {
        log(`step ${ctx.step}: ${o.kind} penalty ${r.penalty.toExponential(3)}, task loss ${r.loss.toFixed(4)}, penalty/task ${stats.lastRatio.toExponential(3)}`);
      }
      // The penalty reported is at the pre-step point: at the first step θ = θ*, so 0 is expected there.
      if (stats.steps > 1 && o.lambda > 0 && omegaNonZero && r.penalty === 0) zeroRun++;
      else if (r.penalty !== 0) zeroRun = 0;
      if (!warnedZero && zeroRun >= zeroSteps) {
        warnedZero = true;
        warn(
          `the EWC penalty has been exactly 0 for ${zeroRun} steps although λ = ${o.lambda} > 0 and the importances are not all 0: ` +
            `it is not acting on the trained parameters. Check that --params selects trainable parameters and that the importance file matches the model.`,
        );
      }
      history.push(r.penalty);
      if (history.length > window + 1) history.shift();
      if (!warnedGrowth) {
        // Exponential growth: every step of the window multiplies the penalty by ≥ growthFactor. Normal drift
        // away from θ* grows polynomially (∝ t² from θ = θ*), whose step ratio falls below 1.5 after 5 steps.
        const geometric =
          history.length === window + 1 && history[0] > 0 && history.every((v, i) => i === 0 || v >= growth * history[i - 1]);
        if (!Number.isFinite(r.penalty) || geometric) {
          warnedGrowth = true;
          warn(
            `the ${o.kind} penalty grows without bound (${history[0].toExponential(3)} → ${r.penalty.toExponential(3)} over ${window} steps): ` +
              (o.kind === 'ewc'
                ? `with plain EWC, η·λ·Ω > 1 makes weights overshoot θ* (paper §3). Use --penalty stabilized, or lower λ or the learning rate.`
                : `lower λ or the learning rate.`),
          );
        }
      }
    },
  };
}

export interface SiHookOptions {
  /** Called after the task with this task's SI importance (add it into Ω with accumulate()). */
  onTaskEnd?: (importance: Importances) => void;
}

export function siHook(tracker: SiTracker, o: SiHookOptions = {}): TrainHooks {
  return {
    beforeTask(ctx) {
      tracker.startTask(ctx.engine.getParams());
    },
    beforeStep(ctx) {
      tracker.beforeStep(ctx.engine.getParams());
    },
    afterGradients(_ctx, grads) {
      tracker.afterGradients(grads);
    },
    afterStep(ctx) {
      tracker.afterStep(ctx.engine.getParams());
    },
    afterTask(ctx) {
      o.onTaskEnd?.(tracker.endTask(ctx.engine.getParams()));
    },
  };
}
