/**
 * ONNX Runtime sessions for ewc-lm's graphs: CPU, memory pattern off (a third less RSS at equal speed,
 * ../shared/docs/ort-notes.md), intra-op threads from EWC_LM_ORT_THREADS (default 2).
 */
import * as ort from 'onnxruntime-node';
import type { TensorData } from './proto.ts';

export { ort };

export function defaultThreads(): number {
  const env = Number(process.env.EWC_LM_ORT_THREADS);
  return Number.isInteger(env) && env > 0 ? env : 2;
}

export async function createSession(model: Uint8Array, opts: { threads?: number } = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    enableMemPattern: false,
    intraOpNumThreads: opts.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
}

export function f32(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function i64(data: BigInt64Array | readonly number[], dims: readonly number[]): ort.Tensor {
  const d = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (x) => BigInt(x));
  return new ort.Tensor('int64', d, dims);
}

export function tensorOf(dtype: 'float32' | 'int64', data: TensorData, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(dtype, data as Float32Array, dims);
}

/** Float32 data of an output tensor. */
export function dataF32(t: ort.Tensor | undefined, name = '?'): Float32Array {
  if (!t) throw new Error(`missing output ${name}`);
  return t.data as Float32Array;
}
