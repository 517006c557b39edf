/**
 * The training loop: drives an Engine (src/engine/types.ts) over seeded batches of fixed-length blocks, with
 * hooks, learning-rate schedule, periodic evaluation, atomic checkpoints, exact resume, SIGINT handling,
 * NaN/Inf early stop, progress on stderr and metrics.jsonl beside the checkpoint.
 *
 * Layout of `outDir`:
 *   checkpoint/          the latest resumable checkpoint (HF layout + optimizer + trainer-state.json)
 *   metrics.jsonl        one record per logged step / evaluation
 *   config.json, model.safetensors, …   the final model (HF layout), written when the run completes
 *
 * Exact resume: the only random choices are the data order (a permutation per epoch, seeded by the run seed)
 * and dropout (seeded per step); both are functions of (seed, counters), and the counters and the optimizer
 * state are saved exactly, so N steps in one go and k steps + resume give the same bytes on cpu/wasm.
 */
import { join } from 'node:path';
import type { Engine, NamedTensors, OptimizerSpec, StepResult, TokenBatch } from '../engine/types.ts';
import type { TrainConfig } from '../config/train.ts';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { BlockOrder } from './data-order.ts';
import { findResumable, loadTrainingCheckpoint, saveTrainingCheckpoint, TRAINER_STATE_FORMAT, type TrainerState } from './checkpoint.ts';
import { MetricsLog, progressLine } from './metrics.ts';
import { hashInts, Stream } from './rng.ts';
import { lrAt } from './schedule.ts';

export interface HookContext {
  engine: Engine;
  config: TrainConfig;
  /** Steps completed before the current one (0-based index of the step being taken). */
  step: number;
  lr: number;
}

/** Hooks plug penalties and importance methods into the loop (design.md §6). All optional. */
export interface TrainHooks {
  /** After the engine is configured (and resumed), before the first step: e.g. engine.setPenalty(...). */
  beforeTask?(ctx: HookContext): void | Promise<void>;
  beforeStep?(ctx: HookContext): void | Promise<void>;
  /**
   * The total gradient (task + penalty) of this step, before clipping; may be modified in place. Using it
   * switches the loop to the split path lossAndGrads → hooks → applyGradients, which needs
   * engine.capabilities.applyGradients (the compiled engine may not offer it: then this is an error).
   */
  afterGradients?(ctx: HookContext, grads: NamedTensors): void | Promise<void>;
  afterStep?(ctx: HookContext, result: StepResult): void | Promise<void>;
  afterTask?(ctx: HookContext): void | Promise<void>;
}

export interface TrainData {
  /** Training blocks, row-major [nBlocks, blockSize]. */
  train: Int32Array;
  blockSize: number;
  /** Held-out blocks [nEval, blockSize] for the evaluation every evalEvery steps (optional). */
  eval?: Int32Array;
}

export interface TrainRunOptions {
  engine: Engine;
  data: TrainData;
  config: TrainConfig;
  outDir: string;
  /** Saved in trainer-state.json (the whole resolved config of the command). */
  resolvedConfig: unknown;
  resume?: boolean;
  hooks?: TrainHooks[];
  /** Files written into every checkpoint and the final model folder (tokenizer.json, …). */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Install a SIGINT handler that saves and stops cleanly (default true). */
  handleSignals?: boolean;
  /** Stop (as if interrupted, saving a checkpoint) once this many steps are completed. For tests. */
  stopAtStep?: number;
}

export interface TrainRunResult {
  status: 'completed' | 'interrupted';
  step: number;
  steps: number;
  lastLoss: number;
  lastEval: { step: number; loss: number } | null;
  tokensSeen: number;
  elapsedSeconds: number;
  tokensPerSecond: number;
  checkpoint: string;
  resumedFrom: number | null;
}

export function optimizerSpecOf(c: TrainConfig): OptimizerSpec {
  return { name: c.optimizer, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay, momentum: c.momentum };
}

function rows(blocks: Int32Array, blockSize: number, idx: readonly number[]): Int32Array {
  const out = new Int32Array(idx.length * blockSize); // [B, T]
  idx.forEach((b, i) => out.set(blocks.subarray(b * blockSize, (b + 1) * blockSize), i * blockSize));
  return out;
}

/** Mean next-token NLL over held-out blocks (token-weighted; evaluation mode). */
export async function evalLoss(engine: Engine, blocks: Int32Array, blockSize: number, batchSize: number, maxBlocks = Infinity): Promise<number> {
  const n = Math.min(maxBlocks, Math.floor(blocks.length / blockSize));
  let sum = 0;
  let count = 0;
  for (let b0 = 0; b0 < n; b0 += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - b0) }, (_, i) => b0 + i);
    const nll = await engine.tokenNll({ ids: rows(blocks, blockSize, idx), batch: idx.length, seqLen: blockSize });
    for (let i = 0; i < nll.length; i++) sum += nll[i];
    count += nll.length;
  }
  return sum / count;
}

