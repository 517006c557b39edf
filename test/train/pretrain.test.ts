import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveWithRecipe } from '../../src/config/recipe.ts';
import { pretrainSchema, type PretrainConfig } from '../../src/config/pretrain.ts';
import { pretrain } from '../../src/train/pretrain.ts';
import { evalCorpus } from '../../src/eval/eval-corpus.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { loadTokenizer } from '../../src/tokenization/index.ts';

process.env.EWC_LM_QUIET = '1';
const root = mkdtempSync(join(tmpdir(), 'ewc-pretrain-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pretrain (tiny, end to end)', () => {
  it('trains a tokenizer and a model, writes an HF folder with tokenizer, log and resolved config; eval --corpus scores it', async () => {
    const out = join(root, 'run');
    const cfg = resolveWithRecipe<PretrainConfig>(pretrainSchema, {
      sets: [
        `out=${out}`,
        'engine=tfjs',
        'backend=wasm',
        'model.n_layer=1',
        'model.n_embd=16',
        'model.n_head=2',
        'model.n_positions=32',
        'tokenizer.vocabSize=300',
        'data.train=sotu:1790-1800',
        'data.evalSplit=test',
        'train.steps=3',
        'train.batchSize=2',
        'train.evalBlocks=2',
      ],
    });
    const r = await pretrain(cfg);
    expect(r).toMatchObject({ status: 'completed', step: 3, vocabSize: 300, engine: 'tfjs' });
    expect(r.tokensSeen).toBe(3 * 2 * 31);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'metrics.jsonl', 'train-log.json', 'pretrain-config.json', 'checkpoint/trainer-state.json', 'checkpoint/optimizer.safetensors']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const ck = loadCheckpoint(out);
    expect(ck.config).toMatchObject({ n_layer: 1, n_embd: 16, vocab_size: 300, n_positions: 32 });
    expect(JSON.parse(readFileSync(join(out, 'pretrain-config.json'), 'utf8')).train.steps).toBe(3);
    const tok = loadTokenizer(out);
    expect(tok.vocabSize).toBe(300);
    // exact token sequences via tokens:FILE.json; --split all keeps every array
    const seqs = [tok.encode('Fellow citizens of the Senate'), tok.encode('the House of Representatives')];
    const tf = join(root, 'seqs.json');
    writeFileSync(tf, JSON.stringify(seqs));
    const e = await evalCorpus({ model: out, corpus: `tokens:${tf}`, context: 32, stride: 16, backend: 'wasm' });
    expect(e.tokens).toBe(seqs[0].length - 1 + seqs[1].length - 1);
    expect(e.documents).toBe(2);
    expect(e.ppl).toBeGreaterThan(1);
    expect(e.ppl).toBeLessThan(2 * 300);
    // text corpus with the model's own tokenizer: the held-out split
    const t = await evalCorpus({ model: out, corpus: 'sotu:1790-1800', split: 'test', context: 32, stride: 24, bootstrap: 50 });
    expect(t.tokens).toBeGreaterThan(100);
    expect(t.split).toBe('test');
    await expect(evalCorpus({ model: out, corpus: 'sotu:1790-1800', context: 32, stride: 32 })).rejects.toThrow(/stride smaller than the context/);
  });

  it('CLI: Ctrl-C (SIGINT) saves a checkpoint and exits 130; --resume continues from it', async () => {
    const out = join(root, 'cli');
    const recipe = join(root, 'cli.json');
    writeFileSync(recipe, JSON.stringify({
      out, engine: 'tfjs', backend: 'cpu',
      model: { n_layer: 1, n_embd: 8, n_head: 2, n_positions: 16 },
      tokenizer: { vocabSize: 280 },
      data: { train: ['sotu:1790-1800'], evalSplit: 'test' },
      train: { steps: 100000, batchSize: 2, logEvery: 5, evalBlocks: 2 },
    }));
    const child = spawn(process.execPath, ['bin/ewc-lm.mjs', 'pretrain', '--recipe', recipe], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EWC_LM_QUIET: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise<number | null>((res) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/step 10\//.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => res(c));
    });
    expect(code, stderr).toBe(130);
    const r = JSON.parse(stdout);
    expect(r.status).toBe('interrupted');
    expect(stderr).toMatch(/checkpoint saved in .*Continue with --resume/);
    const st = JSON.parse(readFileSync(join(out, 'checkpoint', 'trainer-state.json'), 'utf8'));
    expect(st).toMatchObject({ reason: 'interrupt', step: r.step });
    // resume and finish two steps later (a shorter schedule, allowed with a warning)
    const res = spawnSync(process.execPath, ['bin/ewc-lm.mjs', 'pretrain', '--recipe', recipe, '--resume', '--steps', String(r.step + 2)], { encoding: 'utf8', env: { ...process.env, EWC_LM_QUIET: '0' } });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ status: 'completed', step: r.step + 2 });
    expect(res.stderr).toMatch(new RegExp(`resumed from .* at step ${r.step}/`));
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  });
});
