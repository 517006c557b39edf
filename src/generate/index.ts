/**
 * Text generation for a quick look at a model (`ewc-lm generate`): greedy or seeded top-k sampling, stop at
 * the end token or after max-new-tokens, contexts longer than n_positions slide.
 */
export { argmax, topKIds, candidateProbs, pickToken, checkSamplingOptions, type SamplingOptions } from './sampling.ts';
export { KvCache } from './kv-cache.ts';
export {
  TfjsFullSource,
  TfjsCachedSource,
  OrtSource,
  asLogitsEngine,
  bucketLength,
  type LogitsSource,
  type LogitsEngine,
} from './sources.ts';
export {
  generate,
  generateText,
  checkGenerateOptions,
  type GenerateOptions,
  type GenerateResult,
  type StopReason,
  type TextGeneration,
} from './generate.ts';
export { openLogitsSource, type OpenedSource } from './open.ts';
