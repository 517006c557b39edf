/**
 * Scores of a GPT-2 computed on the fly (fisher, mas, signal) from a corpus. Filled in by the LM benchmark step;
 * until the corpus/importance modules are wired, these names need an importance file.
 */
import type { LoadedCheckpoint } from '../io/checkpoint.ts';
import { EwcError } from '../util/errors.ts';
import type { ScoreMap } from './rank.ts';

export interface LmScoreArgs {
  corpus?: string;
  backend?: string;
}

export const LM_SCORE_OPTIONS = {
  corpus: { type: 'string' as const, describe: 'corpus spec supplying the sequences for fisher | mas | signal scores' },
} as const;

export async function lmScoresFromSpec(name: string, _ck: LoadedCheckpoint, _params: string[] | undefined, _a: LmScoreArgs): Promise<ScoreMap> {
  throw new EwcError(`--score ${name}: computing it on the fly is not available yet; compute an importance file first and pass --score FILE.`);
}
