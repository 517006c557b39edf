import { describe, expect, it } from 'vitest';
import { formatMeanSd, formatNumber, markdownTable } from '../../src/report/table.ts';

describe('formatNumber', () => {
  it('formats integers, decimals, tiny and huge values, and non-finite values', () => {
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(-3)).toBe('-3');
    expect(formatNumber(3.14159265)).toBe('3.142');
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(1234.5678)).toBe('1235');
    expect(formatNumber(2.5e-7)).toBe('2.5e-7');
    expect(formatNumber(1.23456e12)).toBe('1234560000000'); // integers stay exact
    expect(formatNumber(1.23456e17)).toBe('1.235e17');
    expect(formatNumber(2e9 + 0.5)).toBe('2e9');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-inf');
    expect(formatNumber(3.14159, { digits: 2 })).toBe('3.1');
    expect(formatNumber(3.14159, { fixed: 2 })).toBe('3.14');
    expect(formatNumber(0.1234, { percent: true, fixed: 1 })).toBe('12.3%');
    expect(formatMeanSd(12.3456, 0.789, { fixed: 2 })).toBe('12.35 ± 0.79');
    expect(formatMeanSd(1.5, undefined)).toBe('1.5');
  });
});

describe('markdownTable', () => {
  it('builds an aligned GitHub table, numbers right-aligned, empty cells marked, pipes escaped', () => {
    const md = markdownTable([
      { method: 'EWC', ppl: 31.234567, tokens: 1000 },
      { method: 'fine|tune', ppl: 45.1, tokens: null },
    ]);
    expect(md).toBe(
      [
        '| method     |   ppl | tokens |',
        '| ---------- | ----: | -----: |',
        '| EWC        | 31.23 |   1000 |',
        '| fine\\|tune |  45.1 |      — |',
        '',
      ].join('\n'),
    );
  });

  it('honours column specs: order, headers, alignment, per-column formats', () => {
    const md = markdownTable(
      [{ a: 0.5, b: 'x', c: 2 }],
      {
        columns: [
          { key: 'c', header: 'C', align: 'center' },
          { key: 'a', header: 'share', format: { percent: true, fixed: 0 } },
          { key: 'b', format: (v) => `**${v}**` },
        ],
      },
    );
    const lines = md.trim().split('\n');
    expect(lines[0]).toBe('|  C  | share | b     |');
    expect(lines[1]).toBe('| :-: | ----: | ----- |');
    expect(lines[2]).toBe('|  2  |   50% | **x** |');
  });
});
