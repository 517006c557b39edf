import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenization/index.ts';
import { repoRoot, sharedPath } from '../../src/util/shared.ts';

function cli(...args: string[]): { code: number | null; out: any; err: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/ewc-lm.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, EWC_LM_QUIET: '1', EWC_LM_CACHE: 'off' },
  });
  let out: any = r.stdout;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    /* not JSON */
  }
  return { code: r.status, out, err: r.stderr };
}

const gpt2 = sharedPath('fixtures/gpt2-tokenizer');

describe('ewc-lm tokenize / tokenizer train / corpora', () => {
  it('tokenize --text and --decode', () => {
    expect(cli('tokenize', '--tokenizer', gpt2, '--text', 'Hello world').out).toEqual({ ids: [15496, 995], tokens: ['Hello', 'Ġworld'] });
    expect(cli('tokenize', '--tokenizer', gpt2, '--decode', '[18435, 995]').out).toEqual({ text: ' Hello world', tokens: ['ĠHello', 'Ġworld'] });
  });

  it('tokenizer train writes a loadable tokenizer; corpora stats counts tokens per split', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ewc-cli-'));
    const lines = Array.from({ length: 40 }, (_, i) => `{"text": "Paragraph ${i}: the whale swims, Привет 🙂 number ${i * 7}."}`);
    writeFileSync(join(dir, 'c.jsonl'), lines.join('\n') + '\n');
    const r = cli('tokenizer', 'train', '--corpus', `jsonl:${join(dir, 'c.jsonl')}`, '--vocab-size', '300', '--out', join(dir, 'tok'));
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ vocabSize: 300, eosId: 299, merges: 43, split: 'train' });
    const tok = loadTokenizer(join(dir, 'tok'));
    expect(tok.decode(tok.encode('the whale, Привет 🙂'))).toBe('the whale, Привет 🙂');
    const s = cli('corpora', 'stats', `jsonl:${join(dir, 'c.jsonl')}`, '--tokenizer', join(dir, 'tok'), '--fractions', '0.5,0.25,0.25', '--seed', '3');
    expect(s.code).toBe(0);
    expect(s.out.documents).toBe(40);
    const sum = (k: 'documents' | 'tokens') => s.out.splits.train[k] + s.out.splits.validation[k] + s.out.splits.test[k];
    expect(sum('documents')).toBe(40);
    expect(sum('tokens')).toBeGreaterThan(40 * 10);
  });

  it('corpora list names every format; a bad spec exits 1 with the message only', () => {
    const l = cli('corpora', 'list');
    expect(l.out.formats.map((f: any) => f.name)).toEqual(
      expect.arrayContaining(['moby-dick', 'sotu', 'brown', 'dialogs', 'books', 'text', 'jsonl', 'dialogs-jsonl', 'dailydialog', 'multiwoz', 'plays', 'chatterbot', 'tokens']),
    );
    const bad = cli('corpora', 'stats', 'nosuch:x');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: unknown corpus format "nosuch" in spec "nosuch:x"\. Expected one of: moby-dick/);
    expect(bad.err).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });
});
