/**
 * Where pruning scores come from: an importance safetensors file (name-keyed, as written by
 * src/importance/file.ts: Ω under the parameter names, optional θ* under `anchor/<name>`, which is skipped),
 * or a name computed on the fly. Host-only here; scores that need a model run (fisher, mas, signal) are
 * computed by the benchmark drivers through src/importance's registry.
 */
import { existsSync, statSync } from 'node:fs';
import { readSafetensors } from '../io/safetensors.ts';
import { EwcError } from '../util/errors.ts';
import type { ScoreMap } from './rank.ts';

/** Importance-file prefix of anchors (θ*), which are not scores (src/importance/file.ts ANCHOR_PREFIX). */
const ANCHOR_PREFIX = 'anchor/';

/** The score names `--score` accepts besides a file path. */
export const SCORE_NAMES = ['magnitude', 'fisher', 'mas', 'si', 'signal'] as const;
export type ScoreName = (typeof SCORE_NAMES)[number];

export function isScoreName(s: string): s is ScoreName {
  return (SCORE_NAMES as readonly string[]).includes(s);
}

/** `--score` is a file when it names an existing file or ends in .safetensors. */
export function isScoreFile(spec: string): boolean {
  return spec.endsWith('.safetensors') || (existsSync(spec) && statSync(spec).isFile());
}

export function loadScoreFile(path: string): { scores: ScoreMap; metadata: Record<string, string> } {
  if (!existsSync(path)) {
    throw new EwcError(
      `--score ${path}: the file does not exist. Pass an importance file (ewc-lm importance … --out FILE) or one of ${SCORE_NAMES.join(', ')}.`,
    );
  }
  const r = readSafetensors(path);
  const scores: ScoreMap = new Map();
  for (const [n, t] of r.tensors) if (!n.startsWith(ANCHOR_PREFIX)) scores.set(n, { shape: t.shape, data: t.data });
  if (scores.size === 0) throw new EwcError(`--score ${path}: the file holds no score tensors (only anchors or nothing).`);
  return { scores, metadata: r.metadata };
}

/** Parses a comma/space separated list of score names (e.g. "magnitude,fisher"). */
export function parseScoreList(v: string | string[], allowed: readonly string[]): string[] {
  const list = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(/[ ,]+/)).filter(Boolean);
  for (const s of list) {
    if (!allowed.includes(s)) throw new EwcError(`--scores: expected names from ${allowed.join(', ')}, found '${s}'.`);
  }
  if (list.length === 0) throw new EwcError(`--scores: expected at least one of ${allowed.join(', ')}.`);
  return [...new Set(list)];
}
