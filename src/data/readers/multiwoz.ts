/**
 * multiwoz:PATH[#raw] — MultiWOZ 2.1 dialogues in ConvLab-2's layout: {train,val,test}.json, or the same
 * zipped ({train,val,test}.json.zip, read in memory with src/data/zip.ts; nothing is unpacked). Each JSON
 * file is an object dialogue id → {"goal": …, "log": [turn, …]}, turn = {"text", "metadata", …}.
 *
 * - PATH: a folder (searched recursively for train/val/valid/validation/dev/test .json or .json.zip; other
 *   files — list files, READMEs, databases — are ignored; when both x.json and x.json.zip exist the plain
 *   file is used), one .json / .json.zip file, or a glob.
 * - One dialog per dialogue, its utterances ("text" of every log entry) in order. The log must alternate
 *   user and system turns, starting with the user and ending with the system: an even number of turns, and
 *   where a turn has "metadata", a user turn's is {} and a system turn's is the (non-empty) belief state.
 *   Anything else — not JSON, another shape (e.g. MultiWOZ 2.2's dialogues_*.json), an odd number of turns,
 *   an empty utterance — is an error naming the file, the dialogue and the turn.
 * - Split: the file's name gives it (val/valid/validation/dev → validation, test → test, train → train) and
 *   splitCorpus keeps it, like DailyDialog's; other names get no predefined split.
 * - Ids: `<file>:<dialogue id>`, the file relative to PATH (for a zip, the member inside it: `val.json:PMUL1635`
 *   whether read from val.json or val.json.zip), so splits do not depend on where the files live.
 * - Text: ConvLab's tokenized form ("does n't", "John 's college", "4 stars .") is detokenized by default
 *   ("doesn't", "John's college", "4 stars.") and runs of whitespace (including the line breaks and tabs
 *   inside some booking confirmations) become one space; `#raw` keeps every utterance exactly as stored.
 */
import { basename, posix } from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { EwcError } from '../../util/errors.ts';
import { decodeUtf8, resolveFiles } from '../files.ts';
import type { Document, SplitName } from '../types.ts';
import { listZip, readZipEntry } from '../zip.ts';
import { detokenize } from './dailydialog.ts';
import { idRoot, relId } from './text.ts';

/** Largest JSON file or zip member read (ConvLab-2's train.json is about 230 MB; V8 strings end at ~512 MiB). */
export const MAX_JSON_BYTES = 400 * 2 ** 20;
/** Largest total of the members read from one zip, and most members one zip may list. */
export const MAX_ZIP_TOTAL_BYTES = 1024 * 2 ** 20;
export const MAX_ZIP_MEMBERS = 100;

const SPLIT_FILE = /^(train|val|valid|validation|dev|test)\.json(\.zip)?$/i;
const SHAPE = 'MultiWOZ 2.1 / ConvLab-2 JSON: {"<dialogue id>": {"goal": {…}, "log": [{"text": "…", "metadata": {…}}, …]}, …}';

