/** Tiny GPT-2 configs and batches shared by the engine / train / eval tests. */
import { makeGPT2Config, type GPT2Config } from '../../src/model/gpt2-config.ts';
import type { TokenBatch } from '../../src/engine/types.ts';
import { Rng } from '../../src/train/rng.ts';

export function tinyConfig(over: Partial<GPT2Config> = {}): GPT2Config {
  return makeGPT2Config({
    vocab_size: 37,
    n_positions: 16,
    n_embd: 16,
    n_layer: 2,
    n_head: 2,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    bos_token_id: null,
    eos_token_id: null,
    ...over,
  });
}

export function randomBatch(seed: number, batch: number, seqLen: number, vocab: number): TokenBatch {
  const r = new Rng(seed);
  const ids = new Int32Array(batch * seqLen);
  for (let i = 0; i < ids.length; i++) ids[i] = r.int(vocab);
  return { ids, batch, seqLen };
}

export function randomTokens(seed: number, n: number, vocab: number): Int32Array {
  const r = new Rng(seed);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = r.int(vocab);
  return ids;
}
