/**
 * `ewc-lm export --model DIR --format onnx --out DIR`: a folder transformers.js loads offline for text
 * generation (onnx/model.onnx with a KV cache, config.json, model.safetensors, tokenizer files).
 * `ewc-lm import-onnx --onnx FILE --config config.json --out DIR`: the weights of a GPT-2 ONNX export back
 * into a checkpoint. Both print a JSON summary on stdout.
 */
import type { CommandModule } from 'yargs';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';
import { exportOnnx } from '../../onnx/export.ts';
import { importOnnxCheckpoint } from '../../export/index.ts';

interface ExportArgs {
  model: string;
  format: string;
  out: string;
}

interface ImportArgs {
  onnx: string;
  config?: string;
  out: string;
}

const exportCmd: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'export a checkpoint for transformers.js (ONNX with KV cache + config + tokenizer files)',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'checkpoint folder (config.json + model.safetensors)' })
      .option('format', { type: 'string', choices: ['onnx'], default: 'onnx' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' }) as never,
  handler: (a) => {
    const t0 = performance.now();
    const r = exportOnnx(a.model, a.out);
    if (r.missing_tokenizer) log(`export: ${a.model} has no tokenizer.json; copy the tokenizer files into ${a.out} before loading it with transformers.js.`);
    printResult({ ...r, seconds: (performance.now() - t0) / 1000 });
  },
};

const importCmd: CommandModule<object, ImportArgs> = {
  command: 'import-onnx',
  describe: "read a GPT-2 ONNX export's weights into a checkpoint (named or anonymous initializers, fp32/fp16/bf16, external data)",
  builder: (y) =>
    y
      .option('onnx', { type: 'string', demandOption: true, describe: 'the .onnx file (e.g. DIR/onnx/model.onnx)' })
      .option('config', { type: 'string', describe: "config.json of the export (default: the folder above the .onnx file's onnx/ folder)" })
      .option('out', { type: 'string', demandOption: true, describe: 'checkpoint folder to write' }) as never,
  handler: (a) => {
    const guess = [join(dirname(a.onnx), 'config.json'), join(dirname(dirname(a.onnx)), 'config.json')].find((p) => existsSync(p));
    const config = a.config ?? guess;
    if (!config) throw new EwcError(`import-onnx: no config.json next to ${a.onnx} or one folder up; pass --config PATH.`);
    printResult(importOnnxCheckpoint({ onnx: a.onnx, config, out: a.out }));
  },
};

export default [exportCmd, importCmd];
