/**
 * OrtEngine: the compiled GPT-2 engine (src/engine/types.ts) on onnxruntime-node. Every workload is one ONNX
 * graph per shape, built once and cached: the fused training step (forward + backward + penalty + clipping +
 * optimizer), gradients (split path, accumulation), the optimizer alone (applyGradients), per-target NLL,
 * logits, and per-sequence Fisher / MAS (src/onnx/importance-graph.ts).
 * State: parameters and optimizer slots live in flat ping-pong banks (src/onnx/state.ts), fed without copies
 * and written by ORT into pre-allocated outputs.
 * Dropout (training steps when the config's *_pdrop > 0): keep-masks are drawn on the host from the step's
 * dropoutSeed (mulberry32 per micro-batch) and fed as inputs, so a resumed run draws the same masks. The
 * streams differ from the tfjs engine's, so the two engines agree with dropout only in distribution.
 */
import type {
  Engine,
  EngineCapabilities,
  EngineSetup,
  GradOptions,
  GradResult,
  NamedTensors,
  OptimizerState,
  PenaltySpec,
  StepOptions,
  StepResult,
  TokenBatch,
} from '../engine/types.ts';
import { expectedParamShapes } from '../io/checkpoint.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { EwcError } from '../util/errors.ts';
import { buildEvalGraph } from './eval-graph.ts';
import { dropoutSites } from './gpt2-graph.ts';
import { hyperValues, slotNames, type OptimizerGraphSpec } from './optimizer-graph.ts';
import { ort, createSession, f32, i64 } from './session.ts';
import { FlatBank, PingPong } from './state.ts';
import { buildTrainGraph, type BuiltGraph, type ParamSpec, type TrainGraphSpec } from './train-graph.ts';
import { mulberry32 } from '../util/rng.ts';

interface Compiled {
  session: ort.InferenceSession;
  inputs: readonly string[];
  outputs: readonly string[];
}

