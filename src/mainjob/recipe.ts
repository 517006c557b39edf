/**
 * The dialog-forgetting recipe (the main job): pretrained model → Fisher importances on the ORIGINAL corpus
 * with its own next-token labels (attention preset) → fine-tune on dialogs with none / ewc / stabilized for each λ
 * → perplexity of held-out books and held-out dialogs before and after each → report.
 * Recipes are JSON; keys starting with "//" are comments; unknown keys are errors.
 */
import type { Schema } from '../config/schema.ts';
import { trainSchema, type TrainConfig } from '../config/train.ts';

export interface DialogForgettingRecipe {
  recipe: 'dialog-forgetting';
  model: string | null;
  out: string | null;
  engine: 'tfjs' | 'ort';
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  data: {
    original: string | null;
    originalSplit: 'train' | 'validation' | 'test';
    dialogs: string | null;
    books: string | null;
    booksSplit: 'train' | 'validation' | 'test' | 'all';
    split: { seed: number; train: number; validation: number; test: number };
    booksSplitSeed: number | null;
    maxTrainDialogs: number | null;
    maxEvalDocuments: number | null;
  };
  importance: { method: string; params: string[]; samples: number; blockSize: number | null; batchSize: number };
  finetune: { params: string[]; eta: number | null; train: TrainConfig };
  runs: { none: boolean; ewc: number[]; stabilized: number[] };
  eval: { context: number | null; stride: number | null; bootstrap: number; batchSize: number };
}

const splitChoice = ['train', 'validation', 'test'] as const;

export const dialogForgettingSchema: Schema = {
  recipe: { kind: 'string', choices: ['dialog-forgetting'], default: 'dialog-forgetting', doc: 'recipe kind' },
  model: { kind: 'string', nullable: true, default: null, doc: 'pretrained model folder (HF layout + tokenizer.json)' },
  out: { kind: 'string', nullable: true, default: null, doc: 'run folder (default runs/<recipe file name>)' },
  engine: { kind: 'string', choices: ['tfjs', 'ort'], default: 'ort', doc: 'compute engine: ort (compiled ONNX Runtime graphs, the fast path) or tfjs' },
  backend: { kind: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], default: 'auto', doc: 'tfjs backend' },
  data: {
    kind: 'section',
    doc: 'corpora (specs: docs/corpora.md)',
    fields: {
      original: { kind: 'string', nullable: true, default: null, doc: 'the corpus the model was pretrained on: Fisher samples' },
      originalSplit: { kind: 'string', choices: splitChoice, default: 'train', doc: 'split of the original corpus used for importances' },
      dialogs: { kind: 'string', nullable: true, default: null, doc: 'dialog corpus: fine-tune on its train split, score its test split' },
      books: { kind: 'string', nullable: true, default: null, doc: 'book corpus whose held-out split measures forgetting' },
      booksSplit: {
        kind: 'string', choices: [...splitChoice, 'all'], default: 'test',
        doc: 'split of the book corpus that is scored (never trained on); all = the whole corpus, for books the model never saw',
      },
      split: {
        kind: 'section',
        doc: 'document-level seeded splits (the same for every corpus)',
        fields: {
          seed: { kind: 'number', integer: true, min: 0, default: 0, doc: 'split seed' },
          train: { kind: 'number', min: 0, max: 1, default: 0.9, doc: 'train fraction (as src/data/split.ts DEFAULT_FRACTIONS, so that held-out splits match pretraining)' },
          validation: { kind: 'number', min: 0, max: 1, default: 0.05, doc: 'validation fraction' },
          test: { kind: 'number', min: 0, max: 1, default: 0.05, doc: 'test fraction' },
        },
      },
      booksSplitSeed: { kind: 'number', integer: true, min: 0, nullable: true, default: null, doc: 'seed of the book split when it must match the pretraining split (null = split.seed)' },
      maxTrainDialogs: { kind: 'number', integer: true, min: 1, nullable: true, default: null, doc: 'cap on training dialogs' },
      maxEvalDocuments: { kind: 'number', integer: true, min: 1, nullable: true, default: null, doc: 'cap on scored documents per corpus' },
    },
  },
  importance: {
    kind: 'section',
    doc: 'importances on the original corpus (method.md §2, language models)',
    fields: {
      method: { kind: 'string', choices: ['fisher', 'fisher-sampled', 'fisher-argmax', 'mas'], default: 'fisher', doc: 'importance method' },
      params: { kind: 'strings', default: ['attention'], doc: 'parameters (globs or presets)' },
      samples: { kind: 'number', integer: true, min: 1, default: 256, doc: 'sequences (blocks) of the original corpus' },
      blockSize: { kind: 'number', integer: true, min: 2, nullable: true, default: null, doc: 'tokens per sequence; null = n_positions' },
      batchSize: { kind: 'number', integer: true, min: 1, default: 8, doc: 'sequences per pass (vectorised form)' },
    },
  },
  finetune: {
    kind: 'section',
    doc: 'fine-tuning on the dialogs (every run uses the same settings; only the penalty differs)',
    fields: {
      params: { kind: 'strings', default: ['attention'], doc: 'penalised parameters' },
      eta: { kind: 'number', min: 0, nullable: true, default: null, doc: 'η of the stabilized coefficient; null = the learning rate' },
      train: { kind: 'section', fields: trainSchema, doc: 'trainer settings' },
    },
  },
  runs: {
    kind: 'section',
    doc: 'which runs: plain fine-tuning and each penalty at each λ',
    fields: {
      none: { kind: 'boolean', default: true, doc: 'plain fine-tuning (no penalty)' },
      ewc: { kind: 'numbers', min: 0, default: [], doc: 'λ values for plain EWC' },
      stabilized: { kind: 'numbers', min: 0, default: [], doc: 'λ values for stabilized EWC' },
    },
  },
  eval: {
    kind: 'section',
    doc: 'perplexity (token-weighted, each document alone; src/eval/perplexity.ts)',
    fields: {
      context: { kind: 'number', integer: true, min: 2, nullable: true, default: null, doc: 'window N; null = n_positions' },
      stride: { kind: 'number', integer: true, min: 1, nullable: true, default: null, doc: 'stride S < N; null = N/2' },
      bootstrap: { kind: 'number', integer: true, min: 0, default: 1000, doc: 'bootstrap resamples of documents for the 95% interval' },
      batchSize: { kind: 'number', integer: true, min: 1, default: 8, doc: 'windows per engine call' },
    },
  },
};
