/**
 * Tokenization: one Tokenizer type (tokenizer.ts) loaded from tokenizer.json / vocab.json+merges.txt /
 * encoder.json+vocab.bpe, and a byte-level BPE trainer (bpe-trainer.ts) that writes Hugging Face files.
 */
export { loadTokenizer, tokenizerFromJson, parseMergesText, type Tokenizer } from './tokenizer.ts';
export { EOS_TOKEN, byteLevelTokenizerJson, byteLevelTokenizerConfig } from './hf-json.ts';
export { preTokenize, GPT2_SPLIT_PATTERN } from './pretokenize.ts';
export { trainBpe, type TrainBpeOptions, type TrainedBpe } from './bpe-trainer.ts';
export { saveTrainedTokenizer } from './save.ts';
export { BYTE_TO_CHAR, BYTE_ORDER, toByteChars } from './bytes.ts';
