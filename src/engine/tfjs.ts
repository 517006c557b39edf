/**
 * The eager TensorFlow.js engine (src/engine/types.ts) on GPT2Model (src/model/gpt2.ts).
 *
 * A step: per micro-batch, tf.variableGrads of the (weighted) mean NLL over the trainable variables; the mean
 * of the micro-batch gradients; + the penalty's analytic gradient 2c(θ − θ*) (once); the global norm of that
 * total, from per-chunk float32 partial sums added in float64 on the host (tfjs-notes.md §7); clip by
 * PyTorch's rule (scale = clip/(norm + 1e-6) when norm > clip); the optimizer (src/train/optimizers.ts).
 * If the loss or the norm is not finite the update is skipped and the result says so (the trainer stops).
 * Every intermediate tensor is freed: numTensors is unchanged across steps and evaluations (leak tests).
 */
import * as tf from '@tensorflow/tfjs';
import type {
  Engine,
  EngineCapabilities,
  EngineSetup,
  GradOptions,
  GradResult,
  NamedTensors,
  OptimizerState,
  PenaltySpec,
  StepOptions,
  StepResult,
  TokenBatch,
} from './types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { GPT2Model, gpt2Logits, gpt2Loss, gpt2TokenNll } from '../model/gpt2.ts';
import { NamedOptimizer } from '../train/optimizers.ts';
import { hashInts } from '../train/rng.ts';
import { EwcError } from '../util/errors.ts';

/** Elements per partial sum of squares (float32 sums of ≤ 4096 terms; partials added in float64). */
const NORM_CHUNK = 4096;

function checkBatch(b: TokenBatch, nPos: number): void {
  if (b.ids.length !== b.batch * b.seqLen) {
    throw new EwcError(`token batch: expected ${b.batch}×${b.seqLen} = ${b.batch * b.seqLen} ids, found ${b.ids.length}.`);
  }
  if (b.seqLen < 2 || b.seqLen > nPos) {
    throw new EwcError(`token batch: expected rows of 2..${nPos} tokens (n_positions), found ${b.seqLen}.`);
  }
  const nt = b.batch * (b.seqLen - 1);
  if (b.weights && b.weights.length !== nt) throw new EwcError(`token batch weights: expected ${nt} values [B, T−1], found ${b.weights.length}.`);
  if (b.targets && b.targets.length !== nt) throw new EwcError(`token batch targets: expected ${nt} values [B, T−1], found ${b.targets.length}.`);
}

function scoredTokens(b: TokenBatch): number {
  if (!b.weights) return b.batch * (b.seqLen - 1);
  let s = 0;
  for (let i = 0; i < b.weights.length; i++) s += b.weights[i];
  return s;
}

/** Σ x² of every tensor, float32 within chunks of NORM_CHUNK, float64 across chunks. */
export function sumOfSquares(tensors: Iterable<tf.Tensor>): number {
  const partials = tf.tidy(() => {
    const parts: tf.Tensor1D[] = [];
    for (const t of tensors) {
      const flat = tf.reshape(t, [t.size]) as tf.Tensor1D;
      const n1 = Math.floor(t.size / NORM_CHUNK) * NORM_CHUNK;
      if (n1 > 0) parts.push(tf.sum(tf.square(tf.reshape(tf.slice(flat, 0, n1), [n1 / NORM_CHUNK, NORM_CHUNK])), 1) as tf.Tensor1D);
      if (n1 < t.size) parts.push(tf.reshape(tf.sum(tf.square(tf.slice(flat, n1))), [1]) as tf.Tensor1D);
    }
    return parts.length > 0 ? tf.concat(parts) : tf.zeros([1]);
  });
  const d = partials.dataSync();
  partials.dispose();
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i];
  return s;
}

export class TfjsEngine implements Engine {
  readonly kind = 'tfjs' as const;
  readonly paramNames: readonly string[];
  readonly capabilities: EngineCapabilities = { applyGradients: true, mas: true };
  private readonly model: GPT2Model;
  private optimizer: NamedOptimizer | null = null;
  private trainable: string[];
  private clipNorm: number | null = null;
  private penalty: { coef: Map<string, tf.Tensor>; anchor: Map<string, tf.Tensor> } | null = null;
  private readonly varName = new Map<string, string>(); // tf variable name → parameter name

  constructor(
    readonly config: GPT2Config,
    params: NamedTensors,
  ) {
    this.model = GPT2Model.fromHost(config, params);
    this.paramNames = [...this.model.variables.keys()];
    this.trainable = [...this.paramNames];
    for (const [n, v] of this.model.variables) this.varName.set(v.name, n);
  }

  /** The underlying model (variables keyed by name) for tfjs-only code paths (e.g. importance targets). */
  get gpt2(): GPT2Model {
    return this.model;
  }

