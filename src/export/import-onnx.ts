/**
 * `ewc-lm import-onnx`: reads a GPT-2 ONNX export's weights back into hub-style parameters.
 *
 * Supported (in this order; every tensor's shape is checked against the config):
 *  1. Initializers (or Constant nodes) named after the parameter, with any prefix: `transformer.h.0.attn.c_attn.weight`,
 *     `h.0.attn.c_attn.weight`, `model.transformer.wte.weight`, `lm_head.weight` (ewc-lm's own exports,
 *     optimum / transformers.js exports of GPT2LMHeadModel, torch.onnx exports keeping parameter names).
 *  2. Anonymous initializers (`onnx::MatMul_123`, …) by graph position: the linear layers (MatMul with a
 *     2-D initializer, or Gemm, transB honoured) in node order are c_attn, attn.c_proj, c_fc, mlp.c_proj of
 *     layer 0, 1, … then the LM head ([C, V], i.e. wteᵀ); a bias is the 1-D initializer added to a linear's
 *     output (or Gemm's C input); LayerNormalization nodes in order are ln_1, ln_2 of each layer then ln_f;
 *     Gather tables are wte ([V, C]) then wpe ([n_positions, C]).
 *  Subgraphs (If branches of optimum's merged decoder) are searched too; an initializer is assigned once.
 * Float32 / float16 / bfloat16 / float64 data, inline or external (.onnx_data beside the file).
 * Not supported: quantized exports (int8 / q4 weights: MatMulInteger, DequantizeLinear, MatMulNBits) and
 * decomposed LayerNorms (ReduceMean/Sub/Pow chains of opset < 17 exports) when their tensors are unnamed.
 */
import { expectedParamShapes } from '../io/checkpoint.ts';
import type { HostTensor, NamedTensors } from '../io/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { gpt2InnerDim } from '../model/gpt2-config.ts';
import { EwcError } from '../util/errors.ts';
import { allGraphs, type OnnxGraph, type OnnxTensor } from './onnx-read.ts';

export type ImportHow = 'name' | 'position' | 'tied-head';

export interface ImportedWeights {
  params: NamedTensors;
  /** Hub name → the initializer it came from and how it was matched. */
  sources: Map<string, { initializer: string; how: ImportHow; transposed: boolean }>;
  /** Float initializers with ≥ 2 elements that were not used. */
  unused: string[];
}

