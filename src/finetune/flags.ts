/**
 * Trainer flags shared by commands that train (finetune; recipes use the same keys under "train"):
 * each flag maps to one key of the train section (src/config/train.ts); `--set key.path=value` reaches the rest.
 */
import type { Options } from 'yargs';

/** flag name → train-section key */
export const TRAIN_FLAGS: Record<string, string> = {
  steps: 'steps',
  lr: 'lr',
  'batch-size': 'batchSize',
  'accum-steps': 'accumSteps',
  'block-size': 'blockSize',
  optimizer: 'optimizer',
  'weight-decay': 'weightDecay',
  schedule: 'schedule',
  'warmup-steps': 'warmupSteps',
  'clip-norm': 'clipNorm',
  seed: 'seed',
  'eval-every': 'evalEvery',
  'checkpoint-every': 'checkpointEvery',
  'log-every': 'logEvery',
};

export const trainFlagOptions: Record<string, Options> = {
  steps: { type: 'number', describe: 'optimizer steps' },
  lr: { type: 'number', describe: 'peak learning rate' },
  'batch-size': { type: 'number', describe: 'rows per micro-batch' },
  'accum-steps': { type: 'number', describe: 'micro-batches per step (gradient accumulation)' },
  'block-size': { type: 'number', describe: 'tokens per training row (default n_positions)' },
  optimizer: { type: 'string', choices: ['adam', 'adamw', 'sgd'], describe: 'optimizer' },
  'weight-decay': { type: 'number', describe: 'AdamW decoupled weight decay' },
  schedule: { type: 'string', choices: ['constant', 'cosine', 'linear'], describe: 'learning-rate decay after warm-up' },
  'warmup-steps': { type: 'number', describe: 'linear warm-up steps' },
  'clip-norm': { type: 'number', describe: 'global-norm gradient clipping (0 = off)' },
  seed: { type: 'number', describe: 'seed of data order and dropout' },
  'eval-every': { type: 'number', describe: 'held-out loss every N steps' },
  'checkpoint-every': { type: 'number', describe: 'resumable checkpoint every N steps' },
  'log-every': { type: 'number', describe: 'progress line every N steps' },
  set: { type: 'string', array: true, describe: 'any config key: --set train.beta2=0.95 (repeatable)' },
};

/** The train-section layer from the flags that were given. */
export function trainLayerFromArgv(argv: Record<string, unknown>): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(TRAIN_FLAGS)) {
    const v = argv[flag];
    if (v === undefined) continue;
    layer[key] = key === 'clipNorm' && v === 0 ? null : v;
  }
  return layer;
}
