/**
 * GPT-2 as an ImportanceTarget (kind 'lm'; one sample = one token sequence).
 *
 * logits(x) is src/model/gpt2.ts gpt2Logits in evaluation mode. For the vectorised importance form and the
 * 'signal' importance this file also has a TRACED forward pass: the same math as gpt2Hidden (built from the
 * same ops in src/model/ops.ts, no dropout), which adds a zero probe to the output of every Conv1D layer and
 * records each layer's input and output. test/importance/gpt2.test.ts checks it equals gpt2Logits.
 * (gpt2.ts offers no hook for this; if it grows one, this duplicate of the block loop can go.)
 *
 * Dense layers (Conv1D, W [in, out]) per block i: attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj.
 * 'signal' (method.md §2) for them: weight Ω[a, b] = |W[a, b]|·mean|x_a| (x = the layer input, averaged over a
 * sequence's positions, then over sequences); bias Ω[b] = mean|a_b| with a = the layer's post-activation output:
 * GELU(x·W + b) for mlp.c_fc, the linear output x·W + b for the others (they have no activation). The tied
 * LM head, embeddings and LayerNorms are not dense layers here.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gpt2Logits, headWeight } from '../model/gpt2.ts';
import { getActivation } from '../model/activations.ts';
import { causalSoftmax, embedding, layerNorm, linear, lmHead } from '../model/ops.ts';
import type { DenseLayer, DenseTrace, ImportanceTarget } from './types.ts';

export interface Gpt2Like {
  config: GPT2Config;
  variables: Map<string, tf.Variable>;
}

export function gpt2DenseLayers(config: GPT2Config): DenseLayer[] {
  const out: DenseLayer[] = [];
  for (let i = 0; i < config.n_layer; i++) {
    for (const l of ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj']) {
      out.push({ weight: `h.${i}.${l}.weight`, bias: `h.${i}.${l}.bias`, layout: 'in_out' });
    }
  }
  return out;
}

interface Traced {
  logits: tf.Tensor3D; // [B, T, V]
  inputs: Map<string, tf.Tensor>; // weight name → x [B·T, in]
  outputs: Map<string, tf.Tensor>; // weight name → post-activation output [B·T, out]
}

/**
 * Evaluation-mode forward that adds probes.get(weightName) ([B·T, out]) to each Conv1D output (when given)
 * and records inputs/outputs of the layers in `record`. Not wrapped in tidy: callers own the tensors.
 */
/**
 * LM head for when the head weight is NOT differentiated: logits = h·Wᵀ with a gradient for h only
 * (dh = dy·W, a plain rank-2 product). ops.lmHead also computes dW [V, C] in every backward pass, the most
 * expensive product of a large-vocabulary model; importances of other parameters never need it.
 */
function frozenHead(w: tf.Tensor): (h: tf.Tensor2D) => tf.Tensor2D {
  const f = (h: tf.Tensor) => {
    const h2 = h as tf.Tensor2D;
    const w2 = w as tf.Tensor2D;
    // transpose the smaller operand (as ops.lmHead): the wasm fast path is rank-2, no transpose
    const value = tf.tidy(() =>
      w2.shape[0] >= h2.shape[0]
        ? tf.transpose(tf.matMul(w2, tf.transpose(h2))) // ([V, C]·[C, N])ᵀ → [N, V]
        : tf.matMul(h2, tf.transpose(w2)), // [N, C]·[C, V] → [N, V]
    );
    return { value, gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, w as tf.Tensor2D)] }; // dh [N, C]
  };
  // tf.customGrad's typing does not model single-input functions well; this is its runtime contract.
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (h: tf.Tensor2D) => tf.Tensor2D;
}

