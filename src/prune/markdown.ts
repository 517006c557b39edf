/** Minimal markdown table for the pruning reports (pipes in cells are escaped). */
export function mdTable(header: string[], rows: string[][], align: ('l' | 'r')[] = []): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const sep = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r, i) => '| ' + (i === 1 ? r : r.map(esc)).join(' | ') + ' |').join('\n');
}
