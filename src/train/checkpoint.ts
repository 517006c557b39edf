/**
 * Resumable training checkpoints. A checkpoint is a folder in Hugging Face layout plus the trainer's state:
 *   config.json, model.safetensors        the model (saveCheckpoint: loads in transformers as is)
 *   optimizer.safetensors                 optimizer slots, keys `<slot>/<param name>` (e.g. exp_avg/wte.weight)
 *   trainer-state.json                    step, data position, seed (all the RNG state: see rng.ts), elapsed
 *                                         time, tokens seen, the resolved config
 *   any extra files (tokenizer.json …)    copied by the caller
 * The folder is written complete under a temporary name and then swapped in by renames, so a crash leaves
 * either the old or the new checkpoint, never a mix; `findResumable` also recovers the `.old` one left by a
 * crash between the two renames.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { GPT2Config } from '../model/gpt2-config.ts';
import type { NamedTensors, OptimizerState } from '../engine/types.ts';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';

export const TRAINER_STATE_FORMAT = 'ewc-lm-trainer-state/1';

export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  /** Optimizer steps completed. */
  step: number;
  /** Training blocks consumed (BlockOrder.position). */
  dataPosition: number;
  /** Run seed: data order is permutation(seed, epoch), dropout seeds hash(seed, step). */
  seed: number;
  /** Scored training tokens so far. */
  tokensSeen: number;
  /** Wall time spent training so far (s), summed over resumed sessions. */
  elapsedSeconds: number;
  /** Last held-out evaluation, if any. */
  lastEval: { step: number; loss: number } | null;
  /** Why this checkpoint was written. */
  reason: 'periodic' | 'interrupt' | 'final';
  /** The resolved configuration of the run. */
  config: unknown;
}

export interface TrainingCheckpoint {
  modelConfig: GPT2Config;
  params: NamedTensors;
  optimizer: OptimizerState;
  state: TrainerState;
}

export function optimizerToTensors(opt: OptimizerState): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [slot, m] of Object.entries(opt.slots)) for (const [n, t] of m) out.set(`${slot}/${n}`, t);
  return out;
}

export function optimizerFromTensors(t: NamedTensors, step: number, slotsWanted?: readonly string[]): OptimizerState {
  const slots: Record<string, NamedTensors> = {};
  for (const s of slotsWanted ?? []) slots[s] = new Map();
  for (const [k, v] of t) {
    const i = k.indexOf('/');
    if (i <= 0) throw new EwcError(`optimizer.safetensors: expected keys <slot>/<param>, found ${k}.`);
    const slot = k.slice(0, i);
    (slots[slot] ??= new Map()).set(k.slice(i + 1), v);
  }
  return { step, slots };
}

/** Writes a complete checkpoint into `dir` atomically (temp folder + rename swap). */
export function saveTrainingCheckpoint(dir: string, ck: TrainingCheckpoint, extraFiles: Record<string, string | Uint8Array> = {}): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  saveCheckpoint(tmp, ck.modelConfig, ck.params);
  writeSafetensors(join(tmp, 'optimizer.safetensors'), optimizerToTensors(ck.optimizer), {
    format: 'ewc-lm-optimizer',
    step: String(ck.optimizer.step),
  });
  for (const [name, data] of Object.entries(extraFiles)) writeFileAtomic(join(tmp, name), data);
  writeJsonAtomic(join(tmp, 'trainer-state.json'), ck.state); // last: its presence marks a complete folder
  const old = `${dir}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** The checkpoint folder to resume from (dir, or dir.old after a crash mid-swap), or null. */
export function findResumable(dir: string): string | null {
  for (const d of [dir, `${dir}.old`]) if (existsSync(join(d, 'trainer-state.json'))) return d;
  return null;
}

export function loadTrainingCheckpoint(dir: string): TrainingCheckpoint {
  const statePath = join(dir, 'trainer-state.json');
  if (!existsSync(statePath)) {
    throw new EwcError(`cannot resume: ${statePath} does not exist. Expected a checkpoint folder written by the trainer; start without --resume.`);
  }
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
  if (state.format !== TRAINER_STATE_FORMAT) {
    throw new EwcError(`${statePath}: expected format ${TRAINER_STATE_FORMAT}, found ${String(state.format)}.`);
  }
  const { config, params } = loadCheckpoint(dir);
  const opt = readSafetensors(join(dir, 'optimizer.safetensors'));
  const t: NamedTensors = new Map();
  for (const [k, v] of opt.tensors) t.set(k, { shape: [...v.shape], data: v.data });
  const step = Number(opt.metadata?.step ?? state.step);
  return { modelConfig: config, params, optimizer: optimizerFromTensors(t, step), state };
}
