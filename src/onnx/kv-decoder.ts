/**
 * Fast generation on ONNX Runtime: the exported dynamic-shape GPT-2 with a key/value cache
 * (src/onnx/export-graph.ts), one row. `prefill(ids)` runs the prompt and returns the last position's logits;
 * `step(id)` appends one token using the cache. The weights are baked in at creation (a snapshot).
 */
import type { NamedTensors } from '../io/types.ts';
import type { GPT2Config } from '../model/gpt2-config.ts';
import { EwcError } from '../util/errors.ts';
import { buildExportModel } from './export-graph.ts';
import { createSession, f32, i64, ort } from './session.ts';

export class OrtKvDecoder {
  private past: Record<string, ort.Tensor> = {};
  private length = 0;

  private constructor(
    readonly config: GPT2Config,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(config: GPT2Config, params: NamedTensors, opts: { threads?: number } = {}): Promise<OrtKvDecoder> {
    return new OrtKvDecoder(config, await createSession(buildExportModel(config, params), opts));
  }

  /** Tokens in the cache. */
  get cached(): number {
    return this.length;
  }

  private emptyPast(): Record<string, ort.Tensor> {
    const H = this.config.n_head;
    const D = this.config.n_embd / H;
    const f: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.config.n_layer; i++) {
      f[`past_key_values.${i}.key`] = f32(new Float32Array(0), [1, H, 0, D]);
      f[`past_key_values.${i}.value`] = f32(new Float32Array(0), [1, H, 0, D]);
    }
    return f;
  }

  private async run(ids: readonly number[]): Promise<Float32Array> {
    const total = this.length + ids.length;
    if (total > this.config.n_positions) {
      throw new EwcError(`generation: ${total} tokens exceed n_positions = ${this.config.n_positions}; start again with a shorter prompt (prefill) or fewer new tokens.`);
    }
    const r = await this.session.run({
      input_ids: i64([...ids], [1, ids.length]),
      attention_mask: i64(new Array(total).fill(1), [1, total]),
      position_ids: i64(ids.map((_, t) => this.length + t), [1, ids.length]),
      ...this.past,
    });
    this.past = {};
    for (let i = 0; i < this.config.n_layer; i++) {
      this.past[`past_key_values.${i}.key`] = r[`present.${i}.key`];
      this.past[`past_key_values.${i}.value`] = r[`present.${i}.value`];
    }
    this.length = total;
    const V = this.config.vocab_size;
    const logits = r.logits.data as Float32Array;
    return logits.slice((ids.length - 1) * V, ids.length * V);
  }

  /** Resets the cache and runs the prompt; returns the logits [V] of its last position. */
  async prefill(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new EwcError('generation: the prompt has no tokens.');
    this.past = this.emptyPast();
    this.length = 0;
    return this.run(ids);
  }

  /** Appends one token; returns the next logits [V]. */
  async step(id: number): Promise<Float32Array> {
    if (this.length === 0) throw new EwcError('generation: call prefill(prompt) before step(token).');
    return this.run([id]);
  }

  dispose(): void {
    void this.session.release();
  }
}
