/** Dropout on the ort engine: masks from the step's dropoutSeed (same seed → same step), off in evaluation. */
import { describe, expect, it } from 'vitest';
import { defaultOptimizer, type TokenBatch } from '../../src/engine/types.ts';
import { makeGPT2Config } from '../../src/model/gpt2-config.ts';
import { OrtEngine } from '../../src/onnx/engine.ts';
import { initGPT2Params } from '../../src/train/init.ts';

const config = makeGPT2Config({ vocab_size: 50, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 });
const noDrop = { ...config, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 };
const params = initGPT2Params(config, 1);
const batch: TokenBatch = { ids: Int32Array.from({ length: 2 * 12 }, (_, i) => (i * 7) % 50), batch: 2, seqLen: 12 };
const setup = { optimizer: { ...defaultOptimizer, name: 'adam' as const }, clipNorm: null };

async function step(cfg: typeof config, seed: number | undefined, training = true) {
  const e = new OrtEngine(cfg, params);
  e.configure(setup);
  const r = await e.trainStep([batch], { lr: 1e-2, training, dropoutSeed: seed });
  const p = e.getParams().get('h.1.mlp.c_fc.weight')!.data;
  e.dispose();
  return { loss: r.loss, p };
}

describe('ort engine dropout', () => {
  it('the same dropoutSeed gives the same step; another seed a different one; training:false none', async () => {
    const a = await step(config, 5);
    const b = await step(config, 5);
    const c = await step(config, 6);
    expect(b.loss).toBe(a.loss);
    expect(b.p).toEqual(a.p);
    expect(c.loss).not.toBe(a.loss);
    const off = await step(config, 5, false);
    const ref = await step(noDrop, undefined);
    expect(off.loss).toBeCloseTo(ref.loss, 6);
    expect(off.loss).not.toBe(a.loss);
  });

  it('lossAndGrads uses dropout only with training: true', async () => {
    const e = new OrtEngine(config, params);
    const g0 = await e.lossAndGrads(batch);
    const g1 = await e.lossAndGrads(batch);
    const g2 = await e.lossAndGrads(batch, { training: true, dropoutSeed: 1 });
    const g3 = await e.lossAndGrads(batch, { training: true, dropoutSeed: 1 });
    expect(g1.loss).toBe(g0.loss);
    expect(g2.loss).not.toBe(g0.loss);
    expect(g3.loss).toBe(g2.loss);
    e.dispose();
  });
});
