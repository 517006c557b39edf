import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { BYTE_ORDER, BYTE_TO_CHAR, loadTokenizer, preTokenize, saveTrainedTokenizer, toByteChars, trainBpe } from '../../src/tokenization/index.ts';
import { mobyDickDocuments } from '../../src/data/embedded/moby-dick.ts';

/**
 * Reference trainer: recount every pair over every word before each merge (the slow textbook loop), with
 * the same tie rule (highest count, then smallest (left id, right id)). The fast trainer must agree.
 */
function naiveMerges(texts: string[], nMerges: number, minFreq = 2): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of preTokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const idOf = new Map<string, number>(BYTE_ORDER.map((b, i) => [BYTE_TO_CHAR[b], i]));
  const tokens = BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]);
  let words = [...counts].map(([w, c]) => ({ s: [...toByteChars(w)].map((ch) => idOf.get(ch)!), c }));
  const merges: string[] = [];
  while (merges.length < nMerges) {
    const pc = new Map<string, number>();
    for (const { s, c } of words) for (let j = 0; j + 1 < s.length; j++) pc.set(`${s[j]},${s[j + 1]}`, (pc.get(`${s[j]},${s[j + 1]}`) ?? 0) + c);
    let best: [number, number] | undefined;
    let bc = 0;
    for (const [k, c] of pc) {
      const [a, b] = k.split(',').map(Number);
      if (c > bc || (c === bc && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bc = c;
      }
    }
    if (!best || bc < minFreq) break;
    const z = tokens.length;
    tokens.push(tokens[best[0]] + tokens[best[1]]);
    merges.push(`${tokens[best[0]]} ${tokens[best[1]]}`);
    words = words.map(({ s, c }) => {
      const o: number[] = [];
      for (let j = 0; j < s.length; j++) {
        if (j + 1 < s.length && s[j] === best![0] && s[j + 1] === best![1]) (o.push(z), j++);
        else o.push(s[j]);
      }
      return { s: o, c };
    });
  }
  return merges;
}

const toy = ['low lower lowest newer newest wider', 'aaaa aaa aa a', 'the the the theory then', 'ðŁ 🙂 Привет мир'];

describe('byte-level BPE trainer', () => {
  it('toy corpus: merges derived by hand', () => {
    // "ab ab ab cd" → pre-tokens "ab", "Ġab" ×2, "Ġcd". Pair counts: (a,b)=1+2=3, (Ġ,a)=2, (Ġ,c)=1, (c,d)=1.
    // Merge 1: a+b (3). Then (Ġ,ab)=2 → merge 2: Ġ+ab. Left: (Ġ,c)=1, (c,d)=1: below minFrequency 2 → stop.
    expect(trainBpe(['ab ab ab cd'], { vocabSize: 300, progress: false }).merges).toEqual(['a b', 'Ġ ab']);
    // minFrequency 1: the tie (c,d) vs (Ġ,c) goes to the smaller ids: c=66 < Ġ=220 (GPT-2 byte order).
    expect(trainBpe(['ab ab ab cd'], { vocabSize: 300, minFrequency: 1, progress: false }).merges).toEqual(['a b', 'Ġ ab', 'c d', 'Ġ cd']);
    const t = trainBpe(toy, { vocabSize: 257 + 10, progress: false });
    expect(t.merges).toEqual(naiveMerges(toy, 10));
  });

  it('incremental counts equal a full recount per merge (Moby Dick chapters 1–6, 200 merges)', () => {
    const texts = mobyDickDocuments().slice(0, 6).map((d) => d.text!);
    const t = trainBpe(texts, { vocabSize: 257 + 200, progress: false });
    expect(t.merges).toHaveLength(200);
    expect(t.merges).toEqual(naiveMerges(texts, 200));
  });

  it('vocabulary: all 256 bytes, merges, then <|endoftext|> last; deterministic', () => {
    const a = trainBpe(toy, { vocabSize: 280, minFrequency: 1, progress: false });
    const b = trainBpe(toy, { vocabSize: 280, minFrequency: 1, progress: false });
    expect(a.merges).toEqual(b.merges);
    expect(Object.keys(a.vocab)).toHaveLength(280);
    BYTE_ORDER.forEach((byte, i) => expect(a.vocab[BYTE_TO_CHAR[byte]]).toBe(i));
    expect(a.vocab['<|endoftext|>']).toBe(279);
  });

  it('stops early when no pair reaches minFrequency', () => {
    const t = trainBpe(['abc'], { vocabSize: 1000, progress: false });
    expect(t.merges).toEqual([]);
    expect(Object.keys(t.vocab)).toHaveLength(257);
  });

  it('rejects a vocabulary smaller than the byte alphabet', () => {
    expect(() => trainBpe(toy, { vocabSize: 100, progress: false })).toThrow(/vocab size: expected an integer in \[257, .*found 100/);
  });
});

describe('trained tokenizer files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ewc-bpe-'));
  const texts = mobyDickDocuments().slice(0, 20).map((d) => d.text!);
  saveTrainedTokenizer(dir, trainBpe(texts, { vocabSize: 800, progress: false }));
  const tok = loadTokenizer(dir);

  it('load through @huggingface/tokenizers with GPT-2 components', () => {
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer.type).toBe('ByteLevel');
    expect(json.decoder.type).toBe('ByteLevel');
    expect(json.added_tokens).toEqual([expect.objectContaining({ id: 799, content: '<|endoftext|>', special: true })]);
    const hf = new HfTokenizer(json, JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
    expect(hf.encode('Call me Ishmael.').ids).toEqual(tok.encode('Call me Ishmael.'));
    expect(tok.vocabSize).toBe(800);
    expect(tok.eosId).toBe(799);
    expect(tok.tokenize(' the whale').length).toBeLessThanOrEqual(3);
  });

  it.each([
    ['ascii', 'Call me Ishmael. Some years ago—never mind how long.'],
    ['emoji + ZWJ + flags', 'emoji 🙂👍🏽 👩‍👩‍👧 🇫🇷'],
    ['Cyrillic', 'Привет, как дела? Ёжик в тумане.'],
    ['CJK', '日本語のテキストと中文字符，한국어'],
    ['combining marks', 'e\u0301 vs é, a\u0308\u0304, Z\u0335\u0321a\u0336lgo'],
    ['control characters', 'nul\u0000 bell\u0007 tab\t cr\r lf\n esc\u001b del\u007f'],
    ['whitespace runs', '  two  spaces\n\n\nthree newlines\t\t'],
    ['astral + private use', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \uE000 \u{10FFFD}'],
    ['special token text', 'end<|endoftext|>start'],
  ])('round-trips %s exactly (fast encoder = tokenizers.js)', (_n, s) => {
    expect(tok.fast).toBe(true);
    expect(tok.encode(s)).toEqual(tok.referenceEncode(s));
    expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('Python tokenizers loads it (skipped when not importable)', () => {
    const has = spawnSync('python3', ['-c', 'import tokenizers'], { stdio: 'ignore' }).status === 0;
    if (!has) return; // python `tokenizers` not installed on this machine
    const out = execFileSync('python3', ['-c', `import tokenizers,sys; t=tokenizers.Tokenizer.from_file(sys.argv[1]); print(t.encode("Call me Ishmael.").ids)`, join(dir, 'tokenizer.json')]).toString();
    expect(JSON.parse(out)).toEqual(tok.encode('Call me Ishmael.'));
  });
});
