/** Markdown tables from rows of plain values, with consistent number formatting. */

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

export interface NumberFormat {
  /** Significant digits for non-integers (default 4). Ignored when `fixed` is set. */
  digits?: number;
  /** Fixed number of decimals (e.g. 2 → "3.14"). */
  fixed?: number;
  /** Multiply by 100 and append "%". */
  percent?: boolean;
}

/**
 * Formats a number for a report: integers as is (exponent form beyond 1e15), other values with
 * `digits` significant digits without trailing zeros, exponent form below 1e-4 / at or above 1e9;
 * NaN → "NaN", ±Infinity → "inf" / "-inf".
 */
export function formatNumber(v: number, f: NumberFormat = {}): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (f.percent) return formatNumber(v * 100, { ...f, percent: false }) + '%';
  if (f.fixed !== undefined) return v.toFixed(f.fixed);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const digits = f.digits ?? 4;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e9)) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return `${stripZeros(m)}e${e.startsWith('+') ? e.slice(1) : e}`;
  }
  return stripZeros(v.toPrecision(digits));
}

function stripZeros(s: string): string {
  if (!s.includes('.') || s.includes('e')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

/** "mean ± sd" with the same formatting for both parts (sd omitted when undefined or NaN). */
export function formatMeanSd(mean: number, sd: number | undefined, f: NumberFormat = {}): string {
  const m = formatNumber(mean, f);
  return sd === undefined || Number.isNaN(sd) ? m : `${m} ± ${formatNumber(sd, f)}`;
}

export interface ColumnSpec {
  /** Row key. */
  key: string;
  /** Header text (default: the key). */
  header?: string;
  /** Alignment (default: right for columns holding numbers, left otherwise). */
  align?: 'left' | 'right' | 'center';
  /** Number format for this column. */
  format?: NumberFormat | ((v: Cell, row: Row) => string);
}

export interface TableOptions {
  /** Columns in order (default: keys of all rows, in first-seen order). */
  columns?: (string | ColumnSpec)[];
  /** Default number format. */
  number?: NumberFormat;
  /** Text for null / undefined cells (default "—"). */
  empty?: string;
}

function cellText(v: Cell, row: Row, col: ColumnSpec, opts: TableOptions): string {
  if (typeof col.format === 'function') return col.format(v, row);
  if (v === null || v === undefined) return opts.empty ?? '—';
  if (typeof v === 'number') return formatNumber(v, col.format ?? opts.number);
  return String(v);
}

function escapeCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured markdown table; columns padded so that the source reads as a table too. */
export function markdownTable(rows: Row[], opts: TableOptions = {}): string {
  let cols: ColumnSpec[];
  if (opts.columns) cols = opts.columns.map((c) => (typeof c === 'string' ? { key: c } : c));
  else {
    const keys: string[] = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
    cols = keys.map((key) => ({ key }));
  }
  if (cols.length === 0) return '';
  const header = cols.map((c) => escapeCell(c.header ?? c.key));
  const body = rows.map((r) => cols.map((c) => escapeCell(cellText(r[c.key], r, c, opts))));
  const align = cols.map((c) => c.align ?? (rows.some((r) => typeof r[c.key] === 'number') ? 'right' : 'left'));
  const width = cols.map((_, j) => Math.max(3, header[j].length, ...body.map((b) => b[j].length)));
  const pad = (s: string, j: number) => {
    const n = width[j] - s.length;
    if (align[j] === 'right') return ' '.repeat(n) + s;
    if (align[j] === 'center') return ' '.repeat(n >> 1) + s + ' '.repeat(n - (n >> 1));
    return s + ' '.repeat(n);
  };
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = width.map((w, j) => {
    const a = align[j];
    if (a === 'right') return '-'.repeat(w - 1) + ':';
    if (a === 'center') return ':' + '-'.repeat(w - 2) + ':';
    return '-'.repeat(w);
  });
  return [line(header), `| ${rule.join(' | ')} |`, ...body.map(line)].join('\n') + '\n';
}
