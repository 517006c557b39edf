/**
 * Pretraining a GPT-2 from scratch (`ewc-lm pretrain --recipe FILE`):
 *   corpora (train split of each spec, seeded split) → tokenizer (given, or byte-level BPE trained on the
 *   train split, saved as tokenizer.json + tokenizer_config.json) → token ids (cached) → packed blocks →
 *   seeded initialisation → the trainer (src/train/loop.ts) → final model in Hugging Face layout with its
 *   tokenizer, metrics.jsonl, train-log.json and the resolved config (pretrain-config.json) beside it.
 * Resuming (`--resume`) reuses the saved tokenizer and continues from out/checkpoint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import type { PretrainConfig } from '../config/pretrain.ts';
import { saveResolvedConfig } from '../config/recipe.ts';
import { loadCorpus, splitCorpus, tokenizeDocuments, packBlocks, type Document } from '../data/index.ts';
import { createEngine } from '../engine/index.ts';
import { countParams } from '../io/checkpoint.ts';
import { makeGPT2Config, type GPT2Activation, type GPT2Config } from '../model/gpt2-config.ts';
import { loadTokenizer, type Tokenizer } from '../tokenization/index.ts';
import { trainBpe } from '../tokenization/bpe-trainer.ts';
import { saveTrainedTokenizer } from '../tokenization/save.ts';
import { initBackend } from '../backends/index.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { initGPT2Params } from './init.ts';
import { train, type TrainRunResult } from './loop.ts';

export interface PretrainResult {
  status: TrainRunResult['status'];
  out: string;
  steps: number;
  step: number;
  parameters: number;
  trainTokens: number;
  trainBlocks: number;
  evalBlocks: number;
  tokensSeen: number;
  epochs: number;
  lastLoss: number;
  lastEval: TrainRunResult['lastEval'];
  elapsedSeconds: number;
  tokensPerSecond: number;
  engine: string;
  backend: string | null;
  vocabSize: number;
}

function loadSplits(specs: readonly string[], seed: number, evalSplit: 'validation' | 'test'): { train: Document[]; held: Document[]; perSpec: Record<string, { train: number; held: number }> } {
  if (specs.length === 0) throw new EwcError('data.train: expected at least one corpus spec, found none.');
  const train: Document[] = [];
  const held: Document[] = [];
  const perSpec: Record<string, { train: number; held: number }> = {};
  for (const spec of specs) {
    const sp = splitCorpus(loadCorpus(spec), { seed });
    train.push(...sp.train);
    held.push(...sp[evalSplit]);
    perSpec[spec] = { train: sp.train.length, held: sp[evalSplit].length };
  }
  return { train, held, perSpec };
}

function docText(d: Document): string {
  return d.text ?? d.turns?.join('\n') ?? '';
}

function getTokenizer(cfg: PretrainConfig, train: Document[], resume: boolean): Tokenizer {
  const saved = join(cfg.out, 'tokenizer', 'tokenizer.json');
  if (cfg.tokenizer.path) return loadTokenizer(cfg.tokenizer.path);
  if (existsSync(saved)) {
    if (!resume) log(`reusing the tokenizer already trained in ${join(cfg.out, 'tokenizer')}`);
    return loadTokenizer(join(cfg.out, 'tokenizer'));
  }
  log(`training a byte-level BPE tokenizer (vocab ${cfg.tokenizer.vocabSize}) on ${train.length} training documents`);
  const t = trainBpe(
    (function* () {
      for (const d of train) yield docText(d);
    })(),
    { vocabSize: cfg.tokenizer.vocabSize, minFrequency: cfg.tokenizer.minFrequency },
  );
  saveTrainedTokenizer(join(cfg.out, 'tokenizer'), t, cfg.model.n_positions);
  return loadTokenizer(join(cfg.out, 'tokenizer'));
}

function flat(blocks: number[][], T: number): Int32Array {
  const out = new Int32Array(blocks.length * T); // [nBlocks, T]
  blocks.forEach((b, i) => out.set(b, i * T));
  return out;
}

export function modelConfigOf(cfg: PretrainConfig, tok: Tokenizer): GPT2Config {
  const m = cfg.model;
  if (m.n_embd % m.n_head !== 0) throw new EwcError(`model.n_head: expected a divisor of n_embd (${m.n_embd}), found ${m.n_head}.`);
  return makeGPT2Config(
    {
      vocab_size: tok.vocabSize,
      n_positions: m.n_positions,
      n_embd: m.n_embd,
      n_layer: m.n_layer,
      n_head: m.n_head,
      n_inner: m.n_inner,
      activation_function: m.activation_function as GPT2Activation,
      resid_pdrop: m.dropout,
      embd_pdrop: m.dropout,
      attn_pdrop: m.dropout,
      layer_norm_epsilon: m.layer_norm_epsilon,
      initializer_range: m.initializer_range,
      tie_word_embeddings: m.tie_word_embeddings,
      bos_token_id: tok.eosId,
      eos_token_id: tok.eosId,
    },
    'pretrain model config',
  );
}

export async function pretrain(cfg: PretrainConfig, opts: { resume?: boolean } = {}): Promise<PretrainResult> {
  const resume = opts.resume ?? false;
  const backend = cfg.engine === 'tfjs' ? await initBackend(cfg.backend) : null;
  const tStart = Date.now();
  const { train: trainDocs, held, perSpec } = loadSplits(cfg.data.train, cfg.data.splitSeed, cfg.data.evalSplit);
  const tok = getTokenizer(cfg, trainDocs, resume);
  const config = modelConfigOf(cfg, tok);
  const T = cfg.train.blockSize ?? config.n_positions;
  if (T > config.n_positions) throw new EwcError(`train.blockSize: expected at most model.n_positions (${config.n_positions}), found ${T}.`);
  log(`tokenizing ${trainDocs.length} training and ${held.length} held-out documents`);
  const trainIds = tokenizeDocuments(trainDocs, tok);
  const heldIds = tokenizeDocuments(held, tok);
  const trainBlocks = packBlocks(trainIds, T, tok.eosId);
  const heldTokens = heldIds.reduce((a, d) => a + d.length, 0);
  const evalBlocks = heldTokens >= T ? packBlocks(heldIds, T, tok.eosId) : [];
  if (evalBlocks.length === 0) log(`warning: the ${cfg.data.evalSplit} split holds ${heldTokens} tokens, less than one block of ${T}: no held-out loss during training`);
  const trainTokens = trainIds.reduce((a, d) => a + d.length, 0);
  log(`${trainTokens} training tokens in ${trainBlocks.length} blocks of ${T}; ${evalBlocks.length} held-out blocks; ${countParams(config)} parameters`);
  saveResolvedConfig(join(cfg.out, 'pretrain-config.json'), cfg);

  const engine = await createEngine(cfg.engine, config, initGPT2Params(config, cfg.train.seed));
  const tokFiles: Record<string, string> = {};
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    const p = join(cfg.out, 'tokenizer', f);
    if (existsSync(p)) tokFiles[f] = readFileSync(p, 'utf8');
    else if (cfg.tokenizer.path && f === 'tokenizer.json') tokFiles[f] = JSON.stringify(tok.json);
  }
  let r: TrainRunResult;
  try {
    r = await train({
      engine,
      data: { train: flat(trainBlocks, T), blockSize: T, eval: evalBlocks.length > 0 ? flat(evalBlocks, T) : undefined },
      config: cfg.train,
      outDir: cfg.out,
      resolvedConfig: cfg,
      resume,
      extraFiles: tokFiles,
    });
  } finally {
    engine.dispose();
  }
  const result: PretrainResult = {
    status: r.status,
    out: cfg.out,
    steps: r.steps,
    step: r.step,
    parameters: countParams(config),
    trainTokens,
    trainBlocks: trainBlocks.length,
    evalBlocks: evalBlocks.length,
    tokensSeen: r.tokensSeen,
    epochs: (r.step * cfg.train.batchSize * cfg.train.accumSteps) / trainBlocks.length,
    lastLoss: r.lastLoss,
    lastEval: r.lastEval,
    elapsedSeconds: r.elapsedSeconds,
    tokensPerSecond: r.tokensPerSecond,
    engine: cfg.engine,
    backend,
    vocabSize: config.vocab_size,
  };
  writeJsonAtomic(join(cfg.out, 'train-log.json'), {
    ...result,
    corpora: perSpec,
    wallSecondsThisSession: (Date.now() - tStart) / 1000,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` },
    finishedAt: new Date().toISOString(),
  });
  return result;
}
