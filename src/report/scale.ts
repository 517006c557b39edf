/** Axis scales: data extents, "nice" tick positions (1-2-2.5-5 × 10^k), log ticks, tick labels. */
import { formatNumber } from './table.ts';

export interface Axis {
  /** Domain in data units (for log axes: positive values). */
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
  labels: string[];
}

/** A step from {1, 2, 2.5, 5} × 10^k close to range / target. */
export function niceStep(range: number, target = 5): number {
  const raw = range / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return m * p;
}

function decimalsOf(step: number): number {
  let d = 0;
  while (d < 12 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-9 * 10 ** d) d++;
  return d;
}

function label(v: number, step: number): string {
  const a = Math.abs(v);
  if (v === 0) return '0';
  if (a >= 1e6 || a < 1e-4) return formatNumber(v, { digits: 3 });
  return v.toFixed(decimalsOf(step));
}

/**
 * A linear axis covering [lo, hi] (data extents, possibly padded by `pad` of the range on each side).
 * Fixed ends (`fixMin` / `fixMax`) are kept exactly; otherwise the domain is widened to whole ticks.
 */
export function linearAxis(lo: number, hi: number, opts: { fixMin?: number; fixMax?: number; target?: number } = {}): Axis {
  let a = opts.fixMin ?? lo;
  let b = opts.fixMax ?? hi;
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    a = 0;
    b = 1;
  }
  if (a > b) [a, b] = [b, a];
  if (a === b) {
    const d = a === 0 ? 1 : Math.abs(a) * 0.1;
    if (opts.fixMin === undefined) a -= d;
    if (opts.fixMax === undefined) b += d;
    if (a === b) b = a + 1;
  }
  const step = niceStep(b - a, opts.target ?? 5);
  if (opts.fixMin === undefined) a = Math.floor(a / step + 1e-9) * step;
  if (opts.fixMax === undefined) b = Math.ceil(b / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = Math.ceil(a / step - 1e-9) * step; t <= b + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return { min: a, max: b, log: false, ticks, labels: ticks.map((t) => label(t, step)) };
}

/** A log10 axis over positive [lo, hi]: ticks at powers of ten (adding 2× and 5× when under 3 decades). */
export function logAxis(lo: number, hi: number, opts: { fixMin?: number; fixMax?: number } = {}): Axis {
  let a = opts.fixMin ?? lo;
  let b = opts.fixMax ?? hi;
  if (!(a > 0) || !Number.isFinite(a)) a = b > 0 ? b / 10 : 1;
  if (!(b > 0) || !Number.isFinite(b)) b = a * 10;
  if (a === b) {
    a /= 2;
    b *= 2;
  }
  const ea = Math.floor(Math.log10(a) + 1e-9);
  const eb = Math.ceil(Math.log10(b) - 1e-9);
  if (opts.fixMin === undefined) a = 10 ** ea;
  if (opts.fixMax === undefined) b = 10 ** eb;
  const mult = eb - ea < 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = ea; e <= eb; e++) {
    for (const m of mult) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= a * (1 - 1e-9) && t <= b * (1 + 1e-9)) ticks.push(t);
    }
  }
  const labels = ticks.map((t) => (t >= 1e-3 && t < 1e5 ? formatNumber(t) : `1e${Math.round(Math.log10(t))}`));
  // non-power ticks beyond the plain range get m·1eE labels
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i];
    if (t < 1e-3 || t >= 1e5) {
      const e = Math.floor(Math.log10(t) + 1e-9);
      const m = Math.round(t / 10 ** e);
      labels[i] = m === 1 ? `1e${e}` : `${m}e${e}`;
    }
  }
  return { min: a, max: b, log: true, ticks, labels };
}

/** Maps a data value to [0, 1] along the axis (NaN for values a log axis cannot show). */
export function axisFraction(ax: Axis, v: number): number {
  if (ax.log) {
    if (!(v > 0)) return NaN;
    return (Math.log10(v) - Math.log10(ax.min)) / (Math.log10(ax.max) - Math.log10(ax.min));
  }
  return (v - ax.min) / (ax.max - ax.min);
}
