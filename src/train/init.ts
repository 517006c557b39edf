/**
 * Seeded from-scratch initialisation of a GPT-2, as Hugging Face's GPT2PreTrainedModel._init_weights:
 * Conv1D / embedding weights ~ N(0, initializer_range), biases 0, LayerNorm weight 1 and bias 0, and the
 * residual projections (attn.c_proj.weight, mlp.c_proj.weight) ~ N(0, initializer_range/√(2·n_layer))
 * (GPT-2 paper §2.3). Host tensors keyed by name; the same seed gives the same bytes.
 */
import type { NamedTensors } from '../io/types.ts';
import { expectedParamShapes } from '../io/checkpoint.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { numel } from '../io/types.ts';
import { hashInts, Rng, Stream } from './rng.ts';

export function initGPT2Params(config: GPT2Config, seed: number): NamedTensors {
  const std = config.initializer_range;
  const out: NamedTensors = new Map();
  let k = 0;
  for (const [name, shape] of expectedParamShapes(config)) {
    const data = new Float32Array(numel(shape));
    const rng = new Rng(hashInts(seed, Stream.init, k++));
    if (name.endsWith('.bias')) {
      // zeros
    } else if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) {
      data.fill(1);
    } else {
      const s = name.endsWith('c_proj.weight') ? std / Math.sqrt(2 * config.n_layer) : std;
      for (let i = 0; i < data.length; i++) data[i] = s * rng.normal();
    }
    out.set(name, { shape: [...shape], data });
  }
  return out;
}