  configure(setup: EngineSetup): void {
    const trainable = setup.trainable ? [...setup.trainable] : [...this.paramNames];
    for (const n of trainable) if (!this.model.variables.has(n)) throw new EwcError(`trainable parameter ${n}: the model has no such parameter.`);
    this.optimizer?.dispose();
    this.trainable = trainable;
    this.clipNorm = setup.clipNorm;
    this.optimizer = new NamedOptimizer(setup.optimizer, this.model.variables, trainable);
    if (setup.penalty !== undefined) this.setPenalty(setup.penalty);
  }

  setPenalty(spec: PenaltySpec | null): void {
    if (this.penalty) for (const m of [this.penalty.coef, this.penalty.anchor]) for (const t of m.values()) t.dispose();
    this.penalty = null;
    if (!spec) return;
    const coef = new Map<string, tf.Tensor>();
    const anchor = new Map<string, tf.Tensor>();
    for (const [n, c] of spec.coeffs) {
      const v = this.model.variables.get(n);
      const a = spec.anchor.get(n);
      if (!v) throw new EwcError(`penalty: the model has no parameter ${n}.`);
      if (!a) throw new EwcError(`penalty: no anchor θ* for ${n}.`);
      for (const t of [c, a]) {
        if (t.shape.join(',') !== v.shape.join(',')) throw new EwcError(`penalty ${n}: expected shape [${v.shape}], found [${t.shape}].`);
      }
      coef.set(n, tf.tensor(c.data, c.shape, 'float32'));
      anchor.set(n, tf.tensor(a.data, a.shape, 'float32'));
    }
    this.penalty = { coef, anchor };
  }

  /** Σ c(θ − θ*)² (value) and, when wanted, scale·2c(θ − θ*) added into grads (in place, disposing old tensors). */
  private addPenalty(grads: Map<string, tf.Tensor> | null, scale: number): number {
    if (!this.penalty) return 0;
    const { coef, anchor } = this.penalty;
    const terms: tf.Tensor[] = [];
    for (const [n, c] of coef) {
      const theta = this.model.variables.get(n)!;
      const [term, g] = tf.tidy(() => {
        const d = tf.sub(theta, anchor.get(n)!);
        return [tf.sum(tf.mul(c, tf.square(d))), tf.mul(tf.mul(c, d), 2 * scale)];
      });
      terms.push(term);
      if (grads && grads.has(n)) {
        const old = grads.get(n)!;
        grads.set(n, tf.add(old, g));
        old.dispose();
      }
      g.dispose();
    }
    let v = 0;
    for (const t of terms) {
      v += t.dataSync()[0];
      t.dispose();
    }
    return v;
  }

  /** Objective and its gradients over the trainable variables (device tensors, caller disposes). */
  private grads(b: TokenBatch, objective: 'nll' | 'mas', training: boolean, seed: number | undefined): { loss: number; grads: Map<string, tf.Tensor> } {
    checkBatch(b, this.config.n_positions);
    const vars = this.trainable.map((n) => this.model.variables.get(n)!);
    const { value, grads } = tf.tidy(() => {
      const ids = tf.tensor2d(b.ids, [b.batch, b.seqLen], 'int32'); // [B, T]
      const weights = b.weights ? tf.tensor2d(b.weights, [b.batch, b.seqLen - 1], 'float32') : undefined; // [B, T−1]
      const targets = b.targets ? tf.tensor2d(b.targets, [b.batch, b.seqLen - 1], 'int32') : undefined; // [B, T−1]
      const opts = { training, dropoutSeed: seed };
      const f = (): tf.Scalar =>
        objective === 'nll'
          ? gpt2Loss(this.config, this.model.params, ids, { ...opts, weights, targets })
          : tf.tidy(() => {
              // MAS (method.md §2): mean over rows and positions of ‖softmax(logits_t)‖²₂
              const p = tf.softmax(gpt2Logits(this.config, this.model.params, ids, opts)); // [B, T, V]
              return tf.mean(tf.sum(tf.square(p), -1)) as tf.Scalar;
            });
      return tf.variableGrads(f, vars);
    });
    const out = new Map<string, tf.Tensor>();
    for (const [vn, g] of Object.entries(grads)) out.set(this.varName.get(vn)!, g);
    const loss = value.dataSync()[0];
    value.dispose();
    return { loss, grads: out };
  }

  /** Pre-clip norm; clips and applies when finite and `finiteLoss`. Disposes grads. */
  private clipAndApply(grads: Map<string, tf.Tensor>, lr: number, finiteLoss: boolean): number {
    if (!this.optimizer) throw new EwcError('engine: call configure({optimizer, clipNorm}) before training.');
    try {
      const norm = Math.sqrt(sumOfSquares(grads.values()));
      if (!finiteLoss || !Number.isFinite(norm)) return norm;
      if (this.clipNorm !== null && norm > this.clipNorm) {
        const s = this.clipNorm / (norm + 1e-6);
        for (const [n, g] of grads) {
          grads.set(n, tf.mul(g, s));
          g.dispose();
        }
      }
      this.optimizer.apply(grads, lr);
      return norm;
    } finally {
      for (const g of grads.values()) g.dispose();
    }
  }

