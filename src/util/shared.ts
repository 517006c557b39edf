/**
 * Locates ../shared (read-only docs, corpora, fixtures). Overridable with EWC_LM_SHARED.
 * A missing path is an error that names the path and the variable to set.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EwcError } from './errors.ts';

/** Repository root (the folder holding package.json). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function sharedDir(): string {
  return resolve(process.env.EWC_LM_SHARED ?? resolve(repoRoot, '..', 'shared'));
}

/** Absolute path inside shared/; throws a clear error when it does not exist. */
export function sharedPath(...parts: string[]): string {
  const p = resolve(sharedDir(), ...parts);
  if (!existsSync(p)) {
    throw new EwcError(
      `shared data not found: ${p} does not exist. Tests and benchmarks read ../shared next to the ` +
        `repository; set EWC_LM_SHARED=/path/to/shared if it lives elsewhere.`,
    );
  }
  return p;
}
