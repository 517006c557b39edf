/**
 * The continual-learning protocol configuration (method.md §3), resolved defaults → preset → flags.
 * `paper` is the exact protocol; `quick` is a tiny version for tests and smoke runs (about a minute).
 */
import { createHash } from 'node:crypto';
import { EwcError } from '../util/errors.ts';
import { PAPER_ADAM } from './adam.ts';
import { SI_XI } from '../importance/si.ts';

export const NETS = ['mlp', 'cnn'] as const;
export type NetName = (typeof NETS)[number];
export const BENCH_IMPORTANCES = ['fisher', 'mas', 'si', 'signal'] as const;
export type BenchImportance = (typeof BENCH_IMPORTANCES)[number];
export const PENALTIES = ['ewc', 'stabilized'] as const;
export type BenchPenalty = (typeof PENALTIES)[number];
export const PRESETS = ['paper', 'quick'] as const;
export type PresetName = (typeof PRESETS)[number];

/** Everything that determines what one run computes (hashed into the protocol id; resume matches on it). */
export interface Protocol {
  net: NetName;
  /** Tasks in the stream (paper: 10 for the MLP, 4 for the CNN). */
  tasks: number;
  /** Epochs per task (paper: 6). */
  epochs: number;
  /** Minibatch size (paper: 100). */
  batchSize: number;
  /** Train on the first N training samples of each task only (null = all 60,000). */
  trainLimit: number | null;
  /** Evaluate on the first N test samples of each task only (null = all 10,000). */
  testLimit: number | null;
  /** Importance samples: the last N training samples of the task (paper: 5000). */
  importanceSamples: number;
  /** Adam (paper: torch defaults, lr 0.001). */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** η of the stabilized coefficient (method.md §1: default the learning rate). */
  eta: number;
  /** SI damping ξ (0.1). */
  siXi: number;
  /** Seed of the permuted-MNIST permutations (shared by every run of a grid). */
  permSeed: number;
  /** Base seed of the runs: run r uses mixSeed(seed, r) for init and shuffling, whatever λ. */
  seed: number;
  /** Importance computation form ('vectorised' = exact batched form where the net has one). */
  importanceMode: 'loop' | 'vectorised';
}

export const PROTOCOL_KEYS = [
  'tasks', 'epochs', 'batchSize', 'trainLimit', 'testLimit', 'importanceSamples', 'lr', 'beta1', 'beta2', 'eps',
  'eta', 'siXi', 'permSeed', 'seed', 'importanceMode',
] as const;

export function paperProtocol(net: NetName): Protocol {
  return {
    net,
    tasks: net === 'mlp' ? 10 : 4,
    epochs: 6,
    batchSize: 100,
    trainLimit: null,
    testLimit: null,
    importanceSamples: 5000,
    lr: PAPER_ADAM.lr,
    beta1: PAPER_ADAM.beta1,
    beta2: PAPER_ADAM.beta2,
    eps: PAPER_ADAM.eps,
    eta: PAPER_ADAM.lr,
    siXi: SI_XI,
    permSeed: 0,
    seed: 0,
    importanceMode: net === 'mlp' ? 'vectorised' : 'loop',
  };
}

/** The quick preset: same code paths, tiny sizes (3 tasks × 1 epoch × 1000 samples for the MLP). */
export function quickProtocol(net: NetName): Protocol {
  return {
    ...paperProtocol(net),
    tasks: net === 'mlp' ? 3 : 2,
    epochs: 1,
    trainLimit: net === 'mlp' ? 1000 : 200,
    testLimit: net === 'mlp' ? 1000 : 200,
    importanceSamples: net === 'mlp' ? 200 : 20,
  };
}

export function presetProtocol(preset: PresetName, net: NetName): Protocol {
  return preset === 'quick' ? quickProtocol(net) : paperProtocol(net);
}

/** Applies overrides (undefined = keep); validates. */
export function resolveProtocol(base: Protocol, over: Partial<Record<(typeof PROTOCOL_KEYS)[number], unknown>>): Protocol {
  const p: Protocol = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    if (!(PROTOCOL_KEYS as readonly string[]).includes(k)) {
      throw new EwcError(`protocol: unknown key '${k}'. Known: ${PROTOCOL_KEYS.join(', ')}.`);
    }
    (p as unknown as Record<string, unknown>)[k] = v;
  }
  validateProtocol(p);
  return p;
}

export function validateProtocol(p: Protocol): void {
  const posInt = (k: keyof Protocol) => {
    const v = p[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new EwcError(`protocol ${k}: expected an integer ≥ 1, found ${v}.`);
  };
  posInt('tasks');
  posInt('epochs');
  posInt('batchSize');
  posInt('importanceSamples');
  if (p.net === 'cnn' && p.tasks > 4) throw new EwcError(`protocol tasks: the CNN stream has 4 tasks, found --tasks ${p.tasks}.`);
  for (const k of ['trainLimit', 'testLimit'] as const) {
    const v = p[k];
    if (v !== null && (!Number.isInteger(v) || v < 1)) throw new EwcError(`protocol ${k}: expected null or an integer ≥ 1, found ${v}.`);
  }
  for (const k of ['lr', 'eta', 'siXi', 'eps'] as const) {
    if (!(p[k] > 0)) throw new EwcError(`protocol ${k}: expected a number > 0, found ${p[k]}.`);
  }
  if (p.importanceMode !== 'loop' && p.importanceMode !== 'vectorised') {
    throw new EwcError(`protocol importanceMode: expected 'loop' or 'vectorised', found '${p.importanceMode}'.`);
  }
}

/** A short stable id of a protocol (resume only skips runs of the same protocol). */
export function protocolId(p: Protocol): string {
  const canon = JSON.stringify([p.net, ...PROTOCOL_KEYS.map((k) => p[k])]);
  return createHash('sha256').update(canon).digest('hex').slice(0, 12);
}

/** One run of a grid. */
export interface RunSpec {
  protocol: Protocol;
  importance: BenchImportance;
  penalty: BenchPenalty;
  lambda: number;
  run: number;
}

export function runKey(s: RunSpec): string {
  return `${protocolId(s.protocol)}|${s.protocol.net}|${s.importance}|${s.penalty}|${s.lambda}|${s.run}`;
}
