/**
 * Perplexity windows, exactly (issue 4, point 4). For a document of L tokens, context N, stride S < N:
 *   window k covers tokens [kS, min(kS + N, L)), for k = 0, 1, … until a window reaches the end;
 *   window 0 scores every token after its first: positions 1 … end₀ − 1;
 *   window k > 0 scores only the tokens no earlier window scored: positions end_{k−1} … end_k − 1.
 * So every token but the document's first is scored exactly once, and once past the first window each
 * scored token at position p sees at least N − S tokens of context (p − kS ≥ end_{k−1} − kS = N − S).
 * S = N is rejected: window k would start at end_{k−1}, and its first token (predicted from nothing in the
 * window) would go unscored or be scored without context.
 */
import { EwcError } from '../util/errors.ts';

export interface Window {
  /** Document index. */
  doc: number;
  /** First token of the window (position in the document). */
  start: number;
  /** One past the last token of the window. */
  end: number;
  /** First scored position (document coordinates); positions scoreFrom … end − 1 are scored. */
  scoreFrom: number;
}

export function checkContextStride(context: number, stride: number, nPositions: number): void {
  if (!Number.isInteger(context) || context < 2) {
    throw new EwcError(`--context: expected an integer ≥ 2, found ${context}.`);
  }
  if (context > nPositions) {
    throw new EwcError(`--context: expected at most the model's n_positions (${nPositions}), found ${context}. Pass a smaller --context.`);
  }
  if (!Number.isInteger(stride) || stride < 1) {
    throw new EwcError(`--stride: expected an integer ≥ 1, found ${stride}.`);
  }
  if (stride >= context) {
    throw new EwcError(
      `--stride: expected a stride smaller than the context (${context}), found ${stride}. With stride ≥ context ` +
        `each window's first token would be predicted without context or go unscored. Use --stride ${Math.max(1, Math.floor(context / 2))} (half the context) or any value below ${context}.`,
    );
  }
}

/** The windows of one document of length L (none when L < 2: nothing to predict). */
export function documentWindows(doc: number, L: number, context: number, stride: number): Window[] {
  const out: Window[] = [];
  if (L < 2) return out;
  let end = Math.min(context, L);
  out.push({ doc, start: 0, end, scoreFrom: 1 });
  for (let k = 1; end < L; k++) {
    const start = k * stride;
    const e = Math.min(start + context, L);
    out.push({ doc, start, end: e, scoreFrom: end });
    end = e;
  }
  return out;
}
