/** progressTicker (src/util/log.ts): when a progress line is due, and its rate / ETA. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressTicker } from '../../src/util/log.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('progressTicker', () => {
  it('immediate + final: the first call, then one per interval, and always the last', () => {
    const tick = progressTicker(2000, { immediate: true, final: true });
    expect(tick(1, 10)).not.toBeNull();
    vi.advanceTimersByTime(1999);
    expect(tick(2, 10)).toBeNull();
    vi.advanceTimersByTime(1);
    const p = tick(4, 10)!; // 4 done in 2 s
    expect(p.elapsedS).toBeCloseTo(2, 9);
    expect(p.rate).toBeCloseTo(2, 9);
    expect(p.etaS).toBeCloseTo(3, 9);
    vi.advanceTimersByTime(10);
    expect(tick(10, 10)).not.toBeNull();
  });

  it('default: nothing before the first interval, never at the end', () => {
    const tick = progressTicker(30_000);
    expect(tick(1, 100)).toBeNull();
    vi.advanceTimersByTime(30_000);
    expect(tick(50, 100)!.etaS).toBeCloseTo(30, 9);
    vi.advanceTimersByTime(60_000);
    expect(tick(100, 100)).toBeNull();
  });
});
