/**
 * GPT-2 as a dynamic-shape ONNX model with a key/value cache, in the input/output layout of Hugging Face
 * Optimum's `decoder_model_merged`-style exports that transformers.js (@huggingface/transformers) drives:
 *   inputs  input_ids [batch, seq] int64, attention_mask [batch, past+seq] int64, position_ids [batch, seq] int64,
 *           past_key_values.{i}.key / .value [batch, n_head, past, head_dim] float32
 *   outputs logits [batch, seq, vocab], present.{i}.key / .value [batch, n_head, past+seq, head_dim]
 * Weights are initializers (HF names). Math: the same as src/onnx/gpt2-graph.ts (HF GPT2LMHeadModel), with the
 * causal mask offset by the cache length and padded keys (attention_mask 0) masked out.
 */
import type { NamedTensors } from '../io/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gpt2InnerDim } from '../model/gpt2-config.ts';
import { encodeModel, type AttrValue, type NodeSpec, type TensorSpec, type ValueInfoSpec } from './proto.ts';

const ints = (value: number[]): AttrValue => ({ kind: 'ints', value });
const int = (value: number): AttrValue => ({ kind: 'int', value });
const flt = (value: number): AttrValue => ({ kind: 'float', value });

export interface ExportGraphOptions {
  /** Initializer name of a hub-style parameter name (default: the name itself). Tests use it to write
   *  anonymous `onnx::MatMul_N`-style initializers like torch.onnx exports do. */
  initializerName?: (name: string) => string;
}

