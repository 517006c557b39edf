/**
 * Hugging Face GPT-2 checkpoint directories: config.json + model.safetensors (or a sharded
 * model.safetensors.index.json). Reading accepts hub-style names (`h.0.attn.c_attn.weight`) and
 * GPT2LMHeadModel names (`transformer.h.0…`), drops the legacy causal-mask buffers (`h.N.attn.bias`,
 * `h.N.attn.masked_bias`), and drops `lm_head.weight` when it is tied to `wte.weight`.
 * Every tensor is checked against the shapes the config implies. Writing produces hub-style names.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EwcError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { gpt2ConfigToJson, gpt2InnerDim, parseGPT2Config, type GPT2Config } from '../model/gpt2-config.ts';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors.ts';
import type { FloatOutDtype, SafetensorsDtype } from './dtypes.ts';
import { numel, type NamedTensors } from './types.ts';

export type SourceNaming = 'hub' | 'prefixed';

/** Name → shape of every parameter a GPT-2 with this config has, in canonical order (hub-style names). */
export function expectedParamShapes(c: GPT2Config): Map<string, number[]> {
  const C = c.n_embd;
  const I = gpt2InnerDim(c);
  const m = new Map<string, number[]>();
  m.set('wte.weight', [c.vocab_size, C]);
  m.set('wpe.weight', [c.n_positions, C]);
  for (let i = 0; i < c.n_layer; i++) {
    const p = `h.${i}.`;
    m.set(p + 'ln_1.weight', [C]);
    m.set(p + 'ln_1.bias', [C]);
    m.set(p + 'attn.c_attn.weight', [C, 3 * C]); // Conv1D [in, out]
    m.set(p + 'attn.c_attn.bias', [3 * C]);
    m.set(p + 'attn.c_proj.weight', [C, C]);
    m.set(p + 'attn.c_proj.bias', [C]);
    m.set(p + 'ln_2.weight', [C]);
    m.set(p + 'ln_2.bias', [C]);
    m.set(p + 'mlp.c_fc.weight', [C, I]);
    m.set(p + 'mlp.c_fc.bias', [I]);
    m.set(p + 'mlp.c_proj.weight', [I, C]);
    m.set(p + 'mlp.c_proj.bias', [C]);
  }
  m.set('ln_f.weight', [C]);
  m.set('ln_f.bias', [C]);
  if (!c.tie_word_embeddings) m.set('lm_head.weight', [c.vocab_size, C]);
  return m;
}

/** Total number of parameters of a config (tied head counted once). */
export function countParams(c: GPT2Config): number {
  let n = 0;
  for (const s of expectedParamShapes(c).values()) n += numel(s);
  return n;
}

const LEGACY_BUFFER = /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/;

/** Files that make up a checkpoint. */
export interface CheckpointFiles {
  dir: string;
  configPath: string;
  /** One file, or the shards of a model.safetensors.index.json. */
  weightFiles: string[];
}

/** Resolves a checkpoint directory, or a single .safetensors file with config.json beside it. */
export function resolveCheckpoint(path: string): CheckpointFiles {
  const p = resolve(path);
  if (!existsSync(p)) {
    throw new EwcError(
      `${path}: not found. Expected a checkpoint directory holding config.json and model.safetensors ` +
        `(or a .safetensors file with config.json beside it).`,
    );
  }
  if (!statSync(p).isDirectory()) {
    if (!p.endsWith('.safetensors')) {
      throw new EwcError(
        `${path}: expected a checkpoint directory or a .safetensors file, found another file. ` +
          `Pass the directory that holds config.json and model.safetensors.`,
      );
    }
    const dir = dirname(p);
    return { dir, configPath: requireConfig(dir), weightFiles: [p] };
  }
  const configPath = requireConfig(p);
  const single = join(p, 'model.safetensors');
  if (existsSync(single)) return { dir: p, configPath, weightFiles: [single] };
  const index = join(p, 'model.safetensors.index.json');
  if (existsSync(index)) return { dir: p, configPath, weightFiles: shardsOf(index) };
  const files = readdirSync(p);
  const others = files.filter((f) => f.endsWith('.safetensors'));
  const torch = files.filter((f) => f.endsWith('.bin') || f.endsWith('.pt') || f.endsWith('.pth'));
  let hint = 'Save the model with save_pretrained(dir, safe_serialization=True) to get model.safetensors.';
  if (others.length > 0) hint = `Found ${others.join(', ')}: pass that file's path instead of the directory.`;
  else if (torch.length > 0) {
    hint =
      `Found only PyTorch weights (${torch.join(', ')}); convert them: in Python, ` +
      `GPT2LMHeadModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True).`;
  }
  throw new EwcError(`${path}: model.safetensors not found in the checkpoint directory. ${hint}`);
}

