/**
 * The ONE penalty of ewc-lm (../shared/docs/method.md §1):
 *
 *     penalty(θ) = Σ_i c_i · (θ_i − θ*_i)²           over the selected parameters
 *
 *   plain EWC (as in the paper's experiments, no ½):  c_i = λ·Ω_i                  ∂/∂θ_i = 2λΩ_i(θ_i − θ*_i)
 *   stabilized EWC:                                   c_i = λΩ_i / (2(1 + ηλΩ_i))   ∂/∂θ_i = λΩ_i/(1+ηλΩ_i)·(θ_i − θ*_i)
 *
 * With plain SGD of rate η, stabilized EWC moves θ_i by −x/(1+x)·(θ_i − θ*_i), x = ηλΩ_i: never past θ*.
 * Plain EWC moves it by −2x·(θ_i − θ*_i): for x > 1 it overshoots and |θ − θ*| grows by |1 − 2x| a step.
 *
 * The coefficients are computed on the host in float64 and rounded toward zero to float32; stabilized ones are
 * also shrunk by STABLE_MARGIN (2^-20 relative, far below any λ resolution), so that the float32 roundings of an
 * SGD step (2c·d, η·g, θ − ηg: a few ulps) can never carry a weight past θ*, whatever Ω is
 * (test/regularizers/stability.test.ts checks Ω from 1e-6 to 1e9).
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor, Importances } from '../importance/types.ts';
import { EwcError } from '../util/errors.ts';

export type PenaltyKind = 'ewc' | 'stabilized';

export interface PenaltyConfig {
  kind: PenaltyKind;
  /** EWC strength λ (≥ 0). */
  lambda: number;
  /** η of the stabilized coefficient; default: the optimizer's learning rate (set by the caller). */
  eta: number;
}

/** c for one importance value, in float64. */
export function coefficient(omega: number, cfg: PenaltyConfig): number {
  const lo = cfg.lambda * omega;
  if (cfg.kind === 'ewc') return lo;
  return lo / (2 * (1 + cfg.eta * lo));
}

/** Rounds a non-negative float64 to the nearest float32 not above it. */
export function f32Down(v: number): number {
  const f = Math.fround(v);
  if (f <= v || v <= 0) return f;
  // next float32 toward zero
  const buf = new Float32Array([f]);
  const bits = new Uint32Array(buf.buffer);
  bits[0] -= 1;
  return buf[0];
}

/** Relative shrink of stabilized coefficients that absorbs float32 rounding in the SGD step (see header). */
export const STABLE_MARGIN = 2 ** -20;

/** Coefficients c_i for every tensor of Ω (host, float32 rounded toward zero). */
export function penaltyCoefficients(omega: Importances, cfg: PenaltyConfig): Importances {
  validateConfig(cfg);
  const shrink = cfg.kind === 'stabilized' ? 1 - STABLE_MARGIN : 1;
  const out: Importances = new Map();
  for (const [name, t] of omega) {
    const c = new Float32Array(t.data.length);
    for (let i = 0; i < c.length; i++) c[i] = f32Down(coefficient(t.data[i], cfg) * shrink);
    out.set(name, { shape: [...t.shape], data: c });
  }
  return out;
}

export function validateConfig(cfg: PenaltyConfig): void {
  if (cfg.kind !== 'ewc' && cfg.kind !== 'stabilized') {
    throw new EwcError(`penalty kind: expected 'ewc' or 'stabilized', found '${String(cfg.kind)}'.`);
  }
  if (!(cfg.lambda >= 0) || !Number.isFinite(cfg.lambda)) {
    throw new EwcError(`penalty λ: expected a finite number ≥ 0, found ${cfg.lambda}. Pass --lambda X.`);
  }
  if (cfg.kind === 'stabilized' && (!(cfg.eta > 0) || !Number.isFinite(cfg.eta))) {
    throw new EwcError(
      `stabilized penalty η: expected a finite number > 0 (default: the learning rate), found ${cfg.eta}.`,
    );
  }
}

/**
 * The penalty on device: owns c_i and θ*_i as tf tensors for the selected names.
 * `value` is differentiable (use inside the loss closure); `gradients` gives 2c(θ − θ*) directly.
 */
export class EwcPenalty {
  readonly names: string[];
  readonly config: PenaltyConfig;
  private readonly coef = new Map<string, tf.Tensor>();
  private readonly anchor = new Map<string, tf.Tensor>();
  /** Σ_i c_i over all selected parameters (0 ⇒ the penalty is identically zero). */
  readonly coefSum: number;
  /** Σ_i Ω_i over the selected parameters. */
  readonly omegaSum: number;
  private disposed = false;

