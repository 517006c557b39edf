/**
 * GPT-2 forward pass as graph ops, Hugging Face GPT2LMHeadModel's math exactly: pre-LN blocks, Conv1D
 * weights [in, out], causal self-attention scaled by 1/√head_dim, gelu_new MLP, final LayerNorm, LM head
 * tied to wte (or lm_head.weight when untied).
 *
 * Two parameter modes:
 *  - shared: every parameter value has its own shape (training, evaluation);
 *  - perSample: every parameter value carries a leading batch axis [B, ...shape] (its B copies are the same
 *    weights), so that reverse mode yields per-sequence gradients directly — for a linear layer the batched
 *    MatMul gradient is G_n = X_nᵀΔ_n (method.md §2 importances, ort-notes.md). Biases are [B, 1, out].
 */
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gpt2InnerDim } from '../model/gpt2-config.ts';
import type { Graph, Value } from './graph.ts';
import { add, mul, tanh, sigmoid, relu } from './ops-math.ts';
import { embedding, geluNew, headCrossEntropy, layerNorm, linear, matmul, matmulT, softmax, softmaxCrossEntropy } from './ops-nn.ts';
import { reshape, slice, split, transpose } from './ops-shape.ts';
import { erfGelu } from './ops-extra.ts';

export interface Gpt2Graph {
  /** Final hidden states after ln_f: [B, T, C]. */
  hidden: Value;
  /** LM head applied to hidden states [B, T', C] → logits [B, T', V]. */
  head: (h: Value) => Value;
  /** Per-position NLL of labels [B, T'] under the head (fused head + cross-entropy when possible). */
  headNll: (h: Value, labels: Value) => Value;
}

export interface Gpt2BuildOptions {
  batch: number;
  seqLen: number;
  /** Documentation only: the per-sample form is detected from each parameter value's rank. */
  perSample?: boolean;
  /**
   * Dropout: returns the scaled keep-mask (0 or 1/(1−p)) for a site, or null when that site has p = 0.
   * Sites (HF GPT-2): 'embd' [B, T, C]; per layer i: 'attn.i' [B, H, T, T] (attention probabilities),
   * 'resid_attn.i' and 'resid_mlp.i' [B, T, C] (block outputs before the residual add).
   */
  dropout?: (site: string, shape: number[]) => Value | null;
}

/** Dropout sites of a config with their shapes and rates (the order the engine generates masks in). */
export function dropoutSites(c: GPT2Config, B: number, T: number): { site: string; shape: number[]; p: number }[] {
  const C = c.n_embd;
  const out: { site: string; shape: number[]; p: number }[] = [];
  if (c.embd_pdrop > 0) out.push({ site: 'embd', shape: [B, T, C], p: c.embd_pdrop });
  for (let i = 0; i < c.n_layer; i++) {
    if (c.attn_pdrop > 0) out.push({ site: `attn.${i}`, shape: [B, c.n_head, T, T], p: c.attn_pdrop });
    if (c.resid_pdrop > 0) out.push({ site: `resid_attn.${i}`, shape: [B, T, C], p: c.resid_pdrop });
    if (c.resid_pdrop > 0) out.push({ site: `resid_mlp.${i}`, shape: [B, T, C], p: c.resid_pdrop });
  }
  return out;
}

function activation(c: GPT2Config, x: Value): Value {
  switch (c.activation_function) {
    case 'gelu_new':
    case 'gelu_fast':
    case 'gelu_pytorch_tanh':
      return geluNew(x);
    case 'gelu':
      return erfGelu(x);
    case 'relu':
      return relu(x);
    case 'silu':
    case 'swish':
      return mul(x, sigmoid(x));
    case 'tanh':
      return tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    default: {
      const never: never = c.activation_function;
      throw new Error(`unsupported activation ${String(never)}`);
    }
  }
}

/** Causal mask [T, T]: 0 on and below the diagonal, −1e9 above (exp underflows to exactly 0). */
function causalMask(g: Graph, T: number): Value {
  const m: number[] = [];
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) m.push(j > i ? -1e9 : 0);
  return g.constant('float32', [T, T], m);
}

/**
 * Builds the forward pass. `p(name)` returns the graph value of a parameter (shared or per-sample form).
 * `ids` is int64 [B, T].
 */
