/**
 * `ewc-lm export --format onnx`: writes a folder that transformers.js (@huggingface/transformers) loads for
 * text generation with local files only, and that Hugging Face transformers loads as a PyTorch checkpoint:
 *
 *   config.json                 GPT-2 config (model_type gpt2, use_cache true)
 *   generation_config.json      bos / eos (/ pad) token ids
 *   tokenizer.json, tokenizer_config.json, special_tokens_map.json
 *   model.safetensors           HF names (saveCheckpoint)
 *   onnx/model.onnx             the decoder with past (./onnx-gpt2.ts), weights as initializers
 *
 * transformers.js picks onnx/model.onnx for dtype fp32 (its default on the CPU / Node device).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.ts';
import type { NamedTensors } from '../io/types.ts';
import { gpt2ConfigToJson, type GPT2Config } from '../model/gpt2-config.ts';
import { byteLevelTokenizerConfig, byteLevelTokenizerJson, EOS_TOKEN, loadTokenizer, parseMergesText } from '../tokenization/index.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { buildExportModel } from './onnx-gpt2.ts';

export interface ExportOptions {
  /** Checkpoint folder (config.json + model.safetensors). */
  model: string;
  out: string;
  /** Tokenizer: a tokenizer.json or a folder with tokenizer.json | vocab.json+merges.txt | encoder.json+vocab.bpe (default: the model folder). */
  tokenizer?: string;
  /** Key/value cache inputs/outputs in the graph (default true). */
  past?: boolean;
  /** Overwrite an existing export in `out`. */
  force?: boolean;
}

export interface ExportResult {
  out: string;
  files: string[];
  onnxBytes: number;
  past: boolean;
  inputs: string[];
  outputs: string[];
  params: number;
}

interface TokenizerFiles {
  tokenizerJson: string; // file content
  configPath?: string; // tokenizer_config.json to copy
  specialMapPath?: string; // special_tokens_map.json to copy
  source: string;
}

/** Finds the tokenizer files; a vocab/merges pair is wrapped into a tokenizer.json. */
function findTokenizer(path: string): TokenizerFiles {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new EwcError(`export: tokenizer path ${abs} does not exist. Pass --tokenizer PATH (a tokenizer.json or a folder with one).`);
  const dir = statSync(abs).isFile() ? dirname(abs) : abs;
  const side = (f: string) => (existsSync(join(dir, f)) ? join(dir, f) : undefined);
  const base = { configPath: side('tokenizer_config.json'), specialMapPath: side('special_tokens_map.json') };
  const tj = statSync(abs).isFile() ? abs : side('tokenizer.json');
  if (tj && basename(tj).endsWith('.json') && basename(tj) !== 'tokenizer_config.json') {
    return { ...base, tokenizerJson: readFileSync(tj, 'utf8'), source: tj };
  }
  for (const [v, m] of [
    ['vocab.json', 'merges.txt'],
    ['encoder.json', 'vocab.bpe'],
  ]) {
    const vp = side(v);
    const mp = side(m);
    if (vp && mp) {
      const vocab = JSON.parse(readFileSync(vp, 'utf8')) as Record<string, number>;
      const merges = parseMergesText(readFileSync(mp, 'utf8'), mp);
      return { ...base, tokenizerJson: JSON.stringify(byteLevelTokenizerJson({ vocab, merges })), source: `${vp} + ${mp}` };
    }
  }
  throw new EwcError(
    `export: no tokenizer in ${dir}: expected tokenizer.json, vocab.json + merges.txt or encoder.json + vocab.bpe. ` +
      `Pass --tokenizer PATH; transformers.js needs the tokenizer for text generation.`,
  );
}

function specialTokensMap(): Record<string, unknown> {
  const tok = { content: EOS_TOKEN, lstrip: false, normalized: false, rstrip: false, single_word: false };
  return { bos_token: tok, eos_token: tok, unk_token: tok };
}

function generationConfig(c: GPT2Config): Record<string, unknown> {
  const out: Record<string, unknown> = { _from_model_config: true };
  if (c.bos_token_id !== null) out.bos_token_id = c.bos_token_id;
  if (c.eos_token_id !== null) out.eos_token_id = c.eos_token_id;
  const pad = c.extra?.pad_token_id;
  if (typeof pad === 'number') out.pad_token_id = pad;
  return out;
}

/** Exports an already-loaded model (config + hub-style params) with the given tokenizer files. */
export function exportOnnxFolder(
  config: GPT2Config,
  params: NamedTensors,
  tokenizerPath: string,
  out: string,
  opts: { past?: boolean; force?: boolean; source?: string } = {},
): ExportResult {
  const past = opts.past ?? true;
  const dir = resolve(out);
  if (existsSync(join(dir, 'onnx', 'model.onnx')) && !opts.force) {
    throw new EwcError(`export: ${dir} already holds an export (onnx/model.onnx). Choose another --out or pass --force to overwrite.`);
  }
  const tok = findTokenizer(tokenizerPath);
  // Check the tokenizer loads and fits the model's vocabulary.
  const loaded = loadTokenizer(tokenizerPath);
  if (loaded.vocabSize > config.vocab_size) {
    throw new EwcError(
      `export: the tokenizer (${tok.source}) has ${loaded.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}. ` +
        `Use the tokenizer the model was trained with (--tokenizer PATH).`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const onnx = buildExportModel(config, params, {
    past,
    metadata: { producer: 'ewc-lm export', ...(opts.source ? { source: opts.source } : {}) },
  });
  writeFileAtomic(join(dir, 'onnx', 'model.onnx'), onnx);
  saveCheckpoint(dir, config, params);
  writeJsonAtomic(join(dir, 'config.json'), gpt2ConfigToJson(config, { torch_dtype: 'float32', use_cache: past }));
  writeJsonAtomic(join(dir, 'generation_config.json'), generationConfig(config));
  writeFileAtomic(join(dir, 'tokenizer.json'), tok.tokenizerJson);
  if (tok.configPath) writeFileAtomic(join(dir, 'tokenizer_config.json'), readFileSync(tok.configPath));
  else writeJsonAtomic(join(dir, 'tokenizer_config.json'), byteLevelTokenizerConfig(loaded.eosId, config.n_positions));
  if (tok.specialMapPath) writeFileAtomic(join(dir, 'special_tokens_map.json'), readFileSync(tok.specialMapPath));
  else writeJsonAtomic(join(dir, 'special_tokens_map.json'), specialTokensMap());

  const inputs = ['input_ids', 'attention_mask', 'position_ids'];
  const outputs = ['logits'];
  if (past) {
    for (let i = 0; i < config.n_layer; i++) {
      for (const kv of ['key', 'value']) {
        inputs.push(`past_key_values.${i}.${kv}`);
        outputs.push(`present.${i}.${kv}`);
      }
    }
  }
  let n = 0;
  for (const t of params.values()) n += t.data.length;
  return {
    out: dir,
    files: [
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'model.safetensors',
      'onnx/model.onnx',
    ],
    onnxBytes: onnx.length,
    past,
    inputs,
    outputs,
    params: n,
  };
}

/** `ewc-lm export --format onnx`: loads the checkpoint and writes the folder. */
export function exportModel(opts: ExportOptions): ExportResult {
  const ck = loadCheckpoint(opts.model);
  return exportOnnxFolder(ck.config, ck.params, opts.tokenizer ?? ck.dir, opts.out, {
    past: opts.past,
    force: opts.force,
    source: ck.dir,
  });
}
