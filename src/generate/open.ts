/**
 * Opens a LogitsSource for a loaded checkpoint on an engine: tfjs (GPT2Model on --backend, with or without
 * the key/value cache) or ort (the compiled engine's logits graph, via createEngine).
 */
import { initBackend } from '../backends/index.ts';
import { createEngine, ENGINE_CHOICES } from '../engine/index.ts';
import type { NamedTensors } from '../io/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { GPT2Model } from '../model/gpt2.ts';
import { EwcError } from '../util/errors.ts';
import { asLogitsEngine, OrtSource, TfjsCachedSource, TfjsFullSource, type LogitsSource } from './sources.ts';

export interface OpenedSource {
  source: LogitsSource;
  engine: 'tfjs' | 'ort';
  /** The tfjs backend in use (null on ort). */
  backend: string | null;
  cache: boolean;
  /** Frees the source and the model/engine behind it. */
  close(): void;
}

export async function openLogitsSource(
  kind: string,
  config: GPT2Config,
  params: NamedTensors,
  opts: { backend?: string; cache?: boolean } = {},
): Promise<OpenedSource> {
  if (kind === 'tfjs') {
    const backend = await initBackend(opts.backend ?? 'auto');
    const model = GPT2Model.fromHost(config, params, { trainable: false });
    const cache = opts.cache ?? true;
    const source = cache ? new TfjsCachedSource(model) : new TfjsFullSource(model);
    return {
      source,
      engine: 'tfjs',
      backend,
      cache,
      close: () => {
        source.dispose();
        model.dispose();
      },
    };
  }
  if (kind === 'ort') {
    const engine = await createEngine('ort', config, params);
    const le = asLogitsEngine(engine);
    if (!le) {
      engine.dispose();
      throw new EwcError('generate --engine ort: this ort engine has no logits method. Use --engine tfjs.');
    }
    const source = new OrtSource(le);
    return { source, engine: 'ort', backend: null, cache: false, close: () => engine.dispose() };
  }
  throw new EwcError(`--engine: expected one of ${ENGINE_CHOICES.join(', ')}, found '${kind}'.`);
}
