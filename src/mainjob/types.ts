/**
 * The main job's result structure: what report.json holds (src/mainjob/report.ts renders it as markdown and a
 * chart). Perplexities are token-weighted over documents with a 95% bootstrap interval over documents.
 */
export interface PplSummary {
  /** exp(mean NLL per scored token). */
  ppl: number;
  /** mean NLL per scored token (nats). */
  nll: number;
  tokens: number;
  documents: number;
  /** 95% bootstrap interval of ppl over documents (null without bootstrap). */
  ci95: { low: number; high: number } | null;
}

export interface PplChange {
  before: PplSummary;
  after: PplSummary;
  /** after.ppl − before.ppl */
  change: number;
  /** after.nll − before.nll (change of log-perplexity) */
  logChange: number;
}

export interface RunReport {
  /** e.g. "none", "ewc-lambda-100", "stabilized-lambda-100" */
  id: string;
  penalty: 'none' | 'ewc' | 'stabilized';
  lambda: number;
  /** η used in the stabilized coefficient (null for none/ewc). */
  eta: number | null;
  ppl: { books: PplChange; dialog: PplChange };
  /** Share of plain fine-tuning's book log-ppl rise that this run kept (null for the plain run). */
  forgettingVsPlain: number | null;
  /** Share of plain fine-tuning's dialog log-ppl improvement that this run kept (null for the plain run). */
  learningVsPlain: number | null;
  train: { steps: number; lastLoss: number; tokensPerSecond: number; seconds: number; maxPenaltyRatio: number | null; warnings: string[] };
  /** The fine-tuned checkpoint folder (loadable by ewc-lm eval / transformers). */
  checkpoint: string;
}

export interface MainJobReport {
  recipe: string;
  createdAt: string;
  config: unknown;
  versions: Record<string, string>;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string };
  model: { dir: string; hash: string; parameters: number };
  importance: { file: string; method: string; samples: number; params: string[]; penalisedTensors: number; seconds: number };
  baseline: { books: PplSummary; dialog: PplSummary };
  runs: RunReport[];
  timings: Record<string, number>;
}