export interface OrtEngineOptions {
  /** intra-op threads (default EWC_LM_ORT_THREADS or 2). */
  threads?: number;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export class OrtEngine implements Engine {
  readonly kind = 'ort' as const;
  readonly paramNames: readonly string[];
  readonly capabilities: EngineCapabilities = { applyGradients: true, mas: true };
  readonly specs: ParamSpec[];
  private readonly bank: PingPong;
  private setup: EngineSetup | null = null;
  private trainable: string[] = [];
  private opt: OptimizerGraphSpec | null = null;
  private slots = new Map<string, PingPong>();
  private gacc: PingPong | null = null;
  private si: PingPong | null = null;
  private stepCount = 0;
  private penaltySpec: PenaltySpec | null = null;
  private penalty: { names: string[]; c: Map<string, Float32Array>; anchor: Map<string, Float32Array> } | null = null;
  private readonly cache = new Map<string, Promise<Compiled>>();
  private readonly maskBufs = new Map<string, Float32Array>();
  /** Seconds spent building graphs and creating sessions (for benchmarks). */
  compileSeconds = 0;

  constructor(
    readonly config: GPT2Config,
    params: NamedTensors,
    private readonly opts: OrtEngineOptions = {},
  ) {
    const want = expectedParamShapes(config);
    this.specs = [...want].map(([name, shape]) => ({ name, shape }));
    this.paramNames = this.specs.map((s) => s.name);
    this.bank = new PingPong(this.specs);
    for (const s of this.specs) {
      if (!params.has(s.name)) throw new EwcError(`ort engine: the parameters lack '${s.name}' (expected by the config). Load a complete checkpoint.`);
    }
    this.setParams(params);
  }

  // ---------------------------------------------------------------- state

  getParams(): NamedTensors {
    const out: NamedTensors = new Map();
    for (const s of this.specs) out.set(s.name, { shape: [...s.shape], data: new Float32Array(this.bank.cur.view(s.name)) });
    return out;
  }

  setParams(params: NamedTensors): void {
    for (const [name, t] of params) {
      const s = this.specs.find((x) => x.name === name);
      if (!s) throw new EwcError(`ort engine: unknown parameter '${name}'; expected one of the model's ${this.specs.length} names (e.g. ${this.specs[0].name}).`);
      if (!sameShape(s.shape, t.shape)) throw new EwcError(`ort engine: parameter ${name}: expected shape [${s.shape}], found [${t.shape}].`);
      this.bank.cur.view(name).set(t.data);
      this.bank.next.view(name).set(t.data);
    }
  }

  getOptimizerState(): OptimizerState {
    const slots: Record<string, NamedTensors> = {};
    for (const [s, pp] of this.slots) {
      const m: NamedTensors = new Map();
      for (const n of this.trainable) m.set(n, { shape: [...this.shapeOf(n)], data: new Float32Array(pp.cur.view(n)) });
      slots[s] = m;
    }
    return { step: this.stepCount, slots };
  }

  setOptimizerState(state: OptimizerState): void {
    const want = [...this.slots.keys()];
    const got = Object.keys(state.slots);
    if (want.length !== got.length || want.some((s) => !got.includes(s))) {
      throw new EwcError(`optimizer state: expected slots [${want.join(', ')}], found [${got.join(', ')}]. Resume with the optimizer the checkpoint was trained with.`);
    }
    for (const [s, pp] of this.slots) {
      for (const n of this.trainable) {
        const t = state.slots[s].get(n);
        if (!t) throw new EwcError(`optimizer state: slot ${s} has no entry for parameter ${n}. The checkpoint belongs to a different model or trainable set.`);
        if (!sameShape(t.shape, this.shapeOf(n))) throw new EwcError(`optimizer state ${s}/${n}: expected shape [${this.shapeOf(n)}], found [${t.shape}].`);
        pp.cur.view(n).set(t.data);
      }
    }
    this.stepCount = state.step;
  }

  private shapeOf(name: string): number[] {
    return this.specs.find((s) => s.name === name)!.shape;
  }

  // ---------------------------------------------------------------- setup

  configure(setup: EngineSetup): void {
    const trainable = setup.trainable ? [...setup.trainable] : [...this.paramNames];
    for (const n of trainable) if (!this.paramNames.includes(n)) throw new EwcError(`ort engine: trainable parameter '${n}' does not exist in this model.`);
    // Keep the canonical order.
    this.trainable = this.paramNames.filter((n) => trainable.includes(n));
    const o = setup.optimizer;
    const decay = o.weightDecay > 0 ? (o.decayParams ? [...o.decayParams] : this.trainable.filter((n) => this.shapeOf(n).length >= 2)) : [];
    this.opt = { name: o.name, decay: decay.filter((n) => this.trainable.includes(n)), momentum: o.name === 'sgd' && o.momentum > 0 };
    this.setup = { ...setup, trainable: this.trainable };
    const tspecs = this.specs.filter((s) => this.trainable.includes(s.name));
    this.slots = new Map(slotNames(this.opt).map((s) => [s, new PingPong(tspecs)]));
    this.gacc = null;
    this.si = null;
    this.stepCount = 0;
    // As the tfjs engine: an absent penalty keeps the current one (re-filtered for the new trainable set).
    this.setPenalty(setup.penalty !== undefined ? setup.penalty : this.penaltySpec);
  }

  setPenalty(spec: PenaltySpec | null): void {
    this.penaltySpec = spec;
    if (!spec) {
      this.penalty = null;
      return;
    }
    const names: string[] = [];
    const c = new Map<string, Float32Array>();
    const anchor = new Map<string, Float32Array>();
    for (const [n, t] of spec.coeffs) {
      if (!this.paramNames.includes(n)) throw new EwcError(`penalty: parameter '${n}' does not exist in this model.`);
      const a = spec.anchor.get(n);
      if (!a) throw new EwcError(`penalty: coefficients for '${n}' but no anchor θ*. Pass both for the same names.`);
      if (!sameShape(t.shape, this.shapeOf(n)) || !sameShape(a.shape, this.shapeOf(n))) {
        throw new EwcError(`penalty ${n}: expected shape [${this.shapeOf(n)}], found c [${t.shape}], θ* [${a.shape}].`);
      }
      if (!this.trainable.includes(n)) continue; // a frozen parameter never moves: its penalty is constant
      names.push(n);
      c.set(n, t.data);
      anchor.set(n, a.data);
    }
    this.penalty = { names: this.paramNames.filter((n) => names.includes(n)), c, anchor };
  }

  private requireSetup(): { setup: EngineSetup; opt: OptimizerGraphSpec } {
    if (!this.setup || !this.opt) throw new EwcError('ort engine: call configure({ optimizer, clipNorm, ... }) before training.');
    return { setup: this.setup, opt: this.opt };
  }

  // ---------------------------------------------------------------- compilation

  private compile(key: string, build: () => BuiltGraph): Promise<Compiled> {
    let hit = this.cache.get(key);
    if (!hit) {
      hit = (async () => {
        const t0 = performance.now();
        const built = build();
        const session = await createSession(built.model, { threads: this.opts.threads });
        this.compileSeconds += (performance.now() - t0) / 1000;
        return { session, inputs: session.inputNames, outputs: session.outputNames };
      })();
      this.cache.set(key, hit);
    }
    return hit;
  }

  private trainGraph(spec: Omit<TrainGraphSpec, 'config' | 'params'>): Promise<Compiled> {
    const key = JSON.stringify(spec);
    return this.compile(key, () => buildTrainGraph({ ...spec, config: this.config, params: this.specs }));
  }

  // ---------------------------------------------------------------- feeding

  private checkBatch(b: TokenBatch): void {
    const { batch: B, seqLen: T } = b;
    if (b.ids.length !== B * T) throw new EwcError(`token batch: ids hold ${b.ids.length} tokens, expected batch·seqLen = ${B * T}.`);
    if (T < 2) throw new EwcError(`token batch: rows need at least 2 tokens, found ${T}.`);
    if (T > this.config.n_positions) throw new EwcError(`token batch: rows of ${T} tokens exceed n_positions = ${this.config.n_positions}. Use shorter blocks.`);
    if (b.weights && b.weights.length !== B * (T - 1)) throw new EwcError(`token batch: weights hold ${b.weights.length} values, expected ${B * (T - 1)}.`);
    if (b.targets && b.targets.length !== B * (T - 1)) throw new EwcError(`token batch: targets hold ${b.targets.length} values, expected ${B * (T - 1)}.`);
    const V = this.config.vocab_size;
    for (const id of b.ids) if (id < 0 || id >= V) throw new EwcError(`token batch: id ${id} is outside the vocabulary [0, ${V}).`);
  }

  private batchFeeds(b: TokenBatch): Record<string, ort.Tensor> {
    const { batch: B, seqLen: T } = b;
    const ids = BigInt64Array.from(b.ids, (x) => BigInt(x));
    let targets: BigInt64Array;
    if (b.targets) targets = BigInt64Array.from(b.targets, (x) => BigInt(x));
    else {
      targets = new BigInt64Array(B * (T - 1));
      for (let r = 0; r < B; r++) for (let t = 0; t < T - 1; t++) targets[r * (T - 1) + t] = ids[r * T + t + 1];
    }
    const weights = b.weights ?? new Float32Array(B * (T - 1)).fill(1);
    return {
      ids: i64(ids, [B, T]),
      targets: i64(targets, [B, T - 1]),
      weights: f32(weights, [B, T - 1]),
    };
  }

  /** Builds the feeds a compiled graph asks for, from the engine's state. */
  private feeds(c: Compiled, extra: Record<string, ort.Tensor>, hyper: Record<string, number> = {}, grads?: NamedTensors): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const name of c.inputs) {
      if (extra[name]) out[name] = extra[name];
      else if (name.startsWith('param:')) {
        const n = name.slice(6);
        out[name] = f32(this.bank.cur.view(n), this.shapeOf(n));
      } else if (name.startsWith('slot:')) {
        const [, s, ...rest] = name.split(':');
        const n = rest.join(':');
        out[name] = f32(this.slots.get(s)!.cur.view(n), this.shapeOf(n));
      } else if (name.startsWith('si:')) {
        const n = name.slice(3);
        out[name] = f32(this.si!.cur.view(n), this.shapeOf(n));
      } else if (name.startsWith('gacc:')) {
        const n = name.slice(5);
        out[name] = f32(this.gacc!.cur.view(n), this.shapeOf(n));
      } else if (name.startsWith('grad:')) {
        const n = name.slice(5);
        const t = grads?.get(n);
        if (!t) throw new EwcError(`applyGradients: no gradient for trainable parameter '${n}'.`);
        if (!sameShape(t.shape, this.shapeOf(n))) throw new EwcError(`applyGradients ${n}: expected shape [${this.shapeOf(n)}], found [${t.shape}].`);
        out[name] = f32(t.data, t.shape);
      } else if (name.startsWith('pen_c:')) {
        const n = name.slice(6);
        out[name] = f32(this.penalty!.c.get(n)!, this.shapeOf(n));
      } else if (name.startsWith('pen_anchor:')) {
        const n = name.slice(11);
        out[name] = f32(this.penalty!.anchor.get(n)!, this.shapeOf(n));
      } else if (name.startsWith('h:')) {
        const v = hyper[name.slice(2)];
        if (v === undefined) throw new Error(`no value for graph scalar ${name}`);
        out[name] = f32(new Float32Array([v]), []);
      } else throw new Error(`graph input ${name} has no feed`);
    }
    return out;
  }

  /** Pre-allocated outputs: new:param → next param bank, new:slot → next slot bank, grad_out → next gacc bank. */
  private fetches(c: Compiled, gaccTarget = false): Record<string, ort.Tensor | null> {
    const out: Record<string, ort.Tensor | null> = {};
    for (const name of c.outputs) {
      if (name.startsWith('new:param:')) {
        const n = name.slice(10);
        out[name] = f32(this.bank.next.view(n), this.shapeOf(n));
      } else if (name.startsWith('new:slot:')) {
        const [, , s, ...rest] = name.split(':');
        const n = rest.join(':');
        out[name] = f32(this.slots.get(s)!.next.view(n), this.shapeOf(n));
      } else if (name.startsWith('new:si:')) {
        const n = name.slice(7);
        out[name] = f32(this.si!.next.view(n), this.shapeOf(n));
      } else if (gaccTarget && name.startsWith('grad_out:')) {
        const n = name.slice(9);
        out[name] = f32(this.gacc!.next.view(n), this.shapeOf(n));
      } else out[name] = null;
    }
    return out;
  }

  private hasDropout(training: boolean): boolean {
    const c = this.config;
    return training && (c.resid_pdrop > 0 || c.embd_pdrop > 0 || c.attn_pdrop > 0);
  }

  /** Scaled keep-masks (0 or 1/(1−p)) for every dropout site, drawn from (seed, micro-batch index). */
  private dropoutFeeds(B: number, T: number, seed: number, k: number): Record<string, ort.Tensor> {
    const rng = mulberry32(hash2(seed, k));
    const out: Record<string, ort.Tensor> = {};
    for (const d of dropoutSites(this.config, B, T)) {
      const key = `${d.site}|${d.shape.join(',')}`;
      let buf = this.maskBufs.get(key);
      if (!buf) this.maskBufs.set(key, (buf = new Float32Array(d.shape.reduce((a, b) => a * b, 1))));
      const scale = 1 / (1 - d.p);
      for (let i = 0; i < buf.length; i++) buf[i] = rng() < d.p ? 0 : scale;
      out[`drop:${d.site}`] = f32(buf, d.shape);
    }
    return out;
  }

  private hyper(lr: number, t: number): Record<string, number> {
    const { setup, opt } = this.requireSetup();
    const o = setup.optimizer;
    return hyperValues(opt, { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, t, clip: setup.clipNorm });
  }

  // ---------------------------------------------------------------- training

  async trainStep(micro: TokenBatch[], opts: StepOptions): Promise<StepResult> {
    const { setup, opt } = this.requireSetup();
    if (micro.length === 0) throw new EwcError('trainStep: expected at least one micro-batch, found none.');
    const { batch: B, seqLen: T } = micro[0];
    for (const m of micro) {
      this.checkBatch(m);
      if (m.batch !== B || m.seqLen !== T) throw new EwcError(`trainStep: micro-batches must share one shape; found [${B}, ${T}] and [${m.batch}, ${m.seqLen}].`);
    }
    const A = micro.length;
    const dropout = this.hasDropout(opts.training ?? true);
    const seed = opts.dropoutSeed ?? Math.floor(Math.random() * 2 ** 31);
    const dropFeeds = (k: number) => (dropout ? this.dropoutFeeds(B, T, seed, k) : {});
    const base = { batch: B, seqLen: T, trainable: this.trainable, penalty: this.penalty?.names ?? [], dropout };
    let lossSum = 0;
    let tokens = 0;
    if (A > 1) {
      const tspecs = this.specs.filter((s) => this.trainable.includes(s.name));
      if (!this.gacc) this.gacc = new PingPong(tspecs);
      this.gacc.cur.data.fill(0);
      const acc = await this.trainGraph({ ...base, kind: 'grads', accumulate: true, penalty: [] });
      for (let k = 0; k < A - 1; k++) {
        const r = await acc.session.run(this.feeds(acc, { ...this.batchFeeds(micro[k]), ...dropFeeds(k) }), this.fetches(acc, true));
        lossSum += r.loss.data[0] as number;
        this.gacc.swap();
      }
    }
    for (const m of micro) tokens += m.weights ? m.weights.reduce((a, b) => a + b, 0) : m.batch * (m.seqLen - 1);
    const step = await this.trainGraph({ ...base, kind: 'step', accumulate: A > 1, optimizer: opt, clip: setup.clipNorm !== null, si: !!this.si });
    const hyper = { ...this.hyper(opts.lr, this.stepCount + 1), accum_scale: 1 / A };
    const r = await step.session.run(this.feeds(step, { ...this.batchFeeds(micro[A - 1]), ...dropFeeds(A - 1) }, hyper), this.fetches(step));
    lossSum += r.loss.data[0] as number;
    const loss = lossSum / A;
    const penalty = r.penalty.data[0] as number;
    const gradNorm = r.grad_norm.data[0] as number;
    // Like the tfjs engine, a non-finite loss or gradient applies no update: the written banks are dropped.
    if (Number.isFinite(loss) && Number.isFinite(penalty) && Number.isFinite(gradNorm)) this.commit(true);
    return { loss, penalty, gradNorm, tokens };
  }

  async lossAndGrads(batch: TokenBatch, opts: GradOptions = {}): Promise<GradResult> {
    this.checkBatch(batch);
    if (!this.setup) this.trainable = [...this.paramNames];
    const dropout = this.hasDropout(opts.training ?? false);
    const objective = opts.objective ?? 'nll';
    const includePenalty = !!opts.includePenalty && !!this.penalty && this.penalty.names.length > 0;
    const c = await this.trainGraph({
      kind: 'grads',
      batch: batch.batch,
      seqLen: batch.seqLen,
      trainable: this.trainable,
      objective,
      penalty: includePenalty ? this.penalty!.names : [],
      includePenalty,
      dropout,
    });
    const drops = dropout ? this.dropoutFeeds(batch.batch, batch.seqLen, opts.dropoutSeed ?? Math.floor(Math.random() * 2 ** 31), 0) : {};
    const extra = { ...(objective === 'mas' ? { ids: this.batchFeeds(batch).ids } : this.batchFeeds(batch)), ...drops };
    const r = await c.session.run(this.feeds(c, extra, { penalty_scale: opts.penaltyScale ?? 1 }));
    const grads: NamedTensors = new Map();
    for (const n of this.trainable) grads.set(n, { shape: [...this.shapeOf(n)], data: r[`grad_out:${n}`].data as Float32Array });
    return { loss: r.loss.data[0] as number, penalty: includePenalty ? (r.penalty.data[0] as number) : 0, grads };
  }

  async applyGradients(grads: NamedTensors, opts: StepOptions): Promise<{ gradNorm: number }> {
    const { setup, opt } = this.requireSetup();
    const c = await this.trainGraph({ kind: 'apply', batch: 0, seqLen: 0, trainable: this.trainable, penalty: [], optimizer: opt, clip: setup.clipNorm !== null });
    const r = await c.session.run(this.feeds(c, {}, this.hyper(opts.lr, this.stepCount + 1), grads), this.fetches(c));
    const gradNorm = r.grad_norm.data[0] as number;
    if (Number.isFinite(gradNorm)) this.commit();
    return { gradNorm };
  }

  /** Makes the banks written by a step current. */
  private commit(withSi = false): void {
    this.stepCount += 1;
    this.bank.swap();
    for (const pp of this.slots.values()) pp.swap();
    if (withSi) this.si?.swap();
  }

  /**
   * Synaptic Intelligence inside the fused step (an ort-only extension): while on, every trainStep adds
   * −g·Δθ (g = total gradient before clipping, Δθ = the step's change) to a per-parameter path integral.
   * Steps through applyGradients do not (there the trainer's SI hook sees the gradients on the host).
   */
  setSiTracking(on: boolean): void {
    this.requireSetup();
    this.si = on ? new PingPong(this.specs.filter((s) => this.trainable.includes(s.name))) : null;
  }

  /** The path integral accumulated since tracking started or the last take; resets it to zero. */
  takeSiPathIntegral(): NamedTensors {
    if (!this.si) throw new EwcError('SI path integral: call setSiTracking(true) before training.');
    const out: NamedTensors = new Map();
    for (const n of this.trainable) out.set(n, { shape: [...this.shapeOf(n)], data: new Float32Array(this.si.cur.view(n)) });
    this.si.cur.data.fill(0);
    return out;
  }

  // ---------------------------------------------------------------- evaluation

  async tokenNll(batch: TokenBatch): Promise<Float32Array> {
    this.checkBatch(batch);
    const { batch: B, seqLen: T } = batch;
    const c = await this.compile(`eval-nll|${B}|${T}`, () =>
      buildEvalGraph({ kind: 'nll', config: this.config, batch: B, seqLen: T, params: this.specs }),
    );
    const f = this.batchFeeds(batch);
    const r = await c.session.run(this.feeds(c, { ids: f.ids, targets: f.targets }));
    return r.nll.data as Float32Array;
  }

  /** Logits [B, T, V] (or [B, V] of the last position with lastOnly), evaluation mode. */
  async logits(ids: Int32Array, batch: number, seqLen: number, lastOnly = false): Promise<Float32Array> {
    const c = await this.compile(`eval-logits|${batch}|${seqLen}|${lastOnly}`, () =>
      buildEvalGraph({ kind: 'logits', config: this.config, batch, seqLen, params: this.specs, lastOnly }),
    );
    const r = await c.session.run(this.feeds(c, { ids: i64(BigInt64Array.from(ids, (x) => BigInt(x)), [batch, seqLen]) }));
    return r.logits.data as Float32Array;
  }

  /** Compiles (or fetches from the cache) a graph built by `build`, keyed by `key` (used by importances). */
  compiled(key: string, build: () => BuiltGraph): Promise<Compiled> {
    return this.compile(key, build);
  }

  /** Feeds for a compiled graph: parameters from the engine's state plus `extra`. */
  paramFeeds(c: Compiled, extra: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
    return this.feeds(c, extra);
  }

  dispose(): void {
    for (const p of this.cache.values()) void p.then((c) => c.session.release()).catch(() => undefined);
    this.cache.clear();
  }
}


function hash2(a: number, b: number): number {
  let h = Math.imul((a >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((b >>> 0) + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.imul(h, 0x27d4eb2f) >>> 0;
}

/** Factory (async for symmetry with the tfjs engine). */
export async function createOrtEngine(config: GPT2Config, params: NamedTensors, opts: OrtEngineOptions = {}): Promise<OrtEngine> {
  return new OrtEngine(config, params, opts);
}

export { FlatBank };
