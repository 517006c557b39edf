/** The metrics log (JSONL beside the checkpoint) and the progress line on stderr. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { log } from '../util/log.ts';

export class MetricsLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(record: Record<string, unknown>): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }

  /** On resume: drop records past `step` (written after the checkpoint by a run that then crashed). */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const keep = readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .filter((l) => {
        try {
          const r = JSON.parse(l) as { step?: number };
          return typeof r.step !== 'number' || r.step <= step;
        } catch {
          return false;
        }
      });
    writeFileAtomic(this.path, keep.map((l) => l + '\n').join(''));
  }

  static read(path: string): Record<string, unknown>[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

export function progressLine(p: {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  penalty: number;
  tokensPerSecond: number;
  etaSeconds: number;
}): void {
  const pen = p.penalty !== 0 ? ` pen ${p.penalty.toExponential(3)}` : '';
  log(
    `step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)}${pen} lr ${p.lr.toExponential(2)} |g| ${p.gradNorm.toFixed(3)} ` +
      `${p.tokensPerSecond.toFixed(0)} tok/s ETA ${formatDuration(p.etaSeconds)}`,
  );
}
