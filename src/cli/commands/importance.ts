/**
 * `ewc-lm importance --model DIR (--corpus SPEC | --tokens FILE.json) --method NAME [--params GLOB…]
 *    [--samples N] [--accumulate-into FILE] --out FILE.safetensors`
 *   Importances of a GPT-2 (method.md §2; one sample = one sequence). --tokens: each array is one sample.
 *   --corpus: the split's documents are tokenized with the model folder's tokenizer and cut into disjoint
 *   blocks of --block tokens (default n_positions); the first --samples blocks are the samples.
 *   The output holds Ω under HF names (summed into --accumulate-into's Ω when given), the anchor θ* (the
 *   model's parameters) under `anchor/<name>`, and metadata. JSON summary on stdout and in FILE.safetensors.json
 *   (with the resolved arguments).
 *   --engine ort (default) computes fisher, fisher-sampled, fisher-argmax and mas with ONNX Runtime
 *   (src/onnx/importances.ts, --batch-size sequences per graph run; --mode is ignored); the other methods
 *   (signal, magnitude) and --engine tfjs run on tfjs (--backend). The output records the engine used.
 * `ewc-lm importance stats FILE`: per-tensor mean, max, max/mean and quantiles, and per-layer-kind summary.
 */
import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, backendOption, initBackend } from '../../backends/index.ts';
import { accumulate, hashParams, snapshot } from '../../importance/accumulate.ts';
import { readImportanceFile, writeImportanceFile } from '../../importance/file.ts';
import { gpt2Target } from '../../importance/gpt2-target.ts';
import { computeImportance, gradientMethod, isImportanceName, SAMPLE_METHODS } from '../../importance/registry.ts';
import { engineOption } from '../../engine/index.ts';
import { importanceStats } from '../../importance/stats.ts';
import type { ImportanceSamples, Importances } from '../../importance/types.ts';
import { loadCheckpoint } from '../../io/checkpoint.ts';
import { GPT2Model } from '../../model/gpt2.ts';
import type { GPT2Config } from '../../model/gpt2-config.ts';
import { selectParams } from '../../regularizers/selection.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult, progressTicker } from '../../util/log.ts';
import { writeJsonAtomic } from '../../util/atomic.ts';
import { readTokenFile } from './eval.ts';

interface ImportanceArgs {
  model?: string;
  corpus?: string;
  tokens?: string;
  method: string;
  params: string[];
  samples?: number;
  block?: number;
  split: string;
  seed: number;
  mode: string;
  'batch-size': number;
  'accumulate-into'?: string;
  out?: string;
  engine?: string;
  backend: string;
}

async function corpusSequences(spec: string, modelDir: string, config: GPT2Config, a: ImportanceArgs): Promise<number[][]> {
  const data = await import('../../data/index.ts');
  const { loadTokenizer } = await import('../../tokenization/index.ts');
  const corpus = data.loadCorpus(spec);
  const block = a.block ?? config.n_positions;
  if (!Number.isInteger(block) || block < 2 || block > config.n_positions) {
    throw new EwcError(`--block: expected an integer in [2, n_positions=${config.n_positions}], found ${block}.`);
  }
  let docs: number[][];
  const splits = data.splitCorpus(corpus, { seed: a.seed });
  const split = a.split as 'train' | 'validation' | 'test';
  if (!['train', 'validation', 'test'].includes(split)) {
    throw new EwcError(`--split: expected train, validation or test, found '${a.split}'.`);
  }
  const chosen = splits[split];
  if (corpus.kind === 'tokens') docs = chosen.map((d) => d.ids ?? []);
  else {
    const dir = existsSync(`${modelDir}/tokenizer.json`) || existsSync(`${modelDir}/vocab.json`) ? modelDir : dirname(modelDir);
    const tok = loadTokenizer(dir);
    docs = data.tokenizeDocuments(chosen, tok);
  }
  const eos = docs.length && docs[0].length ? docs[0][docs[0].length - 1] : 0;
  const blocks = data.packBlocks(docs, block, eos, { overlap: 0 });
  if (blocks.length === 0) throw new EwcError(`--corpus ${spec}: the ${split} split gives no block of ${block} tokens.`);
  return blocks;
}

function summary(imp: Importances): Record<string, unknown> {
  let total = 0;
  let n = 0;
  let max = 0;
  for (const t of imp.values()) {
    for (const v of t.data) {
      total += v;
      max = Math.max(max, v);
    }
    n += t.data.length;
  }
  return { tensors: imp.size, elements: n, mean: total / Math.max(1, n), max };
}

