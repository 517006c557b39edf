/**
 * One tokenizer type for the whole project, backed by @huggingface/tokenizers (tokenizers.js).
 *
 * loadTokenizer(path) accepts
 *   - a tokenizer.json file, or a folder holding tokenizer.json (+ optional tokenizer_config.json);
 *   - a folder holding vocab.json + merges.txt (Hugging Face GPT-2 files);
 *   - a folder holding encoder.json + vocab.bpe (OpenAI's original GPT-2 files; same content).
 * The vocab+merges forms are wrapped into a GPT-2-style tokenizer.json (hf-json.ts) before loading.
 *
 * encode() adds no special tokens; decode() is the exact inverse (no clean-up of spaces, special tokens kept),
 * so decode(encode(s)) === s for byte-level BPE.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { EwcError } from '../util/errors.ts';
import { byteLevelTokenizerJson, EOS_TOKEN } from './hf-json.ts';
import { fastEncoderFor } from './fast-bpe.ts';

export interface Tokenizer {
  /** Where it was loaded from (absolute path) or a label. */
  readonly source: string;
  /** sha256 (hex) of the canonical tokenizer.json content: a cache key for token ids. */
  readonly hash: string;
  /** 1 + the largest id (vocabulary and added tokens). */
  readonly vocabSize: number;
  /** Id of the end-of-text token (<|endoftext|> for GPT-2). */
  readonly eosId: number;
  readonly eosToken: string;
  /** Text → ids, no special tokens added (a literal "<|endoftext|>" in the text maps to eosId). */
  encode(text: string): number[];
  /** true when encode uses the cached GPT-2 byte-level encoder (fast-bpe.ts) instead of tokenizers.js. */
  readonly fast: boolean;
  /** encode through tokenizers.js (the reference implementation), whatever `fast` is. */
  referenceEncode(text: string): number[];
  /** Ids → text, exact inverse of encode (special tokens kept, no space clean-up). */
  decode(ids: number[]): string;
  /** Text → token strings (byte-level form, e.g. "Ġworld"). */
  tokenize(text: string): string[];
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** The tokenizer.json object this tokenizer was built from. */
  readonly json: Record<string, unknown>;
}

const FORMS =
  'a tokenizer.json file, or a folder with tokenizer.json (+ tokenizer_config.json), vocab.json + merges.txt, ' +
  'or encoder.json + vocab.bpe';

function readJson(path: string): any {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EwcError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EwcError(`${path} is not valid JSON (${(e as Error).message}). Expected a tokenizer JSON file.`);
  }
}

/** Parses merges.txt / vocab.bpe: an optional "#version" line, then one "left right" merge per line. */
export function parseMergesText(text: string, path: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new EwcError(`${path}:${i + 1}: expected a merge "left right", found ${JSON.stringify(line)}.`);
    }
    out.push(line);
  }
  return out;
}

function fromVocabMerges(vocabPath: string, mergesPath: string): Record<string, unknown> {
  const vocab = readJson(vocabPath);
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw new EwcError(`${vocabPath}: expected a JSON object token → id, found ${Array.isArray(vocab) ? 'an array' : typeof vocab}.`);
  }
  const merges = parseMergesText(readFileSync(mergesPath, 'utf8'), mergesPath);
  return byteLevelTokenizerJson({ vocab, merges });
}

function tokenName(t: unknown): string | undefined {
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && typeof (t as any).content === 'string') return (t as any).content;
  return undefined;
}

/** Wraps a tokenizer.json object (+ tokenizer_config.json object) into a Tokenizer. */
export function tokenizerFromJson(json: Record<string, unknown>, config: Record<string, unknown> = {}, source = '<memory>'): Tokenizer {
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, { ...config, clean_up_tokenization_spaces: false });
  } catch (e) {
    throw new EwcError(`cannot build a tokenizer from ${source}: ${(e as Error).message}. Expected ${FORMS}.`);
  }
  const vocab = hf.get_vocab(true);
  let maxId = -1;
  for (const id of vocab.values()) if (id > maxId) maxId = id;
  const eosToken = tokenName(config.eos_token) ?? EOS_TOKEN;
  const eosId = hf.token_to_id(eosToken);
  if (eosId === undefined) {
    throw new EwcError(
      `tokenizer ${source} has no end-of-text token: expected ${JSON.stringify(eosToken)} in its vocabulary. ` +
        `ewc-lm needs one to separate documents; use a GPT-2-style tokenizer or set eos_token in tokenizer_config.json.`,
    );
  }
  const hash = createHash('sha256').update(JSON.stringify(json)).digest('hex');
  // GPT-2-style byte-level BPE: a cached encoder with identical output (fast-bpe.ts); else tokenizers.js
  const fast = process.env.EWC_LM_TOKENIZER_REFERENCE === '1' ? undefined : fastEncoderFor(json);
  const slowEncode = (text: string) => hf.encode(text, { add_special_tokens: false }).ids;
  const vocabSize = maxId + 1;
  return {
    source,
    hash,
    vocabSize,
    eosId,
    eosToken,
    json,
    encode: fast ?? slowEncode,
    fast: fast !== undefined,
    referenceEncode: slowEncode,
    decode: (ids: number[]) => {
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new EwcError(`cannot decode id ${id}: expected integers in [0, ${vocabSize}) for tokenizer ${source}.`);
        }
      }
      return hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    },
    tokenize: (text: string) => hf.encode(text, { add_special_tokens: false }).tokens,
    idToToken: (id: number) => hf.id_to_token(id),
    tokenToId: (token: string) => hf.token_to_id(token),
  };
}

const cache = new Map<string, Tokenizer>();

/** Loads a tokenizer from a path (see the module comment for the accepted forms). Cached per absolute path. */
export function loadTokenizer(path: string): Tokenizer {
  const abs = resolve(path);
  const hit = cache.get(abs);
  if (hit) return hit;
  if (!existsSync(abs)) {
    throw new EwcError(`tokenizer not found: ${abs} does not exist. Expected ${FORMS}.`);
  }
  let dir = abs;
  let tokJson: string | undefined;
  if (statSync(abs).isFile()) {
    if (!abs.endsWith('.json') || basename(abs) === 'tokenizer_config.json') {
      throw new EwcError(`tokenizer path ${abs} is a file but not a tokenizer.json. Expected ${FORMS}.`);
    }
    tokJson = abs;
    dir = dirname(abs);
  } else if (existsSync(join(dir, 'tokenizer.json'))) {
    tokJson = join(dir, 'tokenizer.json');
  }
  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? readJson(configPath) : {};
  let json: Record<string, unknown>;
  if (tokJson) {
    json = readJson(tokJson);
  } else if (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) {
    json = fromVocabMerges(join(dir, 'vocab.json'), join(dir, 'merges.txt'));
  } else if (existsSync(join(dir, 'encoder.json')) && existsSync(join(dir, 'vocab.bpe'))) {
    json = fromVocabMerges(join(dir, 'encoder.json'), join(dir, 'vocab.bpe'));
  } else {
    const found = readdirSync(dir).slice(0, 20).join(', ') || '(empty folder)';
    throw new EwcError(`no tokenizer files in ${dir}: expected ${FORMS}; found ${found}.`);
  }
  const tok = tokenizerFromJson(json, config, abs);
  cache.set(abs, tok);
  return tok;
}
