/** Reads a recipe file (JSON; keys starting with "//" are comments) with clear errors. */
import { existsSync, readFileSync } from 'node:fs';
import { EwcError } from '../util/errors.ts';
import { type ConfigLayer, type Schema, overridesToLayer, resolveConfig } from './schema.ts';
import { writeJsonAtomic } from '../util/atomic.ts';

export function readRecipe(path: string): unknown {
  if (!existsSync(path)) throw new EwcError(`recipe not found: ${path} does not exist. Pass an existing JSON recipe (see recipes/).`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EwcError(`recipe ${path}: expected JSON, found a parse error (${(e as Error).message}). Comments go in keys starting with "//".`);
  }
}

/**
 * defaults → recipe file (optional) → explicit CLI layer (flags already mapped to config paths) → `--set k=v`.
 */
export function resolveWithRecipe<T>(
  schema: Schema,
  opts: { recipe?: string; cli?: Record<string, unknown>; sets?: readonly string[] },
): T {
  const layers: ConfigLayer[] = [];
  if (opts.recipe) layers.push({ source: opts.recipe, value: readRecipe(opts.recipe) });
  if (opts.cli && Object.keys(opts.cli).length > 0) layers.push({ source: 'command-line flags', value: opts.cli });
  if (opts.sets && opts.sets.length > 0) layers.push({ source: 'command line --set', value: overridesToLayer(schema, opts.sets) });
  return resolveConfig<T>(schema, layers);
}

/** Saves the resolved configuration beside outputs (atomic). */
export function saveResolvedConfig(path: string, cfg: unknown): void {
  writeJsonAtomic(path, cfg);
}