export function buildGpt2(
  g: Graph,
  c: GPT2Config,
  p: (name: string) => Value,
  ids: Value,
  opts: Gpt2BuildOptions,
): Gpt2Graph {
  const { batch: B, seqLen: T } = opts;
  const C = c.n_embd;
  const H = c.n_head;
  const D = C / H;
  const V = c.vocab_size;
  // A parameter is in per-sample form when its value has one more axis than the parameter (vectors: two).
  const perSample = (name: string, rank: number) => p(name).rank > rank;

  // Embeddings. perSample: wte [B, V, C] is gathered from its flattened [B·V, C] form at ids + b·V.
  let tok: Value; // [B, T, C]
  let pos: Value; // [T, C] or [B, T, C]
  if (perSample('wte.weight', 2)) {
    const flat = reshape(p('wte.weight'), [B * V, C]);
    const offs: number[] = [];
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) offs.push(b * V);
    const shifted = g.node('Add', [ids, g.constant('int64', [B, T], offs)], [{ dtype: 'int64', shape: [B, T] }])[0];
    tok = embedding(flat, shifted);
  } else {
    tok = embedding(p('wte.weight'), ids);
  }
  pos = perSample('wpe.weight', 2) ? slice(p('wpe.weight'), [1], [0], [T]) : slice(p('wpe.weight'), [0], [0], [T]);
  const drop = (v: Value, site: string): Value => {
    const m = opts.dropout?.(site, [...v.shape]);
    return m ? mul(v, m) : v;
  };
  let x = drop(add(tok, pos), 'embd'); // [B, T, C]

  const ln = (v: Value, name: string): Value => {
    if (!perSample(`${name}.weight`, 1) && !perSample(`${name}.bias`, 1)) return layerNorm(v, p(`${name}.weight`), p(`${name}.bias`), c.layer_norm_epsilon);
    const ones = g.constant('float32', [C], new Array(C).fill(1));
    const zeros = g.constant('float32', [C], new Array(C).fill(0));
    return add(mul(layerNorm(v, ones, zeros, c.layer_norm_epsilon), p(`${name}.weight`)), p(`${name}.bias`));
  };
  const mask = causalMask(g, T);

  for (let i = 0; i < c.n_layer; i++) {
    const pre = `h.${i}.`;
    // Attention.
    const a = ln(x, pre + 'ln_1');
    const qkv = linear(a, p(pre + 'attn.c_attn.weight'), p(pre + 'attn.c_attn.bias')); // [B, T, 3C]
    const [q0, k0, v0] = split(qkv, [C, C, C], 2); // [B, T, C] each
    let scale = c.scale_attn_weights ? 1 / Math.sqrt(D) : 1;
    if (c.scale_attn_by_inverse_layer_idx) scale /= i + 1;
    const q = transpose(reshape(q0, [B, T, H, D]), [0, 2, 1, 3]); // [B, H, T, D]
    const kT = transpose(reshape(k0, [B, T, H, D]), [0, 2, 3, 1]); // [B, H, D, T]
    const v = transpose(reshape(v0, [B, T, H, D]), [0, 2, 1, 3]); // [B, H, T, D]
    const scores = add(mul(matmul(q, kT), scale), mask); // [B, H, T, T]
    const probs = drop(softmax(scores), `attn.${i}`);
    const ctx = reshape(transpose(matmul(probs, v), [0, 2, 1, 3]), [B, T, C]); // [B, T, C]
    x = add(x, drop(linear(ctx, p(pre + 'attn.c_proj.weight'), p(pre + 'attn.c_proj.bias')), `resid_attn.${i}`));
    // MLP.
    const m = ln(x, pre + 'ln_2');
    const hdn = activation(c, linear(m, p(pre + 'mlp.c_fc.weight'), p(pre + 'mlp.c_fc.bias'))); // [B, T, I]
    x = add(x, drop(linear(hdn, p(pre + 'mlp.c_proj.weight'), p(pre + 'mlp.c_proj.bias')), `resid_mlp.${i}`));
  }
  void gpt2InnerDim;
  const hidden = ln(x, 'ln_f');
  const headW = c.tie_word_embeddings ? 'wte.weight' : 'lm_head.weight';
  const head = (h: Value) => matmulT(h, p(headW));
  const headNll = (h: Value, labels: Value) =>
    p(headW).rank === 2 ? headCrossEntropy(h, p(headW), labels) : softmaxCrossEntropy(head(h), labels);
  return { hidden, head, headNll };
}

/** Shape of a parameter value in perSample mode: [B, ...shape], vectors as [B, 1, n] (bias broadcast over T). */
export function perSampleShape(B: number, name: string, shape: readonly number[]): number[] {
  if (shape.length === 1) return [B, 1, shape[0]];
  return [B, ...shape];
}
