/** Learning-rate schedules: constant, or linear warm-up followed by cosine / linear decay to minLrRatio·lr. */
import type { TrainConfig } from '../config/train.ts';

export type ScheduleConfig = Pick<TrainConfig, 'lr' | 'schedule' | 'warmupSteps' | 'minLrRatio' | 'steps'>;

/**
 * Learning rate of step `step` (0-based: the step about to be taken).
 * Warm-up: lr·(step+1)/warmupSteps for step < warmupSteps (never 0, so step 0 moves).
 * Then progress p = (step − warmup)/(steps − warmup) ∈ [0, 1):
 *   cosine: min + (lr − min)·(1 + cos πp)/2;  linear: lr − (lr − min)·p;  constant: lr.
 */
export function lrAt(step: number, c: ScheduleConfig): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  if (c.schedule === 'constant') return c.lr;
  const min = c.lr * c.minLrRatio;
  const span = Math.max(1, c.steps - c.warmupSteps);
  const p = Math.min(1, (step - c.warmupSteps) / span);
  switch (c.schedule) {
    case 'cosine':
      return min + ((c.lr - min) * (1 + Math.cos(Math.PI * p))) / 2;
    case 'linear':
      return c.lr - (c.lr - min) * p;
    default: {
      const never: never = c.schedule;
      throw new Error(`unknown schedule ${String(never)}`);
    }
  }
}
