/**
 * `ewc-lm eval --model DIR --tokens FILE.json [--engine ort|tfjs] [--backend …]`: mean next-token NLL of
 * token sequences, computed by the engine's tokenNll (ort by default; tfjs on --backend).
 *
 * FILE is a JSON array of token-id arrays. Each array is scored on its own (no packing across arrays, no
 * stride): every token but the first is predicted from the tokens before it, so an array of n tokens
 * contributes n − 1 scored tokens. Arrays of equal length are batched together (at most --batch-tokens
 * tokens per forward). NLL sums are accumulated in float64 on the host.
 *
 * Output (stdout, JSON): { nll, ppl, tokens, sequences, engine, backend (tfjs only, else null), model, tokens_file, seconds }.
 * Other input sources (e.g. a corpus) plug in as another branch of `readSequences` returning token arrays.
 */
import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import { backendOption, initBackend } from '../../backends/index.ts';
import { createEngine, engineOption } from '../../engine/index.ts';
import type { Engine } from '../../engine/types.ts';
import { loadCheckpoint } from '../../io/checkpoint.ts';
import type { GPT2Config } from '../../model/gpt2-config.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult, progressTicker } from '../../util/log.ts';
import { evalCorpus, evalCorpusOptions } from '../../eval/eval-corpus.ts';

export interface EvalArgs {
  model: string;
  tokens?: string;
  corpus?: string;
  engine: string;
  backend: string;
  'batch-tokens': number;
}

