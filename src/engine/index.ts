/**
 * Engine factory: `--engine tfjs|ort`. The ort engine (src/onnx/engine.ts) is loaded lazily so that tfjs-only
 * commands never load onnxruntime-node.
 */
import type { Options } from 'yargs';
import type { Engine, NamedTensors } from './types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { EwcError } from '../util/errors.ts';
import { createTfjsEngine } from './tfjs.ts';

export const ENGINE_CHOICES = ['tfjs', 'ort'] as const;
export type EngineKind = (typeof ENGINE_CHOICES)[number];

export const engineOption: Options = {
  type: 'string',
  choices: ENGINE_CHOICES as unknown as string[],
  default: 'ort',
  describe: 'compute engine: ort (default; compiled ONNX Runtime graphs, CPU) or tfjs (eager TensorFlow.js on --backend)',
};

export async function createEngine(kind: string, config: GPT2Config, params: NamedTensors): Promise<Engine> {
  switch (kind) {
    case 'tfjs':
      return createTfjsEngine(config, params);
    case 'ort': {
      const m = await import('../onnx/engine.ts');
      return m.createOrtEngine(config, params);
    }
    default:
      throw new EwcError(`--engine: expected one of ${ENGINE_CHOICES.join(', ')}, found '${kind}'.`);
  }
}
