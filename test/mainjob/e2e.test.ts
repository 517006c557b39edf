/**
 * End-to-end: the dialog-forgetting recipe on a tiny model (seconds). It runs, an interrupted run resumes
 * (finished steps reused, the interrupted fine-tuning continued from its checkpoint), the report validates
 * against its schema, and the report's numbers equal a perplexity computed by hand on the saved checkpoints.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backends/index.ts';
import { trainBpe, saveTrainedTokenizer, loadTokenizer } from '../../src/tokenization/index.ts';
import { makeGPT2Config } from '../../src/model/gpt2-config.ts';
import { saveCheckpoint, loadCheckpoint } from '../../src/io/checkpoint.ts';
import { initGPT2Params } from '../../src/train/init.ts';
import { resolveConfig } from '../../src/config/schema.ts';
import { dialogForgettingSchema, type DialogForgettingRecipe } from '../../src/mainjob/recipe.ts';
import { runDialogForgetting } from '../../src/mainjob/pipeline.ts';
import { validateMainJobReport } from '../../src/mainjob/report.ts';
import { createEngine } from '../../src/engine/index.ts';
import { perplexity } from '../../src/eval/perplexity.ts';
import { splitTokens } from '../../src/finetune/data.ts';

const WORDS = 'the whale sea ship captain ahab sailed over waves and the crew watched a storm rising far away at night'.split(' ');

function sentence(i: number): string {
  const n = 6 + (i % 5);
  return Array.from({ length: n }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ') + '.';
}

let root: string;
let recipe: DialogForgettingRecipe;

beforeAll(async () => {
  await initBackend('cpu');
  process.env.EWC_LM_QUIET = '1';
  root = mkdtempSync(join(tmpdir(), 'ewc-e2e-'));
  // corpora: books (text files, one document each) and dialogs (JSONL turns)
  const booksDir = join(root, 'books');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(booksDir);
  for (let d = 0; d < 30; d++) writeFileSync(join(booksDir, `book${String(d).padStart(2, '0')}.txt`), Array.from({ length: 6 }, (_, i) => sentence(d * 11 + i)).join(' ') + '\n');
  const dialogs = Array.from({ length: 40 }, (_, d) => JSON.stringify({ turns: [`hello captain ${WORDS[d % WORDS.length]}?`, `yes, the ${WORDS[(d * 3) % WORDS.length]} is near.`, 'good night.'] }));
  writeFileSync(join(root, 'dialogs.jsonl'), dialogs.join('\n') + '\n');
  // tokenizer + random tiny model
  const texts = [readFileSync(join(root, 'dialogs.jsonl'), 'utf8'), ...Array.from({ length: 60 }, (_, i) => sentence(i))];
  const bpe = trainBpe(texts, { vocabSize: 300, progress: false });
  const modelDir = join(root, 'model');
  saveTrainedTokenizer(modelDir, bpe, 32);
  const tok = await loadTokenizer(modelDir);
  const config = makeGPT2Config({ vocab_size: tok.vocabSize, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, bos_token_id: tok.eosId, eos_token_id: tok.eosId });
  saveCheckpoint(modelDir, config, initGPT2Params(config, 1));
  recipe = resolveConfig<DialogForgettingRecipe>(dialogForgettingSchema, [
    {
      source: 'test',
      value: {
        model: modelDir,
        out: join(root, 'run'),
        engine: 'tfjs',
        backend: 'cpu',
        data: { original: `text:${booksDir}`, dialogs: `dialogs-jsonl:${join(root, 'dialogs.jsonl')}`, books: `text:${booksDir}`, split: { seed: 3, train: 0.6, validation: 0.1, test: 0.3 } },
        importance: { samples: 4, batchSize: 2 },
        finetune: { train: { steps: 6, batchSize: 2, lr: 0.01, logEvery: 100, checkpointEvery: 2, optimizer: 'adam' } },
        runs: { none: true, ewc: [], stabilized: [50] },
        eval: { bootstrap: 50 },
      },
    },
  ]);
});

describe('dialog-forgetting recipe end to end (tiny model)', () => {
  it('runs, resumes after an interruption, and writes a valid report whose numbers match eval by hand', async () => {
    // 1. interrupted: the first fine-tuning run stops after 3 of 6 steps
    await expect(runDialogForgetting(recipe, 'test-recipe.json', { stopAtStep: 3 })).rejects.toThrow(/interrupted; rerun/);
    expect(existsSync(join(root, 'run', 'importance', 'step.json'))).toBe(true);
    expect(existsSync(join(root, 'run', 'runs', 'none', 'step.json'))).toBe(false);
    const impStep = JSON.parse(readFileSync(join(root, 'run', 'importance', 'step.json'), 'utf8'));

    // 2. resumed: importance reused (same record), the run continues from its checkpoint to 6 steps
    const { dir, report } = await runDialogForgetting(recipe, 'test-recipe.json');
    const impStep2 = JSON.parse(readFileSync(join(root, 'run', 'importance', 'step.json'), 'utf8'));
    expect(impStep2).toEqual(impStep);
    const none = report.runs.find((r) => r.id === 'none')!;
    expect(none.train.steps).toBe(6);
    // it continued from the checkpoint saved at the interruption (step 3), not from scratch
    const noneStep = JSON.parse(readFileSync(join(dir, 'runs', 'none', 'step.json'), 'utf8'));
    expect(noneStep.result.ft.train.resumedFrom).toBe(3);

    // 3. the report validates and has one row per run
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(validateMainJobReport(json)).toEqual([]);
    expect(json.runs.map((r: { id: string }) => r.id)).toEqual(['none', 'stabilized-lambda-50']);
    for (const f of ['report.md', 'chart.svg', 'chart.png']) expect(existsSync(join(dir, f))).toBe(true);
    const stab = report.runs.find((r) => r.penalty === 'stabilized')!;
    expect(stab.train.maxPenaltyRatio).toBeGreaterThan(0);

    // 4. numbers agree with a perplexity computed by hand on the saved checkpoint
    const ck = loadCheckpoint(none.checkpoint);
    const tok = await loadTokenizer(none.checkpoint);
    const docs = splitTokens(recipe.data.books!, 'test', tok, recipe.data.split);
    const engine = await createEngine('tfjs', ck.config, ck.params);
    const p = await perplexity(engine, docs, { bootstrapSamples: 0 });
    engine.dispose();
    expect(Math.abs(p.nll - none.ppl.books.after.nll)).toBeLessThanOrEqual(1e-6);
    // fine-tuning on dialogs changed the book perplexity
    expect(none.ppl.books.after.ppl).not.toBe(none.ppl.books.before.ppl);

    // 5. a third run reuses every step: no step record is rewritten
    const stepFiles = ['importance', 'eval-base', 'runs/none', 'runs/stabilized-lambda-50'].map((s) => join(dir, s, 'step.json'));
    const before = stepFiles.map((f) => statSync(f).mtimeMs);
    const again = await runDialogForgetting(recipe, 'test-recipe.json');
    expect(stepFiles.map((f) => statSync(f).mtimeMs)).toEqual(before);
    expect(again.report.runs.map((r) => r.ppl.books.after.nll)).toEqual(report.runs.map((r) => r.ppl.books.after.nll));
  });
});
