/** Results go to stdout as JSON; progress and logs go to stderr. */
export function printResult(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function log(...args: unknown[]): void {
  if (process.env.EWC_LM_QUIET === '1') return;
  process.stderr.write(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') + '\n');
}
