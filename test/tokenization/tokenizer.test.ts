import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadTokenizer } from '../../src/tokenization/index.ts';
import { sharedPath } from '../../src/util/shared.ts';

const examples: { text: string; ids: number[] }[] = JSON.parse(
  readFileSync(sharedPath('fixtures/gpt2-tokenizer/derived/encode_examples.json'), 'utf8'),
).examples;

describe('GPT-2 tokenizer: derived/encode_examples.json reproduced exactly', () => {
  for (const dir of ['fixtures/gpt2-tokenizer', 'fixtures/gpt2-tokenizer-json']) {
    const tok = loadTokenizer(sharedPath(dir));
    it(`${dir}: vocab 50257, eos 50256`, () => {
      expect(tok.vocabSize).toBe(50257);
      expect(tok.eosId).toBe(50256);
      expect(tok.eosToken).toBe('<|endoftext|>');
    });
    it.each(examples.map((e) => [JSON.stringify(e.text).slice(0, 40), e] as const))(`${dir}: %s`, (_n, e) => {
      expect(tok.encode(e.text)).toEqual(e.ids);
      expect(tok.decode(e.ids)).toBe(e.text);
    });
  }
});

describe('tokenizer forms agree', () => {
  it('encoder.json+vocab.bpe and tokenizer.json give the same ids (and differ only in source)', () => {
    const a = loadTokenizer(sharedPath('fixtures/gpt2-tokenizer'));
    const b = loadTokenizer(sharedPath('fixtures/gpt2-tokenizer-json'));
    const text = 'The <|endoftext|> token, tabs\tand “quotes” — 1999.';
    expect(a.encode(text)).toEqual(b.encode(text));
    expect(a.encode('a<|endoftext|>b')).toEqual([64, 50256, 65]);
  });

  it('tiny-random-gpt2: tokenizer.json and vocab.json+merges.txt agree; eos is id 0', () => {
    const t = loadTokenizer(sharedPath('fixtures/tiny-random-gpt2'));
    const viaFile = loadTokenizer(sharedPath('fixtures/tiny-random-gpt2/tokenizer.json'));
    expect(t.vocabSize).toBe(1000);
    expect(t.eosId).toBe(0);
    for (const e of examples.slice(0, 6)) expect(viaFile.encode(e.text)).toEqual(t.encode(e.text));
  });

  it('idToToken / tokenToId / tokenize', () => {
    const t = loadTokenizer(sharedPath('fixtures/gpt2-tokenizer'));
    expect(t.tokenize(' Hello world')).toEqual(['ĠHello', 'Ġworld']);
    expect(t.idToToken(995)).toBe('Ġworld');
    expect(t.tokenToId('Ġworld')).toBe(995);
  });
});

describe('tokenizer errors', () => {
  it.each([
    ['/no/such/tokenizer', /tokenizer not found: \/no\/such\/tokenizer does not exist\. Expected a tokenizer\.json file/],
    [sharedPath('corpora/yellow-wallpaper'), /no tokenizer files in .*yellow-wallpaper: expected .*; found MANIFEST\.json/],
    [sharedPath('corpora/yellow-wallpaper/the_yellow_wallpaper.txt'), /is a file but not a tokenizer\.json/],
  ])('%s', (p, re) => {
    expect(() => loadTokenizer(p)).toThrow(re);
  });
  it('decode rejects ids outside the vocabulary', () => {
    const t = loadTokenizer(sharedPath('fixtures/gpt2-tokenizer'));
    expect(() => t.decode([50257])).toThrow(/cannot decode id 50257: expected integers in \[0, 50257\)/);
  });
});
