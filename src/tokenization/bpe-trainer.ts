/**
 * Byte-level BPE trainer (GPT-2 style).
 *
 * 1. Pre-tokenize every text with GPT-2's pattern and count the distinct pieces ("words").
 * 2. Every word is a sequence of byte symbols; all 256 bytes are in the vocabulary (ids 0..255 in GPT-2's
 *    byte order, see bytes.ts), so any string can be encoded and decoded exactly.
 * 3. Count adjacent symbol pairs (weighted by word counts) once, and keep for each pair the words it occurs
 *    in. Repeatedly take the most frequent pair from a max-heap (ties → smaller pair ids, deterministic),
 *    add the merged symbol, and update only the words that contain the pair: their old pairs are
 *    subtracted, the merged word's pairs added, and pairs with the new symbol pushed on the heap. Stale heap
 *    entries are detected on pop (stored count ≠ current count) and re-pushed with the current count. No
 *    rescan of the corpus per merge.
 * 4. Special tokens (<|endoftext|>) get the last ids, as in GPT-2 (50256).
 */
import { EwcError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { BYTE_ORDER, BYTE_TO_CHAR } from './bytes.ts';
import { PairHeap } from './heap.ts';
import { EOS_TOKEN } from './hf-json.ts';
import { forEachPreToken } from './pretokenize.ts';

export interface TrainBpeOptions {
  /** Final vocabulary size, including the 256 bytes and the special tokens. */
  vocabSize: number;
  /** Stop early when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Default [<|endoftext|>]. */
  specialTokens?: string[];
  /** Progress on stderr (default true). */
  progress?: boolean;
}

export interface TrainedBpe {
  vocab: Record<string, number>;
  merges: string[];
  specialTokens: string[];
  stats: { characters: number; bytes: number; words: number; distinctWords: number; merges: number; seconds: number; countSeconds: number };
}

const SHIFT = 2 ** 21; // pair key = a·2^21 + b (vocabularies up to 2M symbols)

export function trainBpe(texts: Iterable<string>, opts: TrainBpeOptions): TrainedBpe {
  const specials = opts.specialTokens ?? [EOS_TOKEN];
  const minFreq = opts.minFrequency ?? 2;
  const progress = opts.progress ?? true;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < 256 + specials.length || opts.vocabSize >= SHIFT) {
    throw new EwcError(
      `vocab size: expected an integer in [${256 + specials.length}, ${SHIFT}) (256 bytes + ${specials.length} special token(s) + merges), found ${opts.vocabSize}.`,
    );
  }
  const t0 = Date.now();

  // 1. word counts
  const wordCounts = new Map<string, number>();
  let characters = 0;
  let words = 0;
  for (const text of texts) {
    characters += text.length;
    forEachPreToken(text, (w) => {
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      words++;
    });
  }
  const countSeconds = (Date.now() - t0) / 1000;

  // 2. byte symbols
  const byteToId = new Int32Array(256);
  BYTE_ORDER.forEach((b, i) => (byteToId[b] = i));
  const tokens: string[] = BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]);
  const syms: Int32Array[] = [];
  const counts: number[] = [];
  let bytes = 0;
  for (const [w, c] of wordCounts) {
    const buf = Buffer.from(w, 'utf8');
    const s = new Int32Array(buf.length);
    for (let i = 0; i < buf.length; i++) s[i] = byteToId[buf[i]];
    syms.push(s);
    counts.push(c);
    bytes += buf.length * c;
  }
  wordCounts.clear();

  // 3. pair counts and where each pair occurs
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  for (let wi = 0; wi < syms.length; wi++) {
    const s = syms[wi];
    const c = counts[wi];
    let prevKey = -1;
    for (let j = 0; j + 1 < s.length; j++) {
      const k = s[j] * SHIFT + s[j + 1];
      pairCount.set(k, (pairCount.get(k) ?? 0) + c);
      if (k !== prevKey) {
        let l = pairWords.get(k);
        if (!l) pairWords.set(k, (l = []));
        if (l[l.length - 1] !== wi) l.push(wi);
      }
      prevKey = k;
    }
  }
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(k, c);

  const target = opts.vocabSize - specials.length;
  const merges: string[] = [];
  let lastLog = Date.now();
  const add = (k: number, d: number) => {
    const v = (pairCount.get(k) ?? 0) + d;
    if (v === 0) pairCount.delete(k);
    else pairCount.set(k, v);
  };
  while (tokens.length < target) {
    const top = heap.pop();
    if (!top) break;
    const cur = pairCount.get(top.key) ?? 0;
    if (cur !== top.count) {
      if (cur > 0) heap.push(top.key, cur);
      continue;
    }
    if (cur < minFreq) break;
    const a = Math.floor(top.key / SHIFT);
    const b = top.key - a * SHIFT;
    const z = tokens.length;
    tokens.push(tokens[a] + tokens[b]);
    merges.push(`${tokens[a]} ${tokens[b]}`);
    const fresh = new Set<number>();
    const where = pairWords.get(top.key) ?? [];
    pairWords.delete(top.key);
    for (const wi of where) {
      const s = syms[wi];
      let has = false;
      for (let j = 0; j + 1 < s.length; j++) if (s[j] === a && s[j + 1] === b) { has = true; break; }
      if (!has) continue;
      const c = counts[wi];
      for (let j = 0; j + 1 < s.length; j++) add(s[j] * SHIFT + s[j + 1], -c);
      const out: number[] = [];
      for (let j = 0; j < s.length; j++) {
        if (j + 1 < s.length && s[j] === a && s[j + 1] === b) {
          out.push(z);
          j++;
        } else out.push(s[j]);
      }
      const ns = Int32Array.from(out);
      syms[wi] = ns;
      for (let j = 0; j + 1 < ns.length; j++) {
        const k = ns[j] * SHIFT + ns[j + 1];
        add(k, c);
        if (ns[j] === z || ns[j + 1] === z) {
          fresh.add(k);
          let l = pairWords.get(k);
          if (!l) pairWords.set(k, (l = []));
          if (l[l.length - 1] !== wi) l.push(wi);
        }
      }
    }
    for (const k of fresh) {
      const c = pairCount.get(k);
      if (c) heap.push(k, c);
    }
    if (progress && Date.now() - lastLog > 2000) {
      lastLog = Date.now();
      const done = tokens.length - 256;
      const rate = done / ((lastLog - t0) / 1000 - countSeconds);
      log(`bpe: ${tokens.length}/${target} tokens (${rate.toFixed(0)} merges/s, ETA ${((target - tokens.length) / rate).toFixed(0)} s)`);
    }
  }
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  for (const sp of specials) {
    if (sp in vocab) throw new EwcError(`special token ${JSON.stringify(sp)} collides with a learned token.`);
    vocab[sp] = Object.keys(vocab).length;
  }
  return {
    vocab,
    merges,
    specialTokens: specials,
    stats: { characters, bytes, words, distinctWords: syms.length, merges: merges.length, seconds: (Date.now() - t0) / 1000, countSeconds },
  };
}
