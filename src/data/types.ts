/**
 * Corpus data types. A corpus is a list of documents; a document is either plain text
 * (`text`), a dialog (`turns`, one string per utterance) or pre-tokenized ids (`ids`).
 */

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

export interface Document {
  /** Stable id, unique within the corpus (e.g. `chapter_12`, `input.txt#s3`, `dialogues_train.txt:17`). */
  id: string;
  /** Where it came from (file path, package name). */
  source: string;
  /** Plain text document. */
  text?: string;
  /** Dialog: one entry per turn (utterance), without speaker names. */
  turns?: string[];
  /** Pre-tokenized document (`tokens:` corpora). */
  ids?: number[];
  /** Split fixed by the source itself (DailyDialog's official train/validation/test files). */
  split?: SplitName;
}

export type CorpusKind = 'text' | 'dialog' | 'tokens';

export interface Corpus {
  /** The spec it was loaded from, normalized (e.g. `brown:fiction`, `text:/abs/path`). */
  spec: string;
  /** Format name from the registry (`moby-dick`, `text`, `dailydialog`, …). */
  format: string;
  kind: CorpusKind;
  documents: Document[];
  /** Free-form provenance notes (licence, package version, what was stripped). */
  notes?: string[];
}

export interface SplitCorpus {
  train: Document[];
  validation: Document[];
  test: Document[];
  /** How many documents were dropped from each split as exact duplicates of an earlier split. */
  removedDuplicates: Record<SplitName, number>;
}
