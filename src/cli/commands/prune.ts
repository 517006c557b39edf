/**
 * `ewc-lm prune --model DIR --score NAME|FILE --sparsity P [--scope global|per-layer] [--params GLOB…] --out DIR`
 *
 * Zeroes the fraction P of the selected parameters with the lowest |score| (src/prune) and writes:
 *   DIR/config.json + model.safetensors   the pruned Hugging Face checkpoint (hub-style names),
 *   DIR/prune-mask.safetensors            float32 keep-mask per selected tensor (1 kept, 0 pruned),
 *   DIR/prune-report.json / .md           sparsity per tensor and in total,
 *   DIR/prune-config.json                 the resolved options.
 * --score: `magnitude` (|θ|, no data needed), an importance safetensors file (`ewc-lm importance … --out F`),
 * or fisher | mas | signal computed on the fly from `--corpus SPEC` (see src/prune/lm-scores.ts).
 * stdout: JSON summary.
 */
import type { CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { loadCheckpoint } from '../../io/checkpoint.ts';
import { pruneParams, magnitudeScores } from '../../prune/prune-params.ts';
import { parseScope, type ScoreMap } from '../../prune/rank.ts';
import { isScoreFile, loadScoreFile, SCORE_NAMES } from '../../prune/scores.ts';
import { sparsityReport } from '../../prune/sparsity-report.ts';
import { writePrunedCheckpoint } from '../../prune/write.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';
import { lmScoresFromSpec, LM_SCORE_OPTIONS, type LmScoreArgs } from '../../prune/lm-scores.ts';

interface PruneArgs extends LmScoreArgs {
  model: string;
  score: string;
  sparsity: number;
  scope: string;
  params?: string[];
  out: string;
}

const cmd: CommandModule<object, PruneArgs> = {
  command: 'prune',
  describe: 'zero the lowest-|score| fraction of a checkpoint\'s parameters; write the pruned checkpoint, mask and report',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face GPT-2 checkpoint folder' })
      .option('score', {
        type: 'string',
        demandOption: true,
        describe: `score: ${SCORE_NAMES.filter((s) => s !== 'si').join(' | ')} or an importance .safetensors file (si exists only as a file written during training)`,
      })
      .option('sparsity', { type: 'number', demandOption: true, describe: 'fraction of the selected parameters to zero, in [0, 1]' })
      .option('scope', { type: 'string', default: 'global', choices: ['global', 'per-layer'], describe: 'one ranking over all selected tensors, or one per weight matrix (rank ≥ 2; biases/LayerNorm left alone)' })
      .option('params', { type: 'string', array: true, describe: 'parameter globs (e.g. h.*.attn.*, presets attention | all); default: every tensor with a score' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .options(LM_SCORE_OPTIONS) as never,
  handler: async (a) => {
    const t0 = Date.now();
    if (!(a.sparsity >= 0 && a.sparsity <= 1)) throw new EwcError(`--sparsity: expected a fraction in [0, 1], found ${a.sparsity}.`);
    const scope = parseScope(a.scope);
    const ck = loadCheckpoint(a.model);
    let scores: ScoreMap;
    let scoreLabel = a.score;
    if (isScoreFile(a.score)) {
      const f = loadScoreFile(a.score);
      scores = f.scores;
      scoreLabel = `${a.score}${f.metadata.method ? ` (${f.metadata.method})` : ''}`;
    } else if (a.score === 'magnitude') {
      scores = magnitudeScores(ck.params);
    } else if (a.score === 'fisher' || a.score === 'mas' || a.score === 'signal') {
      scores = await lmScoresFromSpec(a.score, ck, a.params, a);
    } else if (a.score === 'si') {
      throw new EwcError(`--score si: SI is accumulated during training; pass the importance file that training wrote (--score FILE).`);
    } else {
      throw new EwcError(`--score: expected ${SCORE_NAMES.join(', ')} or an existing .safetensors file, found '${a.score}'.`);
    }
    log(`prune: ${scoreLabel}, scope ${scope}, sparsity ${a.sparsity}`);
    const r = pruneParams(ck.params, scores, { sparsity: a.sparsity, scope, params: a.params });
    const report = sparsityReport(r, { sparsity: a.sparsity, scope, score: scoreLabel, params: a.params ?? [] });
    const out = resolve(a.out);
    const files = writePrunedCheckpoint({
      out,
      sourceDir: ck.dir,
      config: ck.config,
      params: r.params,
      mask: r.mask,
      shapes: r.ranking.shapes,
      report,
      resolvedConfig: { model: resolve(a.model), score: a.score, sparsity: a.sparsity, scope, params: a.params ?? null, out },
    });
    printResult({
      out,
      files,
      score: scoreLabel,
      scope,
      sparsity: a.sparsity,
      selected: r.total.numel,
      pruned: r.total.pruned,
      modelZeroFraction: r.modelZeroFraction,
      seconds: (Date.now() - t0) / 1000,
    });
  },
};
export default cmd;
