/**
 * ewc-lm command-line entry. Every file in ./commands exports `default` — one yargs
 * CommandModule or an array of them — so adding a command is adding one file.
 * Results: JSON on stdout. Logs/progress: stderr. User errors: message only, exit 1.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EwcError } from '../util/errors.ts';

/** Command word → module file (without .ts) where they differ. */
const MODULE_OF: Record<string, string> = { about: 'version', 'import-onnx': 'export' };

async function loadCommands(): Promise<CommandModule[]> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const all = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  // Start-up time: when the first word names a command whose module is known, load only that module (each
  // module pulls in its engine: tfjs, onnxruntime, tokenizers…). --help and unknown words load them all.
  const first = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const wanted = first ? `${MODULE_OF[first] ?? first}.ts` : null;
  const files = wanted && all.includes(wanted) && !process.argv.includes('--help') ? [wanted] : all;
  const out: CommandModule[] = [];
  for (const f of files) {
    try {
      const mod = await import(pathToFileURL(join(dir, f)).href);
      const c = mod.default as CommandModule | CommandModule[] | undefined;
      if (!c) continue;
      out.push(...(Array.isArray(c) ? c : [c]));
    } catch (e) {
      // A command whose module fails to load must not take the other commands down: it reports the
      // failure when it is the one invoked.
      const name = f.replace(/\.ts$/, '');
      out.push({
        command: `${name} [args..]`,
        describe: `(unavailable: ${(e as Error).message.split('\n')[0]})`,
        handler: () => {
          throw e;
        },
      });
    }
  }
  return out;
}

function report(err: unknown): never {
  const debug = process.env.EWC_LM_DEBUG === '1';
  if (err instanceof EwcError && !debug) {
    process.stderr.write(`error: ${err.message}\n`);
  } else if (err instanceof Error) {
    process.stderr.write(`error: ${err.message}\n`);
    if (debug || !(err instanceof EwcError)) process.stderr.write((err.stack ?? '') + '\n');
  } else {
    process.stderr.write(`error: ${String(err)}\n`);
  }
  process.exit(1);
}

try {
  const cmds = await loadCommands();
  let y = yargs(hideBin(process.argv))
    .scriptName('ewc-lm')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .fail((msg, err) => {
      if (err) report(err);
      process.stderr.write(`error: ${msg}\nRun 'ewc-lm --help' for the commands and options.\n`);
      process.exit(1);
    })
    .help();
  for (const c of cmds) y = y.command(c);
  await y.parseAsync();
} catch (e) {
  report(e);
}
