/**
 * Per-sequence Fisher and MAS computed inside one ORT graph (per-sample parameter copies, G_n = X_nᵀΔ_n)
 * against the golden per-sequence importances of ../shared/fixtures/tiny-gpt2-reference (≤ 1e-3 relative).
 */
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { readFileSync } from 'node:fs';
import { OrtEngine } from '../../src/onnx/engine.ts';
import { ortImportances } from '../../src/onnx/importances.ts';
import { sharedPath } from '../../src/util/shared.ts';

const dir = sharedPath('fixtures', 'tiny-gpt2-reference');
const ids: number[][] = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')).input_ids;

function relErr(got: Float32Array, want: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < want.length; i++) {
    d += (got[i] - want[i]) ** 2;
    n += want[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

describe('ort per-sequence importances vs golden fixture', () => {
  const { config, params } = loadCheckpoint(dir);
  const engine = new OrtEngine(config, params);
  for (const objective of ['fisher', 'mas'] as const) {
    it(`${objective}: every parameter within 1e-3 relative (batched, and with a padded short batch)`, async () => {
      const want = readSafetensors(`${dir}/expected-${objective}.safetensors`).tensors;
      for (const batchSize of [2, 1]) {
        const got = await ortImportances(engine, ids, { objective, batchSize });
        let worst = 0;
        for (const [n, t] of want) {
          const name = n.replace(/^transformer\./, '');
          const g = got.get(name);
          expect(g, name).toBeDefined();
          const e = relErr(g!.data, t.data);
          worst = Math.max(worst, e);
          expect(e, `${objective} ${name}`).toBeLessThanOrEqual(1e-3);
        }
        console.log(`${objective} batch ${batchSize}: worst relative error ${worst.toExponential(2)}`);
      }
    });
  }

  it('a subset of names, odd count (padding row), equals the full computation', async () => {
    const three = [ids[0], ids[1], ids[0].slice(0, 10)];
    const names = ['h.1.attn.c_attn.weight', 'h.1.attn.c_attn.bias', 'wte.weight'];
    const a = await ortImportances(engine, three, { objective: 'fisher', batchSize: 2, names });
    const b = await ortImportances(engine, three, { objective: 'fisher', batchSize: 1, names });
    for (const n of names) expect(relErr(a.get(n)!.data, b.get(n)!.data)).toBeLessThan(1e-5);
  });
});
