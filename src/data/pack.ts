/**
 * Packing token ids into model inputs.
 *
 * Training — packBlocks: documents are concatenated into one stream with the end token between them (a
 * document that already ends with eosId, as tokenizeDocuments produces, gets no second one), then cut into
 * blocks of exactly blockSize tokens. Consecutive blocks overlap by `overlap` tokens (default 1): a model
 * scoring ids[1..T-1] from ids[0..T-2] inside each block then predicts every token of the stream after
 * the first exactly once. The tail shorter than blockSize is dropped.
 *
 * Evaluation — evalSequences: windows never cross a document boundary. A document longer than blockSize is
 * covered by windows of at most blockSize tokens starting every `stride` tokens; `scoreFrom` says which
 * target positions of the window are new, so that every target of the document (positions 1..L-1) is
 * scored exactly once, with up to blockSize-1 tokens of context (stride < blockSize-1 gives more context).
 */
import { EwcError } from '../util/errors.ts';

export interface PackOptions {
  /** Tokens shared by consecutive blocks (default 1; 0 gives disjoint blocks). */
  overlap?: number;
}

/** Concatenates documents (eos between) and cuts fixed-length blocks: [nBlocks][blockSize]. */
export function packBlocks(docs: number[][], blockSize: number, eosId: number, opts: PackOptions = {}): number[][] {
  const overlap = opts.overlap ?? 1;
  if (!Number.isInteger(blockSize) || blockSize < 2) {
    throw new EwcError(`block size: expected an integer ≥ 2, found ${blockSize}.`);
  }
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= blockSize) {
    throw new EwcError(`block overlap: expected an integer in [0, ${blockSize}), found ${overlap}.`);
  }
  let total = 0;
  for (const d of docs) total += d.length + 1;
  const stream = new Int32Array(total);
  let n = 0;
  for (const d of docs) {
    if (d.length === 0) continue;
    for (let i = 0; i < d.length; i++) stream[n++] = d[i];
    if (d[d.length - 1] !== eosId) stream[n++] = eosId;
  }
  const step = blockSize - overlap;
  const blocks: number[][] = [];
  for (let start = 0; start + blockSize <= n; start += step) {
    blocks.push(Array.from(stream.subarray(start, start + blockSize)));
  }
  if (blocks.length === 0) {
    throw new EwcError(
      `packing: the documents hold ${n} tokens, fewer than one block of ${blockSize}. ` +
        `Use a larger corpus or a smaller block size.`,
    );
  }
  return blocks;
}

export interface EvalWindow {
  /** Index of the document in the input list. */
  doc: number;
  /** Token ids of the window, length ≤ blockSize. */
  ids: number[];
  /** Targets ids[t] for t ≥ scoreFrom (and t ≥ 1) are scored in this window; earlier ones were scored before. */
  scoreFrom: number;
}

export interface EvalOptions {
  /** Window start step for long documents (default blockSize − 1: disjoint targets, one token of overlap). */
  stride?: number;
  /** Id prepended to every document so its first token is scored too (e.g. eosId, GPT-2's convention). */
  prependId?: number;
}

/** Document-preserving evaluation windows (see module comment). Documents of < 2 tokens yield no window. */
export function evalSequences(docs: number[][], blockSize: number, opts: EvalOptions = {}): EvalWindow[] {
  const stride = opts.stride ?? blockSize - 1;
  if (!Number.isInteger(blockSize) || blockSize < 2) {
    throw new EwcError(`block size: expected an integer ≥ 2, found ${blockSize}.`);
  }
  if (!Number.isInteger(stride) || stride < 1 || stride > blockSize - 1) {
    throw new EwcError(`eval stride: expected an integer in [1, ${blockSize - 1}], found ${stride}.`);
  }
  const out: EvalWindow[] = [];
  docs.forEach((raw, doc) => {
    const s = opts.prependId === undefined ? raw : [opts.prependId, ...raw];
    const L = s.length;
    if (L < 2) return;
    let prevEnd = 1; // targets < prevEnd are scored (position 0 is never a target)
    for (let begin = 0; ; begin += stride) {
      const end = Math.min(begin + blockSize, L);
      out.push({ doc, ids: s.slice(begin, end), scoreFrom: Math.max(1, prevEnd - begin) });
      prevEnd = end;
      if (end >= L) break;
    }
  });
  return out;
}
