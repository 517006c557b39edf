/**
 * GPT-2 pre-tokenisation (openai/gpt-2 encoder.py): contractions, optional-space + letters, optional-space +
 * digits, optional-space + other symbols, whitespace runs (a run before a non-space keeps its last space for
 * the next word). Same pattern as Hugging Face's ByteLevel pre-tokenizer with use_regex=true.
 */
export const GPT2_SPLIT_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Splits text into GPT-2 pre-tokens (their concatenation is the text). */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}

/** Calls `fn` for every pre-token of `text` without building an array. */
export function forEachPreToken(text: string, fn: (piece: string) => void): void {
  const re = new RegExp(GPT2_SPLIT_PATTERN.source, 'gu');
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) fn(m[0]);
}
