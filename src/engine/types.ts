/**
 * The engine interface: the one seam through which the trainer (src/train), importances (src/importance),
 * perplexity (src/eval) and the CLI drive a GPT-2. Two implementations:
 *   - `tfjs` (src/engine/tfjs.ts): eager TensorFlow.js on GPT2Model (src/model/gpt2.ts);
 *   - `ort`  (src/onnx/engine.ts): the WHOLE training step (forward + backward + penalty + clipping +
 *     optimizer update) compiled into one ONNX graph per (batch, context) shape.
 *
 * Because the compiled engine works at step granularity, everything that changes what a step computes is
 * configured UP FRONT (`configure`: optimizer, clipping, trainable set, penalty), and a step is one call:
 * `trainStep(microBatches, { lr, step }) → { loss, penalty, gradNorm }`.
 *
 * State crosses the seam only as host tensors keyed by Hugging Face parameter names (NamedTensors):
 * parameters (`getParams`/`setParams`) and optimizer slots (`getOptimizerState`/`setOptimizerState`), so a
 * checkpoint written from one engine resumes on the other.
 *
 * Hooks (before step, after gradients, after step, after task) belong to the trainer, not to the engine.
 * The trainer runs "after gradients" hooks only on the split path `lossAndGrads` → hooks → `applyGradients`.
 * On the compiled engine `applyGradients` is optional (`capabilities.applyGradients`): there the
 * "after gradients" hook is available only when gradients are requested explicitly (`lossAndGrads`), not inside
 * a fused `trainStep`. Penalties therefore go in `configure({ penalty })` (both engines compute them in-step),
 * not in a gradient hook.
 *
 * Semantics shared by both implementations (tests pin them on tfjs; H4's parity suite pins ort to tfjs):
 *   - loss: mean next-token NLL (nats) over the scored targets of the step — token t+1 predicted from
 *     tokens ≤ t of the same row; optional per-target `weights` (0 = not scored, e.g. padding).
 *   - penalty: Σ_i c_i (θ_i − θ*_i)² over the parameters named in the spec (method.md §1); added to the loss
 *     once per step (not per micro-batch).
 *   - gradient accumulation: the micro-batches of one step have the same shape; the task gradient is the mean
 *     of the micro-batch gradients (each a mean over its scored targets); the penalty gradient is added once.
 *   - clipping: by the global L2 norm of the TOTAL gradient (task + penalty) over trainable parameters,
 *     computed in float64 on the host or chunked (tfjs-notes.md §7); `gradNorm` reports the norm BEFORE clipping.
 *   - optimizers: Adam / AdamW (decoupled weight decay, θ ← θ − lr·wd·θ before the Adam update, as PyTorch)
 *     / SGD (+ momentum). Bias-corrected Adam with the step count kept in the optimizer state.
 *   - dropout: only in `trainStep`/`lossAndGrads` with `training: true`, seeded per step by `dropoutSeed`
 *     so that a resumed run draws the same masks.
 */
import type { HostTensor, NamedTensors } from '../io/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';

export type { HostTensor, NamedTensors };

/** A batch of token rows of equal length. */
export interface TokenBatch {
  /** Token ids, row-major [B, T] (int32). */
  ids: Int32Array;
  /** B: number of rows. */
  batch: number;
  /** T: tokens per row (≤ n_positions). */
  seqLen: number;
  /**
   * Optional per-target weights, row-major [B, T−1]: weight of predicting ids[b, t+1]. 0 = not scored
   * (padding, or tokens an earlier perplexity window already scored). Absent = every target weighs 1.
   */
  weights?: Float32Array;
  /**
   * Optional replacement targets, row-major [B, T−1] (default: ids[b, t+1]). Used by the sampled/argmax
   * Fisher variants; training uses the default.
   */
  targets?: Int32Array;
}

export type OptimizerName = 'adam' | 'adamw' | 'sgd';

export interface OptimizerSpec {
  name: OptimizerName;
  /** Adam β1 (PyTorch default 0.9). */
  beta1: number;
  /** Adam β2 (PyTorch default 0.999). */
  beta2: number;
  /** Adam ε (PyTorch default 1e-8). */
  eps: number;
  /** Decoupled weight decay (AdamW) or L2 added to the gradient (SGD, Adam). 0 = off. */
  weightDecay: number;
  /** SGD momentum (0 = plain SGD). */
  momentum: number;
  /**
   * Parameter names that weight decay applies to. Default (absent): tensors of rank ≥ 2 (matrices and
   * embeddings; not biases or LayerNorm), nanoGPT's convention.
   */
  decayParams?: readonly string[];
}

/** The penalty Σ_i c_i (θ_i − θ*_i)² (method.md §1): plain and stabilized EWC differ only in `coeffs`. */
export interface PenaltySpec {
  /** c_i per parameter, keyed by name; each tensor has the parameter's shape. Parameters absent: no penalty. */
  coeffs: NamedTensors;
  /** θ*_i, keyed by the same names and shapes. */
  anchor: NamedTensors;
}

