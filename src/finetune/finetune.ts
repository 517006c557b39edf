/**
 * Fine-tuning a pretrained GPT-2 on a corpus, optionally with the (stabilized) EWC penalty
 * Σ c_i(θ_i − θ*_i)² over the selected parameters (method.md §1). Ω comes from an importance file; θ* is the
 * file's anchor when it carries one, else the pretrained model itself (the end of the "previous task").
 *
 * Output folder: the fine-tuned model in HF layout (config.json, model.safetensors, tokenizer files),
 * metrics.jsonl, checkpoint/ (resumable), finetune-config.json (the resolved configuration) and
 * finetune-result.json (written last: its presence marks a finished run).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backends/index.ts';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { loadTokenizer } from '../tokenization/index.ts';
import { createEngine } from '../engine/index.ts';
import { train, type TrainRunResult } from '../train/loop.ts';
import { readImportanceFile } from '../importance/file.ts';
import { selectParams } from '../regularizers/selection.ts';
import { ewcHook, type PenaltyStats } from '../regularizers/hook.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { blocksOf, splitTokens } from './data.ts';
import type { FinetuneConfig } from './config.ts';

export interface FinetuneResult {
  out: string;
  penalty: FinetuneConfig['penalty']['kind'];
  lambda: number;
  eta: number | null;
  penalisedParams: number;
  trainBlocks: number;
  blockSize: number;
  train: TrainRunResult;
  penaltyStats: PenaltyStats | null;
}

/** Tokenizer files copied into every checkpoint so that the output folder is a complete HF model. */
export function tokenizerFiles(modelDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'generation_config.json']) {
    const p = join(modelDir, f);
    if (existsSync(p)) out[f] = readFileSync(p, 'utf8');
  }
  return out;
}

export async function finetune(c: FinetuneConfig, opts: { resume?: boolean; stopAtStep?: number; handleSignals?: boolean } = {}): Promise<FinetuneResult> {
  if (!c.model) throw new EwcError('finetune: no model given. Pass --model DIR (a HF GPT-2 folder with tokenizer.json).');
  if (!c.trainCorpus) throw new EwcError('finetune: no training corpus given. Pass --train SPEC (see `ewc-lm corpora list`).');
  if (!c.out) throw new EwcError('finetune: no output folder given. Pass --out DIR.');
  if (c.penalty.kind !== 'none' && !c.penalty.importance) {
    throw new EwcError(`finetune: --penalty ${c.penalty.kind} needs importances: pass --importance FILE (made by 'ewc-lm importance').`);
  }
  await initBackend(c.backend);
  const ck = await loadCheckpoint(c.model);
  const tok = await loadTokenizer(c.model);
  if (tok.vocabSize > ck.config.vocab_size) {
    throw new EwcError(`tokenizer of ${c.model} has ${tok.vocabSize} ids, but the model's vocab_size is ${ck.config.vocab_size}. Use the model's own tokenizer.`);
  }
  const blockSize = c.train.blockSize ?? ck.config.n_positions;
  const trainDocs = splitTokens(c.trainCorpus, 'train', tok, c.split, c.maxTrainDocuments);
  const trainBlocks = blocksOf(trainDocs, blockSize, tok.eosId);
  let evalBlocks: Int32Array | undefined;
  if (c.split.validation > 0) {
    try {
      evalBlocks = blocksOf(splitTokens(c.trainCorpus, 'validation', tok, c.split), blockSize, tok.eosId, c.train.evalBlocks);
      if (evalBlocks.length === 0) evalBlocks = undefined;
    } catch (e) {
      if (!(e instanceof EwcError)) throw e;
      evalBlocks = undefined;
    }
  }
  log(`finetune: ${trainDocs.length} training documents → ${trainBlocks.length / blockSize} blocks of ${blockSize} tokens`);

  const engine = await createEngine(c.engine, ck.config, ck.params);
  const hooks = [];
  let stats: PenaltyStats | null = null;
  let penalised = 0;
  try {
    if (c.penalty.kind !== 'none') {
      const f = readImportanceFile(c.penalty.importance!);
      const names = selectParams(engine.paramNames, c.penalty.params).filter((n) => f.omega.has(n));
      if (names.length === 0) {
        throw new EwcError(
          `finetune: the importance file ${c.penalty.importance} has no tensors for the selected parameters (${c.penalty.params.join(', ')}). ` +
            `Compute importances with the same --params selection.`,
        );
      }
      penalised = names.length;
      const anchor = f.anchor ?? ck.params;
      const h = ewcHook({ kind: c.penalty.kind, lambda: c.penalty.lambda, eta: c.penalty.eta ?? undefined, omega: f.omega, anchor, names });
      stats = h.stats;
      hooks.push(h);
    }
    writeJsonAtomic(join(c.out, 'finetune-config.json'), c);
    const r = await train({
      engine,
      data: { train: trainBlocks, blockSize, eval: evalBlocks },
      config: c.train,
      outDir: c.out,
      resolvedConfig: c,
      resume: opts.resume,
      hooks,
      extraFiles: tokenizerFiles(c.model),
      handleSignals: opts.handleSignals,
      stopAtStep: opts.stopAtStep,
    });
    const result: FinetuneResult = {
      out: c.out,
      penalty: c.penalty.kind,
      lambda: c.penalty.kind === 'none' ? 0 : c.penalty.lambda,
      eta: stats ? stats.eta : null,
      penalisedParams: penalised,
      trainBlocks: trainBlocks.length / blockSize,
      blockSize,
      train: r,
      penaltyStats: stats,
    };
    if (r.status === 'completed') writeJsonAtomic(join(c.out, 'finetune-result.json'), result);
    return result;
  } finally {
    engine.dispose();
  }
}
