import { describe, expect, it } from 'vitest';
import {
  backwardTransfer,
  finalMeanAccuracy,
  forgetting,
  meanInterval,
  seenMeanAccuracies,
  studentTCdf,
  studentTQuantile,
  type AccuracyMatrix,
} from '../../src/benchmarks/stats.ts';

const close = (a: number, r: number, atol: number, rtol = 0) => {
  expect(Number.isNaN(a)).toBe(false);
  expect(Math.abs(a - r)).toBeLessThanOrEqual(atol + rtol * Math.abs(r));
};

describe('Student-t quantile', () => {
  it('matches tabulated t(0.975, df)', () => {
    // Standard tables (e.g. scipy.stats.t.ppf(0.975, df)).
    const table: [number, number][] = [
      [1, 12.7062047], [2, 4.3026527], [3, 3.1824463], [4, 2.7764451], [5, 2.5705818],
      [9, 2.2621572], [19, 2.0930241], [29, 2.0452296], [100, 1.9839715], [1000, 1.9623391],
    ];
    for (const [df, t] of table) close(studentTQuantile(0.975, df), t, 1e-6);
  });
  it('other levels and symmetry; the CDF inverts it', () => {
    close(studentTQuantile(0.95, 10), 1.8124611, 1e-6);
    close(studentTQuantile(0.995, 3), 5.8409093, 1e-6);
    close(studentTQuantile(0.025, 4), -2.7764451, 1e-6);
    close(studentTCdf(2.0930241, 19), 0.975, 1e-8);
    // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
    close(studentTCdf(1.3, 1), 0.5 + Math.atan(1.3) / Math.PI, 1e-10);
  });
});

describe('mean and 95% t-interval', () => {
  it('population std (the paper) and sample std, hand-computed', () => {
    // values 0.90, 0.92, 0.94: mean 0.92; Σ(v − mean)² = 0.0008.
    // population std = √(0.0008/3) = 0.016329932; half-width = t(0.975, 2)·std/√3 = 4.3026527·0.016329932/1.7320508 = 0.0405658
    // sample std = √(0.0008/2) = 0.02; half-width = 4.3026527·0.02/1.7320508 = 0.0496828
    const v = [0.9, 0.92, 0.94];
    const p = meanInterval(v);
    close(p.mean, 0.92, 1e-12);
    close(p.std, 0.016329932, 1e-9);
    close(p.halfWidth!, 0.0405658, 1e-6);
    close(p.lo!, 0.92 - 0.0405658, 1e-6);
    const s = meanInterval(v, { std: 'sample' });
    close(s.std, 0.02, 1e-12);
    close(s.halfWidth!, 0.0496828, 1e-6);
    expect(p.df).toBe(2);
  });
  it('one run has no interval', () => {
    const one = meanInterval([0.5]);
    expect(one.halfWidth).toBeNull();
    expect(one.mean).toBe(0.5);
  });
});

describe('accuracy-matrix measures', () => {
  // acc[i][j]: task i after task j.
  const acc: AccuracyMatrix = [
    [0.9, 0.8, 0.7],
    [null, 0.95, 0.85],
    [null, null, 0.97],
  ];
  it('final mean, seen means, BWT, forgetting', () => {
    close(finalMeanAccuracy(acc), (0.7 + 0.85 + 0.97) / 3, 1e-12);
    const seen = seenMeanAccuracies(acc);
    close(seen[0], 0.9, 1e-12);
    close(seen[1], (0.8 + 0.95) / 2, 1e-12);
    // BWT = ((0.7 − 0.9) + (0.85 − 0.95)) / 2 = −0.15
    close(backwardTransfer(acc)!, -0.15, 1e-12);
    // forgetting = ((max(0.9, 0.8) − 0.7) + (0.95 − 0.85)) / 2 = 0.15
    close(forgetting(acc)!, 0.15, 1e-12);
    expect(backwardTransfer([[0.5]])).toBeNull();
  });
});
