import { describe, expect, it } from 'vitest';
import {
  GPT2_DEFAULTS,
  gpt2ConfigToJson,
  gpt2InnerDim,
  makeGPT2Config,
  parseGPT2Config,
} from '../../src/model/gpt2-config.ts';
import { errorOf } from './helpers.ts';

describe('GPT2Config', () => {
  it('has Hugging Face GPT2Config defaults', () => {
    const c = parseGPT2Config({}, 'config.json');
    expect(c).toMatchObject({
      vocab_size: 50257,
      n_positions: 1024,
      n_embd: 768,
      n_layer: 12,
      n_head: 12,
      n_inner: null,
      activation_function: 'gelu_new',
      resid_pdrop: 0.1,
      embd_pdrop: 0.1,
      attn_pdrop: 0.1,
      layer_norm_epsilon: 1e-5,
      tie_word_embeddings: true,
      scale_attn_weights: true,
      scale_attn_by_inverse_layer_idx: false,
      reorder_and_upcast_attn: false,
      bos_token_id: 50256,
      eos_token_id: 50256,
      model_type: 'gpt2',
    });
    expect(gpt2InnerDim(c)).toBe(3072);
    expect(gpt2InnerDim({ ...c, n_inner: 100 })).toBe(100);
    expect(c.extra).toBeUndefined();
  });

  it('keeps unknown keys and writes them back, with architectures and sorted keys', () => {
    const c = parseGPT2Config({ n_ctx: 64, n_embd: 48, n_head: 4, summary_type: 'cls_index', architectures: ['X'] });
    expect(c.extra).toEqual({ n_ctx: 64, summary_type: 'cls_index', architectures: ['X'] });
    const j = gpt2ConfigToJson(c);
    expect(j.architectures).toEqual(['GPT2LMHeadModel']);
    expect(j.model_type).toBe('gpt2');
    expect(j.summary_type).toBe('cls_index');
    expect(Object.keys(j)).toEqual([...Object.keys(j)].sort());
    expect(parseGPT2Config(j)).toEqual({ ...c, extra: { ...c.extra, architectures: ['GPT2LMHeadModel'] } });
  });

  it('accepts every supported activation_function', () => {
    for (const a of ['gelu_new', 'gelu', 'gelu_fast', 'gelu_pytorch_tanh', 'relu', 'silu', 'swish', 'tanh', 'sigmoid']) {
      expect(parseGPT2Config({ activation_function: a }).activation_function).toBe(a);
    }
  });

  it('rejects wrong types, listing every bad field', () => {
    const m = errorOf(() => parseGPT2Config({ n_layer: '3', n_embd: 1.5, tie_word_embeddings: 1 }, 'my/config.json'));
    expect(m).toMatch(/^my\/config\.json: invalid GPT-2 config:/);
    expect(m).toMatch(/n_layer is "3", expected a positive integer/);
    expect(m).toMatch(/n_embd is 1\.5, expected a positive integer/);
    expect(m).toMatch(/tie_word_embeddings is 1, expected true or false/);
    expect(errorOf(() => parseGPT2Config({ resid_pdrop: 1 }))).toMatch(/resid_pdrop is 1, expected a number in \[0, 1\)/);
    expect(errorOf(() => parseGPT2Config([1]))).toMatch(/expected a JSON object/);
  });

  it('rejects n_embd not divisible by n_head', () => {
    expect(errorOf(() => parseGPT2Config({ n_embd: 50, n_head: 4 }, 'c.json'))).toMatch(
      /c\.json: invalid GPT-2 config: n_embd \(50\) is not divisible by n_head \(4\)/,
    );
  });

  it('rejects unsupported activation functions and model types', () => {
    expect(errorOf(() => parseGPT2Config({ activation_function: 'mish' }))).toMatch(
      /activation_function is "mish", expected one of gelu_new, gelu, gelu_fast, gelu_pytorch_tanh, relu, silu, swish, tanh, sigmoid/,
    );
    expect(errorOf(() => parseGPT2Config({ model_type: 'llama' }, 'c.json'))).toMatch(
      /c\.json: model_type is "llama", expected "gpt2"/,
    );
  });

  it('makeGPT2Config applies overrides to the defaults and validates', () => {
    const c = makeGPT2Config({ n_layer: 2, n_embd: 32, n_head: 4 });
    expect(c.n_layer).toBe(2);
    expect(c.vocab_size).toBe(GPT2_DEFAULTS.vocab_size);
    expect(errorOf(() => makeGPT2Config({ n_embd: 30, n_head: 4 }))).toMatch(/not divisible/);
  });
});