  constructor(opts: { config: PenaltyConfig; omega: Importances; anchor: Importances; names?: string[] }) {
    this.config = { ...opts.config };
    validateConfig(this.config);
    const names = opts.names ?? [...opts.omega.keys()];
    if (names.length === 0) {
      throw new EwcError('penalty: expected at least one selected parameter, found none. Check --params globs.');
    }
    let cs = 0;
    let os = 0;
    for (const name of names) {
      const om = opts.omega.get(name);
      const an = opts.anchor.get(name);
      if (!om) {
        throw new EwcError(
          `penalty: no importance for parameter '${name}'. Compute importances with the same --params ` +
            `selection (found: ${[...opts.omega.keys()].slice(0, 5).join(', ')}…).`,
        );
      }
      if (!an) throw new EwcError(`penalty: no anchor value θ* for parameter '${name}'.`);
      checkShape(name, om, an);
      const c = penaltyCoefficients(new Map([[name, om]]), this.config).get(name)!;
      for (let i = 0; i < c.data.length; i++) {
        cs += c.data[i];
        os += om.data[i];
      }
      this.coef.set(name, tf.tensor(c.data, c.shape, 'float32'));
      this.anchor.set(name, tf.tensor(an.data, an.shape, 'float32'));
    }
    this.names = [...names];
    this.coefSum = cs;
    this.omegaSum = os;
  }

  /** Σ_i c_i (θ_i − θ*_i)² as a differentiable scalar. `params` must hold every selected name. */
  value(params: Map<string, tf.Tensor>): tf.Scalar {
    this.check();
    return tf.tidy(() => {
      let total: tf.Scalar = tf.scalar(0);
      for (const name of this.names) {
        const d = tf.sub(this.param(params, name), this.anchor.get(name)!);
        total = tf.add(total, tf.sum(tf.mul(this.coef.get(name)!, tf.square(d))));
      }
      return total;
    });
  }

  /** ∂penalty/∂θ_i = 2c_i(θ_i − θ*_i) for every selected name (caller owns the tensors). */
  gradients(params: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
    this.check();
    const out = new Map<string, tf.Tensor>();
    for (const name of this.names) {
      out.set(
        name,
        tf.tidy(() => tf.mul(tf.mul(this.coef.get(name)!, 2), tf.sub(this.param(params, name), this.anchor.get(name)!))),
      );
    }
    return out;
  }

  /**
   * Adds the penalty gradient into `grads` in place (disposes replaced tensors); returns the penalty value
   * (a JS number, computed with the same tensors) for logging.
   */
  addToGradients(grads: Map<string, tf.Tensor>, params: Map<string, tf.Tensor>): number {
    const pg = this.gradients(params);
    for (const [name, g] of pg) {
      const old = grads.get(name);
      if (old) {
        grads.set(name, tf.add(old, g));
        old.dispose();
        g.dispose();
      } else {
        grads.set(name, g);
      }
    }
    const v = this.value(params);
    const out = v.dataSync()[0];
    v.dispose();
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.coef.values()) t.dispose();
    for (const t of this.anchor.values()) t.dispose();
    this.coef.clear();
    this.anchor.clear();
  }

  private param(params: Map<string, tf.Tensor>, name: string): tf.Tensor {
    const p = params.get(name);
    if (!p) throw new EwcError(`penalty: the model has no parameter '${name}' (the importance file names it).`);
    return p;
  }

  private check(): void {
    if (this.disposed) throw new Error('EwcPenalty used after dispose()');
  }
}

function checkShape(name: string, a: HostTensor, b: HostTensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new EwcError(
      `penalty: shape of '${name}': importance has [${a.shape}], anchor/model has [${b.shape}]. ` +
        `The importance file was computed for a different model.`,
    );
  }
}

/** The engine's penalty spec (src/engine/types.ts PenaltySpec): c_i and θ*_i for the selected names. */
export function penaltySpec(
  cfg: PenaltyConfig,
  omega: Importances,
  anchor: Importances,
  names: string[] = [...omega.keys()],
): { coeffs: Importances; anchor: Importances } {
  validateConfig(cfg);
  const coeffs: Importances = new Map();
  const anc: Importances = new Map();
  for (const name of names) {
    const om = omega.get(name);
    const an = anchor.get(name);
    if (!om) throw new EwcError(`penalty: no importance for parameter '${name}'. Compute importances with the same --params selection.`);
    if (!an) throw new EwcError(`penalty: no anchor value θ* for parameter '${name}'.`);
    checkShape(name, om, an);
    coeffs.set(name, penaltyCoefficients(new Map([[name, om]]), cfg).get(name)!);
    anc.set(name, an);
  }
  return { coeffs, anchor: anc };
}

/** An EwcPenalty from precomputed coefficients (an engine's PenaltySpec): same value and gradient. */
export function penaltyFromSpec(spec: { coeffs: Importances; anchor: Importances }): EwcPenalty {
  // c = λ·Ω with λ = 1 reproduces the given coefficients exactly (plain kind, no rounding change).
  return new EwcPenalty({ config: { kind: 'ewc', lambda: 1, eta: 0 }, omega: spec.coeffs, anchor: spec.anchor });
}
