/**
 * Writes a trained byte-level BPE as Hugging Face files: tokenizer.json (+ tokenizer_config.json), and the
 * equivalent vocab.json + merges.txt for GPT2Tokenizer-style loaders. All writes are atomic.
 */
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import type { TrainedBpe } from './bpe-trainer.ts';
import { byteLevelTokenizerConfig, byteLevelTokenizerJson, EOS_TOKEN } from './hf-json.ts';

export function saveTrainedTokenizer(dir: string, t: TrainedBpe, modelMaxLength = 1024): string[] {
  const json = byteLevelTokenizerJson({ vocab: t.vocab, merges: t.merges, specialTokens: t.specialTokens });
  const files = ['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt'].map((f) => join(dir, f));
  writeFileAtomic(files[0], JSON.stringify(json));
  writeJsonAtomic(files[1], byteLevelTokenizerConfig(t.vocab[EOS_TOKEN] ?? 0, modelMaxLength));
  writeFileAtomic(files[2], JSON.stringify(t.vocab));
  writeFileAtomic(files[3], '#version: 0.2\n' + t.merges.join('\n') + '\n');
  return files;
}