function requireConfig(dir: string): string {
  const c = join(dir, 'config.json');
  if (!existsSync(c)) {
    throw new EwcError(
      `${c}: not found. A checkpoint needs config.json (the GPT2Config) beside its weights; ` +
        `copy the model's config.json there.`,
    );
  }
  return c;
}

function shardsOf(indexPath: string): string[] {
  const json = readJson(indexPath) as { weight_map?: Record<string, string> };
  if (!json || typeof json.weight_map !== 'object' || json.weight_map === null) {
    throw new EwcError(`${indexPath}: expected an object with "weight_map": {tensor: file}, found none.`);
  }
  const files = [...new Set(Object.values(json.weight_map))].sort();
  return files.map((f) => join(dirname(indexPath), f));
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EwcError(`${path}: cannot read (${(e as Error).message}).`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EwcError(`${path}: not valid JSON (${(e as Error).message}). Fix or replace the file.`);
  }
}

/** Reads and validates config.json. */
export function loadGPT2Config(configPath: string): GPT2Config {
  return parseGPT2Config(readJson(configPath), configPath);
}

interface PlannedTensor {
  file: string;
  sourceName: string;
  dtype: SafetensorsDtype;
  shape: number[];
}

export interface CheckpointDescription {
  dir: string;
  files: CheckpointFiles;
  config: GPT2Config;
  sourceNaming: SourceNaming;
  /** Canonical name → where it comes from (kept tensors only, canonical order). */
  tensors: Map<string, PlannedTensor>;
  /** Source names that were ignored (legacy buffers, tied lm_head). */
  ignored: string[];
  /** A tied lm_head.weight present in the file (its values must equal wte.weight). */
  tiedHead?: PlannedTensor;
  /** Source file → its __metadata__. */
  metadata: Record<string, Record<string, string>>;
}

function shapeStr(s: number[]): string {
  return `[${s.join(',')}]`;
}

