/** Locates the data folders of the corpora that `npm ci` installs (no network at run time). */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EwcError } from '../../util/errors.ts';

const require = createRequire(import.meta.url);

export function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new EwcError(`the embedded corpus package ${name} is not installed: run \`npm ci\` in the ewc-lm folder.`);
  }
}

export function packageVersion(name: string): string {
  return (require(join(packageDir(name), 'package.json')) as { version: string }).version;
}
