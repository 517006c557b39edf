/**
 * Export a checkpoint as a folder that transformers.js (@huggingface/transformers) loads offline for text
 * generation, and import the weights of a GPT-2 ONNX export back into a checkpoint.
 *
 * Export layout (Hugging Face Optimum / transformers.js conventions):
 *   OUT/config.json, OUT/model.safetensors      (saveCheckpoint: the HF checkpoint itself)
 *   OUT/onnx/model.onnx                          (src/onnx/export-graph.ts: dynamic shapes + KV cache)
 *   OUT/tokenizer.json, tokenizer_config.json, … (copied from the model folder when present)
 * With transformers.js: pipeline('text-generation', OUT, { local_files_only: true, dtype: 'fp32' })
 * (env.allowRemoteModels = false, env.localModelPath = parent of OUT).
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint, expectedParamShapes, loadGPT2Config } from '../io/checkpoint.ts';
import type { NamedTensors } from '../io/types.ts';
import { EwcError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { buildExportModel } from './export-graph.ts';
import { readInitializers } from './proto-read.ts';

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
  return { out: outDir, onnx: onnxPath, onnx_bytes: model.byteLength, copied, missing_tokenizer: !copied.includes('tokenizer.json') };
}

/**
 * Reads a GPT-2 ONNX export's initializers into a checkpoint: names are matched after dropping a
 * `transformer.` prefix; a [out, in]-stored matrix whose transpose has the expected shape is transposed.
 * Every parameter of the config must be found.
 */
export function importOnnx(onnxPath: string, configPath: string, outDir: string): { out: string; params: number; transposed: string[] } {
  const config = loadGPT2Config(configPath);
  const inits = readInitializers(new Uint8Array(readFileSync(onnxPath)));
  const byName = new Map(inits.map((t) => [t.name.replace(/^transformer\./, ''), t]));
  const params: NamedTensors = new Map();
  const missing: string[] = [];
  const transposed: string[] = [];
  for (const [name, shape] of expectedParamShapes(config)) {
    const t = byName.get(name) ?? (name === 'lm_head.weight' ? undefined : undefined);
    if (!t) {
      missing.push(name);
      continue;
    }
    if (t.external) throw new EwcError(`import-onnx: ${name} is stored as external data; only self-contained .onnx files are supported. Re-save the model with all tensors inside the file.`);
    if (t.dataType !== 1 || !t.data) throw new EwcError(`import-onnx: ${name} has ONNX data type ${t.dataType}; expected float32 (1). Import an fp32 export, not a quantized one.`);
    if (t.dims.join(',') === shape.join(',')) params.set(name, { shape: [...shape], data: t.data });
    else if (shape.length === 2 && t.dims.length === 2 && t.dims[0] === shape[1] && t.dims[1] === shape[0]) {
      const [r, c] = t.dims;
      const out = new Float32Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
      params.set(name, { shape: [...shape], data: out });
      transposed.push(name);
    } else throw new EwcError(`import-onnx: ${name} has shape [${t.dims}], expected [${shape}] for this config.`);
  }
  if (missing.length) {
    throw new EwcError(
      `import-onnx: ${missing.length} parameter(s) not found among the ${inits.length} initializers of ${onnxPath} (e.g. ${missing.slice(0, 3).join(', ')}). ` +
        `The export renamed or folded them; import an export that keeps Hugging Face names (e.g. one written by 'ewc-lm export').`,
    );
  }
  saveCheckpoint(outDir, config, params);
  return { out: outDir, params: params.size, transposed };
}
