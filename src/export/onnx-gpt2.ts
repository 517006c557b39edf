/**
 * The deployable GPT-2 graph: dynamic batch and sequence sizes, an optional key/value cache, weights baked in
 * as initializers under Hugging Face names (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`, …,
 * `lm_head.weight` only when untied). Its inputs and outputs are those of an optimum / transformers.js GPT-2
 * decoder with past ("text-generation-with-past"):
 *
 *   inputs   input_ids        int64 [batch_size, sequence_length]
 *            attention_mask   int64 [batch_size, past_sequence_length + sequence_length]   (1 = real token)
 *            position_ids     int64 [batch_size, sequence_length]
 *            past_key_values.{i}.key / .value   float32 [batch_size, n_head, past_sequence_length, head_dim]
 *   outputs  logits           float32 [batch_size, sequence_length, vocab_size]
 *            present.{i}.key / .value   float32 [batch_size, n_head, past_sequence_length + sequence_length, head_dim]
 *
 * transformers.js feeds empty past tensors ([B, H, 0, D]) on the first step, then the presents of the previous
 * step, and computes position_ids from the attention mask (cumsum − 1), so left-padded batches work.
 * With `past: false` the graph has neither past inputs nor present outputs (transformers.js then recomputes
 * the whole sequence every step).
 *
 * Attention of query s (absolute position P + s, P = past length) may use key j when j ≤ P + s and
 * attention_mask[b, j] = 1; other scores become −1e9 before the softmax (exp underflows to exactly 0, as in
 * src/model/gpt2.ts). A row with no usable key (a padding query) gets uniform weights; its output is unused.
 *
 * Built on src/onnx's graph builder and ops (H4). The builder tracks static shapes; here the dynamic axes
 * (batch, sequence, past) are carried as 1 in that bookkeeping, which its broadcasting checks accept, and the
 * ops whose ONNX form would bake a size in (Reshape, masks, concat of the cache) are written as nodes with
 * runtime shapes (Reshape's 0 = "copy this axis", Shape / Range for the mask).
 */
import type { HostTensor, NamedTensors } from '../io/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gpt2HeadDim } from '../model/gpt2-config.ts';
import { attr, Graph, type Value } from '../onnx/graph.ts';
import { add, mul, relu, sigmoid, tanh } from '../onnx/ops-math.ts';
import { erfGelu } from '../onnx/ops-extra.ts';
import { embedding, geluNew, layerNorm, linear, matmul, matmulT, softmax } from '../onnx/ops-nn.ts';
import { split, transpose } from '../onnx/ops-shape.ts';
import { encodeModel, type ValueInfoSpec } from '../onnx/proto.ts';
import { EwcError } from '../util/errors.ts';

export interface ExportGraphOptions {
  /** Key/value cache inputs and outputs (default true). */
  past?: boolean;
  /** ModelProto metadata_props. */
  metadata?: Record<string, string>;
  /** Initializer name of a hub-style parameter name (default: exportedInitializerName). */
  initializerName?: (name: string) => string;
}

/** Initializer name of a hub-style parameter name in the exported graph. */
export function exportedInitializerName(name: string): string {
  return name === 'lm_head.weight' ? name : `transformer.${name}`;
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
      throw new EwcError(`export: activation ${String(never)} is not supported by the ONNX export.`);
    }
  }
}

