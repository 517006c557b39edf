/**
 * Backend selection for every computing command: `--backend auto|tensorflow|wasm|cpu`.
 *
 * - tensorflow: @tensorflow/tfjs-node-gpu, else @tensorflow/tfjs-node, when the user installed one
 *   (optional; never a dependency of this package).
 * - wasm: @tensorflow/tfjs-backend-wasm (single-threaded in Node, SIMD), with the kernels it lacks for
 *   training patched in (./wasm-kernels.ts).
 * - cpu: the pure-JS reference backend (slow; used by tests as the oracle).
 * - auto: tensorflow when it loads, else wasm.
 *
 * initBackend is idempotent: asking again for the active backend returns at once.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { EwcError } from '../util/errors.ts';
import { registerWasmPatches } from './wasm-kernels.ts';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** yargs option for `--backend` (spread into `.option('backend', backendOption)` or `builder.backend`). */
export const backendOption = {
  describe:
    'tfjs backend: tensorflow (needs @tensorflow/tfjs-node or -node-gpu installed), wasm, cpu (slow), ' +
    'or auto (tensorflow when installed, else wasm)',
  choices: BACKEND_CHOICES as unknown as string[],
  default: 'auto' as BackendChoice,
  type: 'string' as const,
};

const TF_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
let tensorflowTried: { ok: boolean; pkg?: string; errors: string[] } | null = null;
let wasmRegistered = false;

/** Tries to load tfjs-node(-gpu) once; registers the 'tensorflow' backend into our tfjs-core when it does. */
async function tryLoadTensorflow(): Promise<{ ok: boolean; pkg?: string; errors: string[] }> {
  if (tensorflowTried) return tensorflowTried;
  const errors: string[] = [];
  for (const pkg of TF_NODE_PACKAGES) {
    try {
      await import(pkg);
      if (tf.findBackendFactory('tensorflow') != null) {
        tensorflowTried = { ok: true, pkg, errors };
        return tensorflowTried;
      }
      errors.push(`${pkg} loaded but did not register a 'tensorflow' backend (a different @tensorflow/tfjs-core copy?)`);
    } catch (e) {
      errors.push(`${pkg}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  tensorflowTried = { ok: false, errors };
  return tensorflowTried;
}

async function loadWasm(): Promise<void> {
  if (wasmRegistered) return;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Point the backend at the .wasm binaries inside node_modules explicitly (works offline, no fetch).
  const require = createRequire(import.meta.url);
  const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  try {
    wasm.setWasmPaths(distDir + '/');
  } catch {
    // already initialised by someone else's tf.setBackend('wasm'): its own default paths worked
  }
  registerWasmPatches();
  wasmRegistered = true;
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new EwcError(`could not initialise the tfjs '${name}' backend (tf.setBackend returned false).`);
  }
}

/**
 * Initialises and activates a backend; returns the name of the active tfjs backend
 * ('tensorflow' | 'wasm' | 'cpu').
 */
export async function initBackend(choice: BackendChoice | string = 'auto'): Promise<string> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new EwcError(
      `unknown backend: expected one of ${BACKEND_CHOICES.join(', ')}, found '${choice}'. Pass --backend wasm (the default when tfjs-node is not installed).`,
    );
  }
  if (choice === 'tensorflow' || choice === 'auto') {
    if (tf.getBackend() === 'tensorflow' && tf.findBackend('tensorflow') != null) return 'tensorflow';
    const t = await tryLoadTensorflow();
    if (t.ok) {
      await activate('tensorflow');
      return 'tensorflow';
    }
    if (choice === 'tensorflow') {
      throw new EwcError(
        `--backend tensorflow needs @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node (CPU), and neither loaded ` +
          `(${t.errors.join('; ')}). Install one with the same version as @tensorflow/tfjs (4.22.0): ` +
          `'npm install @tensorflow/tfjs-node@4.22.0' (its install step downloads libtensorflow, so it needs network ` +
          `access once), or use --backend wasm.`,
      );
    }
    choice = 'wasm';
  }
  if (choice === 'wasm') {
    if (tf.getBackend() === 'wasm' && wasmRegistered) return 'wasm';
    await loadWasm();
    await activate('wasm');
    return 'wasm';
  }
  // cpu
  if (tf.getBackend() !== 'cpu') await activate('cpu');
  return 'cpu';
}

/** The backend name recorded in results (e.g. `{backend: activeBackend()}`). */
export function activeBackend(): string {
  return tf.getBackend();
}
