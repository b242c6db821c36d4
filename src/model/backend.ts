/**
 * TensorFlow.js backend set-up for training and inference.
 *
 * `initBackend()` registers the WebAssembly backend (XNNPACK, SIMD) with the project's extra
 * kernels (see ./kernels/) and makes it the active backend. In Node the `.wasm` binaries are read
 * from the installed @tensorflow/tfjs-backend-wasm package (no network); in a browser pass
 * `{wasmPaths}` (a URL prefix ending in '/' or a map of file name → URL).
 *
 * Browser-safe: this file imports no node: module. In Node the package directory is located with
 * `import.meta.resolve`, which only Node (and bundlers that define it) provide; a browser caller
 * must pass `wasmPaths`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { SerError } from '../errors.js';
import { registerWasmTrainingKernels } from './kernels/index.js';
import { loadLstmWasm } from './kernels/lstm.js';
import './tfjs.js';

export type BackendName = 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Where the tfjs-backend-wasm `.wasm` files are served from: a prefix ending in '/' or a
   * map {'tfjs-backend-wasm.wasm': url, 'tfjs-backend-wasm-simd.wasm': url, ...}. Required in a
   * browser; in Node the installed package's dist/ directory is used when omitted. */
  wasmPaths?: string | Record<string, string>;
}

let wasmPathsSet = false;

function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  return typeof g.process?.versions?.node === 'string';
}

/** The directory (with trailing '/') of the installed tfjs-backend-wasm dist files, in Node. */
export function nodeWasmDir(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta.resolve !== 'function') {
    throw new SerError('EPARAM', 'initBackend: cannot locate @tensorflow/tfjs-backend-wasm here; pass {wasmPaths}');
  }
  // The package's "main" is dist/tf-backend-wasm.node.js: its directory holds the .wasm files.
  const main = meta.resolve('@tensorflow/tfjs-backend-wasm');
  const dir = main.slice(0, main.lastIndexOf('/') + 1);
  // Node's emscripten loader reads the binary with fs: give it a plain path.
  return dir.startsWith('file://') ? decodeURIComponent(new URL(dir).pathname) : dir;
}

/**
 * Makes `name` (default 'wasm') the active TensorFlow.js backend and returns its name.
 * For 'wasm': points tfjs-backend-wasm at its .wasm binaries (once; `opts.wasmPaths`, or in Node
 * the installed package) and registers the project's training kernels (./kernels). Idempotent and
 * safe to call concurrently; calling with the other name switches backend (tensors move lazily).
 * Throws SerError('EPARAM') for an unknown name or when the backend cannot start.
 */
export async function initBackend(name: BackendName = 'wasm', opts: InitBackendOptions = {}): Promise<string> {
  if (name !== 'wasm' && name !== 'cpu') {
    throw new SerError('EPARAM', `initBackend: unknown backend '${String(name)}' (expected 'wasm' or 'cpu')`);
  }
  if (name === 'wasm') {
    if (!wasmPathsSet) {
      const paths = opts.wasmPaths ?? (isNode() ? nodeWasmDir() : undefined);
      if (paths === undefined) {
        throw new SerError('EPARAM', 'initBackend: in a browser pass {wasmPaths} (URL prefix of the tfjs-backend-wasm .wasm files)');
      }
      setWasmPaths(paths as string);
      wasmPathsSet = true;
    }
    registerWasmTrainingKernels();
  }
  if (tf.getBackend() !== name) {
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      throw new SerError('EPARAM', `initBackend: the TensorFlow.js '${name}' backend failed to initialise: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (!ok) throw new SerError('EPARAM', `initBackend: the TensorFlow.js '${name}' backend failed to initialise`);
  }
  await tf.ready();
  // The project's own SIMD module (LSTM recurrence, reductions): compiled asynchronously here so
  // that a browser main thread (no synchronous compile over 4 kB) uses it too.
  await loadLstmWasm();
  return tf.getBackend();
}
