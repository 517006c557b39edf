/**
 * GPT-2 forward pass in TensorFlow.js: exactly Hugging Face GPT2LMHeadModel's math, as a pure function of a
 * name-keyed parameter map (hub-style names: `wte.weight`, `h.0.attn.c_attn.weight`, …).
 *
 *   x = wte[ids] + wpe[0..T)                      (embd dropout)
 *   per block i: a = attn(ln_1(x));  x = x + a    (resid dropout on a)
 *                m = mlp(ln_2(x));   x = x + m    (resid dropout on m)
 *   logits = ln_f(x)·Wᵀ, W = wte (tied) or lm_head.weight
 *   attn: q,k,v = split(ln·c_attn + b) (Conv1D [C, 3C]); p = causal softmax(q·kᵀ·scale) (attn dropout);
 *         scale = 1/√head_dim if scale_attn_weights, × 1/(i+1) if scale_attn_by_inverse_layer_idx;
 *         out = merge(p·v)·c_proj + b
 *   mlp: act(ln·c_fc + b)·c_proj + b, act = activation_function (./activations.ts)
 *
 * Activations are kept rank-2 [B·T, C] so every dense product is a plain rank-2 matmul (./ops.ts).
 * Dropout is applied only with `training: true`, with masks drawn from `dropoutSeed` when given.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedTensors } from '../io/types.ts';
import { EwcError } from '../util/errors.ts';
import { expectedParamShapes } from '../io/checkpoint.ts';
import type { GPT2Config } from './gpt2-config.ts';
import { getActivation } from './activations.ts';
import { causalSoftmax, embedding, layerNorm, linear, lmHead, tokenNll } from './ops.ts';

export type ParamMap = Map<string, tf.Tensor>;

export interface ForwardOptions {
  /** Apply dropout (config's embd/attn/resid_pdrop). Default false (evaluation). */
  training?: boolean;
  /** Seed for the dropout masks of this call (same seed → same masks). Unseeded when absent. */
  dropoutSeed?: number;
}

export interface NllOptions extends ForwardOptions {
  /** Replacement targets [B, T−1] int32 (default ids[:, 1:]). */
  targets?: tf.Tensor2D;
}

export interface LossOptions extends NllOptions {
  /** Per-target weights [B, T−1] (0 = not scored). Loss = Σ w·nll / Σ w (0 when Σ w = 0). */
  weights?: tf.Tensor2D;
}

function param(params: ParamMap, name: string): tf.Tensor {
  const t = params.get(name);
  if (!t) {
    throw new EwcError(
      `GPT-2 parameter ${name} is missing: expected a tensor named ${name} (hub-style names). ` +
        `Load the model with loadCheckpoint, which validates and renames a checkpoint's tensors.`,
    );
  }
  return t;
}

/** Counter-based dropout: each call site gets its own seed derived from the step seed. */
class Dropper {
  private site = 0;
  constructor(
    private readonly training: boolean,
    private readonly seed: number | undefined,
  ) {}
  apply<T extends tf.Tensor>(x: T, rate: number): T {
    const site = this.site++;
    if (!this.training || rate <= 0) return x;
    const seed = this.seed === undefined ? undefined : `${this.seed}:${site}`;
    return tf.dropout(x, rate, undefined, seed) as T;
  }
}

function checkIds(config: GPT2Config, ids: tf.Tensor): [number, number] {
  if (ids.rank !== 2 || ids.dtype !== 'int32') {
    throw new EwcError(`GPT-2 input ids: expected an int32 tensor [B, T], found ${ids.dtype} [${ids.shape}].`);
  }
  const [b, t] = ids.shape as [number, number];
  if (t < 1 || t > config.n_positions) {
    throw new EwcError(
      `GPT-2 input length: expected 1..n_positions=${config.n_positions} tokens per row, found ${t}. ` +
        `Split longer sequences into windows of at most ${config.n_positions} tokens.`,
    );
  }
  return [b, t];
}

/**
 * Final hidden states after ln_f, flattened: [B·T, C]. Shared by logits and NLL (which slices off the last
 * position before the LM head).
 */