export interface EngineSetup {
  optimizer: OptimizerSpec;
  /** Global-norm clipping threshold of the total gradient; null = no clipping. */
  clipNorm: number | null;
  /** Trainable parameter names (default: all). Others are frozen: no gradient, no optimizer state. */
  trainable?: readonly string[];
  /** Optional penalty, computed inside every step (and included in lossAndGrads when asked). */
  penalty?: PenaltySpec | null;
}

export interface StepOptions {
  /** Learning rate of this step (the trainer's schedule evaluates it). */
  lr: number;
  /** Dropout on (uses the config's *_pdrop). Default true in trainStep. */
  training?: boolean;
  /** Seed for this step's dropout masks (the trainer derives it from the run seed and the step). */
  dropoutSeed?: number;
}

export interface StepResult {
  /** Mean task loss (NLL, nats) over the step's scored targets (mean over micro-batches). */
  loss: number;
  /** Penalty value at the pre-step parameters (0 without penalty). */
  penalty: number;
  /** Global L2 norm of the total gradient before clipping. */
  gradNorm: number;
  /** Scored targets in the step (Σ weights over micro-batches). */
  tokens: number;
}

/** What lossAndGrads differentiates. `nll`: mean next-token NLL; `mas`: mean over positions of ‖softmax(logits_t)‖²₂. */
export type Objective = 'nll' | 'mas';

export interface GradOptions {
  objective?: Objective;
  /** Add the configured penalty to the objective (and its gradient). Default false. */
  includePenalty?: boolean;
  /**
   * Multiplier of the penalty term when includePenalty (default 1). The trainer's split path with A
   * micro-batches passes A on the first micro-batch, so that the mean over micro-batches adds the penalty once.
   */
  penaltyScale?: number;
  training?: boolean;
  dropoutSeed?: number;
}

export interface GradResult {
  /** Objective value (task part). */
  loss: number;
  /** Penalty value, unscaled by penaltyScale (0 unless includePenalty and a penalty is configured). */
  penalty: number;
  /** Gradients of (objective [+ penalty]) w.r.t. the trainable parameters, host copies keyed by name. */
  grads: NamedTensors;
}

/** Optimizer state: step count + named slots (e.g. Adam's `exp_avg`, `exp_avg_sq`; SGD's `momentum`). */
export interface OptimizerState {
  /** Optimizer updates applied so far (Adam's bias-correction t). */
  step: number;
  /** slot name → (parameter name → tensor of the parameter's shape). */
  slots: Record<string, NamedTensors>;
}

export interface EngineCapabilities {
  /** `applyGradients` exists, so "after gradients" hooks can run between gradient and update. */
  applyGradients: boolean;
  /** lossAndGrads supports objective 'mas'. */
  mas: boolean;
}

export interface Engine {
  readonly kind: 'tfjs' | 'ort';
  readonly config: GPT2Config;
  /** All parameter names (HF hub-style), in a fixed order. */
  readonly paramNames: readonly string[];
  readonly capabilities: EngineCapabilities;

  /** Sets optimizer, clipping, trainable set and penalty. Resets optimizer state. Call before trainStep. */
  configure(setup: EngineSetup): void;
  /** Replaces (or removes, with null) the penalty without touching the optimizer state. */
  setPenalty(spec: PenaltySpec | null): void;

  /** One optimizer step on the mean gradient of `micro` (≥ 1 micro-batches of equal shape) + penalty. */
  trainStep(micro: TokenBatch[], opts: StepOptions): Promise<StepResult>;
  /** Objective and gradients at the current parameters; no update. */
  lossAndGrads(batch: TokenBatch, opts?: GradOptions): Promise<GradResult>;
  /**
   * Clip (if configured) and apply the given TOTAL gradients (host, keyed by name; the penalty is NOT added
   * again) with the optimizer; returns the pre-clip global norm. Present when capabilities.applyGradients.
   */
  applyGradients?(grads: NamedTensors, opts: StepOptions): Promise<{ gradNorm: number }>;

  /** Per-target NLL (nats), row-major [B, T−1]: −log p(ids[b,t+1] | ids[b,≤t]); evaluation mode (no dropout). */
  tokenNll(batch: TokenBatch): Promise<Float32Array>;

  /** Host copies of all parameters, keyed by name. */
  getParams(): NamedTensors;
  /** Overwrites parameters (all, or the subset given); names and shapes are checked. */
  setParams(params: NamedTensors): void;
  getOptimizerState(): OptimizerState;
  setOptimizerState(state: OptimizerState): void;

  /** Frees every tensor / session the engine owns. */
  dispose(): void;
}

/** Defaults for OptimizerSpec fields (PyTorch's Adam/AdamW/SGD defaults, except weight decay 0). */
export const defaultOptimizer: OptimizerSpec = {
  name: 'adamw',
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
};
