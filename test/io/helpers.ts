/** Test helpers: scratch dirs and hand-built (possibly corrupt) safetensors files. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function scratch(prefix = 'ewc-io-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Raw safetensors bytes from a header object (serialized as given, no validation) and a data buffer.
 * `headerLen` overrides the 8-byte length prefix (to fake truncation / hostile sizes).
 */
export function rawSafetensors(header: unknown, data: Uint8Array, headerLen?: bigint): Uint8Array {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

/** Little-endian bytes of 16-bit patterns. */
export function u16le(bits: number[]): Uint8Array {
  const b = new Uint8Array(bits.length * 2);
  bits.forEach((v, i) => {
    b[2 * i] = v & 0xff;
    b[2 * i + 1] = v >>> 8;
  });
  return b;
}

export function f32le(vals: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(vals).buffer);
}

/** Runs fn and returns the thrown error's message (fails if nothing is thrown). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

import { expectedParamShapes } from '../../src/io/checkpoint.ts';
import { makeGPT2Config, type GPT2Config } from '../../src/model/gpt2-config.ts';
import type { NamedTensors } from '../../src/io/types.ts';

/** A very small GPT-2 config for tests. */
export function tinyConfig(over: Partial<GPT2Config> = {}): GPT2Config {
  return makeGPT2Config({ vocab_size: 16, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2, ...over });
}

/** Deterministic pseudo-random parameters with the shapes the config implies. */
export function randomParams(c: GPT2Config, seed = 1): NamedTensors {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
  const out: NamedTensors = new Map();
  for (const [name, shape] of expectedParamShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rnd();
    out.set(name, { shape, data });
  }
  return out;
}