/** Undoes ConvLab's tokenization: the DailyDialog rules plus the split-off "n't" ("does n't" → "doesn't"). */
export function detokenizeConvLab(s: string): string {
  return detokenize(s.replace(/(\p{L})\s+(n['’]t)\b/gu, '$1$2'));
}

/** The split a file or member name stands for (val.json → validation), or undefined. */
export function multiwozSplit(name: string): SplitName | undefined {
  const m = /^(train|val|valid|validation|dev|test)\.json$/i.exec(posix.basename(name));
  if (!m) return undefined;
  const s = m[1].toLowerCase();
  return s === 'train' ? 'train' : s === 'test' ? 'test' : 'validation';
}

function kindOf(v: unknown): string {
  return v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Parses one MultiWOZ JSON text into dialogs (utterance lists), checking the shape and the turn order. */
export function parseMultiwoz(text: string, where: string, raw = false): { id: string; turns: string[] }[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new EwcError(`${where}: not valid JSON (${(e as Error).message}). Expected ${SHAPE}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EwcError(
      `${where}: expected ${SHAPE}; found ${kindOf(value)} at the top level. ` +
        `(MultiWOZ 2.2's dialogues_*.json, a list of {"dialogue_id", "turns"}, is another format.)`,
    );
  }
  const out: { id: string; turns: string[] }[] = [];
  for (const [id, dial] of Object.entries(value as Record<string, unknown>)) {
    const log = (dial as { log?: unknown } | null)?.log;
    if (dial === null || typeof dial !== 'object' || Array.isArray(dial) || !Array.isArray(log)) {
      throw new EwcError(`${where}: dialogue ${JSON.stringify(id)}: expected {"goal": …, "log": [turn, …]}, found ${dial !== null && typeof dial === 'object' && !Array.isArray(dial) ? `"log" is ${kindOf(log)}` : kindOf(dial)}; every dialogue of MultiWOZ 2.1 / ConvLab-2 JSON has a "log" list.`);
    }
    if (log.length === 0 || log.length % 2 !== 0) {
      throw new EwcError(
        `${where}: dialogue ${JSON.stringify(id)} has ${log.length} turns: expected an even number ≥ 2 (user and system ` +
          `alternate, the user first and the system last). The file is truncated, edited or not MultiWOZ.`,
      );
    }
    const turns = log.map((turn: unknown, i: number) => {
      const at = `${where}: dialogue ${JSON.stringify(id)}, log[${i}]`;
      const t = (turn as { text?: unknown } | null)?.text;
      if (turn === null || typeof turn !== 'object' || Array.isArray(turn) || typeof t !== 'string') {
        throw new EwcError(`${at}: expected a turn {"text": "…", "metadata": {…}}, found ${turn !== null && typeof turn === 'object' && !Array.isArray(turn) ? `"text" is ${kindOf(t)}` : kindOf(turn)}.`);
      }
      const meta = (turn as { metadata?: unknown }).metadata;
      if (meta !== undefined) {
        if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new EwcError(`${at}: expected "metadata" to be an object, found ${kindOf(meta)}.`);
        const system = Object.keys(meta).length > 0;
        if (system !== (i % 2 === 1)) {
          throw new EwcError(
            `${at}: expected a ${i % 2 === 1 ? 'system' : 'user'} turn (turns alternate, starting with the user; a user turn has ` +
              `"metadata": {}, a system turn the belief state), found ${system ? 'a belief state' : 'empty metadata'}. The log is out of order or not MultiWOZ.`,
          );
        }
      }
      const utt = raw ? t : detokenizeConvLab(t);
      if (utt.trim().length === 0) throw new EwcError(`${at}: the utterance is empty; expected text in every turn (an empty turn would break the user/system alternation).`);
      return utt;
    });
    out.push({ id, turns });
  }
  return out;
}

interface JsonSource {
  /** Name for ids and the split: the file relative to PATH, or the zip member (in the zip's folder). */
  name: string;
  /** Where it is, for messages and Document.source. */
  where: string;
  text: string;
}

function readJsonSources(file: string, rel: string): JsonSource[] {
  const size = statSync(file).size;
  if (/\.zip$/i.test(file)) {
    if (size > MAX_ZIP_TOTAL_BYTES) {
      throw new EwcError(`${file}: ${size} bytes, more than the ${MAX_ZIP_TOTAL_BYTES} bytes this reader accepts for a zip. Expected MultiWOZ's {train,val,test}.json.zip (a few MB each).`);
    }
    const bytes = readFileSync(file);
    const entries = listZip(bytes, file, { maxEntries: MAX_ZIP_MEMBERS });
    const members = entries.filter((e) => /\.json$/i.test(e.name) && !e.name.split('/').some((s) => s.startsWith('.') || s === '__MACOSX'));
    if (members.length === 0) {
      throw new EwcError(`${file}: expected a zip holding a MultiWOZ .json member (e.g. val.json), found ${entries.length ? entries.slice(0, 10).map((e) => e.name).join(', ') : 'no members'}.`);
    }
    const total = members.reduce((a, e) => a + e.size, 0);
    if (total > MAX_ZIP_TOTAL_BYTES) {
      throw new EwcError(`${file}: its .json members declare ${total} bytes in all, more than the ${MAX_ZIP_TOTAL_BYTES} bytes this reader accepts from one zip. Split them into several zips.`);
    }
    const dir = posix.dirname(rel);
    return members.map((e) => {
      const where = `${file} (member ${e.name})`;
      return { name: dir === '.' ? e.name : posix.join(dir, e.name), where, text: decodeUtf8(readZipEntry(bytes, e, file, MAX_JSON_BYTES), where) };
    });
  }
  if (!/\.json$/i.test(file)) {
    throw new EwcError(`${file}: expected a MultiWOZ .json or .json.zip file (e.g. val.json.zip), found ${JSON.stringify(basename(file))}.`);
  }
  if (size > MAX_JSON_BYTES) {
    throw new EwcError(`${file}: ${size} bytes, more than the ${MAX_JSON_BYTES} bytes this reader accepts for one JSON file. Expected one MultiWOZ split per file (train.json is about 230 MB).`);
  }
  return [{ name: rel, where: file, text: decodeUtf8(readFileSync(file), file) }];
}

export function readMultiwoz(path: string, fragment?: string): Document[] {
  if (fragment !== undefined && fragment !== 'raw') throw new EwcError(`multiwoz option #${fragment}: expected #raw or nothing.`);
  const raw = fragment === 'raw';
  let files = resolveFiles(path, (f) => SPLIT_FILE.test(basename(f)), 'MultiWOZ files ({train,val,test}.json or .json.zip)');
  const plain = new Set(files.filter((f) => !/\.zip$/i.test(f)));
  files = files.filter((f) => !(/\.zip$/i.test(f) && plain.has(f.slice(0, -4))));
  const root = idRoot(path, files);
  const docs: Document[] = [];
  for (const file of files) {
    for (const src of readJsonSources(file, relId(root, file))) {
      const split = multiwozSplit(src.name);
      for (const { id, turns } of parseMultiwoz(src.text, src.where, raw)) {
        docs.push({ id: `${src.name}:${id}`, source: src.where, turns, ...(split ? { split } : {}) });
      }
    }
  }
  return docs;
}
