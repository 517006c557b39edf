/**
 * The fine-tuning configuration (`ewc-lm finetune`, and each fine-tuning run of a recipe):
 * defaults → recipe → CLI flags, validated by src/config/schema.ts.
 */
import type { Schema } from '../config/schema.ts';
import { trainSchema, type TrainConfig } from '../config/train.ts';

export type PenaltyChoice = 'none' | 'ewc' | 'stabilized';

export interface FinetuneConfig {
  model: string;
  trainCorpus: string;
  out: string;
  engine: 'tfjs' | 'ort';
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  penalty: {
    kind: PenaltyChoice;
    lambda: number;
    /** η in the stabilized coefficient; null = the optimizer's peak learning rate (method.md §1). */
    eta: number | null;
    /** Importance file (Ω, optionally θ*): `ewc-lm importance … --out FILE`. */
    importance: string | null;
    /** Penalised parameters: globs or presets over HF names (src/regularizers/selection.ts). */
    params: string[];
  };
  split: { seed: number; train: number; validation: number; test: number };
  /** Cap on training documents (null = all) — for quick recipes. */
  maxTrainDocuments: number | null;
  train: TrainConfig;
}

export const finetuneSchema: Schema = {
  model: { kind: 'string', default: null, nullable: true, doc: 'pretrained model folder (HF layout with tokenizer.json)' },
  trainCorpus: { kind: 'string', default: null, nullable: true, doc: 'corpus spec to fine-tune on (docs/corpora.md)' },
  out: { kind: 'string', default: null, nullable: true, doc: 'output folder (checkpoint, metrics, resolved config)' },
  engine: { kind: 'string', choices: ['tfjs', 'ort'], default: 'ort', doc: 'compute engine: ort (compiled ONNX Runtime graphs, the fast path) or tfjs' },
  backend: { kind: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], default: 'auto', doc: 'tfjs backend' },
  penalty: {
    kind: 'section',
    doc: 'the EWC penalty Σ c_i(θ_i − θ*_i)² (method.md §1)',
    fields: {
      kind: { kind: 'string', choices: ['none', 'ewc', 'stabilized'], default: 'none', doc: 'none | ewc (c = λΩ) | stabilized (c = λΩ/(2(1+ηλΩ)))' },
      lambda: { kind: 'number', min: 0, default: 0, doc: 'EWC strength λ' },
      eta: { kind: 'number', min: 0, nullable: true, default: null, doc: 'η of the stabilized coefficient; null = the peak learning rate' },
      importance: { kind: 'string', nullable: true, default: null, doc: 'importance file (safetensors) with Ω (and θ*)' },
      params: { kind: 'strings', default: ['attention'], doc: 'penalised parameters (globs or presets attention | all)' },
    },
  },
  split: {
    kind: 'section',
    doc: 'document-level split of the training corpus; fine-tuning uses train, evaluation validation',
    fields: {
      seed: { kind: 'number', integer: true, min: 0, default: 0, doc: 'split seed' },
      train: { kind: 'number', min: 0, max: 1, default: 0.9, doc: 'train fraction (as src/data/split.ts DEFAULT_FRACTIONS, so that held-out splits match pretraining)' },
      validation: { kind: 'number', min: 0, max: 1, default: 0.05, doc: 'validation fraction' },
      test: { kind: 'number', min: 0, max: 1, default: 0.05, doc: 'test fraction' },
    },
  },
  maxTrainDocuments: { kind: 'number', integer: true, min: 1, nullable: true, default: null, doc: 'cap on training documents' },
  train: { kind: 'section', fields: trainSchema, doc: 'trainer settings (src/config/train.ts)' },
};
