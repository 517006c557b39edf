/**
 * Builds Hugging Face `tokenizer.json` / `tokenizer_config.json` objects for GPT-2-style byte-level BPE
 * (the layout of GPT-2's own tokenizer.json: model BPE, ByteLevel pre-tokenizer / post-processor / decoder,
 * no normalizer, <|endoftext|> as an added special token). Used both to wrap encoder.json + vocab.bpe /
 * vocab.json + merges.txt and to save a trained tokenizer.
 */

export const EOS_TOKEN = '<|endoftext|>';

export interface ByteLevelBpeParts {
  /** token → id (byte-level token strings). */
  vocab: Record<string, number>;
  /** merges in priority order, each "left right". */
  merges: string[];
  /** special tokens present in vocab (default: <|endoftext|> when it is in vocab). */
  specialTokens?: string[];
}

export function byteLevelTokenizerJson(parts: ByteLevelBpeParts): Record<string, unknown> {
  const specials = parts.specialTokens ?? (EOS_TOKEN in parts.vocab ? [EOS_TOKEN] : []);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({
      id: parts.vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab: parts.vocab,
      merges: parts.merges,
    },
  };
}

/** tokenizer_config.json for a GPT-2-style tokenizer (eos = bos = unk = <|endoftext|>). */
export function byteLevelTokenizerConfig(eosId: number, modelMaxLength = 1024): Record<string, unknown> {
  return {
    add_prefix_space: false,
    added_tokens_decoder: {
      [String(eosId)]: {
        content: EOS_TOKEN,
        lstrip: false,
        normalized: false,
        rstrip: false,
        single_word: false,
        special: true,
      },
    },
    bos_token: EOS_TOKEN,
    eos_token: EOS_TOKEN,
    unk_token: EOS_TOKEN,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    tokenizer_class: 'GPT2Tokenizer',
  };
}
