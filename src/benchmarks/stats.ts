/**
 * Statistics of the grid search (method.md §3): mean and 95% t-interval of the final accuracies, as the
 * paper computed them — half-width t(0.975, R−1) · std / √R with the POPULATION std (ddof 0, numpy's
 * default) — plus the sample-std variant (ddof 1), and continual-learning transfer measures.
 *
 * The Student-t quantile is computed, not tabulated: the t CDF through the regularized incomplete beta
 * function (continued fraction, modified Lentz), inverted by bisection to ~1e-13.
 */

/** ln Γ(x), x > 0 (Lanczos, g = 7, 9 terms; |rel. error| < 1e-14 in double). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x); // reflection
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of I_x(a, b) (modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b), 0 ≤ x ≤ 1. */
export function regIncBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(lnFront);
  // Use the continued fraction where it converges fast, the symmetry relation elsewhere.
  if (x < (a + 1) / (a + b + 2)) return (front * betaCf(a, b, x)) / a;
  return 1 - (front * betaCf(b, a, 1 - x)) / b;
}

/** Student-t CDF with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) return NaN;
  const x = df / (df + t * t);
  const tail = 0.5 * regIncBeta(x, df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** Inverse Student-t CDF: the q-quantile (0 < q < 1) with df > 0 degrees of freedom. */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1) || !(df > 0)) return NaN;
  if (q === 0.5) return 0;
  if (q < 0.5) return -studentTQuantile(1 - q, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < q) {
    hi *= 2;
    if (hi > 1e12) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export type StdKind = 'population' | 'sample';

export interface MeanInterval {
  n: number;
  mean: number;
  /** Standard deviation with ddof 0 (population, the paper's) or 1 (sample). */
  std: number;
  stdKind: StdKind;
  /** Degrees of freedom of the t quantile: n − 1. */
  df: number;
  /** t(1 − (1 − level)/2, n − 1). */
  t: number;
  /** Half-width t·std/√n; null when n < 2. */
  halfWidth: number | null;
  lo: number | null;
  hi: number | null;
  level: number;
}

/** Mean and t-interval; default as the paper: 95%, population std (ddof 0). */
export function meanInterval(values: number[], opts: { std?: StdKind; level?: number } = {}): MeanInterval {
  const stdKind = opts.std ?? 'population';
  const level = opts.level ?? 0.95;
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const ss = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
  const ddof = stdKind === 'population' ? 0 : 1;
  const std = n - ddof > 0 ? Math.sqrt(ss / (n - ddof)) : NaN;
  const df = n - 1;
  const t = df > 0 ? studentTQuantile(1 - (1 - level) / 2, df) : NaN;
  const halfWidth = df > 0 ? (t * std) / Math.sqrt(n) : null;
  return {
    n,
    mean,
    std: Number.isFinite(std) ? std : 0,
    stdKind,
    df,
    t,
    halfWidth,
    lo: halfWidth === null ? null : mean - halfWidth,
    hi: halfWidth === null ? null : mean + halfWidth,
    level,
  };
}

/**
 * Accuracy matrix acc[i][j] = test accuracy on task i after training task j (null for j < i: not seen yet).
 * Final mean accuracy: mean_i acc[i][T−1] (the paper's metric).
 */
export type AccuracyMatrix = (number | null)[][];

export function finalMeanAccuracy(acc: AccuracyMatrix): number {
  const T = acc.length;
  let s = 0;
  for (let i = 0; i < T; i++) s += acc[i][T - 1] as number;
  return s / T;
}

/** Mean accuracy over the tasks seen after each task j: mean_{i ≤ j} acc[i][j] (the authors' log line). */
export function seenMeanAccuracies(acc: AccuracyMatrix): number[] {
  const T = acc.length;
  return Array.from({ length: T }, (_, j) => {
    let s = 0;
    for (let i = 0; i <= j; i++) s += acc[i][j] as number;
    return s / (j + 1);
  });
}

/** Backward transfer (Lopez-Paz & Ranzato 2017): mean_{i<T−1} (acc[i][T−1] − acc[i][i]); negative = forgetting. */
export function backwardTransfer(acc: AccuracyMatrix): number | null {
  const T = acc.length;
  if (T < 2) return null;
  let s = 0;
  for (let i = 0; i < T - 1; i++) s += (acc[i][T - 1] as number) - (acc[i][i] as number);
  return s / (T - 1);
}

/** Forgetting (Chaudhry et al. 2018): mean_{i<T−1} (max_{i≤l<T−1} acc[i][l] − acc[i][T−1]). */
export function forgetting(acc: AccuracyMatrix): number | null {
  const T = acc.length;
  if (T < 2) return null;
  let s = 0;
  for (let i = 0; i < T - 1; i++) {
    let best = -Infinity;
    for (let l = i; l < T - 1; l++) best = Math.max(best, acc[i][l] as number);
    s += best - (acc[i][T - 1] as number);
  }
  return s / (T - 1);
}
