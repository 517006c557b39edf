import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultsOf, overridesToLayer, resolveConfig } from '../../src/config/schema.ts';
import { resolveWithRecipe } from '../../src/config/recipe.ts';
import { pretrainSchema, type PretrainConfig } from '../../src/config/pretrain.ts';
import { trainSchema } from '../../src/config/train.ts';

const dir = mkdtempSync(join(tmpdir(), 'ewc-config-'));
function recipe(obj: unknown): string {
  const p = join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, JSON.stringify(obj));
  return p;
}

describe('typed config: defaults → recipe → flags → --set', () => {
  it('later layers win; untouched keys keep defaults; "//" keys are comments', () => {
    const p = recipe({ '// note': 'x', model: { n_layer: 2, '// why': 'small' }, train: { lr: 1e-3, steps: 50 } });
    const c = resolveWithRecipe<PretrainConfig>(pretrainSchema, { recipe: p, cli: { train: { steps: 70 } }, sets: ['train.lr=5e-4', 'data.train=brown,sotu', 'train.clipNorm=null'] });
    expect(c.model.n_layer).toBe(2);
    expect(c.model.n_embd).toBe(128); // default
    expect(c.train.steps).toBe(70); // flag over recipe
    expect(c.train.lr).toBe(5e-4); // --set over recipe
    expect(c.data.train).toEqual(['brown', 'sotu']);
    expect(c.train.clipNorm).toBeNull();
    expect(c.train.optimizer).toBe('adamw');
    expect(Object.keys(c.train).sort()).toEqual(Object.keys(trainSchema).sort());
  });

  it('unknown keys are errors naming the key, the source and the known keys', () => {
    const p = recipe({ train: { learning_rate: 1 } });
    expect(() => resolveWithRecipe(pretrainSchema, { recipe: p })).toThrow(/config train\.learning_rate \(from .*\.json\): unknown key\. Known keys of train: steps, .*lr/);
    expect(() => resolveWithRecipe(pretrainSchema, { sets: ['model.depth=3'] })).toThrow(/unknown key "depth"/);
  });

  it('wrong types and ranges are errors saying what was expected and found', () => {
    expect(() => resolveConfig(pretrainSchema, [{ source: 'r.json', value: { train: { steps: 'ten' } } }])).toThrow(/config train\.steps \(from r\.json\): expected an integer ≥ 1, found "ten"/);
    expect(() => resolveConfig(pretrainSchema, [{ source: 'r.json', value: { train: { steps: 2.5 } } }])).toThrow(/expected an integer/);
    expect(() => resolveConfig(pretrainSchema, [{ source: 'r.json', value: { train: { optimizer: 'lion' } } }])).toThrow(/expected one of "adam", "adamw", "sgd", found "lion"/);
    expect(() => resolveConfig(pretrainSchema, [{ source: 'r.json', value: { train: 3 } }])).toThrow(/expected an object/);
    expect(() => resolveConfig(pretrainSchema, [{ source: 'flags', value: overridesToLayer(pretrainSchema, ['train.lr=abc']) }])).toThrow(/train\.lr.*expected a number ≥ 0, found null|train\.lr.*found/);
    expect(() => resolveConfig(pretrainSchema, [{ source: 'r.json', value: { data: { train: [1] } } }])).toThrow(/expected an array of strings/);
  });

  it('invalid recipe JSON is a clear error', () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{ "train": { ');
    expect(() => resolveWithRecipe(pretrainSchema, { recipe: p })).toThrow(/expected JSON, found a parse error/);
    expect(() => resolveWithRecipe(pretrainSchema, { recipe: join(dir, 'missing.json') })).toThrow(/recipe not found/);
  });

  it('the shipped recipe resolves', () => {
    const c = resolveWithRecipe<PretrainConfig>(pretrainSchema, { recipe: 'recipes/pretrain-mini.json' });
    expect(c.engine).toBe('ort');
    expect(c.train.steps).toBeGreaterThan(0);
    expect(defaultsOf(trainSchema).clipNorm).toBe(1);
  });
});
