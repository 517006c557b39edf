/**
 * Parity of the ORT GPT-2 graph with the golden fixture (../shared/fixtures/tiny-gpt2-reference, produced by a
 * PyTorch re-implementation of HF GPT2LMHeadModel): logits ≤ 1e-4 abs, loss ≤ 1e-5 abs, every gradient's L2
 * norm ≤ 1e-3 relative.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { Graph, type Value } from '../../src/onnx/graph.ts';
import { gradients } from '../../src/onnx/autodiff.ts';
import { buildGpt2 } from '../../src/onnx/gpt2-graph.ts';
import { tokenNll, weightedMean } from '../../src/onnx/objective.ts';
import { createSession, f32, i64 } from '../../src/onnx/session.ts';
import { sharedPath } from '../../src/util/shared.ts';

const dir = sharedPath('fixtures', 'tiny-gpt2-reference');
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8'));

describe('GPT-2 graph parity with the golden fixture', () => {
  it('logits, loss and every gradient norm', async () => {
    const { config, params } = loadCheckpoint(dir);
    const ids: number[][] = expected.input_ids;
    const B = ids.length;
    const T = ids[0].length;
    const g = new Graph();
    const pv = new Map<string, Value>();
    for (const [n, t] of params) pv.set(n, g.input(`param:${n}`, 'float32', t.shape));
    const idv = g.input('ids', 'int64', [B, T]);
    const tg = g.input('targets', 'int64', [B, T - 1]);
    const w = g.input('weights', 'float32', [B, T - 1]);
    const p = (n: string) => pv.get(n)!;
    const logits = g.untaped(() => {
      const net = buildGpt2(g, config, p, idv, { batch: B, seqLen: T });
      return net.head(net.hidden);
    });
    const loss = weightedMean(tokenNll(g, config, p, { ids: idv, targets: tg }, B, T), w);
    const grads = gradients(loss, [...pv.values()]);
    const outs = [g.output(logits, 'logits'), g.output(loss, 'loss')];
    for (const n of params.keys()) outs.push(g.output(grads.get(`param:${n}`)!, `grad:${n}`));
    const sess = await createSession(g.toModel(outs));
    const feeds: Record<string, ReturnType<typeof f32>> = {};
    for (const [n, t] of params) feeds[`param:${n}`] = f32(t.data, t.shape);
    feeds.ids = i64(ids.flat(), [B, T]);
    feeds.targets = i64(ids.flatMap((r) => r.slice(1)), [B, T - 1]);
    feeds.weights = f32(new Float32Array(B * (T - 1)).fill(1), [B, T - 1]);
    const r = await sess.run(feeds);

    const ref = readSafetensors(`${dir}/expected.safetensors`).tensors.get('logits')!.data;
    const got = r.logits.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    expect(Math.abs((r.loss.data[0] as number) - expected.loss)).toBeLessThanOrEqual(1e-5);
    for (const [n, want] of Object.entries(expected.grad_l2 as Record<string, number>)) {
      const d = r[`grad:${n}`].data as Float32Array;
      let s = 0;
      for (const v of d) s += v * v;
      const norm = Math.sqrt(s);
      expect(Math.abs(norm - want), `${n}: ${norm} vs ${want}`).toBeLessThanOrEqual(1e-3 * want);
    }
    console.log(`logits max|diff| ${maxDiff.toExponential(2)}, loss diff ${Math.abs((r.loss.data[0] as number) - expected.loss).toExponential(2)}`);
  });
});