  async trainStep(micro: TokenBatch[], opts: StepOptions): Promise<StepResult> {
    if (micro.length < 1) throw new EwcError('trainStep: expected at least one micro-batch, found none.');
    const A = micro.length;
    const training = opts.training ?? true;
    let sum: Map<string, tf.Tensor> | null = null;
    let loss = 0;
    let tokens = 0;
    for (let i = 0; i < A; i++) {
      if (micro[i].batch !== micro[0].batch || micro[i].seqLen !== micro[0].seqLen) {
        throw new EwcError(`trainStep: micro-batches must have the same shape; #0 is ${micro[0].batch}×${micro[0].seqLen}, #${i} is ${micro[i].batch}×${micro[i].seqLen}.`);
      }
      const seed = opts.dropoutSeed === undefined ? undefined : hashInts(opts.dropoutSeed, i);
      const r = this.grads(micro[i], 'nll', training, seed);
      loss += r.loss / A;
      tokens += scoredTokens(micro[i]);
      if (!sum) sum = r.grads;
      else {
        for (const [n, g] of r.grads) {
          const old = sum.get(n)!;
          sum.set(n, tf.add(old, g));
          old.dispose();
          g.dispose();
        }
      }
    }
    const grads = sum!;
    if (A > 1) {
      for (const [n, g] of grads) {
        grads.set(n, tf.div(g, A));
        g.dispose();
      }
    }
    const penalty = this.addPenalty(grads, 1);
    const gradNorm = this.clipAndApply(grads, opts.lr, Number.isFinite(loss) && Number.isFinite(penalty));
    return { loss, penalty, gradNorm, tokens };
  }

  async lossAndGrads(batch: TokenBatch, opts: GradOptions = {}): Promise<GradResult> {
    const objective = opts.objective ?? 'nll';
    const r = this.grads(batch, objective, opts.training ?? false, opts.dropoutSeed);
    const penalty = opts.includePenalty ? this.addPenalty(r.grads, opts.penaltyScale ?? 1) : 0;
    const grads: NamedTensors = new Map();
    for (const [n, g] of r.grads) {
      grads.set(n, { shape: [...g.shape], data: new Float32Array(g.dataSync() as Float32Array) });
      g.dispose();
    }
    return { loss: r.loss, penalty, grads };
  }

  async applyGradients(grads: NamedTensors, opts: StepOptions): Promise<{ gradNorm: number }> {
    const dev = new Map<string, tf.Tensor>();
    for (const n of this.trainable) {
      const g = grads.get(n);
      if (!g) {
        for (const t of dev.values()) t.dispose();
        throw new EwcError(`applyGradients: no gradient for trainable parameter ${n}.`);
      }
      dev.set(n, tf.tensor(g.data, g.shape, 'float32'));
    }
    return { gradNorm: this.clipAndApply(dev, opts.lr, true) };
  }

  async tokenNll(batch: TokenBatch): Promise<Float32Array> {
    checkBatch(batch, this.config.n_positions);
    const nll = tf.tidy(() => {
      const ids = tf.tensor2d(batch.ids, [batch.batch, batch.seqLen], 'int32'); // [B, T]
      const targets = batch.targets ? tf.tensor2d(batch.targets, [batch.batch, batch.seqLen - 1], 'int32') : undefined;
      return gpt2TokenNll(this.config, this.model.params, ids, { targets }); // [B, T−1]
    });
    const out = new Float32Array(nll.dataSync() as Float32Array);
    nll.dispose();
    return out;
  }

  getParams(): NamedTensors {
    return this.model.toHost();
  }

  setParams(params: NamedTensors): void {
    for (const [n, t] of params) {
      if (n === 'lm_head.weight' && this.config.tie_word_embeddings !== false && !this.model.variables.has(n)) continue;
      const v = this.model.variables.get(n);
      if (!v) throw new EwcError(`setParams: the model has no parameter ${n}.`);
      if (t.shape.join(',') !== v.shape.join(',')) throw new EwcError(`setParams ${n}: expected shape [${v.shape}], found [${t.shape}].`);
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
    }
  }

  getOptimizerState(): OptimizerState {
    if (!this.optimizer) return { step: 0, slots: {} };
    return this.optimizer.getState();
  }

  setOptimizerState(state: OptimizerState): void {
    if (!this.optimizer) throw new EwcError('engine: call configure({optimizer, clipNorm}) before setOptimizerState.');
    this.optimizer.setState(state);
  }

  dispose(): void {
    this.optimizer?.dispose();
    this.optimizer = null;
    this.setPenalty(null);
    this.model.dispose();
  }
}

export function createTfjsEngine(config: GPT2Config, params: NamedTensors): TfjsEngine {
  return new TfjsEngine(config, params);
}
