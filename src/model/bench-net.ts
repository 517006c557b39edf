/**
 * The interface shared by the continual-learning networks (src/model/mlp.ts, src/model/cnn.ts).
 * Inputs are always flat images x [B, 784] in [0, 1]; parameters are tf.Variables keyed by name
 * (torch-style names: 'fc1.weight', 'conv1.weight', 'bn1.weight', …).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImportanceTarget } from '../importance/types.ts';
import type { Rng } from '../data/images/rng.ts';

export interface BenchNet {
  readonly kind: 'mlp' | 'cnn';
  /** Trainable parameters (all of them are penalised). */
  readonly params: Map<string, tf.Variable>;
  /**
   * Forward pass → logits [B, 10]. training = true: BatchNorm normalises with batch statistics and the
   * caller must then call `commitBatchStats()` once per step (the running averages update outside the tape).
   */
  logits(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
  /** Applies the running-statistics update recorded by the last training-mode forward (no-op for the MLP). */
  commitBatchStats(): void;
  /** Inference-mode view for the importance methods (src/importance). */
  importanceTarget(): ImportanceTarget;
  /** Re-initialises every parameter (U(±1/√fan_in)) and buffer, as torch's reset_parameters(). */
  reset(rng: Rng): void;
  /** Number of trainable scalars. */
  numParams(): number;
  dispose(): void;
}

export function countParams(params: Map<string, tf.Variable>): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}