export function gpt2Hidden(config: GPT2Config, params: ParamMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor2D {
  const [b, t] = checkIds(config, ids);
  const C = config.n_embd;
  const H = config.n_head;
  const D = C / H;
  const N = b * t;
  const eps = config.layer_norm_epsilon;
  const act = getActivation(config.activation_function);
  const drop = new Dropper(opts.training === true, opts.dropoutSeed);
  const scaleAttn = config.scale_attn_weights ?? true;
  const byLayer = config.scale_attn_by_inverse_layer_idx ?? false;

  return tf.tidy(() => {
    const tok = embedding(param(params, 'wte.weight'), tf.reshape(ids, [N]) as tf.Tensor1D); // [N, C]
    const pos = tf.slice(param(params, 'wpe.weight'), [0, 0], [t, C]); // [T, C]
    let x = tf.reshape(tf.add(tf.reshape(tok, [b, t, C]), pos), [N, C]) as tf.Tensor2D; // [N, C]
    x = drop.apply(x, config.embd_pdrop);

    for (let i = 0; i < config.n_layer; i++) {
      // One tidy per block: without a gradient tape its intermediates are freed here (evaluation memory is
      // one block's worth); under a tape, tfjs keeps its own clones of what backprop needs.
      x = tf.tidy(() => block(i, x));
    }
    return layerNorm(x, param(params, 'ln_f.weight'), param(params, 'ln_f.bias'), eps); // [N, C]
  });

  function block(i: number, x: tf.Tensor2D): tf.Tensor2D {
    const p = `h.${i}.`;
    // --- attention ---
    const h1 = layerNorm(x, param(params, p + 'ln_1.weight'), param(params, p + 'ln_1.bias'), eps); // [N, C]
    const qkv = linear(h1, param(params, p + 'attn.c_attn.weight'), param(params, p + 'attn.c_attn.bias')); // [N, 3C]
    const heads = tf.transpose(tf.reshape(qkv, [b, t, 3, H, D]), [2, 0, 3, 1, 4]); // [3, B, H, T, D]
    const [q, k, v] = tf.unstack(heads, 0) as tf.Tensor4D[]; // [B, H, T, D] each
    let scale = scaleAttn ? 1 / Math.sqrt(D) : 1;
    if (byLayer) scale /= i + 1;
    const scores = tf.matMul(q, tf.transpose(k, [0, 1, 3, 2])); // [B, H, T, T]
    let probs = causalSoftmax(scores as tf.Tensor4D, scale); // [B, H, T, T]
    probs = drop.apply(probs, config.attn_pdrop);
    const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [N, C]) as tf.Tensor2D; // [N, C]
    let a = linear(ctx, param(params, p + 'attn.c_proj.weight'), param(params, p + 'attn.c_proj.bias')); // [N, C]
    a = drop.apply(a, config.resid_pdrop);
    x = tf.add(x, a) as tf.Tensor2D;
    // --- MLP ---
    const h2 = layerNorm(x, param(params, p + 'ln_2.weight'), param(params, p + 'ln_2.bias'), eps); // [N, C]
    const f = act(linear(h2, param(params, p + 'mlp.c_fc.weight'), param(params, p + 'mlp.c_fc.bias'))) as tf.Tensor2D; // [N, I]
    let m = linear(f, param(params, p + 'mlp.c_proj.weight'), param(params, p + 'mlp.c_proj.bias')); // [N, C]
    m = drop.apply(m, config.resid_pdrop);
    return tf.add(x, m);
  }
}

/** The LM head weight [V, C]: wte.weight when tied, else lm_head.weight. */
export function headWeight(config: GPT2Config, params: ParamMap): tf.Tensor {
  return config.tie_word_embeddings === false ? param(params, 'lm_head.weight') : param(params, 'wte.weight');
}

/** Logits [B, T, V] of every position. */
export function gpt2Logits(config: GPT2Config, params: ParamMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  const [b, t] = checkIds(config, ids);
  return tf.tidy(() => {
    const h = gpt2Hidden(config, params, ids, opts); // [B·T, C]
    return tf.reshape(lmHead(h, headWeight(config, params)), [b, t, config.vocab_size]) as tf.Tensor3D;
  });
}

/**
 * Next-token NLL [B, T−1] (nats): entry (b, t) = −log p(ids[b, t+1] | ids[b, ≤t]) (or of targets[b, t]).
 * The LM head runs on the first T−1 positions only.
 */