export function buildExportModel(c: GPT2Config, params: NamedTensors, opts: ExportGraphOptions = {}): Uint8Array {
  const renamed = new Map<string, string>(); // hub name → initializer name (initializerName called once per name)
  const w = (name: string): string => {
    if (!opts.initializerName) return name;
    if (!renamed.has(name)) renamed.set(name, opts.initializerName(name));
    return renamed.get(name)!;
  };
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  let k = 0;
  const n = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outs = 1): string[] => {
    const outputs = Array.from({ length: outs }, () => `${op.toLowerCase()}_${k++}`);
    nodes.push({ opType: op, inputs, outputs, attrs });
    return outputs;
  };
  const one = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}) => n(op, inputs, attrs)[0];
  const constI = (vals: number[], dims = [vals.length]): string => {
    const name = `c_i64_${k++}`;
    inits.push({ name, dtype: 'int64', dims, data: BigInt64Array.from(vals.map(BigInt)) });
    return name;
  };
  const constF = (v: number): string => {
    const name = `c_f32_${k++}`;
    inits.push({ name, dtype: 'float32', dims: [], data: new Float32Array([v]) });
    return name;
  };
  for (const [name, t] of params) inits.push({ name: w(name), dtype: 'float32', dims: t.shape, data: t.data });
  const C = c.n_embd;
  const H = c.n_head;
  const D = C / H;
  const I = gpt2InnerDim(c);
  void I;

  // Embeddings.
  const tok = one('Gather', [w('wte.weight'), 'input_ids'], { axis: int(0) }); // [b, s, C]
  const pos = one('Gather', [w('wpe.weight'), 'position_ids'], { axis: int(0) }); // [b, s, C]
  let x = one('Add', [tok, pos]);

  // Mask [b, 1, s, total]: key j visible to query i when j ≤ past + i and attention_mask[b, j] = 1.
  const amShape = one('Shape', ['attention_mask']);
  const total = one('Gather', [amShape, constI([1], [])], { axis: int(0) }); // scalar
  const idShape = one('Shape', ['input_ids']);
  const seq = one('Gather', [idShape, constI([1], [])], { axis: int(0) }); // scalar
  const past = one('Sub', [total, seq]);
  const rows = one('Range', [past, total, constI([1], [])]); // [s] absolute query positions
  const cols = one('Range', [constI([0], []), total, constI([1], [])]); // [total]
  const causal = one('LessOrEqual', [one('Unsqueeze', [cols, constI([0])]), one('Unsqueeze', [rows, constI([1])])]); // [s, total]
  const pad = one('Cast', [one('Unsqueeze', ['attention_mask', constI([1, 2])])], { to: int(9) }); // [b, 1, 1, total] bool
  const visible = one('And', [causal, pad]); // [b, 1, s, total]
  const negBig = constF(-3.4028234663852886e38);
  const zero = constF(0);
  const maskAdd = one('Where', [visible, zero, negBig]); // [b, 1, s, total] float

  const ln = (v: string, name: string) =>
    n('LayerNormalization', [v, w(`${name}.weight`), w(`${name}.bias`)], { axis: int(-1), epsilon: flt(c.layer_norm_epsilon) })[0];
  const linear = (v: string, name: string) => one('Add', [one('MatMul', [v, w(`${name}.weight`)]), w(`${name}.bias`)]);
  const heads = constI([0, 0, H, D]);
  const merge = constI([0, 0, C]);
  const split = constI([C, C, C]);
  const outputs: ValueInfoSpec[] = [];
  const inputs: ValueInfoSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'total_sequence_length'] },
    { name: 'position_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  ];
  for (let i = 0; i < c.n_layer; i++) {
    const pre = `h.${i}.`;
    const a = ln(x, pre + 'ln_1');
    const [q0, k0, v0] = n('Split', [linear(a, pre + 'attn.c_attn'), split], { axis: int(2) }, 3);
    const q = one('Transpose', [one('Reshape', [q0, heads])], { perm: ints([0, 2, 1, 3]) }); // [b, H, s, D]
    const kNew = one('Transpose', [one('Reshape', [k0, heads])], { perm: ints([0, 2, 1, 3]) });
    const vNew = one('Transpose', [one('Reshape', [v0, heads])], { perm: ints([0, 2, 1, 3]) });
    const pk = `past_key_values.${i}.key`;
    const pv = `past_key_values.${i}.value`;
    inputs.push({ name: pk, dtype: 'float32', shape: ['batch_size', H, 'past_sequence_length', D] });
    inputs.push({ name: pv, dtype: 'float32', shape: ['batch_size', H, 'past_sequence_length', D] });
    const kAll = `present.${i}.key`;
    const vAll = `present.${i}.value`;
    nodes.push({ opType: 'Concat', inputs: [pk, kNew], outputs: [kAll], attrs: { axis: int(2) } });
    nodes.push({ opType: 'Concat', inputs: [pv, vNew], outputs: [vAll], attrs: { axis: int(2) } });
    let scale = c.scale_attn_weights ? 1 / Math.sqrt(D) : 1;
    if (c.scale_attn_by_inverse_layer_idx) scale /= i + 1;
    const kT = one('Transpose', [kAll], { perm: ints([0, 1, 3, 2]) });
    const scores = one('Add', [one('Mul', [one('MatMul', [q, kT]), constF(scale)]), maskAdd]); // [b, H, s, total]
    const probs = one('Softmax', [scores], { axis: int(-1) });
    const ctx = one('Reshape', [one('Transpose', [one('MatMul', [probs, vAll])], { perm: ints([0, 2, 1, 3]) }), merge]);
    x = one('Add', [x, linear(ctx, pre + 'attn.c_proj')]);
    const m = ln(x, pre + 'ln_2');
    x = one('Add', [x, linear(activation(c, linear(m, pre + 'mlp.c_fc'), one, constF), pre + 'mlp.c_proj')]);
    outputs.push({ name: kAll, dtype: 'float32', shape: ['batch_size', H, 'total_sequence_length', D] });
    outputs.push({ name: vAll, dtype: 'float32', shape: ['batch_size', H, 'total_sequence_length', D] });
  }
  const hf = ln(x, 'ln_f');
  const headW = w(c.tie_word_embeddings ? 'wte.weight' : 'lm_head.weight');
  const wT = one('Transpose', [headW], { perm: ints([1, 0]) });
  nodes.push({ opType: 'MatMul', inputs: [hf, wT], outputs: ['logits'] });
  outputs.unshift({ name: 'logits', dtype: 'float32', shape: ['batch_size', 'sequence_length', c.vocab_size] });
  return encodeModel({ graph: { name: 'gpt2', nodes, inputs, outputs, initializers: inits }, producer: 'ewc-lm' });
}

type One = (op: string, inputs: string[], attrs?: Record<string, AttrValue>) => string;

function activation(c: GPT2Config, x: string, one: One, constF: (v: number) => string): string {
  switch (c.activation_function) {
    case 'gelu_new':
    case 'gelu_fast':
    case 'gelu_pytorch_tanh': {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      const x3 = one('Mul', [one('Mul', [x, x]), x]);
      const inner = one('Mul', [one('Add', [x, one('Mul', [x3, constF(0.044715)])]), constF(Math.sqrt(2 / Math.PI))]);
      return one('Mul', [one('Mul', [x, constF(0.5)]), one('Add', [one('Tanh', [inner]), constF(1)])]);
    }
    case 'gelu':
      return one('Mul', [one('Mul', [x, constF(0.5)]), one('Add', [one('Erf', [one('Mul', [x, constF(Math.SQRT1_2)])]), constF(1)])]);
    case 'relu':
      return one('Relu', [x]);
    case 'silu':
    case 'swish':
      return one('Mul', [x, one('Sigmoid', [x])]);
    case 'tanh':
      return one('Tanh', [x]);
    case 'sigmoid':
      return one('Sigmoid', [x]);
    default: {
      const never: never = c.activation_function;
      throw new Error(`unsupported activation ${String(never)}`);
    }
  }
}
