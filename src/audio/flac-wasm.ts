/**
 * WebAssembly FLAC frame decoding (asm/flac.ts, built into flac-wasm.generated.ts by
 * scripts/build-wasm.mjs), used by decodeFlac (src/audio/flac.ts) when available. Browser-safe:
 * typed arrays and WebAssembly only.
 *
 * The module's memory is a fixed 5 MB (never grown: a grow detaches ArrayBuffers, which slows
 * typed-array code in the whole thread afterwards): tables, a 1 MB input window, room for its
 * byte-reversed copy (WebAssembly has no byte swap; big-endian reads of the reversed copy are
 * plain loads) and an output region. A file is decoded window by window: the window is refilled from the next frame whenever
 * a frame would run past it or the output region is full, and the decoded float32 samples are
 * copied out after each call. Whatever the wasm decoder does not accept — a corrupt or truncated
 * frame, a frame larger than the window — makes decodeFlacWasm return null: the caller then runs
 * the JS decoder, which gives the exact error (or the samples). The wasm decoder mirrors every
 * check of the JS one, so it never accepts a stream the JS decoder rejects, and its arithmetic is
 * the JS decoder's bit for bit (tests compare both on every RAVDESS file and on mutated files).
 */
import { FLAC_WASM_BASE64 } from './flac-wasm.generated.js';
import { wasmKernelModule } from '../dsp/wasm-module.js';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  init(at: number): number;
  decodeFrames(inp: number, winLen: number, remain: number, nc: number, bps: number, sr: number, total: number, doneBase: number, out: number, chanCap: number, rev: number): number;
  position(): number;
  produced(): number;
}

/** The module's fixed memory (asm flags --initialMemory 80 --maximumMemory 80). */
const MEMORY_BYTES = 80 << 16;
/** Input window size. */
const WINDOW = 1 << 20;

let IN = 0;
let REV = 0;
let OUT = 0;
let u8: Uint8Array | null = null;
let f32: Float32Array | null = null;
let disabled = false;
/** Test hooks: a smaller window / output capacity (per channel), to exercise refills. */
let windowBytes = WINDOW;
let outSamples = 0;

const flacModule = wasmKernelModule<Exports>('flac', FLAC_WASM_BASE64, (e) => {
  if (e.memory.buffer.byteLength !== MEMORY_BYTES) return null;
  const tablesEnd = e.init((e.heapBase() + 15) & ~15);
  IN = (tablesEnd + 15) & ~15;
  REV = IN + WINDOW + 32 + WINDOW + 48; // the reversed copy ends here
  OUT = (REV + 63) & ~63;
  if (MEMORY_BYTES - OUT < 8 * 65536 * 4) return null; // 8 channels of the largest block
  u8 = new Uint8Array(e.memory.buffer);
  f32 = new Float32Array(e.memory.buffer);
  return e;
});

/** Turns the WebAssembly decoder off (true) or back on (false), e.g. to compare both paths. */
export function setWasmFlacDisabled(off: boolean): void {
  disabled = off;
}

/** True when the WebAssembly decoder is available and enabled. */
export function wasmFlacAvailable(): boolean {
  return !disabled && flacModule.get() !== null;
}

/** Compiles the module asynchronously (for a browser main thread, which refuses a synchronous compile). */
export function loadFlacWasm(): Promise<boolean> {
  return flacModule.load();
}

/**
 * Test hook: decode through a window of `window` bytes and at most `samples` output samples per
 * channel per call (0 = the defaults), to exercise window refills on small files.
 */
export function setFlacWasmLimits(window = 0, samples = 0): void {
  windowBytes = window > 0 ? Math.min(window, WINDOW) : WINDOW;
  outSamples = samples;
}

/** Counts of decodeFlacWasm results since the process started (for tests and benchmarks). */
export const flacWasmStats = { decoded: 0, declined: 0 };

/** Stream parameters from STREAMINFO, as decodeFlac checked them. */
/**
 * Output channels with room for at least `need` samples (and at least twice the old capacity),
 * the first `done` samples of each copied over. Shared by the wasm and JS decoders.
 */
