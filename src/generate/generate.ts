/**
 * Autoregressive generation on a LogitsSource (./sources.ts):
 *
 *   context = prompt ids (an empty prompt starts from the end-of-text token, GPT-2's "beginning" too)
 *   repeat up to maxNewTokens times:
 *     window = the last n_positions tokens of context (older tokens slide out)
 *     id = pickToken(logits(window))          (./sampling.ts: greedy, or seeded top-k sampling)
 *     append id; stop after the end token (stoppedBy 'eos')
 *
 * The result's `ids` are the generated ids, including the end token when generation stopped on it; the
 * text (in generateText) is the decoded continuation without that end token.
 */
import { Rng } from '../train/rng.ts';
import type { Tokenizer } from '../tokenization/index.ts';
import { EwcError } from '../util/errors.ts';
import { checkSamplingOptions, pickToken, type SamplingOptions } from './sampling.ts';
import type { LogitsSource } from './sources.ts';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Seed of the sampling PRNG (ignored when greedy). */
  seed: number;
  /** The end token: generation stops after producing it (null = never stop early). */
  eosId: number | null;
  /** Called after every new token (progress). */
  onToken?: (id: number, index: number) => void;
}

export type StopReason = 'eos' | 'max-new-tokens';

export interface GenerateResult {
  /** Generated ids (the end token included when stoppedBy = 'eos'). */
  ids: number[];
  stoppedBy: StopReason;
  /** Steps whose window had slid (context longer than n_positions). */
  slidSteps: number;
}

export function checkGenerateOptions(o: GenerateOptions): void {
  checkSamplingOptions(o);
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0) {
    throw new EwcError(`--max-new-tokens: expected an integer ≥ 0, found ${o.maxNewTokens}.`);
  }
  if (!Number.isInteger(o.seed)) throw new EwcError(`--seed: expected an integer, found ${o.seed}.`);
}

export async function generate(source: LogitsSource, prompt: readonly number[], o: GenerateOptions): Promise<GenerateResult> {
  checkGenerateOptions(o);
  const V = source.config.vocab_size;
  const nPos = source.config.n_positions;
  for (const id of prompt) {
    if (!Number.isInteger(id) || id < 0 || id >= V) {
      throw new EwcError(`generate: prompt token id ${id} is outside the model's vocabulary [0, ${V}). Use the model's own tokenizer.`);
    }
  }
  const context = [...prompt];
  if (context.length === 0) {
    if (o.eosId === null) throw new EwcError('generate: the prompt is empty and there is no end-of-text token to start from. Pass a non-empty --prompt.');
    context.push(o.eosId);
  }
  const rng = new Rng(o.seed);
  const ids: number[] = [];
  let slidSteps = 0;
  for (let step = 0; step < o.maxNewTokens; step++) {
    const start = Math.max(0, context.length - nPos);
    if (start > 0) slidSteps++;
    const logits = await source.next(context.slice(start));
    const id = pickToken(logits, o, rng);
    ids.push(id);
    context.push(id);
    o.onToken?.(id, step);
    if (o.eosId !== null && id === o.eosId) return { ids, stoppedBy: 'eos', slidSteps };
  }
  return { ids, stoppedBy: 'max-new-tokens', slidSteps };
}

export interface TextGeneration {
  prompt: string;
  /** The decoded continuation (without the end token). */
  text: string;
  /** Prompt token ids as the model saw them. */
  promptIds: number[];
  ids: number[];
  /** Byte-level token strings of `ids` (e.g. "Ġworld"). */
  tokens: string[];
  stoppedBy: StopReason;
  slidSteps: number;
}

/**
 * Generates from a text prompt with the model's tokenizer. The end token is the tokenizer's end-of-text
 * (<|endoftext|>); candidates are limited to ids the tokenizer knows.
 */
export async function generateText(
  source: LogitsSource,
  tokenizer: Tokenizer,
  prompt: string,
  o: Omit<GenerateOptions, 'eosId' | 'limit'> & { eosId?: number | null },
): Promise<TextGeneration> {
  const promptIds = tokenizer.encode(prompt);
  const eosId = o.eosId === undefined ? tokenizer.eosId : o.eosId;
  const limit = Math.min(tokenizer.vocabSize, source.config.vocab_size);
  const r = await generate(source, promptIds, { ...o, eosId, limit });
  const body = r.stoppedBy === 'eos' ? r.ids.slice(0, -1) : r.ids;
  return {
    prompt,
    text: tokenizer.decode(body),
    promptIds,
    ids: r.ids,
    tokens: r.ids.map((id) => tokenizer.idToToken(id) ?? `<${id}>`),
    stoppedBy: r.stoppedBy,
    slidSteps: r.slidSteps,
  };
}
