/**
 * The shipped base model's shape (recipes/pretrain-small.json: 4 layers × d256 × 4 heads, context 256,
 * vocab 8192) computes the same on both engines: a random model of that config, one full-context row and a
 * short batch, per-token NLL and every parameter's gradient, tfjs (wasm) against ort.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { createEngine } from '../../src/engine/index.ts';
import type { Engine } from '../../src/engine/types.ts';
import { makeGPT2Config } from '../../src/model/gpt2-config.ts';
import { initGPT2Params } from '../../src/train/init.ts';
import { repoRoot } from '../../src/util/shared.ts';
import { randomBatch } from './helpers.ts';

const recipe = JSON.parse(readFileSync(join(repoRoot, 'recipes', 'pretrain-small.json'), 'utf8')) as { model: { n_layer: number; n_head: number; n_embd: number; n_positions: number }; tokenizer: { vocabSize: number } };
const config = makeGPT2Config({ ...recipe.model, vocab_size: recipe.tokenizer.vocabSize, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, bos_token_id: 0, eos_token_id: 0 });
let tfjs: Engine;
let ort: Engine;

beforeAll(async () => {
  await initBackend('wasm');
  // random weights at 10× GPT-2's init scale, so that attention is far from uniform and the logits far from flat
  const params = initGPT2Params({ ...config, initializer_range: 0.2 }, 7);
  tfjs = await createEngine('tfjs', config, params);
  ort = await createEngine('ort', config, params);
}, 60_000);
afterAll(() => (tfjs?.dispose(), ort?.dispose()));

describe(`GPT-2 ${config.n_layer}×${config.n_embd}, ctx ${config.n_positions}, vocab ${config.vocab_size}: tfjs = ort`, () => {
  it('is the shape the recipe trains', () => {
    expect([config.n_layer, config.n_embd, config.n_head, config.n_positions, config.vocab_size]).toEqual([4, 256, 4, 256, 8192]);
  });

  it.each([
    ['one full-context row', 1, 256],
    ['a batch of 3 short rows', 3, 40],
  ] as const)('per-token NLL and every gradient: %s', async (_n, B, T) => {
    const batch = randomBatch(11 + B, B, T, config.vocab_size);
    const [a, b] = [await tfjs.tokenNll(batch), await ort.tokenNll(batch)];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-4 + 1e-5 * Math.abs(a[i])));
    expect(worst).toBeLessThanOrEqual(1);
    const spread = Math.max(...a) - Math.min(...a);
    expect(spread).toBeGreaterThan(1); // the random model is far from uniform, so the comparison can fail
    const [ga, gb] = [await tfjs.lossAndGrads(batch), await ort.lossAndGrads(batch)];
    expect(Math.abs(ga.loss - gb.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(ga.loss));
    expect([...ga.grads.keys()].sort()).toEqual([...gb.grads.keys()].sort());
    for (const [name, t] of ga.grads) {
      const u = gb.grads.get(name)!.data;
      let scale = 0;
      for (const v of t.data) scale = Math.max(scale, Math.abs(v));
      let diff = 0;
      for (let i = 0; i < u.length; i++) diff = Math.max(diff, Math.abs(t.data[i] - u[i]));
      expect(diff, `${name}: max |Δ| ${diff} vs max |g| ${scale}`).toBeLessThanOrEqual(1e-3 * scale + 1e-8);
    }
  }, 120_000);
});