const compute: CommandModule<object, ImportanceArgs> = {
  command: 'importance',
  describe: 'compute parameter importances of a GPT-2 (Fisher, MAS, …) into a safetensors file',
  builder: (y) =>
    y
      .command(statsCmd as CommandModule)
      .option('model', { type: 'string', describe: 'checkpoint directory (config.json + model.safetensors) [required]' })
      .option('corpus', { type: 'string', describe: 'corpus spec (e.g. moby-dick, text:PATH, tokens:FILE.json); cut into --block blocks' })
      .option('tokens', { type: 'string', describe: 'JSON file: an array of token-id arrays, each one sample' })
      .option('method', { type: 'string', default: 'fisher', describe: `importance: ${SAMPLE_METHODS.join(', ')}` })
      .option('params', { type: 'string', array: true, default: ['attention'], describe: 'parameter globs or presets (attention, all); !GLOB excludes' })
      .option('samples', { type: 'number', describe: 'use the first N samples (default: all)' })
      .option('block', { type: 'number', describe: 'tokens per sample with --corpus (default n_positions)' })
      .option('split', { type: 'string', default: 'train', describe: 'corpus split to draw samples from (--corpus)' })
      .option('seed', { type: 'number', default: 0, describe: 'split seed; label seed of fisher-sampled' })
      .option('mode', {
        type: 'string',
        default: 'loop',
        choices: ['loop', 'vectorised'],
        // results/bench-importance.json: on wasm with a GPT-2 vocabulary the loop is the faster of the two
        describe: 'per-sample loop or the exactly equivalent vectorised form (batches --batch-size sequences per pass)',
      })
      .option('batch-size', { type: 'number', default: 8, describe: 'sequences per pass in vectorised form' })
      .option('accumulate-into', { type: 'string', describe: 'an importance file whose Ω is added to (task accumulation)' })
      .option('out', { type: 'string', describe: 'output .safetensors [required]' })
      .option('engine', { ...engineOption, describe: 'ort (default): fisher / fisher-sampled / fisher-argmax / mas on ONNX Runtime; tfjs: everything on --backend (signal and magnitude always run on tfjs)' })
      .option('backend', backendOption) as never,
  handler: async (a) => {
    // (not demandOption: yargs would then demand them of the `stats` subcommand too)
    if (!a.model) throw new EwcError('importance: --model DIR is required (a checkpoint directory).');
    if (!a.out) throw new EwcError('importance: --out FILE.safetensors is required.');
    if (!isImportanceName(a.method) || a.method === 'si') {
      throw new EwcError(
        `--method: expected one of ${SAMPLE_METHODS.join(', ')}, found '${a.method}'.` +
          (a.method === 'si' ? ' SI is accumulated during training, not computed afterwards.' : ''),
      );
    }
    if (!a.out.endsWith('.safetensors')) throw new EwcError(`--out: expected a path ending in .safetensors, found '${a.out}'.`);
    const needsSamples = a.method !== 'magnitude';
    if (needsSamples && !!a.corpus === !!a.tokens) {
      throw new EwcError(`importance --method ${a.method}: expected exactly one of --corpus SPEC or --tokens FILE.json, found ${a.corpus ? 'both' : 'neither'}.`);
    }
    if (a.samples !== undefined && !(Number.isInteger(a.samples) && a.samples >= 1)) {
      throw new EwcError(`--samples: expected a positive integer, found ${a.samples}.`);
    }
    if (a.engine !== undefined && a.engine !== 'ort' && a.engine !== 'tfjs') throw new EwcError(`--engine: expected ort or tfjs, found '${a.engine}'.`);
    const gm = gradientMethod(a.method);
    const engine = (a.engine ?? 'ort') === 'ort' && gm ? 'ort' : 'tfjs';
    if (engine === 'tfjs') await initBackend(a.backend);
    const ck = loadCheckpoint(a.model);
    const names = selectParams(ck.params.keys(), a.params);
    let seqs: number[][] | null = null;
    if (a.tokens) seqs = readTokenFile(a.tokens, ck.config);
    else if (a.corpus) seqs = await corpusSequences(a.corpus, a.model, ck.config, a);
    if (seqs && a.samples !== undefined) {
      if (a.samples > seqs.length) log(`note: --samples ${a.samples} but only ${seqs.length} samples are available; using all`);
      seqs = seqs.slice(0, a.samples);
    }
    const prev = a['accumulate-into'] ? readImportanceFile(a['accumulate-into']) : null;
    const modelHash = hashParams(ck.params);
    const t0 = performance.now();
    const tick = progressTicker(2000, { immediate: true, final: true });
    const onProgress = (done: number, total: number) => {
      const p = tick(done, total);
      if (p) log(`importance: ${done}/${total} samples, ${p.rate.toFixed(1)} samples/s, ETA ${p.etaS.toFixed(0)} s`);
    };
    let imp: Importances;
    if (engine === 'ort') {
      const { createOrtEngine } = await import('../../onnx/engine.ts');
      const { ortImportances } = await import('../../onnx/importances.ts');
      const ort = await createOrtEngine(ck.config, ck.params);
      try {
        imp = await ortImportances(ort, seqs!, { ...gm!, names, batchSize: a['batch-size'], seed: a.seed, onProgress });
      } finally {
        ort.dispose();
      }
    } else {
      const model = GPT2Model.fromHost(ck.config, ck.params);
      const samples: ImportanceSamples | null = seqs ? { kind: 'sequences', sequences: seqs } : null;
      try {
        imp = computeImportance(a.method, gpt2Target(model), samples, {
          names,
          mode: a.mode as 'loop' | 'vectorised',
          batchSize: a['batch-size'],
          seed: a.seed,
          onProgress,
        });
      } finally {
        model.dispose();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (prev) {
      for (const n of imp.keys()) {
        if (!prev.omega.has(n)) log(`note: ${a['accumulate-into']} has no '${n}'; it starts at this task's importance`);
      }
    }
    const omega = prev ? accumulate(prev.omega, imp) : imp;
    const tasks = (prev?.meta.tasks ?? 0) + 1;
    const corpus = a.tokens ? `tokens:${a.tokens}` : (a.corpus ?? '');
    const meta = {
      method: a.method,
      samples: seqs?.length ?? 0,
      corpus,
      model_hash: modelHash,
      tasks,
      params: a.params.join(' '),
      engine,
      backend: engine === 'tfjs' ? activeBackend() : 'none',
      mode: engine === 'tfjs' ? a.mode : 'ort-batched',
      ...(prev ? { accumulated_from: a['accumulate-into']! } : {}),
    };
    writeImportanceFile(a.out, { omega, anchor: snapshot(ck.params, names), meta });
    const result = {
      out: a.out,
      ...meta,
      parameters: names.length,
      seconds,
      samples_per_s: (seqs?.length ?? 0) / Math.max(seconds, 1e-9),
      task: summary(imp),
      omega: summary(omega),
      tf_tensors: engine === 'tfjs' ? tf.memory().numTensors : null,
    };
    // the resolved settings beside the output (design rule: config saved with every output)
    writeJsonAtomic(`${a.out}.json`, {
      ...result,
      resolved: { model: a.model, tokens: a.tokens ?? null, corpus: a.corpus ?? null, method: a.method, params: a.params, samples: a.samples ?? null, block: a.block ?? null, split: a.split, seed: a.seed, mode: a.mode, batch_size: a['batch-size'], accumulate_into: a['accumulate-into'] ?? null, engine: a.engine ?? 'ort', backend: a.backend },
    });
    printResult(result);
  },
};

interface StatsArgs {
  file: string;
  quantiles: number[];
  top: number;
}

const statsCmd: CommandModule<object, StatsArgs> = {
  command: 'stats <file>',
  describe: 'per-tensor mean, max, max/mean and quantiles of an importance file (JSON on stdout)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'importance .safetensors' })
      .option('quantiles', { type: 'number', array: true, default: [0.5, 0.9, 0.99, 0.999], describe: 'quantiles to report' })
      .option('top', { type: 'number', default: 10, describe: 'tensors listed in the stderr table, by max/mean' }) as never,
  handler: (a) => {
    const f = readImportanceFile(a.file);
    const qs = a.quantiles;
    for (const q of qs) if (!(q >= 0 && q <= 1)) throw new EwcError(`--quantiles: expected values in [0, 1], found ${q}.`);
    const s = importanceStats(f.omega, qs);
    const rows = [...s.tensors].sort((x, y) => y.maxOverMean - x.maxOverMean);
    log(`${'tensor'.padEnd(28)} ${'mean'.padStart(10)} ${'max'.padStart(10)} ${'max/mean'.padStart(10)}  ${qs.map((q) => `q${q}`.padStart(10)).join(' ')}`);
    for (const r of rows.slice(0, a.top)) {
      log(
        `${r.name.padEnd(28)} ${r.mean.toExponential(2).padStart(10)} ${r.max.toExponential(2).padStart(10)} ${r.maxOverMean.toExponential(2).padStart(10)}  ${r.quantiles.map((v) => v.toExponential(2).padStart(10)).join(' ')}`,
      );
    }
    printResult({ file: a.file, meta: f.meta, ...s });
  },
};

export default compute;
