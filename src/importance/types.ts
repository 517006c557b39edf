/**
 * The model-agnostic seam between importance methods and models (../shared/docs/method.md §2).
 *
 * A model exposes itself as an ImportanceTarget: name-keyed trainable variables plus an inference-mode
 * forward pass. Two kinds exist:
 *  - 'lm'         a causal language model (GPT-2). One sample = one token sequence x [T]; logits [N, T, V];
 *                 the dataset label of position t is x_{t+1} (positions 0..T-2 are scored).
 *  - 'classifier' a classification net (MLP / CNN of the benchmarks). One sample = one input with its label;
 *                 logits [N, K].
 * Every importance method returns a name-keyed map (HF names for GPT-2) holding one Float32 tensor per
 * selected parameter, with the parameter's shape.
 */
import type * as tf from '@tensorflow/tfjs';

/** Host-side tensor; structurally identical to src/io/types.ts HostTensor. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}
/** Name-keyed host tensors (importances Ω, anchors θ*). */
export type Importances = Map<string, HostTensor>;

/** One dense (fully connected / Conv1D) layer seen by a traced forward pass, for 'signal' and vectorised forms. */
export interface DenseTrace {
  /** Weight parameter name, e.g. 'h.0.attn.c_attn.weight' or 'fc1.weight'. */
  weight: string;
  /** Bias parameter name when the layer has one. */
  bias?: string;
  /**
   * Weight layout: 'in_out' = [in, out] (GPT-2 Conv1D, y = x·W), 'out_in' = [out, in] (torch Linear, y = x·Wᵀ).
   */
  layout: 'in_out' | 'out_in';
  /** The layer's input x: [N, in] or [N, T, in]. */
  input: tf.Tensor;
  /** The layer's post-activation output a (softmax for the last layer): [N, out] or [N, T, out]. */
  output: tf.Tensor;
}

export interface ImportanceTarget {
  readonly kind: 'lm' | 'classifier';
  /** Trainable parameters keyed by name. Gradients are taken with respect to these variables. */
  readonly params: Map<string, tf.Variable>;
  /**
   * Inference-mode forward pass (no dropout; BatchNorm on running statistics), reading `params`.
   * lm: x [N, T] int32 → logits [N, T, V]. classifier: x [N, ...] float32 → logits [N, K].
   * Must not depend on other samples in the batch (so batched forms are exactly per-sample).
   */
  logits(x: tf.Tensor): tf.Tensor;
  /**
   * Optional: the dense layers' inputs and post-activation outputs for a batch (method 'signal').
   * Tensors returned are owned by the caller (dispose them).
   */
  denseTraces?(x: tf.Tensor): DenseTrace[];
  /**
   * Optional, enables the exact vectorised per-sample form (vectorised.ts): the dense layers whose linear
   * output x·W + b can be probed, and a forward pass that adds `probes.get(weight)` (zeros, shape
   * [R, out], R = N for a classifier, N·T for an lm, rows sample-major) to that linear output and returns each
   * probed layer's input x [R, in]. Inputs must be tf.keep'able tensors created inside the call.
   */
  denseLayers?: readonly DenseLayer[];
  /**
   * Optional: a variant of this target specialised for differentiating only `names` (e.g. GPT-2 skips the
   * gradient of the tied embedding/LM head when it is not selected). undefined = use this target as is.
   */
  forParams?(names: string[]): ImportanceTarget | undefined;
  probedLogits?(x: tf.Tensor, probes: Map<string, tf.Tensor>): { logits: tf.Tensor; inputs: Map<string, tf.Tensor> };
}

/** A probe-able dense layer: y = x·W + b (layout 'in_out', W [in, out]) or y = x·Wᵀ + b ('out_in', W [out, in]). */
export interface DenseLayer {
  weight: string;
  bias?: string;
  layout: 'in_out' | 'out_in';
}

/** Samples for an importance computation; one sample = one sequence (lm) or one labelled input (classifier). */
export type ImportanceSamples =
  | { kind: 'sequences'; sequences: number[][] }
  | { kind: 'labelled'; x: HostTensor /* [N, ...] */; y: Int32Array /* [N] */ };

/** Label source of the Fisher variants (method.md §2). */
export type FisherLabels = 'dataset' | 'sampled' | 'argmax';

export interface ImportanceOptions {
  /** Names of the parameters to compute (already resolved from globs; see src/regularizers/selection.ts). */
  names: string[];
  /** Per-sample loop (reference) or the exactly equivalent vectorised form where one exists. Default 'loop'. */
  mode?: 'loop' | 'vectorised';
  /** Samples per forward/backward pass in vectorised form. */
  batchSize?: number;
  /** Seed for 'fisher-sampled'. */
  seed?: number;
  /** Progress callback (done, total) for long runs. */
  onProgress?: (done: number, total: number) => void;
}

/** Names of the registered importance methods. */
export type ImportanceName = 'fisher' | 'fisher-sampled' | 'fisher-argmax' | 'mas' | 'si' | 'signal' | 'magnitude';

/** A method computed from samples after a task. (SI is a training hook instead: src/importance/si.ts.) */
export interface ImportanceMethod {
  readonly name: ImportanceName;
  /** Whether the method needs samples (magnitude does not). */
  readonly needsSamples: boolean;
  compute(target: ImportanceTarget, samples: ImportanceSamples | null, opts: ImportanceOptions): Importances;
}

/** Metadata stored with an importance file (safetensors __metadata__, all strings). */
export interface ImportanceMeta {
  method: string;
  /** Samples used in the latest task's computation. */
  samples: number;
  /** Corpus spec or token file the samples came from. */
  corpus: string;
  /** sha256 of the parameters the importances were computed at (see hashParams). */
  model_hash: string;
  /** Number of tasks summed into Ω. */
  tasks: number;
  /** Selection globs used. */
  params: string;
  [key: string]: string | number;
}