export async function train(o: TrainRunOptions): Promise<TrainRunResult> {
  const { engine, data, config: c, outDir } = o;
  const hooks = o.hooks ?? [];
  const T = data.blockSize;
  if (T > engine.config.n_positions) {
    throw new EwcError(`train.blockSize: expected at most n_positions (${engine.config.n_positions}), found ${T}. Lower train.blockSize.`);
  }
  const nBlocks = Math.floor(data.train.length / T);
  if (nBlocks < 1) throw new EwcError(`training data: expected at least one block of ${T} tokens, found ${data.train.length} tokens. Use more data or a smaller blockSize.`);
  const split = hooks.some((h) => h.afterGradients);
  if (split && !engine.capabilities.applyGradients) {
    throw new EwcError(`a training hook needs the gradients between backward pass and update ("after gradients"), but the ${engine.kind} engine fuses the step and cannot apply external gradients. Use --engine tfjs for this hook.`);
  }

  engine.configure({ optimizer: optimizerSpecOf(c), clipNorm: c.clipNorm });
  const ckDir = join(outDir, 'checkpoint');
  const metrics = new MetricsLog(join(outDir, 'metrics.jsonl'));
  let step = 0;
  let tokensSeen = 0;
  let elapsedBefore = 0;
  let lastEval: TrainerState['lastEval'] = null;
  let resumedFrom: number | null = null;
  const order = new BlockOrder(nBlocks, c.seed);
  if (o.resume) {
    const from = findResumable(ckDir);
    if (!from) throw new EwcError(`--resume: no checkpoint in ${ckDir}. Run without --resume to start a new run.`);
    const ck = loadTrainingCheckpoint(from);
    const cfgOld = JSON.stringify((ck.state.config as { train?: unknown })?.train ?? null);
    const s = ck.state;
    if (s.seed !== c.seed) throw new EwcError(`--resume: the checkpoint was trained with seed ${s.seed}, the config says ${c.seed}; resuming would change the data order. Use the same seed.`);
    engine.setParams(ck.params);
    engine.setOptimizerState(ck.optimizer);
    step = s.step;
    order.position = s.dataPosition;
    tokensSeen = s.tokensSeen;
    elapsedBefore = s.elapsedSeconds;
    lastEval = s.lastEval;
    resumedFrom = step;
    metrics.truncateAfter(step);
    if (cfgOld !== JSON.stringify(c)) log(`resume: the train config differs from the checkpoint's; continuing with the new one`);
    log(`resumed from ${from} at step ${step}/${c.steps}`);
  }

  const ctx = (lr: number): HookContext => ({ engine, config: c, step, lr });
  for (const h of hooks) await h.beforeTask?.(ctx(lrAt(step, c)));

  let interrupted = false;
  const onSig = (): void => {
    if (interrupted) {
      log('second interrupt: exiting without saving');
      process.exit(130);
    }
    interrupted = true;
    log('interrupt: finishing the current step, then saving a checkpoint (Ctrl-C again to quit at once)');
  };
  if (o.handleSignals ?? true) process.on('SIGINT', onSig);

  const state = (reason: TrainerState['reason'], elapsed: number): TrainerState => ({
    format: TRAINER_STATE_FORMAT,
    step,
    dataPosition: order.position,
    seed: c.seed,
    tokensSeen,
    elapsedSeconds: elapsed,
    lastEval,
    reason,
    config: o.resolvedConfig,
  });
  const save = (reason: TrainerState['reason'], elapsed: number): void => {
    saveTrainingCheckpoint(
      ckDir,
      { modelConfig: engine.config, params: engine.getParams(), optimizer: engine.getOptimizerState(), state: state(reason, elapsed) },
      o.extraFiles,
    );
  };

  const t0 = performance.now();
  const elapsed = (): number => elapsedBefore + (performance.now() - t0) / 1000;
  let windowStart = performance.now();
  let windowTokens = 0;
  let sessionTokens = 0;
  let lastLoss = NaN;
  let lastSaved = resumedFrom;
  try {
    while (step < c.steps && !interrupted && !(o.stopAtStep !== undefined && step >= o.stopAtStep)) {
      const lr = lrAt(step, c);
      const micro: TokenBatch[] = [];
      for (let a = 0; a < c.accumSteps; a++) {
        micro.push({ ids: rows(data.train, T, order.take(c.batchSize)), batch: c.batchSize, seqLen: T });
      }
      for (const h of hooks) await h.beforeStep?.(ctx(lr));
      const dropoutSeed = hashInts(c.seed, Stream.dropout, step);
      let r: StepResult;
      if (split) r = await splitStep(engine, micro, lr, dropoutSeed, hooks, ctx(lr));
      else r = await engine.trainStep(micro, { lr, dropoutSeed, training: true });
      if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm) || !Number.isFinite(r.penalty)) {
        const where = lastSaved !== null ? `The last good checkpoint (step ${lastSaved}) is kept in ${ckDir}.` : 'No checkpoint was saved before it.';
        throw new EwcError(
          `training diverged at step ${step + 1}: loss ${r.loss}, penalty ${r.penalty}, gradient norm ${r.gradNorm} (expected finite values). ` +
            `${where} Lower train.lr, set train.clipNorm, or add warm-up (train.warmupSteps), then resume or restart.`,
          { step: step + 1 },
        );
      }
      step += 1;
      // let the event loop run (signals are delivered there; tfjs steps are synchronous work)
      await new Promise<void>((res) => setImmediate(res));
      lastLoss = r.loss;
      tokensSeen += r.tokens;
      windowTokens += r.tokens;
      sessionTokens += r.tokens;
      for (const h of hooks) await h.afterStep?.(ctx(lr), r);

      let evalRec: { eval_loss: number; eval_ppl: number } | null = null;
      if (data.eval && c.evalEvery > 0 && step % c.evalEvery === 0 && step < c.steps) {
        const el = await evalLoss(engine, data.eval, T, c.batchSize, c.evalBlocks);
        lastEval = { step, loss: el };
        evalRec = { eval_loss: el, eval_ppl: Math.exp(el) };
        log(`eval step ${step}: loss ${el.toFixed(4)} ppl ${Math.exp(el).toFixed(2)}`);
      }
      if (step % c.logEvery === 0 || step === c.steps || evalRec) {
        const now = performance.now();
        const tps = windowTokens / Math.max(1e-9, (now - windowStart) / 1000);
        const sessionTps = sessionTokens / Math.max(1e-9, (now - t0) / 1000);
        const eta = ((c.steps - step) * c.batchSize * c.accumSteps * (T - 1)) / Math.max(1e-9, sessionTps);
        progressLine({ step, steps: c.steps, loss: r.loss, lr, gradNorm: r.gradNorm, penalty: r.penalty, tokensPerSecond: tps, etaSeconds: eta });
        metrics.append({
          step,
          loss: r.loss,
          penalty: r.penalty,
          grad_norm: r.gradNorm,
          lr,
          tokens: tokensSeen,
          tokens_per_s: tps,
          epoch: order.epochFloat,
          elapsed_s: elapsed(),
          ...(evalRec ?? {}),
        });
        windowStart = now;
        windowTokens = 0;
      }
      if (c.checkpointEvery > 0 && step % c.checkpointEvery === 0 && step < c.steps) {
        save('periodic', elapsed());
        lastSaved = step;
      }
    }
  } finally {
    if (o.handleSignals ?? true) process.removeListener('SIGINT', onSig);
  }

  const done = step >= c.steps;
  if (!done) {
    save('interrupt', elapsed());
    log(`stopped at step ${step}/${c.steps}; checkpoint saved in ${ckDir}. Continue with --resume.`);
  } else {
    for (const h of hooks) await h.afterTask?.(ctx(lrAt(step - 1, c)));
    if (data.eval) {
      const el = await evalLoss(engine, data.eval, T, c.batchSize, c.evalBlocks);
      lastEval = { step, loss: el };
      metrics.append({ step, eval_loss: el, eval_ppl: Math.exp(el), final: true });
      log(`final eval: loss ${el.toFixed(4)} ppl ${Math.exp(el).toFixed(2)}`);
    }
    save('final', elapsed());
    const params = engine.getParams();
    saveCheckpoint(outDir, engine.config, params);
    for (const [name, d] of Object.entries(o.extraFiles ?? {})) writeFileAtomic(join(outDir, name), d);
  }
  const el = elapsed();
  return {
    status: done ? 'completed' : 'interrupted',
    step,
    steps: c.steps,
    lastLoss,
    lastEval,
    tokensSeen,
    elapsedSeconds: el,
    tokensPerSecond: sessionTokens / Math.max(1e-9, (performance.now() - t0) / 1000),
    checkpoint: ckDir,
    resumedFrom,
  };
}