/** Builds the serialised ONNX model (ModelProto bytes) of `config` with `params` (hub-style names). */
export function buildExportModel(config: GPT2Config, params: NamedTensors, opts: ExportGraphOptions = {}): Uint8Array {
  const withPast = opts.past ?? true;
  const c = config;
  const C = c.n_embd;
  const H = c.n_head;
  const D = gpt2HeadDim(c);
  const V = c.vocab_size;
  const g = new Graph('gpt2_decoder');
  g.recording = false;

  const pv = new Map<string, Value>();
  const p = (name: string): Value => {
    let v = pv.get(name);
    if (v) return v;
    const t: HostTensor | undefined = params.get(name);
    if (!t) throw new EwcError(`export: parameter ${name} is missing from the checkpoint. Load it with loadCheckpoint.`);
    v = g.initializer((opts.initializerName ?? exportedInitializerName)(name), 'float32', t.shape, t.data);
    pv.set(name, v);
    return v;
  };

  const node = (op: string, inputs: Value[], dtype: Value['dtype'], shape: number[], attrs = {}, names?: string[]) =>
    g.node(op, inputs, [{ dtype, shape }], attrs, names)[0];

  // Graph inputs (dynamic axes carried as 1 in the builder's shapes).
  const ids = g.input('input_ids', 'int64', [1, 1]); // [B, S]
  const mask = g.input('attention_mask', 'int64', [1, 1]); // [B, L], L = P + S
  const posIds = g.input('position_ids', 'int64', [1, 1]); // [B, S]
  const pastK: Value[] = [];
  const pastV: Value[] = [];
  if (withPast) {
    for (let i = 0; i < c.n_layer; i++) {
      pastK.push(g.input(`past_key_values.${i}.key`, 'float32', [1, H, 1, D])); // [B, H, P, D]
      pastV.push(g.input(`past_key_values.${i}.value`, 'float32', [1, H, 1, D]));
    }
  }

  // Attention permission [B, 1, S, L] (bool), shared by all layers.
  const scalarAt = (shapeOf: Value, axis: number): Value => {
    const sh = node('Shape', [shapeOf], 'int64', [2]);
    return node('Gather', [sh, g.scalar(axis, 'int64')], 'int64', [], { axis: attr.int(0) });
  };
  const L = scalarAt(mask, 1); // total length P + S
  const S = scalarAt(ids, 1);
  const one = g.scalar(1, 'int64');
  const kpos = node('Range', [g.scalar(0, 'int64'), L, one], 'int64', [1]); // [L]
  const qpos = node('Range', [node('Sub', [L, S], 'int64', []), L, one], 'int64', [1]); // [S] = P..L−1
  const causal = node(
    'LessOrEqual',
    [node('Unsqueeze', [kpos, g.ints([0])], 'int64', [1, 1]), node('Unsqueeze', [qpos, g.ints([1])], 'int64', [1, 1])],
    'bool',
    [1, 1],
  ); // [S, L]: key j ≤ query position
  const keep = node('Unsqueeze', [node('Cast', [mask], 'bool', [1, 1], { to: attr.int(9) }), g.ints([1, 2])], 'bool', [1, 1, 1, 1]); // [B, 1, 1, L]
  const allowed = node('And', [causal, keep], 'bool', [1, 1, 1, 1]); // [B, 1, S, L]
  const masked = g.scalar(-1e9);

  const ln = (v: Value, name: string) => layerNorm(v, p(`${name}.weight`), p(`${name}.bias`), c.layer_norm_epsilon);
  // [B, S, C] → [B, H, S, D]
  const heads = (v: Value) => transpose(node('Reshape', [v, g.ints([0, 0, H, D])], 'float32', [1, 1, H, D]), [0, 2, 1, 3]);

  let x = add(embedding(p('wte.weight'), ids), embedding(p('wpe.weight'), posIds)); // [B, S, C]
  const presents: Value[] = [];
  for (let i = 0; i < c.n_layer; i++) {
    const pre = `h.${i}.`;
    const a = ln(x, pre + 'ln_1');
    const qkv = linear(a, p(pre + 'attn.c_attn.weight'), p(pre + 'attn.c_attn.bias')); // [B, S, 3C]
    const [q0, k0, v0] = split(qkv, [C, C, C], 2);
    const q = heads(q0); // [B, H, S, D]
    let k = heads(k0);
    let v = heads(v0);
    if (withPast) {
      k = node('Concat', [pastK[i], k], 'float32', [1, H, 1, D], { axis: attr.int(2) }, [`present.${i}.key`]); // [B, H, L, D]
      v = node('Concat', [pastV[i], v], 'float32', [1, H, 1, D], { axis: attr.int(2) }, [`present.${i}.value`]);
      presents.push(k, v);
    }
    let scale = c.scale_attn_weights ? 1 / Math.sqrt(D) : 1;
    if (c.scale_attn_by_inverse_layer_idx) scale /= i + 1;
    const scores = mul(matmul(q, transpose(k, [0, 1, 3, 2])), scale); // [B, H, S, L]
    const probs = softmax(node('Where', [allowed, scores, masked], 'float32', [1, H, 1, 1]));
    const ctx = node('Reshape', [transpose(matmul(probs, v), [0, 2, 1, 3]), g.ints([0, 0, C])], 'float32', [1, 1, C]); // [B, S, C]
    x = add(x, linear(ctx, p(pre + 'attn.c_proj.weight'), p(pre + 'attn.c_proj.bias')));
    const m = ln(x, pre + 'ln_2');
    const f = activation(c, linear(m, p(pre + 'mlp.c_fc.weight'), p(pre + 'mlp.c_fc.bias')));
    x = add(x, linear(f, p(pre + 'mlp.c_proj.weight'), p(pre + 'mlp.c_proj.bias')));
  }
  const hidden = ln(x, 'ln_f');
  const head = c.tie_word_embeddings ? p('wte.weight') : p('lm_head.weight');
  const logits = node('Identity', [matmulT(hidden, head)], 'float32', [1, 1, V], {}, ['logits']);
  void logits;

  const inputs: ValueInfoSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'past_sequence_length + sequence_length'] },
    { name: 'position_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  ];
  const outputs: ValueInfoSpec[] = [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 'sequence_length', V] }];
  if (withPast) {
    for (let i = 0; i < c.n_layer; i++) {
      for (const kv of ['key', 'value']) {
        inputs.push({ name: `past_key_values.${i}.${kv}`, dtype: 'float32', shape: ['batch_size', H, 'past_sequence_length', D] });
        outputs.push({
          name: `present.${i}.${kv}`,
          dtype: 'float32',
          shape: ['batch_size', H, 'past_sequence_length + sequence_length', D],
        });
      }
    }
  }
  return encodeModel({
    graph: {
      name: g.name,
      nodes: g.nodes,
      inputs,
      outputs,
      initializers: [...g.initializers.values()],
    },
    producer: 'ewc-lm',
    metadata: opts.metadata,
  });
}
