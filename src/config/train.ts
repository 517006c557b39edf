/**
 * The trainer's configuration section, shared by `pretrain` and `finetune` (recipes nest it under "train").
 * Defaults cite their source; a recipe states only what it changes.
 */
import type { Schema } from './schema.ts';

export interface TrainConfig {
  steps: number;
  batchSize: number;
  accumSteps: number;
  blockSize: number | null;
  optimizer: 'adam' | 'adamw' | 'sgd';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  schedule: 'constant' | 'cosine' | 'linear';
  warmupSteps: number;
  minLrRatio: number;
  clipNorm: number | null;
  seed: number;
  evalEvery: number;
  evalBlocks: number;
  checkpointEvery: number;
  logEvery: number;
  keepCheckpoints: number;
}

export const trainSchema: Schema = {
  steps: { kind: 'number', integer: true, min: 1, default: 1000, doc: 'optimizer steps in total' },
  batchSize: { kind: 'number', integer: true, min: 1, default: 8, doc: 'rows (blocks) per micro-batch' },
  accumSteps: { kind: 'number', integer: true, min: 1, default: 1, doc: 'micro-batches per optimizer step (gradient accumulation)' },
  blockSize: {
    kind: 'number', integer: true, min: 2, nullable: true, default: null,
    doc: 'tokens per training row; null = the model\'s n_positions',
  },
  optimizer: { kind: 'string', choices: ['adam', 'adamw', 'sgd'], default: 'adamw', doc: 'optimizer' },
  lr: { kind: 'number', min: 0, default: 3e-4, doc: 'peak learning rate (nanoGPT-style small-model default)' },
  beta1: { kind: 'number', min: 0, max: 1, default: 0.9, doc: 'Adam β1 (PyTorch default)' },
  beta2: { kind: 'number', min: 0, max: 1, default: 0.999, doc: 'Adam β2 (PyTorch default)' },
  eps: { kind: 'number', min: 0, default: 1e-8, doc: 'Adam ε (PyTorch default)' },
  weightDecay: { kind: 'number', min: 0, default: 0, doc: 'AdamW decoupled weight decay (applied to matrices and embeddings only)' },
  momentum: { kind: 'number', min: 0, max: 1, default: 0, doc: 'SGD momentum' },
  schedule: { kind: 'string', choices: ['constant', 'cosine', 'linear'], default: 'constant', doc: 'learning-rate decay after warm-up' },
  warmupSteps: { kind: 'number', integer: true, min: 0, default: 0, doc: 'linear warm-up steps from 0 to lr' },
  minLrRatio: { kind: 'number', min: 0, max: 1, default: 0.1, doc: 'final lr / peak lr for cosine and linear decay (Chinchilla: 0.1)' },
  clipNorm: { kind: 'number', min: 0, nullable: true, default: 1.0, doc: 'global-norm clipping of the total gradient; null = off (GPT-2/nanoGPT: 1.0)' },
  seed: { kind: 'number', integer: true, min: 0, default: 0, doc: 'seed of data order, dropout and initialisation' },
  evalEvery: { kind: 'number', integer: true, min: 0, default: 0, doc: 'evaluate held-out loss every N steps; 0 = only at the end' },
  evalBlocks: { kind: 'number', integer: true, min: 1, default: 64, doc: 'held-out blocks scored at each evaluation (fixed; pretrain spreads them evenly over the held-out stream)' },
  checkpointEvery: { kind: 'number', integer: true, min: 0, default: 0, doc: 'save a checkpoint every N steps; 0 = only at the end' },
  logEvery: { kind: 'number', integer: true, min: 1, default: 10, doc: 'progress line and metrics record every N steps' },
  keepCheckpoints: { kind: 'number', integer: true, min: 1, max: 1, default: 1, doc: 'resumable checkpoints kept: the latest only (out/checkpoint), replaced atomically' },
};
