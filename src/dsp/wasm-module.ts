/**
 * Loading of the project's own WebAssembly SIMD kernel modules (committed as base64 in
 * `*-wasm.generated.ts`, built by scripts/build-wasm.mjs). Browser-safe: WebAssembly and atob only.
 *
 * A module is instantiated once per thread: synchronously on first use (Node, workers), or ahead of
 * time with `load()` — a browser's main thread refuses synchronous compiles over 4 kB. Without
 * WebAssembly SIMD, `get()` answers null and callers use their JS paths.
 */

/** The bytes of a base64 string. */
export function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export interface WasmKernelModule<E> {
  /** The module's exports (compiled synchronously on the first call), or null when unavailable. */
  get(): E | null;
  /** Compiles and instantiates asynchronously (idempotent); resolves true when available. */
  load(): Promise<boolean>;
}

/**
 * A lazily instantiated kernel module. `adopt` checks or prepares fresh exports (memory layout,
 * initial size) and may refuse them with null.
 */
export function wasmKernelModule<E>(name: string, base64: string, adopt: (exports: E) => E | null = (e) => e): WasmKernelModule<E> {
  let instance: E | null | undefined;
  const imports = { env: { abort: () => { throw new Error(`${name} wasm abort`); } } };
  const usable = () => typeof WebAssembly !== 'undefined' && typeof atob === 'function';
  return {
    get() {
      if (instance !== undefined) return instance;
      try {
        if (!usable()) return (instance = null);
        const mod = new WebAssembly.Module(decodeBase64(base64));
        instance = adopt(new WebAssembly.Instance(mod, imports).exports as unknown as E);
      } catch {
        instance = null; // no WebAssembly SIMD (or a main thread refusing a synchronous compile)
      }
      return instance;
    },
    async load() {
      if (instance) return true;
      try {
        if (!usable()) return false;
        const mod = await WebAssembly.compile(decodeBase64(base64));
        const inst = await WebAssembly.instantiate(mod, imports);
        instance = adopt(inst.exports as unknown as E);
        return instance !== null;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Copies y[j0 .. j0 + len) into mem[at .. at + len), with zeros where the range lies outside
 * [0, y.length): the input window of a block-wise kernel over a signal taken as zero outside.
 */
export function copyZeroPadded(mem: Float32Array, at: number, y: Float32Array, j0: number, len: number): void {
  const n = y.length;
  const a = Math.max(0, Math.min(len, -j0));
  const b = Math.max(a, Math.min(len, n - j0));
  if (a > 0) mem.fill(0, at, at + a);
  if (b > a) mem.set(y.subarray(j0 + a, j0 + b), at + a);
  if (len > b) mem.fill(0, at + b, at + len);
}
