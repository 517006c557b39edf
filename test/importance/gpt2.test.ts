/**
 * GPT-2 importances against the golden fixture ../shared/fixtures/tiny-gpt2-reference (PyTorch reference of
 * method.md §2 for language models): per-sequence Fisher and MAS of EVERY parameter within 1e-3 relative.
 * Also: the traced forward equals gpt2Logits, the vectorised form equals the per-sample loop, no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backends/index.ts';
import { gpt2Target, gpt2Traced } from '../../src/importance/gpt2-target.ts';
import { computeImportance } from '../../src/importance/registry.ts';
import type { ImportanceTarget } from '../../src/importance/types.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { GPT2Model, gpt2Logits } from '../../src/model/gpt2.ts';
import { selectParams } from '../../src/regularizers/selection.ts';
import { sharedPath } from '../../src/util/shared.ts';
import { compareToReference } from './toy-targets.ts';

let model: GPT2Model;
let target: ImportanceTarget;
let ids: number[][];
const dir = () => sharedPath('fixtures', 'tiny-gpt2-reference');

beforeAll(async () => {
  await initBackend('cpu');
  const ck = loadCheckpoint(dir());
  model = GPT2Model.fromHost(ck.config, ck.params);
  target = gpt2Target(model);
  ids = JSON.parse(readFileSync(`${dir()}/expected.json`, 'utf8')).input_ids;
});
afterAll(() => model.dispose());

describe('GPT-2 golden importances (tiny-gpt2-reference)', () => {
  for (const method of ['fisher', 'mas'] as const) {
    it(`${method}: every parameter within 1e-3 relative of the reference`, () => {
      const ref = readSafetensors(`${dir()}/expected-${method}.safetensors`).tensors;
      expect(ref.size).toBe(model.variables.size);
      const before = tf.memory().numTensors;
      const ours = computeImportance(method, target, { kind: 'sequences', sequences: ids }, { names: [...model.variables.keys()] });
      expect(tf.memory().numTensors).toBe(before); // leak test
      expect(compareToReference(ours, ref)).toEqual([]);
    });
  }
});

describe('GPT-2 importances of a selection (embedding/head gradients skipped)', () => {
  it('attention preset: fisher equals the reference on those tensors, loop and vectorised', () => {
    const names = selectParams(model.variables.keys(), ['attention', 'h.*.ln_1.*', 'wpe.weight']);
    expect(target.forParams!(names)).toBeDefined(); // the frozen-embedding variant is used
    expect(target.forParams!([...names, 'wte.weight'])).toBeUndefined();
    const ref = readSafetensors(`${dir()}/expected-fisher.safetensors`).tensors;
    const sub = new Map(names.map((n) => [n, ref.get(n)!]));
    const before = tf.memory().numTensors;
    for (const mode of ['loop', 'vectorised'] as const) {
      const ours = computeImportance('fisher', target, { kind: 'sequences', sequences: ids }, { names, mode });
      expect(compareToReference(ours, sub)).toEqual([]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('GPT-2 vectorised form', () => {
  it('traced forward equals gpt2Logits', () => {
    const x = tf.tensor2d(ids.flat(), [2, ids[0].length], 'int32');
    const a = gpt2Logits(model.config, model.params, x);
    const traced = tf.tidy(() => gpt2Traced(model.config, model.params, x, null, new Set()).logits);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, traced))).dataSync()[0]);
    expect(d).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, a, traced]);
  });

  for (const method of ['fisher', 'mas'] as const) {
    it(`${method}: vectorised equals the per-sample loop (attention preset + all dense layers), no leaks`, () => {
      const names = selectParams(model.variables.keys(), ['h.*.attn.**', 'h.*.mlp.**', 'ln_f.*']);
      // include sequences of different lengths (batches split at length changes)
      const seqs = [...ids, ids[0].slice(0, 10), ids[1].slice(3, 13), ids[1].slice(0, 7)];
      const s = { kind: 'sequences' as const, sequences: seqs };
      const before = tf.memory().numTensors;
      const loop = computeImportance(method, target, s, { names, mode: 'loop' });
      const vec = computeImportance(method, target, s, { names, mode: 'vectorised', batchSize: 2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(compareToReference(vec, loop, 1e-4, 1e-6)).toEqual([]);
    });
  }
});

describe('GPT-2 signal importance', () => {
  it('weight part is |W|·(a per-input factor): Ω/|W| is constant along each input row; biases ≥ 0', () => {
    const names = selectParams(model.variables.keys(), ['attention', 'h.*.mlp.c_fc.*']);
    const before = tf.memory().numTensors;
    const imp = computeImportance('signal', target, { kind: 'sequences', sequences: ids }, { names });
    expect(tf.memory().numTensors).toBe(before);
    for (const name of names) {
      const o = imp.get(name)!;
      if (name.endsWith('.bias')) {
        expect(o.data.every((v) => v >= 0)).toBe(true);
        continue;
      }
      const w = model.variables.get(name)!.dataSync();
      const [rows, cols] = o.shape;
      for (let a = 0; a < rows; a += 7) {
        const f0 = o.data[a * cols] / Math.abs(w[a * cols]);
        for (let b = 1; b < cols; b += 11) {
          expect(Math.abs(o.data[a * cols + b] / Math.abs(w[a * cols + b]) - f0)).toBeLessThanOrEqual(1e-4 * f0);
        }
      }
    }
    expect(() => computeImportance('signal', target, { kind: 'sequences', sequences: ids }, { names: ['wte.weight'] })).toThrow(
      /not the weight or bias of a dense layer/,
    );
  });
});
