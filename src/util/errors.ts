/**
 * User-facing errors. Every error a user can cause is an EwcError whose message says
 * what was expected, what was found, and what to do. The CLI prints the message only
 * (no stack trace) and exits with code 1; set EWC_LM_DEBUG=1 to see the stack.
 */
export class EwcError extends Error {
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'EwcError';
  }
}

/** Builds a message "<what>: expected <expected>, found <found>. <hint>". */
export function mismatch(what: string, expected: unknown, found: unknown, hint?: string): EwcError {
  const msg = `${what}: expected ${fmt(expected)}, found ${fmt(found)}.${hint ? ' ' + hint : ''}`;
  return new EwcError(msg, { expected, found });
}

function fmt(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
