/**
 * A fast encoder for GPT-2-style byte-level BPE (the common case: GPT-2's own files and tokenizers trained
 * here). Same algorithm as tokenizers.js / Hugging Face for this configuration — split out the added
 * (special) tokens, GPT-2 pre-tokenisation, bytes → byte characters, then repeatedly merge the adjacent pair
 * with the lowest merge rank — with a per-piece cache, which makes it several times faster on real text.
 * It is only used when the tokenizer.json has exactly that shape (see fastEncoderFor); anything else, or a
 * vocabulary missing some byte, goes through tokenizers.js. Tests check both give identical ids.
 */
import { BYTE_TO_CHAR } from './bytes.ts';
import { forEachPreToken } from './pretokenize.ts';

type Json = Record<string, any>;

export type FastEncode = (text: string) => number[];

/** Returns a fast encoder when `json` is a plain GPT-2-style byte-level BPE, else undefined. */
export function fastEncoderFor(json: Json): FastEncode | undefined {
  const m = json.model;
  const pre = json.pre_tokenizer;
  if (!m || (m.type !== undefined && m.type !== 'BPE')) return undefined;
  if (json.normalizer !== null && json.normalizer !== undefined) return undefined;
  if (!pre || pre.type !== 'ByteLevel' || pre.add_prefix_space || pre.use_regex === false) return undefined;
  if (m.dropout || m.continuing_subword_prefix || m.end_of_word_suffix || m.byte_fallback || m.ignore_merges) return undefined;
  const vocab: Record<string, number> = m.vocab;
  if (!vocab || !Array.isArray(m.merges)) return undefined;
  for (const c of BYTE_TO_CHAR) if (!(c in vocab)) return undefined;
  const added: { content: string; id: number }[] = [];
  for (const t of (json.added_tokens ?? []) as Json[]) {
    if (t.lstrip || t.rstrip || t.single_word || typeof t.content !== 'string' || t.content === '') return undefined;
    added.push({ content: t.content, id: t.id });
  }
  const ranks = new Map<string, number>();
  m.merges.forEach((mg: string | [string, string], i: number) => {
    const key = Array.isArray(mg) ? `${mg[0]} ${mg[1]}` : mg;
    if (!ranks.has(key)) ranks.set(key, i);
  });
  const ids = new Map<string, number>(Object.entries(vocab));
  const addedIds = new Map(added.map((a) => [a.content, a.id]));
  const splitter = added.length
    ? new RegExp(
        '(' + added.map((a) => a.content).sort((x, y) => y.length - x.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + ')',
        'u',
      )
    : undefined;
  const cache = new Map<string, number[]>();

  function bpe(piece: string): number[] {
    const bytes = Buffer.from(piece, 'utf8');
    let syms: string[] = new Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) syms[i] = BYTE_TO_CHAR[bytes[i]];
    while (syms.length > 1) {
      let best = Infinity;
      let bi = -1;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = ranks.get(syms[i] + ' ' + syms[i + 1]);
        if (r !== undefined && r < best) {
          best = r;
          bi = i;
        }
      }
      if (bi < 0) break;
      const a = syms[bi];
      const b = syms[bi + 1];
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(syms[i]);
      }
      syms = out;
    }
    const res: number[] = new Array(syms.length);
    for (let i = 0; i < syms.length; i++) {
      const id = ids.get(syms[i]);
      if (id === undefined) throw new Error(`fast BPE: merged token ${JSON.stringify(syms[i])} is missing from the vocabulary`);
      res[i] = id;
    }
    return res;
  }

  function encodePlain(text: string, out: number[]): void {
    forEachPreToken(text, (piece) => {
      let r = cache.get(piece);
      if (!r) {
        r = bpe(piece);
        if (cache.size > 200_000) cache.clear();
        cache.set(piece, r);
      }
      for (let i = 0; i < r.length; i++) out.push(r[i]);
    });
  }

  return (text: string) => {
    const out: number[] = [];
    if (!splitter) {
      encodePlain(text, out);
      return out;
    }
    const parts = text.split(splitter);
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 1) out.push(addedIds.get(parts[i])!);
      else if (parts[i]) encodePlain(parts[i], out);
    }
    return out;
  };
}
