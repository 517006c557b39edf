/**
 * `ewc-lm import-onnx --onnx FILE --config config.json --out DIR`: an ONNX GPT-2 export → an HF checkpoint
 * folder (config.json + model.safetensors), with the tokenizer / generation files found beside config.json or
 * beside the .onnx file's folder (one level up, the layout of a transformers.js repo: onnx/model.onnx).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadGPT2Config, saveCheckpoint } from '../io/checkpoint.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { importGpt2Weights, type ImportHow } from './import-onnx.ts';
import { readOnnxModel } from './onnx-read.ts';

export interface ImportOnnxOptions {
  onnx: string;
  config: string;
  out: string;
}

export interface ImportOnnxResult {
  out: string;
  params: number;
  tensors: number;
  matched: Record<ImportHow | 'transposed', number>;
  unused: string[];
  copied: string[];
}

const SIDE_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'generation_config.json'];

export function importOnnxCheckpoint(opts: ImportOnnxOptions): ImportOnnxResult {
  const configPath = resolve(opts.config);
  if (!existsSync(configPath)) throw new EwcError(`import-onnx: --config ${configPath} does not exist. Pass the export's config.json.`);
  const config = loadGPT2Config(configPath);
  const graph = readOnnxModel(resolve(opts.onnx));
  const w = importGpt2Weights(graph, config);
  const out = resolve(opts.out);
  saveCheckpoint(out, config, w.params, { metadata: { source: `import-onnx ${resolve(opts.onnx)}` } });
  const copied: string[] = [];
  const dirs = [dirname(configPath), dirname(resolve(opts.onnx)), dirname(dirname(resolve(opts.onnx)))];
  for (const f of SIDE_FILES) {
    const from = dirs.map((d) => join(d, f)).find((p) => existsSync(p));
    if (!from || resolve(from) === join(out, f)) continue;
    writeFileAtomic(join(out, f), readFileSync(from));
    copied.push(f);
  }
  const matched = { name: 0, position: 0, 'tied-head': 0, transposed: 0 };
  for (const s of w.sources.values()) {
    matched[s.how]++;
    if (s.transposed) matched.transposed++;
  }
  let n = 0;
  for (const t of w.params.values()) n += t.data.length;
  return { out, params: n, tensors: w.params.size, matched, unused: w.unused, copied };
}
