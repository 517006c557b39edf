/**
 * A deliberately naive float64 GPT-2 forward (loops, no tfjs), written straight from HF's
 * modeling_gpt2.py, used to check the config variants the shared fixture does not cover
 * (activations, scale_attn_weights=false, scale_attn_by_inverse_layer_idx, untied head, other eps).
 * Also: a seeded tiny parameter set.
 */
import type { NamedTensors } from '../../src/io/types.ts';
import { expectedParamShapes } from '../../src/io/checkpoint.ts';
import type { GPT2Config } from '../../src/model/gpt2-config.ts';

/** Seeded parameters: N(0, scale²)-ish uniform draws; LayerNorm weights around 1. */
export function randomParams(config: GPT2Config, seed = 1, scale = 0.3): NamedTensors {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const out: NamedTensors = new Map();
  for (const [name, shape] of expectedParamShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n);
    const isLnW = /ln_(1|2|f)\.weight$/.test(name);
    for (let i = 0; i < n; i++) d[i] = (isLnW ? 1 : 0) + 2 * scale * next();
    out.set(name, { shape, data: d });
  }
  return out;
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const ACT: Record<string, (x: number) => number> = {
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  gelu_fast: (x) => 0.5 * x * (1 + Math.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))),
  relu: (x) => Math.max(0, x),
  silu: (x) => x * sig(x),
  tanh: Math.tanh,
  sigmoid: sig,
};

/** Logits [T][V] of one row of ids (float64). */
export function referenceLogits(c: GPT2Config, p: NamedTensors, ids: number[]): number[][] {
  const C = c.n_embd;
  const H = c.n_head;
  const D = C / H;
  const T = ids.length;
  const I = c.n_inner ?? 4 * C;
  const get = (n: string) => p.get(n)!.data;
  const act = ACT[c.activation_function];
  if (!act) throw new Error(`reference has no ${c.activation_function}`);
  const ln = (x: number[], w: Float32Array, b: Float32Array) => {
    const mu = x.reduce((a, v) => a + v, 0) / C;
    const v = x.reduce((a, q) => a + (q - mu) ** 2, 0) / C;
    return x.map((q, j) => ((q - mu) / Math.sqrt(v + c.layer_norm_epsilon)) * w[j] + b[j]);
  };
  const conv1d = (x: number[], w: Float32Array, b: Float32Array, nin: number, nout: number) => {
    const y = Array.from(b, Number);
    for (let i = 0; i < nin; i++) for (let o = 0; o < nout; o++) y[o] += x[i] * w[i * nout + o];
    return y;
  };
  const wte = get('wte.weight');
  const wpe = get('wpe.weight');
  let x = ids.map((id, t) => Array.from({ length: C }, (_, j) => wte[id * C + j] + wpe[t * C + j]));
  for (let l = 0; l < c.n_layer; l++) {
    const pre = `h.${l}.`;
    const qkv = x.map((r) => conv1d(ln(r, get(pre + 'ln_1.weight'), get(pre + 'ln_1.bias')), get(pre + 'attn.c_attn.weight'), get(pre + 'attn.c_attn.bias'), C, 3 * C));
    const ctx = x.map(() => new Array(C).fill(0));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const sc: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += qkv[i][h * D + d] * qkv[j][C + h * D + d];
          if (c.scale_attn_weights) s /= Math.sqrt(D);
          if (c.scale_attn_by_inverse_layer_idx) s /= l + 1;
          sc.push(s);
        }
        const m = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < D; d++) ctx[i][h * D + d] += (e[j] / z) * qkv[j][2 * C + h * D + d];
      }
    }
    x = x.map((r, t) => {
      const a = conv1d(ctx[t], get(pre + 'attn.c_proj.weight'), get(pre + 'attn.c_proj.bias'), C, C);
      return r.map((v, j) => v + a[j]);
    });
    x = x.map((r) => {
      const f = conv1d(ln(r, get(pre + 'ln_2.weight'), get(pre + 'ln_2.bias')), get(pre + 'mlp.c_fc.weight'), get(pre + 'mlp.c_fc.bias'), C, I).map(act);
      const m = conv1d(f, get(pre + 'mlp.c_proj.weight'), get(pre + 'mlp.c_proj.bias'), I, C);
      return r.map((v, j) => v + m[j]);
    });
  }
  const head = c.tie_word_embeddings ? wte : get('lm_head.weight');
  return x.map((r) => {
    const h = ln(r, get('ln_f.weight'), get('ln_f.bias'));
    return Array.from({ length: c.vocab_size }, (_, v) => h.reduce((a, q, j) => a + q * head[v * C + j], 0));
  });
}