/** Reads and validates a tokens file: a JSON array of arrays of integer ids in [0, vocab), 2..n_positions long. */
export function readTokenFile(path: string, config: GPT2Config): number[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EwcError(`--tokens ${path}: cannot read the file (${(e as Error).message}). Pass a JSON file holding an array of token-id arrays.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EwcError(`--tokens ${path}: not valid JSON (${(e as Error).message}). Expected an array of token-id arrays, e.g. [[464, 3290, 318], [40, 1101]].`);
  }
  return validateSequences(json, config, `--tokens ${path}`);
}

/** Checks that `json` is number[][] of valid ids with 2..n_positions tokens per array. */
export function validateSequences(json: unknown, config: GPT2Config, source: string): number[][] {
  if (!Array.isArray(json) || json.length === 0) {
    throw new EwcError(`${source}: expected a non-empty JSON array of token-id arrays, found ${Array.isArray(json) ? 'an empty array' : typeof json}.`);
  }
  const vocab = config.vocab_size;
  const nPos = config.n_positions;
  json.forEach((seq, i) => {
    if (!Array.isArray(seq)) {
      throw new EwcError(`${source}: element ${i} is ${JSON.stringify(seq)?.slice(0, 40)}, expected an array of token ids.`);
    }
    if (seq.length < 2) {
      throw new EwcError(`${source}: array ${i} has ${seq.length} token(s), expected at least 2 (the first token is context only; nothing would be scored). Drop it or merge it with its neighbour.`);
    }
    if (seq.length > nPos) {
      throw new EwcError(`${source}: array ${i} has ${seq.length} tokens, expected at most n_positions=${nPos}. Split it into pieces of at most ${nPos} tokens.`);
    }
    for (let t = 0; t < seq.length; t++) {
      const id = seq[t];
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new EwcError(`${source}: array ${i}, position ${t}: expected an integer token id in [0, ${vocab}) (the model's vocab_size), found ${JSON.stringify(id)}. Tokenize with the model's own tokenizer.`);
      }
    }
  });
  return json as number[][];
}

export interface ScoreResult {
  /** Σ NLL over scored tokens (nats, float64). */
  nllSum: number;
  /** Scored tokens (Σ (length − 1)). */
  tokens: number;
}

/**
 * Scores each sequence on its own. Sequences of equal length share a batch of at most `batchTokens`
 * tokens (at least one row).
 */
export async function scoreSequences(
  engine: Engine,
  seqs: readonly (readonly number[])[],
  opts: { batchTokens?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ScoreResult> {
  const batchTokens = opts.batchTokens ?? 1024;
  const byLen = new Map<number, number[]>();
  seqs.forEach((s, i) => {
    if (!byLen.has(s.length)) byLen.set(s.length, []);
    byLen.get(s.length)!.push(i);
  });
  const total = seqs.reduce((a, s) => a + s.length - 1, 0);
  let nllSum = 0;
  let tokens = 0;
  for (const [len, idxs] of [...byLen].sort((a, b) => a[0] - b[0])) {
    const rows = Math.max(1, Math.floor(batchTokens / len));
    for (let s = 0; s < idxs.length; s += rows) {
      const chunk = idxs.slice(s, s + rows);
      const flat = new Int32Array(chunk.length * len);
      chunk.forEach((si, r) => flat.set(seqs[si], r * len));
      const v = await engine.tokenNll({ ids: flat, batch: chunk.length, seqLen: len }); // [rows, len − 1]
      for (let i = 0; i < v.length; i++) nllSum += v[i];
      tokens += v.length;
      opts.onProgress?.(tokens, total);
    }
  }
  return { nllSum, tokens };
}

function progressLogger(): (done: number, total: number) => void {
  const tick = progressTicker(2000, { immediate: true, final: true });
  return (done, total) => {
    const p = tick(done, total);
    if (p) log(`eval: ${done}/${total} tokens, ${p.rate.toFixed(0)} tokens/s, ETA ${p.etaS.toFixed(0)} s`);
  };
}

const cmd: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: 'mean next-token NLL and perplexity of a GPT-2 checkpoint on token sequences (JSON on stdout)',
  builder: (y) =>
    y
      .option('model', {
        type: 'string',
        demandOption: true,
        describe: 'checkpoint directory (config.json + model.safetensors) or a .safetensors file beside config.json',
      })
      .option('tokens', {
        type: 'string',
        describe: 'JSON file: an array of token-id arrays, each scored on its own (every token but the first)',
      })
      .option('engine', { ...engineOption, describe: 'compute engine for --tokens and --corpus: ort (default; ONNX Runtime, CPU) or tfjs (on --backend)' })
      .option('backend', { ...backendOption, describe: `${String(backendOption.describe ?? 'tfjs backend')} (with --engine tfjs)` })
      .options(evalCorpusOptions)
      .option('batch-tokens', {
        type: 'number',
        default: 1024,
        describe: 'at most this many tokens per forward pass (equal-length arrays are batched together)',
      }) as never,
  handler: async (argv) => {
    const bt = argv['batch-tokens'];
    if (!Number.isInteger(bt) || bt < 1) {
      throw new EwcError(`--batch-tokens: expected a positive integer, found ${bt}.`);
    }
    if (argv.corpus !== undefined) {
      // --corpus form (src/eval/eval-corpus.ts): windows of --context with --stride, bootstrap interval.
      if (argv.tokens !== undefined) throw new EwcError('eval: pass either --tokens FILE.json or --corpus SPEC, not both.');
      const a = argv as unknown as Record<string, unknown>;
      printResult(await evalCorpus({ model: argv.model, corpus: argv.corpus, split: a.split as string, splitSeed: a['split-seed'] as number, context: a.context as number | undefined, stride: a.stride as number | undefined, engine: a.engine as string, backend: argv.backend, tokenizer: a.tokenizer as string | undefined, bootstrap: a.bootstrap as number, seed: a.seed as number }));
      return;
    }
    const ck = loadCheckpoint(argv.model);
    let seqs: number[][];
    let source: Record<string, unknown>;
    if (argv.tokens !== undefined) {
      seqs = readTokenFile(argv.tokens, ck.config);
      source = { tokens_file: argv.tokens };
    } else {
      throw new EwcError('eval: nothing to evaluate. Pass --tokens FILE.json (a JSON array of token-id arrays) or --corpus SPEC.');
    }
    const backend = argv.engine === 'tfjs' ? await initBackend(argv.backend) : null;
    const engine = await createEngine(argv.engine, ck.config, ck.params);
    try {
      const t0 = Date.now();
      const r = await scoreSequences(engine, seqs, { batchTokens: bt, onProgress: progressLogger() });
      const nll = r.nllSum / r.tokens;
      printResult({
        nll,
        ppl: Math.exp(nll),
        tokens: r.tokens,
        sequences: seqs.length,
        engine: argv.engine,
        backend,
        model: ck.dir,
        ...source,
        seconds: (Date.now() - t0) / 1000,
      });
    } finally {
      engine.dispose();
    }
  },
};
export default cmd;
