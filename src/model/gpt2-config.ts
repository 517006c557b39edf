/**
 * GPT-2 configuration with Hugging Face's GPT2Config field names and defaults
 * (transformers/models/gpt2/configuration_gpt2.py). Keys of a config.json that this package does not use
 * (n_ctx, summary_*, torch_dtype, …) are kept in `extra` and written back on save.
 */
import { EwcError } from '../util/errors.ts';

/** activation_function values GPT-2 configs use (HF ACT2FN names) that the forward pass implements. */
export const SUPPORTED_ACTIVATIONS = [
  'gelu_new',
  'gelu',
  'gelu_fast',
  'gelu_pytorch_tanh',
  'relu',
  'silu',
  'swish',
  'tanh',
  'sigmoid',
] as const;
export type GPT2Activation = (typeof SUPPORTED_ACTIVATIONS)[number];

export interface GPT2Config {
  model_type: 'gpt2';
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** MLP width; null means 4·n_embd (use `gpt2InnerDim`). */
  n_inner: number | null;
  activation_function: GPT2Activation;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  tie_word_embeddings: boolean;
  scale_attn_weights: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
  bos_token_id: number | null;
  eos_token_id: number | null;
  /** Other config.json keys, kept verbatim (architectures is always rewritten on save). */
  extra?: Record<string, unknown>;
}

/** HF GPT2Config() defaults (the 124M "gpt2" shape). */
export const GPT2_DEFAULTS: Readonly<Omit<GPT2Config, 'extra'>> = Object.freeze({
  model_type: 'gpt2',
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  activation_function: 'gelu_new',
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  layer_norm_epsilon: 1e-5,
  initializer_range: 0.02,
  tie_word_embeddings: true,
  scale_attn_weights: true,
  scale_attn_by_inverse_layer_idx: false,
  reorder_and_upcast_attn: false,
  bos_token_id: 50256,
  eos_token_id: 50256,
});

/** MLP hidden width (n_inner, or 4·n_embd when null). */
export function gpt2InnerDim(c: GPT2Config): number {
  return c.n_inner ?? 4 * c.n_embd;
}

/** Attention head size n_embd / n_head. */
export function gpt2HeadDim(c: GPT2Config): number {
  return c.n_embd / c.n_head;
}

type Kind = 'posint' | 'posint?' | 'int?' | 'prob' | 'posnum' | 'bool';
const FIELDS: Record<Exclude<keyof GPT2Config, 'extra' | 'model_type' | 'activation_function'>, Kind> = {
  vocab_size: 'posint',
  n_positions: 'posint',
  n_embd: 'posint',
  n_layer: 'posint',
  n_head: 'posint',
  n_inner: 'posint?',
  resid_pdrop: 'prob',
  embd_pdrop: 'prob',
  attn_pdrop: 'prob',
  layer_norm_epsilon: 'posnum',
  initializer_range: 'posnum',
  tie_word_embeddings: 'bool',
  scale_attn_weights: 'bool',
  scale_attn_by_inverse_layer_idx: 'bool',
  reorder_and_upcast_attn: 'bool',
  bos_token_id: 'int?',
  eos_token_id: 'int?',
};

const KIND_TEXT: Record<Kind, string> = {
  posint: 'a positive integer',
  'posint?': 'a positive integer or null',
  'int?': 'a non-negative integer or null',
  prob: 'a number in [0, 1)',
  posnum: 'a positive number',
  bool: 'true or false',
};

function okKind(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'posint':
      return Number.isSafeInteger(v) && (v as number) > 0;
    case 'posint?':
      return v === null || (Number.isSafeInteger(v) && (v as number) > 0);
    case 'int?':
      return v === null || (Number.isSafeInteger(v) && (v as number) >= 0);
    case 'prob':
      return typeof v === 'number' && v >= 0 && v < 1;
    case 'posnum':
      return typeof v === 'number' && Number.isFinite(v) && v > 0;
    case 'bool':
      return typeof v === 'boolean';
  }
}

/** Parses a config.json object (already JSON-parsed). `source` names the file in errors. */
export function parseGPT2Config(json: unknown, source = 'config'): GPT2Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new EwcError(`${source}: expected a JSON object with GPT-2 config fields, found ${JSON.stringify(json)}.`);
  }
  const j = json as Record<string, unknown>;
  const problems: string[] = [];
  if (j.model_type !== undefined && j.model_type !== 'gpt2') {
    throw new EwcError(
      `${source}: model_type is ${JSON.stringify(j.model_type)}, expected "gpt2". ewc-lm loads GPT-2-style ` +
        `checkpoints (GPT2LMHeadModel) only.`,
    );
  }
  const cfg: Record<string, unknown> = { ...GPT2_DEFAULTS };
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(j)) {
    if (k === 'model_type') continue;
    if (k === 'activation_function') {
      if (typeof v !== 'string' || !(SUPPORTED_ACTIVATIONS as readonly string[]).includes(v)) {
        problems.push(
          `activation_function is ${JSON.stringify(v)}, expected one of ${SUPPORTED_ACTIVATIONS.join(', ')}`,
        );
      } else cfg[k] = v;
      continue;
    }
    const kind = (FIELDS as Record<string, Kind | undefined>)[k];
    if (kind === undefined) {
      extra[k] = v;
      continue;
    }
    if (!okKind(kind, v)) problems.push(`${k} is ${JSON.stringify(v)}, expected ${KIND_TEXT[kind]}`);
    else cfg[k] = v;
  }
  if (problems.length === 0 && (cfg.n_embd as number) % (cfg.n_head as number) !== 0) {
    problems.push(`n_embd (${cfg.n_embd}) is not divisible by n_head (${cfg.n_head})`);
  }
  if (problems.length > 0) {
    throw new EwcError(`${source}: invalid GPT-2 config: ${problems.join('; ')}. Fix these fields in ${source}.`);
  }
  const out = cfg as unknown as GPT2Config;
  if (Object.keys(extra).length > 0) out.extra = extra;
  return out;
}

/** A config from defaults plus overrides, validated like a config.json. */
export function makeGPT2Config(overrides: Partial<GPT2Config> = {}, source = 'GPT-2 config'): GPT2Config {
  const { extra, ...rest } = overrides;
  return parseGPT2Config({ ...(extra ?? {}), ...GPT2_DEFAULTS, ...rest }, source);
}

/**
 * The JSON object of a config.json that Hugging Face transformers loads: every field, extras kept,
 * architectures ["GPT2LMHeadModel"], model_type "gpt2", keys sorted (as save_pretrained writes them).
 */
export function gpt2ConfigToJson(c: GPT2Config, extraOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { extra, ...fields } = c;
  const all: Record<string, unknown> = {
    ...(extra ?? {}),
    ...fields,
    ...extraOverrides,
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
  };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(all).sort()) sorted[k] = all[k];
  return sorted;
}
