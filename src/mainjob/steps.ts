/**
 * Resumable recipe steps. A step's folder holds step.json {key, result} written atomically when the step
 * completes; the key hashes the step's inputs (config + upstream keys). A rerun reuses a step whose key
 * matches, and redoes one whose key differs (after clearing its folder), so an interrupted recipe resumes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.ts';
import { log } from '../util/log.ts';

export function hashKey(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

export interface StepRecord<T> {
  key: string;
  result: T;
  seconds: number;
  reused: boolean;
}

export function readStep<T>(dir: string, key: string): StepRecord<T> | null {
  const p = join(dir, 'step.json');
  if (!existsSync(p)) return null;
  try {
    const r = JSON.parse(readFileSync(p, 'utf8')) as StepRecord<T>;
    return r.key === key ? { ...r, reused: true } : null;
  } catch {
    return null;
  }
}

/**
 * Runs `fn` in `dir` unless a completed step with the same key is there. `fn` gets `fresh` = false when the
 * folder holds an interrupted attempt with the same key (it may resume from it).
 */
export async function runStep<T>(name: string, dir: string, key: string, fn: (fresh: boolean) => Promise<T>): Promise<StepRecord<T>> {
  const done = readStep<T>(dir, key);
  if (done) {
    log(`[${name}] reused (key ${key})`);
    return done;
  }
  const keyFile = join(dir, 'step-key.json');
  let fresh = true;
  if (existsSync(keyFile)) {
    try {
      fresh = JSON.parse(readFileSync(keyFile, 'utf8')).key !== key;
    } catch {
      fresh = true;
    }
  }
  if (fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(keyFile, { key });
  log(`[${name}] ${fresh ? 'running' : 'resuming'} (key ${key})`);
  const t0 = Date.now();
  const result = await fn(fresh);
  const rec: StepRecord<T> = { key, result, seconds: (Date.now() - t0) / 1000, reused: false };
  writeJsonAtomic(join(dir, 'step.json'), rec);
  return rec;
}

/** sha256 of a file (model weights: steps downstream of a changed model are redone). */
export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}
