/**
 * The dialog-forgetting pipeline (recipe kind "dialog-forgetting"; schema in ./recipe.ts). Steps, each
 * resumable (./steps.ts) in the run folder:
 *   importance/   Ω (Fisher by default) of the selected parameters on sequences of the ORIGINAL corpus with its own
 *                 next-token labels, and θ* = the pretrained parameters (method.md §2, §5)
 *   eval-base/    perplexity of the pretrained model on held-out books and held-out dialogs
 *   runs/<id>/    fine-tuning on the dialogs' train split (none | ewc λ | stabilized λ), then its perplexities
 *   report.json, report.md, chart.svg, chart.png
 */
import { cpus, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { initBackend, activeBackend } from '../backends/index.ts';
import { loadCheckpoint, countParams } from '../io/checkpoint.ts';
import type { NamedTensors } from '../io/types.ts';
import { loadTokenizer, type Tokenizer } from '../tokenization/index.ts';
import { createEngine } from '../engine/index.ts';
import { perplexity, type PerplexityResult } from '../eval/perplexity.ts';
import { GPT2Model } from '../model/gpt2.ts';
import { gpt2Target } from '../importance/gpt2-target.ts';
import { computeImportance } from '../importance/registry.ts';
import { writeImportanceFile } from '../importance/file.ts';
import { hashParams, snapshot } from '../importance/accumulate.ts';
import { selectParams } from '../regularizers/selection.ts';
import { finetune, type FinetuneResult } from '../finetune/finetune.ts';
import type { FinetuneConfig } from '../finetune/config.ts';
import { findResumable } from '../train/checkpoint.ts';
import { repoRoot } from '../util/shared.ts';
import { EwcError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { blocksOf, splitTokens } from '../finetune/data.ts';
import type { DialogForgettingRecipe } from './recipe.ts';
import { fileHash, hashKey, runStep } from './steps.ts';
import type { MainJobReport, PplChange, PplSummary, RunReport } from './types.ts';
import { writeMainJobReport } from './report.ts';

export interface PipelineOptions {
  /** Stop after this many fine-tuning steps of the first unfinished run (tests of resume). */
  stopAtStep?: number;
}

interface EvalStep {
  books: PplSummary;
  dialog: PplSummary;
}

function summary(r: PerplexityResult): PplSummary {
  return { ppl: r.ppl, nll: r.nll, tokens: r.tokens, documents: r.documents, ci95: r.ci95 ? { low: r.ci95.low, high: r.ci95.high } : null };
}

function change(before: PplSummary, after: PplSummary): PplChange {
  return { before, after, change: after.ppl - before.ppl, logChange: after.nll - before.nll };
}

function versions(): Record<string, string> {
  const pkg = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version as string;
    } catch {
      return 'not installed';
    }
  };
  const own = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version as string;
  return {
    'ewc-lm': own,
    node: process.version,
    '@tensorflow/tfjs': pkg('@tensorflow/tfjs'),
    'onnxruntime-node': pkg('onnxruntime-node'),
    '@huggingface/tokenizers': pkg('@huggingface/tokenizers'),
  };
}

export function runIdOf(penalty: string, lambda: number): string {
  return penalty === 'none' ? 'none' : `${penalty}-lambda-${lambda}`;
}