export function gpt2TokenNll(config: GPT2Config, params: ParamMap, ids: tf.Tensor2D, opts: NllOptions = {}): tf.Tensor2D {
  const [b, t] = checkIds(config, ids);
  if (t < 2) throw new EwcError(`GPT-2 NLL: expected rows of at least 2 tokens (one context, one target), found ${t}.`);
  if (opts.targets && (opts.targets.shape[0] !== b || opts.targets.shape[1] !== t - 1)) {
    throw new EwcError(`GPT-2 NLL targets: expected shape [${b}, ${t - 1}], found [${opts.targets.shape}].`);
  }
  return tf.tidy(() => {
    const C = config.n_embd;
    const h = tf.reshape(gpt2Hidden(config, params, ids, opts), [b, t, C]);
    const hIn = tf.reshape(tf.slice(h, [0, 0, 0], [b, t - 1, C]), [b * (t - 1), C]) as tf.Tensor2D; // [B·(T−1), C]
    const logits = lmHead(hIn, headWeight(config, params)); // [B·(T−1), V]
    const tgt = opts.targets ?? tf.slice(ids, [0, 1], [b, t - 1]);
    const nll = tokenNll(logits, tf.reshape(tf.cast(tgt, 'int32'), [b * (t - 1)]) as tf.Tensor1D); // [B·(T−1)]
    return tf.reshape(nll, [b, t - 1]) as tf.Tensor2D;
  });
}

/** Mean next-token NLL (token-weighted when `weights` is given). */
export function gpt2Loss(config: GPT2Config, params: ParamMap, ids: tf.Tensor2D, opts: LossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const nll = gpt2TokenNll(config, params, ids, opts); // [B, T−1]
    if (!opts.weights) return tf.mean(nll) as tf.Scalar;
    const w = tf.cast(opts.weights, 'float32');
    const total = tf.sum(w);
    return tf.div(tf.sum(tf.mul(nll, w)), tf.maximum(total, 1e-30)) as tf.Scalar;
  });
}

/**
 * A GPT-2 whose parameters are tf.Variables keyed by hub-style name. `params` is the same map viewed as
 * tensors, ready for gpt2Logits / gpt2Loss; optimizers update the variables with `variable.assign`.
 */
export class GPT2Model {
  readonly params: ParamMap;
  private disposed = false;

  private constructor(
    readonly config: GPT2Config,
    readonly variables: Map<string, tf.Variable>,
  ) {
    this.params = variables as unknown as ParamMap;
  }

  /**
   * Uploads host tensors (e.g. loadCheckpoint(dir).params) as variables. Names and shapes are checked
   * against the config; a tied `lm_head.weight` is skipped.
   */
  static fromHost(config: GPT2Config, params: NamedTensors, opts: { trainable?: boolean } = {}): GPT2Model {
    const expected = expectedParamShapes(config);
    const problems: string[] = [];
    for (const [name, shape] of expected) {
      const t = params.get(name);
      if (!t) problems.push(`missing ${name}`);
      else if (t.shape.join(',') !== shape.join(',')) problems.push(`${name} is [${t.shape}], expected [${shape}]`);
    }
    for (const name of params.keys()) {
      if (!expected.has(name) && !(name === 'lm_head.weight' && config.tie_word_embeddings !== false)) {
        problems.push(`unexpected ${name}`);
      }
    }
    if (problems.length > 0) {
      throw new EwcError(
        `GPT-2 parameters do not match the config (n_layer=${config.n_layer}, n_embd=${config.n_embd}, ` +
          `vocab_size=${config.vocab_size}): ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; … (${problems.length} problems)` : ''}. ` +
          `Load the checkpoint with loadCheckpoint so its config and tensors agree.`,
      );
    }
    const vars = new Map<string, tf.Variable>();
    for (const [name, shape] of expected) {
      const t = params.get(name)!;
      const init = tf.tensor(t.data, shape, 'float32');
      vars.set(name, tf.variable(init, opts.trainable ?? true));
      init.dispose();
    }
    return new GPT2Model(config, vars);
  }

  /** Host copies of every parameter (hub-style names, float32). */
  toHost(): NamedTensors {
    const out: NamedTensors = new Map();
    for (const [name, v] of this.variables) {
      out.set(name, { shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) });
    }
    return out;
  }

  logits(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D {
    return gpt2Logits(this.config, this.params, ids, opts);
  }

  tokenNll(ids: tf.Tensor2D, opts?: NllOptions): tf.Tensor2D {
    return gpt2TokenNll(this.config, this.params, ids, opts);
  }

  loss(ids: tf.Tensor2D, opts?: LossOptions): tf.Scalar {
    return gpt2Loss(this.config, this.params, ids, opts);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
  }
}
