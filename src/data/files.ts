/**
 * File access for corpus readers: strict UTF-8 decoding (a non-UTF-8 file is an error naming the byte
 * offset), BOM removal, CRLF/CR → LF, transparent .gz, and PATH resolution (a file, a folder walked
 * recursively, or a glob with *, ** and ?).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, relative, resolve, sep } from 'node:path';
import { EwcError } from '../util/errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly, strips a BOM and normalizes line endings to "\n". */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new EwcError(
      `${path} is not valid UTF-8 (first bad byte at offset ${firstBadByte(bytes)}). ` +
        `Expected UTF-8 text; convert it first, e.g. iconv -f latin1 -t utf-8 '${path}' > out.txt.`,
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.indexOf('\r') >= 0 ? text.replace(/\r\n?/g, '\n') : text;
}

function firstBadByte(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    try {
      decoder.decode(b.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return b.length;
}

/** Reads a text file (optionally .gz) as normalized UTF-8. */
export function readText(path: string): string {
  if (!existsSync(path)) throw new EwcError(`file not found: ${path}. Check the path in the corpus spec.`);
  let bytes: Uint8Array = readFileSync(path);
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new EwcError(`${path} is not a valid gzip file (${(e as Error).message}).`);
    }
  }
  return decodeUtf8(bytes, path);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
}

/**
 * Resolves PATH to a sorted list of files: a file → itself; a folder → its files (recursive) whose name
 * passes `accept`; a glob (contains * or ?) → matching files. Throws when nothing is found.
 */
export function resolveFiles(path: string, accept: (file: string) => boolean, what: string): string[] {
  const abs = resolve(path);
  let files: string[];
  if (/[*?]/.test(path)) {
    const parts = abs.split(sep);
    const firstWild = parts.findIndex((p) => /[*?]/.test(p));
    const base = parts.slice(0, firstWild).join(sep) || sep;
    if (!existsSync(base)) throw new EwcError(`path not found: ${base} (from the glob ${path}).`);
    const re = globToRegExp(relative(base, abs).split(sep).join('/'));
    const all: string[] = [];
    walk(base, all);
    files = all.filter((f) => re.test(relative(base, f).split(sep).join('/')));
  } else {
    if (!existsSync(abs)) {
      throw new EwcError(`path not found: ${abs} does not exist. Expected ${what} (a file, a folder or a glob).`);
    }
    if (statSync(abs).isDirectory()) {
      const all: string[] = [];
      walk(abs, all);
      files = all.filter(accept);
    } else files = [abs];
  }
  if (files.length === 0) {
    throw new EwcError(`no ${what} found at ${path}: the folder or glob matched no files. Check the path.`);
  }
  return files.sort();
}

/** Splits text into paragraphs at blank lines; trims each, drops empty ones. */
export function paragraphs(text: string): string[] {
  return text
    .split(/\n[ \t]*\n+/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
