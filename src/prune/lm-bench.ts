/**
 * Pruning curves of a GPT-2 checkpoint: perplexity on held-out text vs pruned fraction, per score.
 *
 *   - held-out text: the `test` split of `--corpus` (src/data splitCorpus, seed 0), at most `evalDocs` documents,
 *     scored by src/eval/perplexity.ts (token-weighted, windows `context`/`stride`, 95% document bootstrap);
 *   - scores: magnitude |θ|; fisher / mas (vectorised, exact per-sequence form) and signal on `samples` blocks of
 *     `block` tokens packed from the `train` split of the same corpus ("original-corpus labels", method.md §2);
 *     GPT-2 Conv1D weights are [in, out], so signal Ω[a, b] = |W[a, b]|·mean|x_a| with x the layer's input
 *     (averaged over positions, then sequences), biases mean|output| (src/importance/gpt2-target.ts). Signal
 *     covers only the Conv1D layers; embeddings and LayerNorm have no signal score, so `--params` must select
 *     only Conv1D tensors for it (the default selection for signal is h.*.attn.* and h.*.mlp.*);
 *   - pruning: one ranking per score (global or per-layer), cumulative zeroing over the fraction grid, the
 *     changed tensors re-uploaded to the engine before each evaluation.
 * One checkpoint gives one run per curve: ci is 0; the bootstrap interval of the perplexity (over documents)
 * is reported as lo/hi.
 */
