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
import './tfjs.js';

export type BackendName = 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Where the tfjs-backend-wasm `.wasm` files are served from: a prefix ending in '/' or a
   * map {'tfjs-backend-wasm.wasm': url, 'tfjs-backend-wasm-simd.wasm': url, ...}. Required in a
   * browser; in Node the installed package's dist/ directory is used when omitted. */
  wasmPaths?: string | Record<string, string>;
}

let wasmPathsSet = false;
let pending: Promise<string> | null = null;
let pendingName: BackendName | null = null;

function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  return typeof g.process?.versions?.node === 'string';
}

/** The file:// directory (with trailing '/') of the installed tfjs-backend-wasm dist files, in Node. */
export function nodeWasmDir(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta.resolve !== 'function') {
    throw new SerError('EPARAM', 'initBackend: cannot locate @tensorflow/tfjs-backend-wasm here; pass {wasmPaths}');
  }
  // The package's "main" is dist/tf-backend-wasm.node.js: its directory holds the .wasm files.
  const main = meta.resolve('@tensorflow/tfjs-backend-wasm');
  let url = main.slice(0, main.lastIndexOf('/') + 1);
  // setWasmPaths in Node is handed to fs.readFile-based loading: use a plain path, not file://.
  if (url.startsWith('file://')) url = decodeURIComponent(new URL(url).pathname);
  return url;
}

async function doInit(name: BackendName, opts: InitBackendOptions): Promise<string> {
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
  const ok = await tf.setBackend(name);
  if (!ok) throw new SerError('EPARAM', `initBackend: the TensorFlow.js '${name}' backend failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}

/**
 * Makes `name` (default 'wasm') the active TensorFlow.js backend and returns its name.
 * Idempotent: a second call with the same name returns the same promise's result; a call with a
 * different name switches backend. Throws SerError('EPARAM') for an unknown backend name or when
 * the backend cannot start.
 */
export function initBackend(name: BackendName = 'wasm', opts: InitBackendOptions = {}): Promise<string> {
  if (name !== 'wasm' && name !== 'cpu') {
    return Promise.reject(new SerError('EPARAM', `initBackend: unknown backend '${String(name)}' (expected 'wasm' or 'cpu')`));
  }
  if (pending !== null && pendingName === name && tf.getBackend() === name) return pending;
  if (pending !== null && pendingName === name) {
    // An init is still in flight or someone switched backend meanwhile: chain.
    pending = pending.then(() => doInit(name, opts));
    return pending;
  }
  pendingName = name;
  pending = doInit(name, opts);
  pending.catch(() => {
    pending = null;
    pendingName = null;
  });
  return pending;
}
