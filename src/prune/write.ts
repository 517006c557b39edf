/** Files of a pruned checkpoint: the HF checkpoint, the mask, the sparsity report (JSON + markdown). */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import type { NamedTensors } from '../io/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import type { PruneMask } from './mask.ts';
import type { SparsityReport } from './sparsity-report.ts';
import { sparsityMarkdown } from './sparsity-report.ts';

export const MASK_FILE = 'prune-mask.safetensors';
export const REPORT_JSON = 'prune-report.json';
export const REPORT_MD = 'prune-report.md';
export const CONFIG_JSON = 'prune-config.json';

/** Files beside the weights that a Hugging Face checkpoint folder may carry (copied unchanged). */
const SIDE_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json', 'generation_config.json'];

/**
 * The mask as float32 0/1 tensors (1 = kept, 0 = pruned) under the parameter names, so that any safetensors
 * reader applies it as `w * mask`.
 */
export function writeMask(path: string, mask: PruneMask, shapes: Map<string, number[]>, meta: Record<string, string>): void {
  const t: NamedTensors = new Map();
  for (const [n, m] of mask) t.set(n, { shape: shapes.get(n)!, data: Float32Array.from(m) });
  writeSafetensors(path, t, { format: 'ewc-lm-prune-mask', semantics: '1 = kept, 0 = pruned', ...meta });
}

export function writePrunedCheckpoint(opts: {
  out: string;
  sourceDir: string;
  config: GPT2Config;
  params: NamedTensors;
  mask: PruneMask;
  shapes: Map<string, number[]>;
  report: SparsityReport;
  resolvedConfig: Record<string, unknown>;
}): string[] {
  const { out } = opts;
  saveCheckpoint(out, opts.config, opts.params, {
    metadata: { pruned_by: 'ewc-lm prune', prune_score: opts.report.score, prune_scope: opts.report.scope, prune_sparsity: String(opts.report.sparsity) },
  });
  writeMask(join(out, MASK_FILE), opts.mask, opts.shapes, {
    score: opts.report.score,
    scope: opts.report.scope,
    sparsity: String(opts.report.sparsity),
  });
  writeJsonAtomic(join(out, REPORT_JSON), opts.report);
  writeFileAtomic(join(out, REPORT_MD), sparsityMarkdown(opts.report));
  writeJsonAtomic(join(out, CONFIG_JSON), opts.resolvedConfig);
  const copied: string[] = [];
  for (const f of SIDE_FILES) {
    const src = join(opts.sourceDir, f);
    if (existsSync(src) && src !== join(out, f)) {
      copyFileSync(src, join(out, f));
      copied.push(f);
    }
  }
  return ['config.json', 'model.safetensors', MASK_FILE, REPORT_JSON, REPORT_MD, CONFIG_JSON, ...copied];
}