const CANON = /(?:^|[./])((?:wte|wpe)\.weight|h\.\d+\.(?:ln_1|ln_2|attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.(?:weight|bias)|ln_f\.(?:weight|bias)|lm_head\.weight)$/;

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function transpose2(t: OnnxTensor): HostTensor {
  const [r, c] = t.dims;
  const out = new Float32Array(r * c);
  const d = t.data!;
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = d[i * c + j];
  return { shape: [c, r], data: out };
}

export function importGpt2Weights(graph: OnnxGraph, config: GPT2Config): ImportedWeights {
  const expected = expectedParamShapes(config);
  const tied = config.tie_word_embeddings;
  const C = config.n_embd;
  const V = config.vocab_size;
  const I = gpt2InnerDim(config);
  const graphs = allGraphs(graph);
  const inits = new Map<string, OnnxTensor>();
  for (const g of graphs) for (const t of g.initializers) if (t.data && !inits.has(t.name)) inits.set(t.name, t);
  const params: NamedTensors = new Map();
  const sources: ImportedWeights['sources'] = new Map();
  const used = new Set<string>();
  let headT: { t: HostTensor; from: string; how: ImportHow; transposed: boolean } | null = null;

  const assign = (hub: string, t: OnnxTensor, how: ImportHow, transposed = false): boolean => {
    if (params.has(hub)) return false;
    const want = hub === 'lm_head.weight' ? [V, C] : expected.get(hub);
    if (!want) return false;
    let host: HostTensor = { shape: [...t.dims], data: t.data! };
    if (transposed) host = transpose2(t);
    if (!same(host.shape, want)) {
      if (how === 'name') {
        throw new EwcError(
          `import-onnx: initializer ${t.name} has shape ${shapeStr(host.shape)} but ${hub} should be ${shapeStr(want)} for this config ` +
            `(n_embd=${C}, vocab_size=${V}, n_inner=${I}). Pass the config.json the model was exported with.`,
        );
      }
      return false;
    }
    if (hub === 'lm_head.weight') headT = { t: host, from: t.name, how, transposed };
    else params.set(hub, host);
    sources.set(hub, { initializer: t.name, how, transposed });
    used.add(t.name);
    return true;
  };

  // 1. By name.
  for (const t of inits.values()) {
    const m = CANON.exec(t.name);
    if (m) assign(m[1], t, 'name');
  }

  // 2. By graph position.
  const anon = (name: string | undefined) => (name ? inits.get(name) : undefined);
  const slots = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
  const slotShape: Record<(typeof slots)[number], [number, number]> = {
    'attn.c_attn': [C, 3 * C],
    'attn.c_proj': [C, C],
    'mlp.c_fc': [C, I],
    'mlp.c_proj': [I, C],
  };
  let linearIdx = 0;
  let lnIdx = 0;
  let gatherIdx = 0;
  const seenNodes = new Set<string>(); // weight initializer names already stepped over (If branches repeat nodes)
  const linearOut = new Map<string, string>(); // node output → hub prefix (for biases)
  for (const g of graphs) {
    for (const n of g.nodes) {
      if (n.opType === 'MatMul' || n.opType === 'Gemm') {
        const w = anon(n.inputs[1]);
        if (!w || w.dims.length !== 2) continue;
        if (seenNodes.has(w.name)) continue;
        seenNodes.add(w.name);
        const transB = n.opType === 'Gemm' && n.ints.transB === 1;
        const shape = transB ? [w.dims[1], w.dims[0]] : w.dims;
        const layer = Math.floor(linearIdx / 4);
        if (layer < config.n_layer) {
          const slot = slots[linearIdx % 4];
          if (!same(shape, slotShape[slot])) continue; // not a block linear
          const prefix = `h.${layer}.${slot}`;
          linearIdx++;
          if (!used.has(w.name)) assign(`${prefix}.weight`, w, 'position', transB);
          for (const o of n.outputs) linearOut.set(o, prefix);
          if (n.opType === 'Gemm') {
            const b = anon(n.inputs[2]);
            if (b && !used.has(b.name)) assign(`${prefix}.bias`, b, 'position');
          }
        } else if (same(shape, [C, V])) {
          if (!used.has(w.name)) assign('lm_head.weight', w, 'position', !transB);
        }
      } else if (n.opType === 'Add') {
        const prefix = linearOut.get(n.inputs[0]) ?? linearOut.get(n.inputs[1]);
        if (!prefix) continue;
        const other = linearOut.has(n.inputs[0]) ? n.inputs[1] : n.inputs[0];
        const b = anon(other);
        if (b && b.dims.length === 1 && !used.has(b.name)) assign(`${prefix}.bias`, b, 'position');
      } else if (n.opType === 'LayerNormalization') {
        const w = anon(n.inputs[1]);
        if (!w || seenNodes.has(`ln:${w.name}`)) continue;
        seenNodes.add(`ln:${w.name}`);
        const layer = Math.floor(lnIdx / 2);
        const name = layer < config.n_layer ? `h.${layer}.${lnIdx % 2 === 0 ? 'ln_1' : 'ln_2'}` : lnIdx === 2 * config.n_layer ? 'ln_f' : null;
        lnIdx++;
        if (!name) continue;
        if (!used.has(w.name)) assign(`${name}.weight`, w, 'position');
        const b = anon(n.inputs[2]);
        if (b && !used.has(b.name)) assign(`${name}.bias`, b, 'position');
      } else if (n.opType === 'Gather') {
        const t = anon(n.inputs[0]);
        if (!t || t.dims.length !== 2 || seenNodes.has(`gather:${t.name}`)) continue;
        seenNodes.add(`gather:${t.name}`);
        const order = gatherIdx === 0 ? ['wte.weight', 'wpe.weight'] : ['wpe.weight', 'wte.weight'];
        for (const hub of order) {
          if (used.has(t.name)) break;
          if (assign(hub, t, 'position')) gatherIdx++;
        }
      }
    }
  }

  // 3. The LM head.
  const head = headT as { t: HostTensor; from: string; how: ImportHow; transposed: boolean } | null;
  if (tied) {
    if (!params.has('wte.weight') && head) {
      params.set('wte.weight', head.t);
      sources.set('wte.weight', { initializer: head.from, how: 'tied-head', transposed: head.transposed });
    } else if (head) {
      const wte = params.get('wte.weight')!.data;
      let diff = 0;
      for (let i = 0; i < wte.length; i++) diff = Math.max(diff, Math.abs(wte[i] - head.t.data[i]));
      if (!(diff === 0)) {
        throw new EwcError(
          `import-onnx: the LM head (${head.from}) differs from wte.weight (max |diff| ${diff}) but the config says ` +
            `tie_word_embeddings=true. Set "tie_word_embeddings": false in config.json to keep a separate head.`,
        );
      }
    }
    sources.delete('lm_head.weight');
  } else if (head) {
    params.set('lm_head.weight', head.t);
  }

  const missing = [...expected.keys()].filter((n) => !params.has(n));
  if (missing.length) {
    const left = [...inits.values()].filter((t) => !used.has(t.name) && t.data!.length > 1);
    throw new EwcError(
      `import-onnx: could not find ${missing.length} of ${expected.size} parameters (${missing.slice(0, 6).join(', ')}` +
        `${missing.length > 6 ? ', …' : ''}) in the ONNX graph. Unassigned float initializers: ` +
        `${left.slice(0, 8).map((t) => `${t.name} ${shapeStr(t.dims)}`).join(', ') || 'none'}${left.length > 8 ? ', …' : ''}. ` +
        `Supported: GPT-2 exports whose weights are named (…h.0.attn.c_attn.weight) or plain fp32/fp16 MatMul/Gemm/` +
        `LayerNormalization/Gather graphs; quantized exports are not supported. Check that config.json matches the export.`,
    );
  }
  const ordered: NamedTensors = new Map();
  for (const n of expected.keys()) ordered.set(n, params.get(n)!);
  const unused = [...inits.values()].filter((t) => !used.has(t.name) && t.data!.length > 1).map((t) => t.name);
  return { params: ordered, sources, unused };
}
