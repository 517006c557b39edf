/**
 * Pretraining a GPT-2 from scratch (`ewc-lm pretrain --recipe FILE`):
 *   corpora (train split of each spec, seeded split) → tokenizer (given, or byte-level BPE trained on the
 *   train split, saved as tokenizer.json + tokenizer_config.json) → token ids (cached) → packed blocks →
 *   seeded initialisation → the trainer (src/train/loop.ts) → final model in Hugging Face layout with its
 *   tokenizer, metrics.jsonl, train-log.json and the resolved config (pretrain-config.json) beside it.
 * Resuming (`--resume`) reuses the saved tokenizer and continues from out/checkpoint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

export interface PretrainSplits {
  train: Document[];
  held: Document[];
  perSpec: Record<string, { train: number; held: number; heldOutFiles?: number }>;
  /** Files of data.heldOut (whole books), in order; none of their documents is in train or held. */
  heldOutSources: string[];
}

/**
 * The training and periodic-evaluation documents of a pretraining run: each spec of data.train split by
 * document (seed, fractions), after removing every document that comes from a file of data.heldOut (so a
 * held-out book is held out whole, whatever spec reads it).
 */
export function loadPretrainSplits(data: PretrainConfig['data']): PretrainSplits {
  const { train: specs, heldOut, splitSeed: seed, evalSplit, fractions } = data;
  if (specs.length === 0) throw new EwcError('data.train: expected at least one corpus spec, found none.');
  if (fractions.length !== 3) throw new EwcError(`data.fractions: expected three numbers train/validation/test, found ${fractions.length}: [${fractions.join(', ')}].`);
  const heldOutSources = [...new Set(heldOut.flatMap((spec) => loadCorpus(spec).documents.map((d) => resolve(d.source))))];
  const excluded = new Set(heldOutSources);
  const train: Document[] = [];
  const held: Document[] = [];
  const perSpec: PretrainSplits['perSpec'] = {};
  for (const spec of specs) {
    const docs = loadCorpus(spec).documents;
    const kept = docs.filter((d) => !excluded.has(resolve(d.source)));
    if (kept.length === 0) throw new EwcError(`data.train: every document of "${spec}" is in data.heldOut; expected some left to train on. Remove it from data.train or from data.heldOut.`);
    const sp = splitCorpus(kept, { seed, fractions: fractions as [number, number, number] });
    train.push(...sp.train);
    held.push(...sp[evalSplit]);
    perSpec[spec] = { train: sp.train.length, held: sp[evalSplit].length };
    if (kept.length < docs.length) perSpec[spec].heldOutFiles = new Set(docs.filter((d) => excluded.has(resolve(d.source))).map((d) => d.source)).size;
  }
  return { train, held, perSpec, heldOutSources };
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

/** n blocks spread evenly over the held-out stream (all of them when there are at most n), so that the
 * periodic held-out loss samples every corpus and book rather than the first document. */
function spread(blocks: number[][], n: number): number[][] {
  if (blocks.length <= n) return blocks;
  return Array.from({ length: n }, (_, i) => blocks[Math.floor((i * blocks.length) / n)]);
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
  const { train: trainDocs, held, perSpec } = loadPretrainSplits(cfg.data);
  const tok = getTokenizer(cfg, trainDocs, resume);
  const config = modelConfigOf(cfg, tok);
  const T = cfg.train.blockSize ?? config.n_positions;
  if (T > config.n_positions) throw new EwcError(`train.blockSize: expected at most model.n_positions (${config.n_positions}), found ${T}.`);
  log(`tokenizing ${trainDocs.length} training and ${held.length} held-out documents`);
  const trainIds = tokenizeDocuments(trainDocs, tok);
  const heldIds = tokenizeDocuments(held, tok);
  const trainBlocks = packBlocks(trainIds, T, tok.eosId);
  const heldTokens = heldIds.reduce((a, d) => a + d.length, 0);
  const evalBlocks = heldTokens >= T ? spread(packBlocks(heldIds, T, tok.eosId), cfg.train.evalBlocks) : [];
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
