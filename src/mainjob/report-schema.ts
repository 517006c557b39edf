/**
 * Hand-written schema check of report.json (the MainJobReport contract in ./types.ts). Returns a list of
 * problems, each naming the exact path ("runs[2].ppl.books.after.ppl: expected a positive finite number,
 * found \"16\""); an empty list means valid. Beyond types it checks what the numbers promise:
 * ppl = exp(nll) (relative 1e-6), change = after.ppl − before.ppl and logChange = after.nll − before.nll
 * (1e-9), ci95.low ≤ ci95.high, unique run ids, a parseable createdAt. Keys not in the contract are allowed
 * unless `strict` (then each is a problem).
 */

type Check = (v: unknown, path: string, out: string[]) => void;

function found(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 40 ? s.slice(0, 40) + '…' : s}`;
}

const fail = (out: string[], path: string, expected: string, v: unknown) => out.push(`${path}: expected ${expected}, found ${found(v)}`);

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function num(opts: { min?: number; positive?: boolean; integer?: boolean } = {}): Check {
  const desc = `${opts.positive ? 'a positive ' : opts.min !== undefined ? `a ≥ ${opts.min} ` : 'a '}finite ${opts.integer ? 'integer' : 'number'}`;
  return (v, path, out) => {
    if (!isNum(v) || (opts.integer && !Number.isInteger(v)) || (opts.positive && v <= 0) || (opts.min !== undefined && v < opts.min)) {
      fail(out, path, desc, v);
    }
  };
}

const str: Check = (v, path, out) => {
  if (typeof v !== 'string') fail(out, path, 'a string', v);
};

const nonEmptyStr: Check = (v, path, out) => {
  if (typeof v !== 'string' || v.length === 0) fail(out, path, 'a non-empty string', v);
};

const anything: Check = (v, path, out) => {
  if (v === undefined) out.push(`${path}: expected a value, found nothing (missing)`);
};

function oneOf(values: readonly string[]): Check {
  return (v, path, out) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(out, path, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
  };
}

function nullable(c: Check, what: string): Check {
  return (v, path, out) => {
    if (v === null) return;
    const inner: string[] = [];
    c(v, path, inner);
    if (inner.length && v === undefined) out.push(`${path}: expected ${what} or null, found nothing (missing)`);
    else out.push(...inner);
  };
}

function arrayOf(item: Check, opts: { nonEmpty?: boolean } = {}): Check {
  return (v, path, out) => {
    if (!Array.isArray(v)) return fail(out, path, opts.nonEmpty ? 'a non-empty array' : 'an array', v);
    if (opts.nonEmpty && v.length === 0) return fail(out, path, 'a non-empty array', v);
    v.forEach((x, i) => item(x, `${path}[${i}]`, out));
  };
}

function recordOf(value: Check, what: string): Check {
  return (v, path, out) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(out, path, `an object of ${what}`, v);
    for (const [k, x] of Object.entries(v)) value(x, `${path}.${k}`, out);
  };
}

function obj(fields: Record<string, Check>, strict: boolean, extra?: (o: Record<string, unknown>, path: string, out: string[]) => void): Check {
  return (v, path, out) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(out, path || 'report', 'an object', v);
    const o = v as Record<string, unknown>;
    for (const [k, c] of Object.entries(fields)) c(o[k], path ? `${path}.${k}` : k, out);
    if (strict) for (const k of Object.keys(o)) if (!(k in fields)) out.push(`${path ? `${path}.${k}` : k}: not part of the report contract (src/mainjob/types.ts)`);
    extra?.(o, path, out); // consistency checks; each guards the types it relies on
  };
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

function schema(strict: boolean): Check {
  const ci = obj({ low: num(), high: num() }, strict, (o, path, out) => {
    if (isNum(o.low) && isNum(o.high) && o.low > o.high) out.push(`${path}: expected low ≤ high, found low ${o.low} > high ${o.high}`);
  });
  const ppl = obj(
    {
      ppl: num({ positive: true }),
      nll: num(),
      tokens: num({ min: 0, integer: true }),
      documents: num({ min: 0, integer: true }),
      ci95: nullable(ci, '{low, high}'),
    },
    strict,
    (o, path, out) => {
      if (isNum(o.ppl) && isNum(o.nll) && !close(o.ppl, Math.exp(o.nll), 1e-6)) {
        out.push(`${path}.ppl: expected exp(nll) = ${Math.exp(o.nll)}, found ${o.ppl}`);
      }
    },
  );
  const change = obj({ before: ppl, after: ppl, change: num(), logChange: num() }, strict, (o, path, out) => {
    const b = (o.before ?? {}) as { ppl?: unknown; nll?: unknown };
    const a = (o.after ?? {}) as { ppl?: unknown; nll?: unknown };
    if (!isNum(a.ppl) || !isNum(b.ppl) || !isNum(a.nll) || !isNum(b.nll) || !isNum(o.change) || !isNum(o.logChange)) return;
    if (!close(o.change, a.ppl - b.ppl, 1e-9)) out.push(`${path}.change: expected after.ppl − before.ppl = ${a.ppl - b.ppl}, found ${o.change}`);
    if (!close(o.logChange, a.nll - b.nll, 1e-9)) out.push(`${path}.logChange: expected after.nll − before.nll = ${a.nll - b.nll}, found ${o.logChange}`);
  });
  const run = obj(
    {
      id: nonEmptyStr,
      penalty: oneOf(['none', 'ewc', 'stabilized']),
      lambda: num({ min: 0 }),
      eta: nullable(num({ min: 0 }), 'a ≥ 0 finite number'),
      ppl: obj({ books: change, dialog: change }, strict),
      forgettingVsPlain: nullable(num(), 'a finite number'),
      learningVsPlain: nullable(num(), 'a finite number'),
      train: obj(
        {
          steps: num({ min: 0, integer: true }),
          lastLoss: num(),
          tokensPerSecond: num({ min: 0 }),
          seconds: num({ min: 0 }),
          maxPenaltyRatio: nullable(num({ min: 0 }), 'a ≥ 0 finite number'),
          warnings: arrayOf(str),
        },
        strict,
      ),
      checkpoint: nonEmptyStr,
    },
    strict,
  );
  return obj(
    {
      recipe: str,
      createdAt: nonEmptyStr,
      config: anything,
      versions: recordOf(str, 'version strings'),
      machine: obj({ cpu: str, cores: num({ min: 1, integer: true }), memoryGiB: num({ min: 0 }), platform: str }, strict),
      model: obj({ dir: nonEmptyStr, hash: str, parameters: num({ min: 1, integer: true }) }, strict),
      importance: obj(
        {
          file: str,
          method: nonEmptyStr,
          samples: num({ min: 0, integer: true }),
          params: arrayOf(str),
          penalisedTensors: num({ min: 0, integer: true }),
          seconds: num({ min: 0 }),
        },
        strict,
      ),
      baseline: obj({ books: ppl, dialog: ppl }, strict),
      runs: arrayOf(run, { nonEmpty: true }),
      timings: recordOf(num({ min: 0 }), 'seconds'),
    },
    strict,
    (o, _path, out) => {
      if (typeof o.createdAt === 'string' && o.createdAt && Number.isNaN(Date.parse(o.createdAt))) {
        out.push(`createdAt: expected an ISO date-time, found ${found(o.createdAt)}`);
      }
      const seen = new Set<string>();
      (Array.isArray(o.runs) ? (o.runs as { id?: unknown }[]) : []).forEach((r, i) => {
        if (typeof r !== 'object' || r === null || typeof r.id !== 'string') return;
        if (seen.has(r.id)) out.push(`runs[${i}].id: expected unique run ids, found ${JSON.stringify(r.id)} twice`);
        seen.add(r.id);
      });
    },
  );
}

/** Problems of `obj` as a MainJobReport (empty = valid). `strict`: keys outside the contract are problems too. */
export function validateMainJobReport(value: unknown, opts: { strict?: boolean } = {}): string[] {
  const out: string[] = [];
  schema(opts.strict ?? false)(value, '', out);
  return out;
}
