/**
 * tokenizeDocuments: documents → token ids, every document ended by the end token (eosId), with an on-disk
 * cache keyed by content: sha256(tokenizer.hash, options, every document's text). A second run over the same
 * texts with the same tokenizer reads the ids back instead of re-tokenizing.
 *
 * Cache folder: $EWC_LM_CACHE, else <repo>/.cache (gitignored); EWC_LM_CACHE=off disables it.
 * File: <cache>/tokens/<key>.bin = "EWCT" | u32 version | u32 nDocs | u32 lengths[nDocs] | u32 ids[…].
 * `tokens:` documents (pre-tokenized) are returned as given (validated against the vocabulary, no eos added).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Tokenizer } from '../tokenization/tokenizer.ts';
import { EwcError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { log } from '../util/log.ts';
import { repoRoot } from '../util/shared.ts';
import { documentText } from './format.ts';
import type { Document } from './types.ts';

export interface TokenizeOptions {
  /** Cache folder; false disables the cache. Default: cacheDir(). */
  cacheDir?: string | false;
  /** Append eosId to every text/dialog document (default true). */
  appendEos?: boolean;
  /** Progress on stderr for long runs (default true). */
  progress?: boolean;
}

/** The cache folder: $EWC_LM_CACHE or <repo>/.cache; false when EWC_LM_CACHE=off. */
export function cacheDir(): string | false {
  const env = process.env.EWC_LM_CACHE;
  if (env === 'off' || env === '0' || env === 'false') return false;
  return env && env.length > 0 ? env : join(repoRoot, '.cache');
}

const MAGIC = 0x54435745; // "EWCT" little-endian
const VERSION = 1;

function cacheKey(docs: Document[], tok: Tokenizer, appendEos: boolean): string {
  const h = createHash('sha256');
  h.update(`v${VERSION}\u0000${tok.hash}\u0000eos=${appendEos ? tok.eosId : -1}\u0000`);
  for (const d of docs) {
    h.update(d.ids ? 'ids:' + d.ids.join(',') : documentText(d));
    h.update('\u0000\u0001');
  }
  return h.digest('hex');
}

function readCache(path: string, nDocs: number): number[][] | undefined {
  if (!existsSync(path)) return undefined;
  const buf = readFileSync(path);
  if (buf.byteLength < 12 || buf.byteLength % 4 !== 0) return undefined;
  const u = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  if (u[0] !== MAGIC || u[1] !== VERSION || u[2] !== nDocs) return undefined;
  let off = 3 + nDocs;
  const out: number[][] = [];
  for (let i = 0; i < nDocs; i++) {
    const len = u[3 + i];
    if (off + len > u.length) return undefined;
    out.push(Array.from(u.subarray(off, off + len)));
    off += len;
  }
  return off === u.length ? out : undefined;
}

function writeCache(path: string, ids: number[][]): void {
  let total = 0;
  for (const d of ids) total += d.length;
  const u = new Uint32Array(3 + ids.length + total);
  u[0] = MAGIC;
  u[1] = VERSION;
  u[2] = ids.length;
  let off = 3 + ids.length;
  ids.forEach((d, i) => {
    u[3 + i] = d.length;
    u.set(d, off);
    off += d.length;
  });
  writeFileAtomic(path, new Uint8Array(u.buffer));
}

function checkIds(doc: Document, vocabSize: number): number[] {
  const ids = doc.ids!;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new EwcError(
        `document ${doc.id}: token id ${id} is outside the tokenizer's vocabulary [0, ${vocabSize}). ` +
          `Were these ids made with another tokenizer?`,
      );
    }
  }
  return ids;
}

/** Token ids per document ([nDocs][len]), ended by eosId; cached on disk by content (see module comment). */
export function tokenizeDocuments(docs: Document[], tokenizer: Tokenizer, opts: TokenizeOptions = {}): number[][] {
  const appendEos = opts.appendEos ?? true;
  const dir = opts.cacheDir === undefined ? cacheDir() : opts.cacheDir;
  const path = dir ? join(dir, 'tokens', cacheKey(docs, tokenizer, appendEos) + '.bin') : undefined;
  if (path) {
    const hit = readCache(path, docs.length);
    if (hit) return hit;
  }
  const out: number[][] = [];
  const t0 = Date.now();
  let lastLog = t0;
  let chars = 0;
  let totalChars = 0;
  for (const d of docs) if (!d.ids) totalChars += documentText(d).length;
  for (const d of docs) {
    if (d.ids) {
      out.push(checkIds(d, tokenizer.vocabSize));
      continue;
    }
    const text = documentText(d);
    const ids = tokenizer.encode(text);
    if (appendEos) ids.push(tokenizer.eosId);
    out.push(ids);
    chars += text.length;
    const now = Date.now();
    if ((opts.progress ?? true) && now - lastLog > 3000) {
      const rate = chars / ((now - t0) / 1000);
      log(`tokenizing: ${(100 * chars / totalChars).toFixed(1)}% (${(rate / 1e6).toFixed(2)} MB/s, ETA ${((totalChars - chars) / rate).toFixed(0)} s)`);
      lastLog = now;
    }
  }
  if (path) writeCache(path, out);
  return out;
}
