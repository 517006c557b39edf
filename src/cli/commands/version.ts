import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../util/shared.ts';
import { printResult } from '../../util/log.ts';

const cmd: CommandModule = {
  command: 'about',
  describe: 'print the package version and runtime as JSON',
  handler: () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    printResult({ name: pkg.name, version: pkg.version, node: process.version });
  },
};
export default cmd;