/** lossAndGrads per micro-batch (penalty once) → mean → afterGradients hooks → applyGradients. */
async function splitStep(engine: Engine, micro: TokenBatch[], lr: number, dropoutSeed: number, hooks: TrainHooks[], hc: HookContext): Promise<StepResult> {
  const A = micro.length;
  let sum: NamedTensors | null = null;
  let loss = 0;
  let penalty = 0;
  let tokens = 0;
  for (let i = 0; i < A; i++) {
    const g = await engine.lossAndGrads(micro[i], {
      includePenalty: i === 0,
      penaltyScale: A,
      training: true,
      dropoutSeed: hashInts(dropoutSeed, i),
    });
    loss += g.loss / A;
    if (i === 0) penalty = g.penalty;
    tokens += micro[i].batch * (micro[i].seqLen - 1);
    if (!sum) sum = g.grads;
    else for (const [n, t] of g.grads) {
      const s = sum.get(n)!.data;
      for (let j = 0; j < s.length; j++) s[j] += t.data[j];
    }
  }
  const grads = sum!;
  if (A > 1) for (const t of grads.values()) for (let j = 0; j < t.data.length; j++) t.data[j] /= A;
  for (const h of hooks) await h.afterGradients?.(hc, grads);
  if (!Number.isFinite(loss)) return { loss, penalty, gradNorm: NaN, tokens };
  const { gradNorm } = await engine.applyGradients!(grads, { lr, dropoutSeed });
  return { loss, penalty, gradNorm, tokens };
}
