/** Results go to stdout as JSON; progress and logs go to stderr. */
export function printResult(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function log(...args: unknown[]): void {
  if (process.env.EWC_LM_QUIET === '1') return;
  process.stderr.write(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') + '\n');
}

export interface ProgressTick {
  elapsedS: number;
  /** done per second since the ticker was made. */
  rate: number;
  /** Seconds left at that rate. */
  etaS: number;
}

/**
 * Throttles progress lines: the returned function gives a tick when a line is due, null otherwise. A line is
 * due `everyMs` after the previous one (the first one at once when `immediate`, else `everyMs` after start);
 * the call with done ≥ total is due exactly when `final`.
 */
export function progressTicker(everyMs: number, opts: { immediate?: boolean; final?: boolean } = {}): (done: number, total: number) => ProgressTick | null {
  const t0 = performance.now();
  let last = opts.immediate ? -Infinity : t0;
  return (done, total) => {
    const now = performance.now();
    if (done >= total ? !opts.final : now - last < everyMs) return null;
    last = now;
    const elapsedS = (now - t0) / 1000;
    const rate = done / Math.max(elapsedS, 1e-9);
    return { elapsedS, rate, etaS: (total - done) / Math.max(rate, 1e-9) };
  };
}