function listSome(names: string[], max = 12): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length} in all)`;
}

/**
 * Reads config and safetensors headers (no tensor data) and checks names and shapes against the config.
 * Throws one EwcError listing every problem found.
 */
export function describeCheckpoint(path: string): CheckpointDescription {
  const files = resolveCheckpoint(path);
  const config = loadGPT2Config(files.configPath);
  const cfgName = basename(files.configPath);
  const found = new Map<string, PlannedTensor>();
  const ignored: string[] = [];
  const metadata: Record<string, Record<string, string>> = {};
  let prefixed = false;
  for (const file of files.weightFiles) {
    const h = readSafetensorsHeader(file);
    metadata[file] = h.metadata;
    for (const [name, e] of h.entries) {
      if (LEGACY_BUFFER.test(name)) {
        ignored.push(name);
        continue;
      }
      let canon = name;
      if (name.startsWith('transformer.')) {
        canon = name.slice('transformer.'.length);
        prefixed = true;
      }
      const prev = found.get(canon);
      if (prev) {
        throw new EwcError(
          `${file}: tensor ${name} duplicates ${prev.sourceName} (${basename(prev.file)}): both name ` +
            `${canon}. Keep one naming (with or without the "transformer." prefix).`,
        );
      }
      found.set(canon, { file, sourceName: name, dtype: e.dtype, shape: e.shape });
    }
  }
  const expected = expectedParamShapes(config);
  const lm = found.get('lm_head.weight');
  if (lm && config.tie_word_embeddings) {
    const want = [config.vocab_size, config.n_embd];
    if (shapeStr(lm.shape) !== shapeStr(want)) {
      throw new EwcError(
        `${basename(lm.file)}: tensor ${lm.sourceName} has shape ${shapeStr(lm.shape)}, expected ` +
          `${shapeStr(want)} from ${cfgName} (vocab_size=${config.vocab_size}, n_embd=${config.n_embd}). ` +
          `The config does not match the weights: use the config.json the checkpoint was saved with.`,
      );
    }
    found.delete('lm_head.weight');
    ignored.push(lm.sourceName);
  }
  const tiedHead = lm && config.tie_word_embeddings ? lm : undefined;
  const problems: string[] = [];
  const missing: string[] = [];
  const tensors = new Map<string, PlannedTensor>();
  for (const [name, shape] of expected) {
    const t = found.get(name);
    if (!t) {
      missing.push(name);
      continue;
    }
    if (shapeStr(t.shape) !== shapeStr(shape)) {
      problems.push(
        `tensor ${t.sourceName} has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)} from ${cfgName} ` +
          `(${shapeWhy(name, config)})`,
      );
    }
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16' && t.dtype !== 'F64') {
      problems.push(`tensor ${t.sourceName} has dtype ${t.dtype}, expected a float type (F32, F16, BF16)`);
    }
    tensors.set(name, t);
  }
  const unexpected = [...found.keys()].filter((k) => !expected.has(k));
  if (missing.length > 0) problems.push(`missing tensors: ${listSome(missing)}`);
  if (unexpected.length > 0) {
    problems.push(
      `unexpected tensors: ${listSome(unexpected.map((k) => found.get(k)!.sourceName))}` +
        (unexpected.includes('lm_head.weight') ? ' (lm_head.weight is only expected when tie_word_embeddings is false)' : ''),
    );
  }
  if (problems.length > 0) {
    const where = files.weightFiles.map((f) => basename(f)).join(', ');
    throw new EwcError(
      `${where}: ${problems.join('; ')}. The config does not match the weights: check that ${files.configPath} ` +
        `(n_layer=${config.n_layer}, n_embd=${config.n_embd}, vocab_size=${config.vocab_size}, ` +
        `n_positions=${config.n_positions}, tie_word_embeddings=${config.tie_word_embeddings}) belongs to these weights.`,
    );
  }
  const sourceNaming: SourceNaming = prefixed ? 'prefixed' : 'hub';
  return { dir: files.dir, files, config, sourceNaming, tensors, ignored, tiedHead, metadata };
}

function shapeWhy(name: string, c: GPT2Config): string {
  if (name === 'wte.weight' || name === 'lm_head.weight') return `vocab_size=${c.vocab_size}, n_embd=${c.n_embd}`;
  if (name === 'wpe.weight') return `n_positions=${c.n_positions}, n_embd=${c.n_embd}`;
  if (name.includes('mlp.')) return `n_embd=${c.n_embd}, n_inner=${gpt2InnerDim(c)}`;
  return `n_embd=${c.n_embd}`;
}

export interface LoadedCheckpoint {
  config: GPT2Config;
  params: NamedTensors;
  dir: string;
  sourceNaming: SourceNaming;
  /** Canonical name → dtype stored in the file. */
  dtypes: Map<string, SafetensorsDtype>;
  /** Source names ignored (legacy attention buffers, tied lm_head). */
  ignored: string[];
}

/** Loads a checkpoint directory (or .safetensors file with config.json beside it), validated. */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  const d = describeCheckpoint(path);
  const byFile = new Map<string, Set<string>>();
  for (const t of [...d.tensors.values(), ...(d.tiedHead ? [d.tiedHead] : [])]) {
    if (!byFile.has(t.file)) byFile.set(t.file, new Set());
    byFile.get(t.file)!.add(t.sourceName);
  }
  const raw = new Map<string, Float32Array>(); // source name → data
  for (const [file, names] of byFile) {
    const r = readSafetensors(file, { filter: (n) => names.has(n) });
    for (const [n, t] of r.tensors) raw.set(`${file}\u0000${n}`, t.data);
  }
  const params: NamedTensors = new Map();
  const dtypes = new Map<string, SafetensorsDtype>();
  for (const [name, t] of d.tensors) {
    const data = raw.get(`${t.file}\u0000${t.sourceName}`)!;
    params.set(name, { shape: [...t.shape], data });
    dtypes.set(name, t.dtype);
  }
  const tied = d.tiedHead;
  if (tied) {
    const head = raw.get(`${tied.file}\u0000${tied.sourceName}`)!;
    const wte = params.get('wte.weight')!.data;
    let diff = 0;
    let at = -1;
    for (let i = 0; i < wte.length; i++) {
      const e = Math.abs(head[i] - wte[i]);
      if (!(e <= diff)) {
        diff = e;
        at = i;
      }
    }
    if (at >= 0 && diff !== 0) {
      throw new EwcError(
        `${basename(tied.file)}: tensor ${tied.sourceName} differs from wte.weight (max |diff| ${diff} at ` +
          `element ${at}) but ${d.files.configPath} says tie_word_embeddings=true. Set ` +
          `"tie_word_embeddings": false in config.json to keep a separate LM head.`,
      );
    }
  }
  return { config: d.config, params, dir: d.dir, sourceNaming: d.sourceNaming, dtypes, ignored: d.ignored };
}

export interface SaveCheckpointOptions {
  /** Weight dtype in model.safetensors (default F32). */
  dtype?: FloatOutDtype;
  /** Extra __metadata__ entries (format: "pt" is always written; transformers requires it). */
  metadata?: Record<string, string>;
}

const TORCH_DTYPE: Record<FloatOutDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Writes config.json + model.safetensors (hub-style names) atomically, in a layout that
 * GPT2LMHeadModel.from_pretrained loads. Validates params against the config first; a tied
 * lm_head.weight in params is dropped.
 */
export function saveCheckpoint(
  dir: string,
  config: GPT2Config,
  params: NamedTensors,
  opts: SaveCheckpointOptions = {},
): void {
  const expected = expectedParamShapes(config);
  const out: NamedTensors = new Map();
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = params.get(name);
    if (!t) problems.push(`missing ${name}`);
    else if (shapeStr(t.shape) !== shapeStr(shape)) {
      problems.push(`${name} has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`);
    } else if (t.data.length !== numel(shape)) {
      problems.push(`${name} has ${t.data.length} values, expected ${numel(shape)}`);
    } else out.set(name, t);
  }
  for (const name of params.keys()) {
    if (!expected.has(name) && !(name === 'lm_head.weight' && config.tie_word_embeddings)) {
      problems.push(`unexpected ${name}`);
    }
  }
  if (problems.length > 0) {
    throw new EwcError(
      `cannot save checkpoint to ${dir}: the parameters do not match the config ` +
        `(n_layer=${config.n_layer}, n_embd=${config.n_embd}): ${listSome(problems)}.`,
    );
  }
  const dtype = opts.dtype ?? 'F32';
  writeSafetensors(join(dir, 'model.safetensors'), out, { ...(opts.metadata ?? {}), format: 'pt' }, { dtype });
  const json = gpt2ConfigToJson(config, { torch_dtype: TORCH_DTYPE[dtype] });
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(json, null, 2) + '\n');
}
