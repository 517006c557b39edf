/**
 * Configuration of `ewc-lm pretrain`: a GPT-2 trained from scratch on corpus specs, with its own byte-level
 * BPE tokenizer (or a given one). Recipes (recipes/pretrain-*.json) state only what they change.
 */
import type { Schema } from './schema.ts';
import { trainSchema, type TrainConfig } from './train.ts';
import { SUPPORTED_ACTIVATIONS } from '../model/gpt2-config.ts';

export interface PretrainConfig {
  out: string;
  engine: 'tfjs' | 'ort';
  backend: string;
  model: {
    n_layer: number;
    n_head: number;
    n_embd: number;
    n_positions: number;
    n_inner: number | null;
    activation_function: string;
    dropout: number;
    layer_norm_epsilon: number;
    initializer_range: number;
    tie_word_embeddings: boolean;
  };
  tokenizer: {
    path: string | null;
    vocabSize: number;
    minFrequency: number;
  };
  data: {
    train: string[];
    heldOut: string[];
    fractions: number[];
    splitSeed: number;
    evalSplit: 'validation' | 'test';
  };
  train: TrainConfig;
}

export const pretrainSchema: Schema = {
  out: { kind: 'string', default: 'runs/pretrain', doc: 'output folder (final model, checkpoint/, metrics.jsonl)' },
  engine: { kind: 'string', choices: ['tfjs', 'ort'], default: 'tfjs', doc: 'compute engine' },
  backend: { kind: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], default: 'wasm', doc: 'tfjs backend (engine tfjs)' },
  model: {
    kind: 'section',
    doc: 'GPT-2 shape (HF GPT2Config names); vocab_size comes from the tokenizer',
    fields: {
      n_layer: { kind: 'number', integer: true, min: 1, default: 4, doc: 'transformer blocks' },
      n_head: { kind: 'number', integer: true, min: 1, default: 4, doc: 'attention heads (must divide n_embd)' },
      n_embd: { kind: 'number', integer: true, min: 1, default: 128, doc: 'model width' },
      n_positions: { kind: 'number', integer: true, min: 2, default: 128, doc: 'context length' },
      n_inner: { kind: 'number', integer: true, min: 1, nullable: true, default: null, doc: 'MLP width; null = 4·n_embd' },
      activation_function: { kind: 'string', choices: SUPPORTED_ACTIVATIONS, default: 'gelu_new', doc: 'GPT-2 activation' },
      dropout: { kind: 'number', min: 0, max: 1, default: 0, doc: 'resid/embd/attn dropout (0: well under one epoch; nanoGPT pretraining default)' },
      layer_norm_epsilon: { kind: 'number', min: 0, default: 1e-5, doc: 'LayerNorm ε (GPT-2)' },
      initializer_range: { kind: 'number', min: 0, default: 0.02, doc: 'init std (GPT-2)' },
      tie_word_embeddings: { kind: 'boolean', default: true, doc: 'LM head tied to wte (GPT-2)' },
    },
  },
  tokenizer: {
    kind: 'section',
    doc: 'an existing tokenizer (path), or a byte-level BPE trained on the training split',
    fields: {
      path: { kind: 'string', nullable: true, default: null, doc: 'tokenizer.json / folder to use; null = train one' },
      vocabSize: { kind: 'number', integer: true, min: 258, default: 4096, doc: 'BPE vocabulary (256 bytes + merges + <|endoftext|>)' },
      minFrequency: { kind: 'number', integer: true, min: 1, default: 2, doc: 'stop merging below this pair count' },
    },
  },
  data: {
    kind: 'section',
    doc: 'corpora (specs as in docs/corpora.md) and their seeded split',
    fields: {
      train: { kind: 'strings', default: ['brown:informative', 'sotu', 'books:embedded'], doc: 'corpus specs whose train split is trained on' },
      heldOut: {
        kind: 'strings', default: [],
        doc: 'corpus specs held out whole (e.g. whole books): never trained on, and every document of data.train read from the same file is dropped before splitting',
      },
      fractions: {
        kind: 'numbers', default: [0.9, 0.05, 0.05], min: 0,
        doc: 'train / validation / test fractions of the seeded document split of data.train (sum 1)',
      },
      splitSeed: { kind: 'number', integer: true, min: 0, default: 0, doc: 'split seed (splitCorpus default 0: the same split as ewc-lm eval --split)' },
      evalSplit: { kind: 'string', choices: ['validation', 'test'], default: 'validation', doc: 'split used for the periodic held-out loss' },
    },
  },
  train: { kind: 'section', doc: 'trainer settings (src/config/train.ts)', fields: trainSchema },
};