import { evalSequences, loadCorpus, packBlocks, splitCorpus, tokenizeDocuments } from '../data/index.ts';
import { createTfjsEngine } from '../engine/tfjs.ts';
import { createEngine } from '../engine/index.ts';
import { perplexity } from '../eval/perplexity.ts';
import { gpt2Target } from '../importance/gpt2-target.ts';
import { computeImportance } from '../importance/registry.ts';
import type { LoadedCheckpoint } from '../io/checkpoint.ts';
import type { NamedTensors } from '../io/types.ts';
import { selectParams } from '../regularizers/selection.ts';
import { loadTokenizer } from '../tokenization/index.ts';
import { EwcError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import type { Curve } from './curves.ts';
import { TABLE_FRACTIONS } from './curves.ts';
import { CumulativePruner, fractionGrid } from './mask.ts';
import { magnitudeScores } from './prune-params.ts';
import { rankParameters, type PruneScope, type ScoreMap } from './rank.ts';

export const LM_SCORES = ['magnitude', 'fisher', 'mas', 'signal'] as const;
/** Conv1D tensors: the only ones 'signal' scores. */
export const CONV1D_GLOBS = ['h.*.attn.c_attn.*', 'h.*.attn.c_proj.*', 'h.*.mlp.c_fc.*', 'h.*.mlp.c_proj.*'];

export interface LmBenchConfig {
  corpus: string;
  scores: string[];
  scopes: PruneScope[];
  /** parameter globs; default: all parameters (signal: the Conv1D tensors) */
  params: string[] | null;
  step: number;
  /** sequences for fisher/mas/signal, each `block` tokens */
  samples: number;
  block: number;
  importanceBatch: number;
  /** held-out documents evaluated (first N of the test split) */
  evalDocs: number;
  context: number | null;
  stride: number | null;
  evalBatch: number;
  bootstrap: number;
  splitSeed: number;
  /** tokenizer folder (default: the model folder) */
  tokenizer: string | null;
  /** engine for the perplexity evaluations (scores always use tfjs): ort is several times faster on CPU */
  engine: 'tfjs' | 'ort';
}

export const DEFAULT_LM_BENCH: Omit<LmBenchConfig, 'corpus'> = {
  scores: [...LM_SCORES],
  scopes: ['global'],
  params: null,
  step: 0.05,
  samples: 64,
  block: 128,
  importanceBatch: 8,
  evalDocs: 50,
  context: null,
  stride: null,
  evalBatch: 8,
  bootstrap: 200,
  splitSeed: 0,
  tokenizer: null,
  engine: 'ort',
};

export interface LmCurve extends Curve {
  /** bootstrap 95% interval of the perplexity (documents resampled), per fraction */
  lo: (number | null)[];
  hi: (number | null)[];
  /** parameters ranked by this curve */
  selected: number;
}

/** Names a score is computed for and ranked over. */
export function lmSelection(ck: LoadedCheckpoint, score: string, params: string[] | null): string[] {
  const all = [...ck.params.keys()];
  if (score === 'signal') {
    const conv = selectParams(all, CONV1D_GLOBS);
    if (!params) return conv;
    const sel = selectParams(all, params);
    const bad = sel.filter((n) => !conv.includes(n));
    if (bad.length) {
      throw new EwcError(
        `score 'signal' exists only for GPT-2 Conv1D layers (${CONV1D_GLOBS.join(', ')}); --params also selects ${bad.slice(0, 3).join(', ')}. ` +
          `Narrow --params, or leave signal out of --scores.`,
      );
    }
    return sel;
  }
  return params ? selectParams(all, params) : all;
}

/** Scores computed on the fly for a checkpoint (magnitude on the host; the others through the tfjs engine). */
export function computeLmScores(
  ck: LoadedCheckpoint,
  score: string,
  names: string[],
  sequences: number[][] | null,
  opts: { batchSize: number; onLog?: (s: string) => void },
  engine?: ReturnType<typeof createTfjsEngine>,
): ScoreMap {
  if (score === 'magnitude') return magnitudeScores(ck.params, names);
  if (!sequences || sequences.length === 0) throw new EwcError(`score '${score}' needs sequences: pass --corpus SPEC.`);
  const own = engine ?? createTfjsEngine(ck.config, ck.params);
  try {
    const target = gpt2Target(own.gpt2);
    let last = 0;
    return computeImportance(score, target, { kind: 'sequences', sequences }, {
      names,
      mode: 'vectorised',
      batchSize: opts.batchSize,
      onProgress: (done, total) => {
        if (opts.onLog && (done - last >= Math.max(1, total / 4) || done === total)) {
          last = done;
          opts.onLog(`  ${score}: ${done}/${total} sequences`);
        }
      },
    });
  } finally {
    if (!engine) own.dispose();
  }
}

/** Corpus → (importance sequences, held-out documents), tokenized with the model's tokenizer. */
export function lmData(cfg: Pick<LmBenchConfig, 'corpus' | 'samples' | 'block' | 'evalDocs' | 'splitSeed' | 'tokenizer'>, ck: LoadedCheckpoint) {
  const tok = loadTokenizer(cfg.tokenizer ?? ck.dir);
  if (tok.vocabSize > ck.config.vocab_size) {
    throw new EwcError(`tokenizer ${tok.source} has ${tok.vocabSize} ids but the model's vocab_size is ${ck.config.vocab_size}. Pass the model's own tokenizer (--tokenizer).`);
  }
  const split = splitCorpus(loadCorpus(cfg.corpus), { seed: cfg.splitSeed });
  if (split.test.length === 0) throw new EwcError(`--corpus ${cfg.corpus}: the test split is empty; use a larger corpus.`);
  const block = Math.min(cfg.block, ck.config.n_positions);
  const trainIds = tokenizeDocuments(split.train, tok, { progress: false });
  const blocks = packBlocks(trainIds, block, tok.eosId);
  const sequences = blocks.slice(0, cfg.samples);
  const heldOut = tokenizeDocuments(split.test.slice(0, cfg.evalDocs), tok, { progress: false });
  return { sequences, heldOut, tokenizer: tok.source, trainDocs: split.train.length, testDocs: split.test.length };
}

/** Runs every curve; returns them with the unpruned perplexity. */
export async function runLmBench(ck: LoadedCheckpoint, cfg: LmBenchConfig, onLog = log): Promise<{ curves: LmCurve[]; base: number; data: Record<string, unknown> }> {
  const data = lmData(cfg, ck);
  onLog(`prune-bench lm: ${data.sequences.length} importance sequences × ${Math.min(cfg.block, ck.config.n_positions)} tokens, ${data.heldOut.length} held-out documents`);
  const scorer = createTfjsEngine(ck.config, ck.params);
  const engine = cfg.engine === 'tfjs' ? scorer : await createEngine(cfg.engine, ck.config, ck.params);
  const pplOpts = {
    ...(cfg.context ? { context: cfg.context } : {}),
    ...(cfg.stride ? { stride: cfg.stride } : {}),
    batchSize: cfg.evalBatch,
    bootstrapSamples: cfg.bootstrap,
  };
  const fractions = fractionGrid(cfg.step, TABLE_FRACTIONS);
  const curves: LmCurve[] = [];
  try {
    const base = await perplexity(engine, data.heldOut, pplOpts);
    onLog(`  unpruned perplexity ${base.ppl.toFixed(3)} over ${base.tokens} tokens`);
    for (const score of cfg.scores) {
      const names = lmSelection(ck, score, cfg.params);
      const t0 = performance.now();
      const scores = computeLmScores(ck, score, names, data.sequences, { batchSize: cfg.importanceBatch, onLog }, scorer);
      onLog(`  ${score}: scores for ${names.length} tensors in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      for (const scope of cfg.scopes) {
        const ranking = rankParameters(scores, scope, names);
        const pruner = new CumulativePruner(ranking, ck.params);
        const mean: number[] = [];
        const lo: (number | null)[] = [];
        const hi: (number | null)[] = [];
        const t1 = performance.now();
        for (const p of fractions) {
          const changed = pruner.advanceTo(p);
          if (changed.size || mean.length === 0) {
            const upd: NamedTensors = new Map([...changed].map((n) => [n, pruner.params.get(n)!]));
            engine.setParams(upd);
            const r = await perplexity(engine, data.heldOut, pplOpts);
            mean.push(r.ppl);
            lo.push(r.ci95?.low ?? null);
            hi.push(r.ci95?.high ?? null);
          } else {
            mean.push(mean[mean.length - 1]);
            lo.push(lo[lo.length - 1]);
            hi.push(hi[hi.length - 1]);
          }
          if (fractions.indexOf(p) % 5 === 0 || p === 1) {
            const el = (performance.now() - t1) / 1000;
            const done = fractions.indexOf(p) + 1;
            onLog(`  ${score} ${scope}: p ${p.toFixed(3)} ppl ${mean[mean.length - 1].toPrecision(5)} (${done}/${fractions.length}, ETA ${((el / done) * (fractions.length - done)).toFixed(0)} s)`);
          }
        }
        engine.setParams(new Map(names.map((n) => [n, ck.params.get(n)!]))); // restore
        const selected = ranking.groups.reduce((s, g) => s + g.offsets[g.offsets.length - 1], 0);
        curves.push({
          score,
          scope,
          metric: 'perplexity',
          n: 1,
          fraction: fractions,
          mean,
          ci: mean.map(() => 0),
          std: mean.map(() => 0),
          runs: [mean.slice()],
          lo,
          hi,
          selected,
        });
      }
    }
    return { curves, base: base.ppl, data: { ...data, sequences: data.sequences.length, heldOut: data.heldOut.length, heldOutTokens: base.tokens } };
  } finally {
    if (engine !== scorer) engine.dispose();
    scorer.dispose();
  }
}
