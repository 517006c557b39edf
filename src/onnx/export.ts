/**
 * Export a checkpoint as a folder that transformers.js (@huggingface/transformers) loads offline for text
 * generation. (The reverse, `ewc-lm import-onnx`, is src/export/import-checkpoint.ts.)
 *
 * Export layout (Hugging Face Optimum / transformers.js conventions):
 *   OUT/config.json, OUT/model.safetensors      (saveCheckpoint: the HF checkpoint itself)
 *   OUT/onnx/model.onnx                          (src/onnx/export-graph.ts: dynamic shapes + KV cache)
 *   OUT/tokenizer.json, tokenizer_config.json, … (copied from the model folder when present)
 *   OUT/generation_config.json                   (copied, or written from config.json's bos / eos ids)
 * With transformers.js: pipeline('text-generation', OUT, { local_files_only: true, dtype: 'fp32' })
 * (env.allowRemoteModels = false, env.localModelPath = parent of OUT).
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { buildExportModel } from './export-graph.ts';

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'generation_config.json'];

export interface ExportResult {
  out: string;
  onnx: string;
  onnx_bytes: number;
  copied: string[];
  missing_tokenizer: boolean;
}

export function exportOnnx(modelDir: string, outDir: string): ExportResult {
  const ck = loadCheckpoint(modelDir);
  const model = buildExportModel(ck.config, ck.params);
  const onnxPath = join(outDir, 'onnx', 'model.onnx');
  writeFileAtomic(onnxPath, model);
  saveCheckpoint(outDir, ck.config, ck.params);
  const copied: string[] = [];
  for (const f of TOKENIZER_FILES) {
    const src = join(ck.dir, f);
    if (existsSync(src)) {
      copyFileSync(src, join(outDir, f));
      copied.push(f);
    }
  }
  if (!copied.includes('generation_config.json')) {
    // transformers.js reads bos / eos from here; written from config.json when the model folder has none.
    const gen: Record<string, unknown> = { _from_model_config: true };
    if (ck.config.bos_token_id !== null) gen.bos_token_id = ck.config.bos_token_id;
    if (ck.config.eos_token_id !== null) gen.eos_token_id = ck.config.eos_token_id;
    writeJsonAtomic(join(outDir, 'generation_config.json'), gen);
  }
  return { out: outDir, onnx: onnxPath, onnx_bytes: model.byteLength, copied, missing_tokenizer: !copied.includes('tokenizer.json') };
}