export function growChannels(out: Float32Array[], done: number, need: number): Float32Array[] {
  const cap = Math.max(2 * out[0].length, need);
  return out.map((o) => {
    const g = new Float32Array(cap);
    g.set(o.subarray(0, done));
    return g;
  });
}

export interface FlacStreamParams {
  channels: number;
  bitsPerSample: number;
  sr: number;
  /** STREAMINFO's total samples per channel (0 = unknown, ≤ 2^28). */
  totalSamples: number;
  /** Byte offset of the first frame. */
  framesOffset: number;
}

/**
 * Decodes the frames of a FLAC file whose STREAMINFO is `info` into float32 channels (length
 * min(decoded, totalSamples) when totalSamples is known), exactly as the JS decoder does, starting
 * with output buffers of `cap` samples. Returns null when the WebAssembly decoder is unavailable or
 * does not accept the stream (the caller then runs the JS decoder).
 *
 * With `scratch`, a stream decoded by one kernel call (input and output fit the module's windows:
 * files up to 1 MB) comes back as views of the module's memory, not copied: they are overwritten by
 * the next decode, so the caller must copy (resample, mix down) or drop them before that.
 */
export function decodeFlacWasm(bytes: Uint8Array, info: FlacStreamParams, cap: number, scratch = false): Float32Array[] | null {
  if (disabled) return null;
  const e = flacModule.get();
  if (!e || !u8 || !f32) return null;
  const n = bytes.length;
  const nc = info.channels;
  if (n > 0x7fffffff - 64) return null;
  const total = info.totalSamples;
  const chanCap = outSamples > 0 ? outSamples : Math.floor((MEMORY_BYTES - OUT) / 4 / nc) & ~3;
  let out: Float32Array[] = [];
  let done = 0;
  let p = info.framesOffset;
  for (;;) {
    const remain = n - p;
    const winLen = Math.min(windowBytes, remain);
    u8.set(bytes.subarray(p, p + winLen), IN);
    u8.fill(0, IN + winLen, IN + winLen + 32);
    let st: number;
    try {
      st = e.decodeFrames(IN, winLen, remain, nc, info.bitsPerSample, info.sr, total, done, OUT, chanCap, REV);
    } catch {
      flacWasmStats.declined++;
      return null; // a trap would be a bug in the kernel: let the JS decoder answer
    }
    const got = e.produced();
    const pos = e.position();
    if (scratch && st === 0 && done === 0 && (total === 0 || got >= total)) {
      // the whole stream in one call: hand out the module's output region itself
      flacWasmStats.decoded++;
      const keep = total > 0 ? Math.min(got, total) : got;
      const views: Float32Array[] = [];
      for (let c = 0; c < nc; c++) views.push(f32.subarray((OUT >> 2) + c * chanCap, (OUT >> 2) + c * chanCap + keep));
      return views;
    }
    if (out.length === 0) for (let c = 0; c < nc; c++) out.push(new Float32Array(cap));
    if (got > 0) {
      if (done + got > cap) {
        out = growChannels(out, done, done + got);
        cap = out[0].length;
      }
      for (let c = 0; c < nc; c++) {
        const at = (OUT >> 2) + c * chanCap;
        out[c].set(f32.subarray(at, at + got), done);
      }
      done += got;
    }
    if (st === 0) break;
    // An error in a window that does not reach the end of the file may come from the cut: retry
    // with the window starting at that frame. Otherwise (or without progress) decline.
    const retry = st > 0 || winLen < remain;
    if (!retry || pos === 0) {
      flacWasmStats.declined++;
      return null;
    }
    p += pos;
  }
  if (total > 0 && done < total) {
    flacWasmStats.declined++;
    return null; // truncated: the JS decoder reports it
  }
  flacWasmStats.decoded++;
  const keep = total > 0 ? Math.min(done, total) : done;
  return out.map((o) => (o.length === keep ? o : o.slice(0, keep)));
}
