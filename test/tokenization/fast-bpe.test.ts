import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadTokenizer } from '../../src/tokenization/index.ts';
import { sharedPath } from '../../src/util/shared.ts';

/** Seeded xorshift, so the fuzz strings are the same on every run. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const ALPHABET = [...'abc XYZ  \n\t\r.,\'"’—-…0123456789', 'é', 'e\u0301', 'Ё', 'ж', '日', '本', '🙂', '👩‍👧', '\u0000', '\u007f', "'s", "'ll", '<|endoftext|>', '  ', '\n\n'];

function fuzz(seed: number, n: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(r() * 40) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join(''));
}

const realText = [
  readFileSync(sharedPath('corpora/ru-kapitanskaya-dochka/pushkin_kapitanskaya_dochka.txt'), 'utf8').slice(0, 20000),
  readFileSync(sharedPath('corpora/dailydialog/test/dialogues_test.txt'), 'utf8').slice(0, 20000),
  readFileSync(sharedPath('corpora/chatterbot-english/coding.yml'), 'utf8').slice(0, 20000),
  readFileSync(sharedPath('corpora/alice-in-wonderland/alice_in_wonderland.txt'), 'utf8').slice(0, 20000),
];

describe('fast byte-level BPE encoder = tokenizers.js', () => {
  it.each(['fixtures/gpt2-tokenizer', 'fixtures/gpt2-tokenizer-json'])('%s: real text and 300 fuzz strings', (dir) => {
    const tok = loadTokenizer(sharedPath(dir));
    expect(tok.fast).toBe(true);
    for (const t of [...realText, ...fuzz(1, 300)]) expect(tok.encode(t)).toEqual(tok.referenceEncode(t));
  });

  it('falls back to tokenizers.js when the vocabulary lacks byte tokens (tiny-random-gpt2)', () => {
    const tok = loadTokenizer(sharedPath('fixtures/tiny-random-gpt2'));
    expect(tok.fast).toBe(false);
    expect(tok.encode('Hello world')).toEqual(tok.referenceEncode('Hello world'));
  });
});
