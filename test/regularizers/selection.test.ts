import { describe, expect, it } from 'vitest';
import { globToRegExp, selectParams } from '../../src/regularizers/selection.ts';

const gpt2 = [
  'wte.weight',
  'wpe.weight',
  'h.0.ln_1.weight',
  'h.0.attn.c_attn.weight',
  'h.0.attn.c_attn.bias',
  'h.0.attn.c_proj.weight',
  'h.0.attn.c_proj.bias',
  'h.0.mlp.c_fc.weight',
  'h.0.mlp.c_proj.weight',
  'h.11.attn.c_attn.weight',
  'h.11.attn.c_proj.bias',
  'ln_f.weight',
];

describe('parameter selection globs', () => {
  it('attention preset = h.*.attn.c_attn.* and h.*.attn.c_proj.*', () => {
    expect(selectParams(gpt2, ['attention'])).toEqual([
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_attn.bias',
      'h.0.attn.c_proj.weight',
      'h.0.attn.c_proj.bias',
      'h.11.attn.c_attn.weight',
      'h.11.attn.c_proj.bias',
    ]);
  });
  it('all preset and default select everything, in order', () => {
    expect(selectParams(gpt2, ['all'])).toEqual(gpt2);
    expect(selectParams(gpt2)).toEqual(gpt2);
  });
  it('* stays within a dot segment, ** crosses dots, ! excludes', () => {
    expect(globToRegExp('h.*.attn.*').test('h.0.attn.c_attn.weight')).toBe(false);
    expect(globToRegExp('h.**.weight').test('h.0.attn.c_attn.weight')).toBe(true);
    expect(selectParams(gpt2, ['h.**', '!*.*.*.*.bias', '!h.*.ln_1.*'])).toEqual([
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_proj.weight',
      'h.0.mlp.c_fc.weight',
      'h.0.mlp.c_proj.weight',
      'h.11.attn.c_attn.weight',
    ]);
    expect(selectParams(gpt2, ['attention', '!h.11.**'])).toHaveLength(4);
    expect(selectParams(['fc1.weight', 'fc1.bias'], ['*.weight'])).toEqual(['fc1.weight']);
  });
  it('a pattern that matches nothing is an error naming it', () => {
    expect(() => selectParams(gpt2, ['h.*.attn.q_proj.*'])).toThrow(/'h\.\*\.attn\.q_proj\.\*' matches no parameter/);
    expect(() => selectParams(['fc1.weight'], ['attention'])).toThrow(/matches no parameter/);
  });
});
