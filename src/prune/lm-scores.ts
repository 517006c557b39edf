/**
 * `prune --score fisher|mas|signal --corpus SPEC`: the score computed on the fly for a GPT-2 checkpoint, on
 * `--samples` blocks of `--block` tokens from the corpus's train split (see src/prune/lm-bench.ts).
 */
import { initBackend } from '../backends/index.ts';
import type { LoadedCheckpoint } from '../io/checkpoint.ts';
import { EwcError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { computeLmScores, DEFAULT_LM_BENCH, lmData, lmSelection } from './lm-bench.ts';
import type { ScoreMap } from './rank.ts';

export interface LmScoreArgs {
  corpus?: string;
  backend?: string;
  samples?: number;
  block?: number;
}

export const LM_SCORE_OPTIONS = {
  corpus: { type: 'string' as const, describe: 'corpus spec supplying the sequences for fisher | mas | signal scores (train split)' },
  samples: { type: 'number' as const, default: DEFAULT_LM_BENCH.samples, describe: 'sequences for fisher | mas | signal' },
  block: { type: 'number' as const, default: DEFAULT_LM_BENCH.block, describe: 'tokens per sequence (≤ n_positions)' },
  backend: { type: 'string' as const, default: 'auto', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend for fisher | mas | signal' },
} as const;

export async function lmScoresFromSpec(name: string, ck: LoadedCheckpoint, params: string[] | undefined, a: LmScoreArgs): Promise<ScoreMap> {
  if (!a.corpus) throw new EwcError(`--score ${name}: needs text to compute it on; pass --corpus SPEC (e.g. moby-dick) or an importance file.`);
  await initBackend((a.backend ?? 'auto') as never);
  const names = lmSelection(ck, name, params && params.length ? params : null);
  const data = lmData(
    { corpus: a.corpus, samples: a.samples ?? DEFAULT_LM_BENCH.samples, block: a.block ?? DEFAULT_LM_BENCH.block, evalDocs: 0, splitSeed: 0, tokenizer: null },
    ck,
  );
  log(`prune: computing ${name} on ${data.sequences.length} sequences from ${a.corpus}`);
  return computeLmScores(ck, name, names, data.sequences, { batchSize: DEFAULT_LM_BENCH.importanceBatch, onLog: log });
}
