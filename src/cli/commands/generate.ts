/**
 * `ewc-lm generate --model DIR --prompt STR [--max-new-tokens N] [--temperature T] [--top-k K] [--seed S]
 *  [--engine tfjs|ort] [--backend …] [--no-cache] [--tokenizer PATH]`: a quick look at what a model writes.
 *
 * Greedy at --temperature 0 (the default); otherwise seeded sampling (same seed → same text) from the top-k
 * most likely tokens (--top-k 0 = all). Stops after the end token (<|endoftext|>) or --max-new-tokens;
 * contexts longer than n_positions keep their last n_positions tokens. The tokenizer is read from the model
 * folder unless --tokenizer is given.
 *
 * Output (stdout, JSON): { prompt, text (the continuation, without the end token), ids, tokens, stoppedBy
 * ('eos' | 'max-new-tokens'), promptIds, settings, engine, backend, cache, model, seconds, tokensPerSecond }.
 *
 * Engine: tfjs by default, with a key/value cache (one token per step); --engine ort recomputes the window
 * each step on the compiled graphs (fast per token for long prompts on large models, but with no cache).
 */
import type { CommandModule } from 'yargs';
import { backendOption } from '../../backends/index.ts';
import { ENGINE_CHOICES } from '../../engine/index.ts';
import { generateText, openLogitsSource } from '../../generate/index.ts';
import { loadCheckpoint } from '../../io/checkpoint.ts';
import { loadTokenizer } from '../../tokenization/index.ts';
import { EwcError } from '../../util/errors.ts';
import { log, printResult } from '../../util/log.ts';

export interface GenerateArgs {
  model: string;
  prompt: string;
  tokenizer?: string;
  'max-new-tokens': number;
  temperature: number;
  'top-k': number;
  seed: number;
  engine: string;
  backend: string;
  cache: boolean;
}

const cmd: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'generate a continuation of a prompt (greedy by default; seeded top-k sampling with --temperature > 0)',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'checkpoint directory (config.json + model.safetensors + tokenizer files)' })
      .option('prompt', { type: 'string', demandOption: true, describe: 'the text to continue ("" starts from <|endoftext|>)' })
      .option('tokenizer', { type: 'string', describe: 'tokenizer path (default: the model folder)' })
      .option('max-new-tokens', { type: 'number', default: 50, describe: 'generate at most this many tokens' })
      .option('temperature', { type: 'number', default: 0, describe: '0 = greedy (argmax); > 0 = sample from softmax(logits / T)' })
      .option('top-k', { type: 'number', default: 0, describe: 'sample only among the k most likely tokens (0 = all; 1 = greedy)' })
      .option('seed', { type: 'number', default: 0, describe: 'seed of the sampling PRNG (same seed → same text)' })
      .option('engine', {
        type: 'string',
        choices: ENGINE_CHOICES as unknown as string[],
        default: 'tfjs',
        describe: 'tfjs (key/value cache, one token per step) or ort (compiled graphs, window recomputed each step)',
      })
      .option('backend', backendOption)
      .option('cache', { type: 'boolean', default: true, describe: 'tfjs: use the key/value cache (--no-cache recomputes the window)' }) as never,
  handler: async (argv) => {
    const ck = loadCheckpoint(argv.model);
    let tokenizer;
    try {
      tokenizer = loadTokenizer(argv.tokenizer ?? ck.dir);
    } catch (e) {
      if (argv.tokenizer !== undefined || !(e instanceof EwcError)) throw e;
      throw new EwcError(`${e.message} The model folder has no tokenizer: pass --tokenizer PATH (e.g. the pretrained model's folder).`);
    }
    const opened = await openLogitsSource(argv.engine, ck.config, ck.params, { backend: argv.backend, cache: argv.cache });
    try {
      const settings = {
        maxNewTokens: argv['max-new-tokens'],
        temperature: argv.temperature,
        topK: argv['top-k'],
        seed: argv.seed,
      };
      const t0 = performance.now();
      let last = t0;
      const r = await generateText(opened.source, tokenizer, argv.prompt, {
        ...settings,
        onToken: (_id, i) => {
          const now = performance.now();
          if (now - last < 2000) return;
          last = now;
          log(`generate: ${i + 1}/${settings.maxNewTokens} tokens, ${((i + 1) / ((now - t0) / 1000)).toFixed(1)} tokens/s`);
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      printResult({
        prompt: r.prompt,
        text: r.text,
        ids: r.ids,
        tokens: r.tokens,
        stoppedBy: r.stoppedBy,
        promptIds: r.promptIds,
        slidSteps: r.slidSteps,
        settings,
        engine: opened.engine,
        backend: opened.backend,
        cache: opened.cache,
        model: ck.dir,
        seconds,
        tokensPerSecond: r.ids.length / Math.max(seconds, 1e-9),
      });
    } finally {
      opened.close();
    }
  },
};
export default cmd;