export async function runDialogForgetting(r: DialogForgettingRecipe, recipePath: string, opts: PipelineOptions = {}): Promise<{ dir: string; report: MainJobReport }> {
  for (const k of ['model', 'data.original', 'data.dialogs', 'data.books'] as const) {
    const v = k === 'model' ? r.model : r.data[k.slice(5) as 'original' | 'dialogs' | 'books'];
    if (!v) throw new EwcError(`recipe ${recipePath}: "${k}" is required (see recipes/quickstart.json for an example).`);
  }
  const out = resolve(r.out ?? join('runs', basename(recipePath).replace(/\.json$/, '')));
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  await initBackend(r.backend);
  const modelDir = resolve(r.model!);
  const ck = loadCheckpoint(modelDir);
  const tok = await loadTokenizer(modelDir);
  const modelHash = fileHash(join(ck.dir, 'model.safetensors'));
  const split = r.data.split;
  const bookSplit = { ...split, seed: r.data.booksSplitSeed ?? split.seed };

  // --- held-out documents (token ids), shared by every evaluation ---
  const evalDocs = () => ({
    books: splitTokens(r.data.books!, r.data.booksSplit, tok, bookSplit, r.data.maxEvalDocuments),
    dialog: splitTokens(r.data.dialogs!, 'test', tok, split, r.data.maxEvalDocuments),
  });
  let docsCache: { books: number[][]; dialog: number[][] } | null = null;
  const docs = () => (docsCache ??= evalDocs());
  const evalKeyBase = { data: r.data, eval: r.eval, tok: tok.hash };

  const evaluate = async (params: NamedTensors, label: string): Promise<EvalStep> => {
    const engine = await createEngine(r.engine, ck.config, params);
    try {
      const res: Record<string, PplSummary> = {};
      for (const name of ['books', 'dialog'] as const) {
        const t = Date.now();
        const p = await perplexity(engine, docs()[name], {
          context: r.eval.context ?? undefined,
          stride: r.eval.stride ?? undefined,
          batchSize: r.eval.batchSize,
          bootstrapSamples: r.eval.bootstrap,
        });
        log(`[${label}] ${name}: ppl ${p.ppl.toFixed(3)} over ${p.tokens} tokens, ${p.documents} documents (${((Date.now() - t) / 1000).toFixed(1)} s)`);
        res[name] = summary(p);
      }
      return res as unknown as EvalStep;
    } finally {
      engine.dispose();
    }
  };

  // --- 1. importances on the original corpus ---
  const impDir = join(out, 'importance');
  const impFile = join(impDir, 'importance.safetensors');
  const names = selectParams(ck.params.keys(), r.importance.params);
  const imp = await runStep('importance', impDir, hashKey({ modelHash, importance: r.importance, original: r.data.original, split: r.data.originalSplit, s: split, tok: tok.hash }), async () => {
    const block = r.importance.blockSize ?? ck.config.n_positions;
    const seqDocs = splitTokens(r.data.original!, r.data.originalSplit, tok, split);
    const blocks = blocksOf(seqDocs, block, tok.eosId);
    const n = Math.min(r.importance.samples, blocks.length / block);
    if (n < 1) throw new EwcError(`importance: the original corpus ${r.data.original} gives no block of ${block} tokens.`);
    const sequences: number[][] = [];
    // Evenly spaced blocks over the corpus (deterministic), not just its beginning.
    const total = blocks.length / block;
    for (let i = 0; i < n; i++) {
      const b = Math.floor((i * total) / n);
      sequences.push(Array.from(blocks.subarray(b * block, (b + 1) * block)));
    }
    log(`[importance] ${r.importance.method} on ${n} sequences of ${block} tokens, ${names.length} tensors`);
    let omega: NamedTensors;
    const ti = Date.now();
    if (r.engine === 'ort') {
      const { createOrtEngine } = await import('../onnx/engine.ts');
      const { ortImportances } = await import('../onnx/importances.ts');
      const eng = await createOrtEngine(ck.config, ck.params);
      try {
        const m = r.importance.method;
        omega = await ortImportances(eng, sequences, {
          objective: m === 'mas' ? 'mas' : 'fisher',
          labels: m === 'fisher-sampled' ? 'sampled' : m === 'fisher-argmax' ? 'argmax' : 'dataset',
          names,
          batchSize: r.importance.batchSize,
        });
      } finally {
        eng.dispose();
      }
    } else {
      const model = GPT2Model.fromHost(ck.config, ck.params);
      try {
        omega = computeImportance(r.importance.method, gpt2Target(model), { kind: 'sequences', sequences }, {
          names,
          // the per-sample loop measured faster than the vectorised form on wasm (results/bench-importance.json)
          mode: 'loop',
          batchSize: r.importance.batchSize,
          onProgress: (d, t) => {
            if (d === t || d % Math.max(1, Math.floor(t / 10)) === 0) log(`[importance] ${d}/${t} sequences`);
          },
        });
      } finally {
        model.dispose();
      }
    }
    writeImportanceFile(impFile, {
      omega,
      anchor: snapshot(ck.params, names),
      meta: { method: r.importance.method, samples: n, corpus: r.data.original!, model_hash: hashParams(ck.params), tasks: 1, params: r.importance.params.join(',') },
    });
    return { file: impFile, samples: n, tensors: names.length, seconds: (Date.now() - ti) / 1000 };
  });
  timings.importance = imp.seconds;

  // --- 2. the pretrained model's perplexities ---
  const base = await runStep('eval-base', join(out, 'eval-base'), hashKey({ modelHash, ...evalKeyBase }), () => evaluate(ck.params, 'pretrained'));
  timings['eval-base'] = base.seconds;

  // --- 3. fine-tuning runs and their perplexities ---
  const plan: { penalty: 'none' | 'ewc' | 'stabilized'; lambda: number }[] = [];
  if (r.runs.none) plan.push({ penalty: 'none', lambda: 0 });
  for (const l of r.runs.ewc) plan.push({ penalty: 'ewc', lambda: l });
  for (const l of r.runs.stabilized) plan.push({ penalty: 'stabilized', lambda: l });
  if (plan.length === 0) throw new EwcError(`recipe ${recipePath}: "runs" selects no run. Set runs.none to true or give λ values in runs.ewc / runs.stabilized.`);

  const runs: RunReport[] = [];
  let stopBudget = opts.stopAtStep;
  for (const p of plan) {
    const id = runIdOf(p.penalty, p.lambda);
    const dir = join(out, 'runs', id);
    const cfg: FinetuneConfig = {
      model: modelDir,
      trainCorpus: r.data.dialogs!,
      out: join(dir, 'model'),
      engine: r.engine,
      backend: r.backend,
      penalty: { kind: p.penalty, lambda: p.lambda, eta: r.finetune.eta, importance: p.penalty === 'none' ? null : impFile, params: r.finetune.params },
      split,
      maxTrainDocuments: r.data.maxTrainDialogs,
      train: r.finetune.train,
    };
    // Plain fine-tuning does not depend on the importances or the penalty settings: its key leaves them out, so
    // recipes that differ only there share it.
    // The importance file enters through its content (imp.key), not its path, so a run folder can be moved.
    const keyCfg = { ...cfg, out: null, model: null, penalty: p.penalty === 'none' ? null : { ...cfg.penalty, importance: null } };
    const key = hashKey({ modelHash, imp: p.penalty === 'none' ? null : imp.key, cfg: keyCfg, ...evalKeyBase });
    let interrupted = false;
    const step = await runStep(`run ${id}`, dir, key, async () => {
      const resume = findResumable(join(cfg.out!, 'checkpoint')) !== null;
      const ft: FinetuneResult = await finetune(cfg, { resume, stopAtStep: stopBudget, handleSignals: true });
      if (ft.train.status !== 'completed') {
        interrupted = true;
        throw new InterruptedRun(id, ft.train.step);
      }
      const after = await evaluate(loadCheckpoint(cfg.out!).params, id);
      return { ft, after };
    }).catch((e) => {
      if (e instanceof InterruptedRun) return null;
      throw e;
    });
    if (!step || interrupted) {
      throw new RecipeInterrupted(`run ${id} was interrupted; rerun the same command to resume it (finished steps are reused).`);
    }
    stopBudget = undefined;
    timings[`run ${id}`] = step.seconds;
    const { ft, after } = step.result;
    runs.push({
      id,
      penalty: p.penalty,
      lambda: p.lambda,
      eta: ft.eta,
      ppl: { books: change(base.result.books, after.books), dialog: change(base.result.dialog, after.dialog) },
      forgettingVsPlain: null,
      learningVsPlain: null,
      train: {
        steps: ft.train.step,
        lastLoss: ft.train.lastLoss,
        tokensPerSecond: ft.train.tokensPerSecond,
        seconds: ft.train.elapsedSeconds,
        maxPenaltyRatio: ft.penaltyStats ? ft.penaltyStats.maxRatio : null,
        warnings: ft.penaltyStats ? ft.penaltyStats.warnings : [],
      },
      checkpoint: cfg.out!,
    });
  }
  const plain = runs.find((x) => x.penalty === 'none');
  if (plain) {
    for (const x of runs) {
      if (x === plain) continue;
      const rise = plain.ppl.books.logChange;
      const gain = -plain.ppl.dialog.logChange;
      x.forgettingVsPlain = rise !== 0 ? x.ppl.books.logChange / rise : null;
      x.learningVsPlain = gain !== 0 ? -x.ppl.dialog.logChange / gain : null;
    }
  }
  timings.total = (Date.now() - t0) / 1000;
  const report: MainJobReport = {
    recipe: recipePath,
    createdAt: new Date().toISOString(),
    config: r,
    versions: { ...versions(), backend: activeBackend() ?? r.backend, engine: r.engine },
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), platform: `${process.platform}-${process.arch}` },
    model: { dir: modelDir, hash: modelHash, parameters: countParams(ck.config) },
    importance: { file: impFile, method: r.importance.method, samples: imp.result.samples, params: r.importance.params, penalisedTensors: imp.result.tensors, seconds: imp.result.seconds },
    baseline: base.result,
    runs,
    timings,
  };
  writeMainJobReport(out, report);
  return { dir: out, report };
}

/** The recipe stopped cleanly (Ctrl-C or a step limit) with its progress saved. */
export class RecipeInterrupted extends EwcError {}

class InterruptedRun extends Error {
  constructor(readonly id: string, readonly step: number) {
    super(`run ${id} interrupted at step ${step}`);
  }
}
