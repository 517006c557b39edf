/**
 * Typed configuration: defaults → recipe file → command-line overrides.
 *
 * A schema is a tree of sections whose leaves say their kind, default and documentation. Every layer is
 * validated against it: an unknown key or a value of the wrong type is an EwcError that names the key
 * path, the layer it came from (file or flag), what was expected and what was found. Keys that start with
 * "//" are comments (recipes are JSON, which has no comments) and are ignored at every level.
 */
import { EwcError } from '../util/errors.ts';

export type Field =
  | { kind: 'number'; default: number | null; doc: string; integer?: boolean; min?: number; max?: number; nullable?: boolean }
  | { kind: 'string'; default: string | null; doc: string; choices?: readonly string[]; nullable?: boolean }
  | { kind: 'boolean'; default: boolean; doc: string }
  | { kind: 'strings'; default: string[]; doc: string }
  | { kind: 'numbers'; default: number[]; doc: string; min?: number }
  | { kind: 'section'; fields: Schema; doc: string };

export type Schema = { readonly [key: string]: Field };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The defaults of a schema as a plain object tree. */
export function defaultsOf(schema: Schema): Obj {
  const out: Obj = {};
  for (const [k, f] of Object.entries(schema)) {
    out[k] = f.kind === 'section' ? defaultsOf(f.fields) : f.kind === 'strings' || f.kind === 'numbers' ? [...f.default] : f.default;
  }
  return out;
}

function describe(f: Field): string {
  switch (f.kind) {
    case 'number': {
      const range = [f.min !== undefined ? `≥ ${f.min}` : '', f.max !== undefined ? `≤ ${f.max}` : '']
        .filter(Boolean)
        .join(' and ');
      return `${f.integer ? 'an integer' : 'a number'}${range ? ' ' + range : ''}${f.nullable ? ' or null' : ''}`;
    }
    case 'string':
      return f.choices ? `one of ${f.choices.map((c) => JSON.stringify(c)).join(', ')}${f.nullable ? ' or null' : ''}` : `a string${f.nullable ? ' or null' : ''}`;
    case 'boolean':
      return 'true or false';
    case 'strings':
      return 'an array of strings';
    case 'numbers':
      return `an array of numbers${f.min !== undefined ? ` ≥ ${f.min}` : ''}`;
    case 'section':
      return 'an object';
    default: {
      const never: never = f;
      return String(never);
    }
  }
}

function bad(path: string, source: string, f: Field, found: unknown): EwcError {
  const shown = typeof found === 'string' ? JSON.stringify(found) : JSON.stringify(found) ?? String(found);
  return new EwcError(
    `config ${path} (from ${source}): expected ${describe(f)}, found ${shown}. ${f.kind === 'section' ? '' : `(${f.doc}) `}Fix the value in ${source}.`,
  );
}

function checkLeaf(path: string, source: string, f: Exclude<Field, { kind: 'section' }>, v: unknown): unknown {
  switch (f.kind) {
    case 'number':
      if (v === null && f.nullable) return null;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, source, f, v);
      if (f.integer && !Number.isInteger(v)) throw bad(path, source, f, v);
      if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) throw bad(path, source, f, v);
      return v;
    case 'string':
      if (v === null && f.nullable) return null;
      if (typeof v !== 'string' || (f.choices && !f.choices.includes(v))) throw bad(path, source, f, v);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw bad(path, source, f, v);
      return v;
    case 'strings':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(path, source, f, v);
      return [...v];
    case 'numbers':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || (f.min !== undefined && x < f.min))) {
        throw bad(path, source, f, v);
      }
      return [...v];
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** Merges `layer` over `base` (a full config tree), validating every key against `schema`. */
export function mergeLayer(schema: Schema, base: Obj, layer: unknown, source: string, prefix = ''): Obj {
  if (!isObj(layer)) {
    throw new EwcError(`config${prefix ? ' ' + prefix : ''} (from ${source}): expected an object, found ${JSON.stringify(layer)}.`);
  }
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(layer)) {
    if (k.startsWith('//')) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    const f = schema[k];
    if (!f) {
      const known = Object.keys(schema).join(', ');
      throw new EwcError(`config ${path} (from ${source}): unknown key. Known keys${prefix ? ' of ' + prefix : ''}: ${known}. Remove or rename it.`);
    }
    if (f.kind === 'section') {
      if (!isObj(v)) throw bad(path, source, f, v);
      out[k] = mergeLayer(f.fields, (base[k] as Obj) ?? defaultsOf(f.fields), v, source, path);
    } else {
      out[k] = checkLeaf(path, source, f, v);
    }
  }
  return out;
}

/** Finds the leaf field at a dotted path, or throws naming the known keys. */
export function fieldAt(schema: Schema, path: string, source: string): Exclude<Field, { kind: 'section' }> {
  const parts = path.split('.');
  let s: Schema = schema;
  for (let i = 0; i < parts.length; i++) {
    const f = s[parts[i]];
    if (!f) {
      throw new EwcError(`config ${path} (from ${source}): unknown key "${parts[i]}". Known keys there: ${Object.keys(s).join(', ')}.`);
    }
    if (f.kind === 'section') {
      if (i === parts.length - 1) throw new EwcError(`config ${path} (from ${source}): is a section; set one of its keys (${Object.keys(f.fields).join(', ')}).`);
      s = f.fields;
    } else {
      if (i !== parts.length - 1) throw new EwcError(`config ${path} (from ${source}): ${parts.slice(0, i + 1).join('.')} is not a section.`);
      return f;
    }
  }
  throw new EwcError(`config ${path} (from ${source}): empty key.`);
}

/** Parses a command-line value for a field: numbers, booleans, null, JSON arrays, or plain strings. */
function parseFlagValue(f: Exclude<Field, { kind: 'section' }>, raw: string): unknown {
  if (raw === 'null') return null;
  switch (f.kind) {
    case 'number':
      return raw.trim() === '' ? raw : Number(raw);
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'strings':
      if (raw.startsWith('[')) {
        try {
          return JSON.parse(raw);
        } catch {
          return raw;
        }
      }
      return raw.split(',').filter((x) => x.length > 0);
    case 'numbers':
      if (raw.startsWith('[')) {
        try {
          return JSON.parse(raw);
        } catch {
          return raw;
        }
      }
      return raw.split(',').filter((x) => x.trim().length > 0).map((x) => (Number.isFinite(Number(x)) ? Number(x) : x));
    case 'string':
      return raw;
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** Turns `key.path=value` strings into a nested layer object (validated later by mergeLayer). */
export function overridesToLayer(schema: Schema, sets: readonly string[], source = 'command line'): Obj {
  const layer: Obj = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new EwcError(`${source}: --set expects key.path=value, found ${JSON.stringify(s)}.`);
    const path = s.slice(0, eq).trim();
    const f = fieldAt(schema, path, `${source} --set ${path}`);
    const v = parseFlagValue(f, s.slice(eq + 1));
    const parts = path.split('.');
    let o = layer;
    for (const p of parts.slice(0, -1)) o = (o[p] as Obj) ?? (o[p] = {});
    o[parts[parts.length - 1]] = v;
  }
  return layer;
}

/** A layer of the resolution: an object and where it came from (for error messages). */
export interface ConfigLayer {
  source: string;
  value: unknown;
}

/** defaults → each layer in order. The result has every key of the schema. */
export function resolveConfig<T>(schema: Schema, layers: readonly ConfigLayer[]): T {
  let cfg = defaultsOf(schema);
  for (const l of layers) cfg = mergeLayer(schema, cfg, l.value, l.source);
  return cfg as T;
}