export function gpt2Traced(
  config: GPT2Config,
  params: Map<string, tf.Tensor>,
  ids: tf.Tensor2D,
  probes: Map<string, tf.Tensor> | null,
  record: Set<string>,
  opts: { frozenEmbeddings?: boolean } = {},
): Traced {
  const [b, t] = ids.shape;
  const C = config.n_embd;
  const H = config.n_head;
  const D = C / H;
  const N = b * t;
  const eps = config.layer_norm_epsilon;
  const act = getActivation(config.activation_function);
  const inputs = new Map<string, tf.Tensor>();
  const outputs = new Map<string, tf.Tensor>();
  const p = (n: string) => params.get(n)!;
  const dense = (x: tf.Tensor2D, name: string, activation?: (y: tf.Tensor) => tf.Tensor): tf.Tensor2D => {
    let y: tf.Tensor = linear(x, p(`${name}.weight`), p(`${name}.bias`)); // [N, out]
    const probe = probes?.get(`${name}.weight`);
    if (probe) y = tf.add(y, probe);
    if (activation) y = activation(y);
    if (record.has(`${name}.weight`)) {
      inputs.set(`${name}.weight`, x);
      outputs.set(`${name}.weight`, y);
    }
    return y as tf.Tensor2D;
  };
  // frozen: a plain gather (its gradient wrt wte is never requested, so never computed)
  const flatIds = tf.reshape(ids, [N]) as tf.Tensor1D;
  const tok = opts.frozenEmbeddings ? (tf.gather(p('wte.weight'), flatIds) as tf.Tensor2D) : embedding(p('wte.weight'), flatIds); // [N, C]
  const pos = tf.slice(p('wpe.weight'), [0, 0], [t, C]); // [T, C]
  let x = tf.reshape(tf.add(tf.reshape(tok, [b, t, C]), pos), [N, C]) as tf.Tensor2D; // [N, C]
  for (let i = 0; i < config.n_layer; i++) {
    const pre = `h.${i}.`;
    const h1 = layerNorm(x, p(pre + 'ln_1.weight'), p(pre + 'ln_1.bias'), eps); // [N, C]
    const qkv = dense(h1, pre + 'attn.c_attn'); // [N, 3C]
    const heads = tf.transpose(tf.reshape(qkv, [b, t, 3, H, D]), [2, 0, 3, 1, 4]); // [3, B, H, T, D]
    const [q, k, v] = tf.unstack(heads, 0) as tf.Tensor4D[]; // [B, H, T, D]
    let scale = (config.scale_attn_weights ?? true) ? 1 / Math.sqrt(D) : 1;
    if (config.scale_attn_by_inverse_layer_idx) scale /= i + 1;
    const probs = causalSoftmax(tf.matMul(q, tf.transpose(k, [0, 1, 3, 2])) as tf.Tensor4D, scale); // [B, H, T, T]
    const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [N, C]) as tf.Tensor2D; // [N, C]
    x = tf.add(x, dense(ctx, pre + 'attn.c_proj'));
    const h2 = layerNorm(x, p(pre + 'ln_2.weight'), p(pre + 'ln_2.bias'), eps); // [N, C]
    const f = dense(h2, pre + 'mlp.c_fc', act); // [N, I]
    x = tf.add(x, dense(f, pre + 'mlp.c_proj'));
  }
  const h = layerNorm(x, p('ln_f.weight'), p('ln_f.bias'), eps); // [N, C]
  const head = headWeight(config, params);
  const z = opts.frozenEmbeddings ? frozenHead(head)(h) : lmHead(h, head); // [N, V]
  const logits = tf.reshape(z, [b, t, config.vocab_size]) as tf.Tensor3D;
  return { logits, inputs, outputs };
}

/** Embedding/head tensors whose gradients the frozen variant skips. */
const EMBEDDING_NAMES = ['wte.weight', 'lm_head.weight'];

export function gpt2Target(model: Gpt2Like, opts: { frozenEmbeddings?: boolean } = {}): ImportanceTarget {
  const { config, variables } = model;
  const params = variables as unknown as Map<string, tf.Tensor>;
  const layers = gpt2DenseLayers(config);
  const frozen = opts.frozenEmbeddings === true;
  return {
    kind: 'lm',
    params: variables,
    logits: (x: tf.Tensor) =>
      frozen
        ? tf.tidy(() => gpt2Traced(config, params, x as tf.Tensor2D, null, new Set(), { frozenEmbeddings: true }).logits)
        : gpt2Logits(config, params, x as tf.Tensor2D),
    /** When neither wte nor lm_head is differentiated, skip their (large) gradients. */
    forParams: (names: string[]) =>
      !frozen && !names.some((n) => EMBEDDING_NAMES.includes(n)) ? gpt2Target(model, { frozenEmbeddings: true }) : undefined,
    denseLayers: layers,
    probedLogits(x: tf.Tensor, probes: Map<string, tf.Tensor>) {
      const r = gpt2Traced(config, params, x as tf.Tensor2D, probes, new Set(probes.keys()), { frozenEmbeddings: frozen });
      return { logits: r.logits, inputs: r.inputs };
    },
    denseTraces(x: tf.Tensor): DenseTrace[] {
      const all = new Set(layers.map((l) => l.weight));
      let traces: DenseTrace[] = [];
      tf.tidy(() => {
        const r = gpt2Traced(config, params, x as tf.Tensor2D, null, all);
        const [b, t] = x.shape as [number, number];
        traces = layers.map((l) => {
          const inp = r.inputs.get(l.weight)!;
          const out = r.outputs.get(l.weight)!;
          return {
            ...l,
            input: tf.keep(tf.reshape(inp, [b, t, inp.shape[1]!])), // [B, T, in]
            output: tf.keep(tf.reshape(out, [b, t, out.shape[1]!])), // [B, T, out]
          };
        });
      });
      return traces;
    },
  };
}
