/** Host-side tensors: plain float32 data with a shape, keyed by HF parameter name. */

/** A tensor in host memory. `data.length` equals the product of `shape` (1 for shape []). */
export type HostTensor = { shape: number[]; data: Float32Array };

/** Name-keyed host tensors (hub-style GPT-2 names, e.g. `h.0.attn.c_attn.weight`). */
export type NamedTensors = Map<string, HostTensor>;

/** Number of elements of a shape (1 for a scalar shape []). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
