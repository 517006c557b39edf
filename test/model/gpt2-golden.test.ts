/**
 * Golden test against ../shared/fixtures/tiny-gpt2-reference (what HF GPT2LMHeadModel computes for a tiny
 * random GPT-2): logits max |diff| ≤ 1e-4, loss ≤ 1e-5, every parameter's gradient L2 norm within 1e-3
 * relative — for both key namings and on both the wasm and the cpu backends. The measured errors are
 * printed (stderr) so regressions show their size.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backends/index.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { GPT2Model, gpt2Loss } from '../../src/model/gpt2.ts';
import { sharedPath } from '../../src/util/shared.ts';

const dir = sharedPath('fixtures', 'tiny-gpt2-reference');
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as {
  input_ids: number[][];
  loss: number;
  grad_l2: Record<string, number>;
};
const refLogits = readSafetensors(`${dir}/expected.safetensors`).tensors.get('logits')!;

describe.each(['wasm', 'cpu'] as const)('GPT-2 golden (%s backend)', (backend) => {
  it.each(['model.safetensors', 'model.prefixed.safetensors'])('%s: logits, loss and gradient norms match HF', async (file) => {
    await initBackend(backend);
    const ck = loadCheckpoint(`${dir}/${file}`);
    const model = GPT2Model.fromHost(ck.config, ck.params);
    const before = tf.memory().numTensors;
    const ids = tf.tensor2d(expected.input_ids, undefined, 'int32');

    // logits [2, 24, 1000]
    const logits = model.logits(ids);
    expect(logits.shape).toEqual(refLogits.shape);
    const lg = logits.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < lg.length; i++) {
      const d = Math.abs(lg[i] - refLogits.data[i]);
      if (!(d <= maxDiff)) maxDiff = d; // NaN propagates
    }
    logits.dispose();

    // loss and gradients of every parameter
    const names = [...model.variables.keys()];
    const { value, grads } = tf.variableGrads(() => gpt2Loss(ck.config, model.params, ids), names.map((n) => model.variables.get(n)!));
    const loss = value.dataSync()[0];
    const lossDiff = Math.abs(loss - expected.loss);
    let worstRel = 0;
    let worstName = '';
    expect(new Set(names)).toEqual(new Set(Object.keys(expected.grad_l2)));
    for (const n of names) {
      const g = grads[model.variables.get(n)!.name].dataSync();
      let s = 0;
      for (let i = 0; i < g.length; i++) s += g[i] * g[i]; // float64 accumulation
      const rel = Math.abs(Math.sqrt(s) - expected.grad_l2[n]) / expected.grad_l2[n];
      if (!(rel <= worstRel)) {
        worstRel = rel;
        worstName = n;
      }
    }
    tf.dispose([value, ...Object.values(grads), ids]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();

    process.stderr.write(
      `[golden ${backend} ${file}] max |logit diff| ${maxDiff.toExponential(2)}, |loss diff| ${lossDiff.toExponential(2)}, ` +
        `worst grad-norm rel err ${worstRel.toExponential(2)} (${worstName})\n`,
    );
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    expect(lossDiff).toBeLessThanOrEqual(1e-5);
    expect(worstRel).toBeLessThanOrEqual(1e-3);
  });
});
