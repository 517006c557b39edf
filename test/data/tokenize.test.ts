import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentText, tokenizeDocuments, type Document } from '../../src/data/index.ts';
import { loadTokenizer, type Tokenizer } from '../../src/tokenization/index.ts';
import { sharedPath } from '../../src/util/shared.ts';

const gpt2 = loadTokenizer(sharedPath('fixtures/gpt2-tokenizer'));

function counting(t: Tokenizer): Tokenizer & { calls: number } {
  const c = { ...t, calls: 0 } as Tokenizer & { calls: number };
  c.encode = (s: string) => (c.calls++, t.encode(s));
  return c;
}

const docs: Document[] = [
  { id: 'd1', source: 't', turns: ['Good morning, sir.', 'Is there a bank near here?'] },
  { id: 't1', source: 't', text: 'Hello world' },
];

describe('tokenizeDocuments', () => {
  it('dialogs: turns joined by "\\n", every document ended by <|endoftext|> (a scored id, not padding)', () => {
    expect(documentText(docs[0])).toBe('Good morning, sir.\nIs there a bank near here?');
    const ids = tokenizeDocuments(docs, gpt2, { cacheDir: false });
    expect(ids[0]).toEqual([...gpt2.encode('Good morning, sir.\nIs there a bank near here?'), 50256]);
    expect(ids[1]).toEqual([15496, 995, 50256]);
    expect(tokenizeDocuments(docs, gpt2, { cacheDir: false, appendEos: false })[1]).toEqual([15496, 995]);
  });

  it('second run reads the on-disk cache (no encode calls); a changed text or tokenizer misses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ewc-cache-'));
    const t = counting(gpt2);
    const first = tokenizeDocuments(docs, t, { cacheDir: dir, progress: false });
    expect(t.calls).toBe(2);
    expect(readdirSync(join(dir, 'tokens'))).toHaveLength(1);
    const second = tokenizeDocuments(docs, t, { cacheDir: dir, progress: false });
    expect(t.calls).toBe(2);
    expect(second).toEqual(first);
    tokenizeDocuments([{ ...docs[0], turns: ['changed'] }, docs[1]], t, { cacheDir: dir, progress: false });
    expect(t.calls).toBe(4);
    const other = counting({ ...loadTokenizer(sharedPath('fixtures/tiny-random-gpt2')) });
    tokenizeDocuments(docs, other, { cacheDir: dir, progress: false });
    expect(other.calls).toBe(2);
    expect(readdirSync(join(dir, 'tokens'))).toHaveLength(3);
  });

  it('EWC_LM_CACHE sets the folder; "off" disables it', async () => {
    const { cacheDir } = await import('../../src/data/tokenize.ts');
    const old = process.env.EWC_LM_CACHE;
    process.env.EWC_LM_CACHE = '/some/where';
    expect(cacheDir()).toBe('/some/where');
    process.env.EWC_LM_CACHE = 'off';
    expect(cacheDir()).toBe(false);
    if (old === undefined) delete process.env.EWC_LM_CACHE;
    else process.env.EWC_LM_CACHE = old;
    if (old === undefined) expect(String(cacheDir())).toMatch(/\.cache$/);
  });

  it('pre-tokenized documents pass through, validated against the vocabulary', () => {
    expect(tokenizeDocuments([{ id: 'x', source: 't', ids: [1, 2] }], gpt2, { cacheDir: false })).toEqual([[1, 2]]);
    expect(() => tokenizeDocuments([{ id: 'x', source: 't', ids: [50257] }], gpt2, { cacheDir: false })).toThrow(
      /document x: token id 50257 is outside the tokenizer's vocabulary \[0, 50257\)/,
    );
  });
});
