/**
 * WebAssembly kernels, assembled here from named opcodes: (1) a SIMD kernel for the chroma
 * projection, (2) a scalar kernel for spectral contrast's per-band order statistics.
 *
 * (1) Chroma: the projection raw[t, c] = Σ_k W[c, k] · S[t, k] with
 * n_chroma = 12, assembled here from named opcodes (no toolchain, no binary blob to trust).
 * The text form of the function is:
 *
 *   (func (export "proj") (param $w i32) (param $s i32) (param $out i32) (param $nb i32) (param $T i32)
 *     for t in 0..T:                              ;; one frame at a time
 *       d0..d5 = 0 (f64x2)                        ;; 12 double accumulators
 *       for each block of ≤ 64 bins k:
 *         a0..a2 = 0 (f32x4)                      ;; 12 float accumulators for the block
 *         for k in block:
 *           x = v128.load32_splat(S[t, k])
 *           a_i += x * v128.load(W[k, 4i .. 4i+3])  (i = 0, 1, 2; W stored bin-major, 12 floats a bin)
 *         d_2i += promote_low(a_i); d_2i+1 += promote_low(a_i lanes 2,3)
 *       store d0..d5 as 12 f64 at out + 96·t
 *
 * Float32 products summed in float32 over blocks of 64 bins, then in float64: the rounding error
 * is below 64 · 2^-24 ≈ 4e-6 of each chroma value (librosa itself sums in float32 via BLAS).
 *
 * Browser-safe: uses only the standard WebAssembly API; when it or SIMD is unavailable, `create`
 * returns null and the caller uses its JavaScript loop.
 */

// --- a tiny assembler -------------------------------------------------------------------------
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  select: [0x1b],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32Sub: [0x6b],
  i32Eqz: [0x45],
  i32LtS: [0x48],
  if: [0x04, 0x40],
  else: [0x05],
  i32Load: (offset: number) => [0x28, 2, ...uleb(offset)],
  f32Load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset: number) => [0x38, 2, ...uleb(offset)],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
  f32Const: (v: number) => [0x43, ...new Uint8Array(new Float32Array([v]).buffer)],
  f64Const: (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)],
  f32Ne: [0x5c],
  f32Gt: [0x5e],
  f32Lt: [0x5d],
  f32Ge: [0x60],
  f64Add: [0xa0],
  f64PromoteF32: [0xbb],
  simd: (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm],
};
const v128Load = (offset: number) => op.simd(0x00, 4, ...uleb(offset));
const v128Load32Splat = op.simd(0x09, 2, 0);
const v128Store = (offset: number) => op.simd(0x0b, 4, ...uleb(offset));
const v128Zero = op.simd(0x0c, ...new Array<number>(16).fill(0));
const swapHalves = op.simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7); // i8x16.shuffle
const f64x2PromoteLow = op.simd(0x5f);
const f32x4Add = op.simd(0xe4);
const f32x4Mul = op.simd(0xe6);
const f64x2Add = op.simd(0xf0);

/** A module with one memory ("mem") and one exported function `name` of the given type. */
function moduleBytes(type: number[], locals: number[], code: number[], name: string): Uint8Array<ArrayBuffer> {
  const body = [...locals, ...code, 0x0b];
  const func = [...uleb(body.length), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, ...type]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, ...uleb(MEMORY_PAGES)]),
    ...section(7, [2, ...str('mem'), 0x02, 0, ...str(name), 0x00, 0]),
    ...section(10, [1, ...func]),
  ]);
}

function instantiate(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Instance | null {
  const WA = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!WA) return null;
  try {
    if (!WA.validate(bytes)) return null;
    return new WA.Instance(new WA.Module(bytes), {});
  } catch {
    return null;
  }
}

/**
 * Each kernel's memory: fixed at instantiation and NEVER grown. Growing a WebAssembly memory
 * detaches its old ArrayBuffer, and the first detach anywhere in a process makes V8 add detach
 * checks to every optimised typed-array access from then on (measured here: unrelated JS loops
 * ran 2× slower after one grow). Work is chunked to fit instead; when even one frame does not
 * fit, the kernels report it and the callers use their JavaScript loops.
 */
const MEMORY_PAGES = 24; // 1.5 MiB
const MEMORY_BYTES = MEMORY_PAGES * 65536;

function buildModule(): Uint8Array<ArrayBuffer> {
  // params: w=0 s=1 out=2 nb=3 T=4; locals: t=5 k=6 wp=7 sp=8 bend=9 op=10; a0..a2=11..13; d0..d5=14..19; x=20
  const [W, S, OUT, NB, T, t, k, wp, sp, bend, o] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const a = [11, 12, 13];
  const d = [14, 15, 16, 17, 18, 19];
  const x = 20;
  const c: number[] = [];
  const e = (...parts: number[][]) => parts.forEach((p) => c.push(...p));
  e(op.i32(0), op.set(t));
  e(op.block, op.loop);
  e(op.get(t), op.get(T), op.i32GeU, op.brIf(1));
  for (const di of d) e(v128Zero, op.set(di));
  e(op.get(W), op.set(wp));
  e(op.get(S), op.get(t), op.get(NB), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add, op.set(sp));
  e(op.i32(0), op.set(k));
  e(op.block, op.loop);
  e(op.get(k), op.get(NB), op.i32GeU, op.brIf(1));
  // bend = min(k + 64, nb)
  e(op.get(k), op.i32(64), op.i32Add, op.tee(bend), op.get(NB), op.get(bend), op.get(NB), op.i32LtU, op.select, op.set(bend));
  for (const ai of a) e(v128Zero, op.set(ai));
  e(op.loop);
  e(op.get(sp), v128Load32Splat, op.set(x));
  a.forEach((ai, i) => e(op.get(ai), op.get(x), op.get(wp), v128Load(16 * i), f32x4Mul, f32x4Add, op.set(ai)));
  e(op.get(wp), op.i32(48), op.i32Add, op.set(wp));
  e(op.get(sp), op.i32(4), op.i32Add, op.set(sp));
  e(op.get(k), op.i32(1), op.i32Add, op.tee(k), op.get(bend), op.i32LtU, op.brIf(0));
  e(op.end);
  a.forEach((ai, i) => {
    e(op.get(d[2 * i]), op.get(ai), f64x2PromoteLow, f64x2Add, op.set(d[2 * i]));
    e(op.get(d[2 * i + 1]), op.get(ai), op.get(ai), swapHalves, f64x2PromoteLow, f64x2Add, op.set(d[2 * i + 1]));
  });
  e(op.br(0), op.end, op.end);
  e(op.get(OUT), op.get(t), op.i32(96), op.i32Mul, op.i32Add, op.set(o));
  d.forEach((di, i) => e(op.get(o), op.get(di), v128Store(16 * i)));
  e(op.get(t), op.i32(1), op.i32Add, op.set(t));
  e(op.br(0), op.end, op.end);
  const locals = [...uleb(2), ...uleb(6), I32, ...uleb(10), V128];
  return moduleBytes([0x60, 5, I32, I32, I32, I32, I32, 0], locals, c, 'proj');
}

/** Projection of frame-major spectrogram rows onto a 12-row filterbank. */
export interface ChromaKernel {
  /**
   * raw[t·12 + c] = Σ_k W[c, k] · data[t·nb + k] for t < T. `weights` is the filterbank stored
   * bin-major (W[c, k] at k·12 + c), nb·12 floats. Returns false (and does nothing) when the
   * spectrogram is too wide for the kernel's fixed memory.
   */
  project(weights: Float32Array, data: Float32Array, nb: number, T: number, raw: Float64Array): boolean;
}

const CHUNK = 128; // frames copied into wasm memory per call

export function createChromaKernel(): ChromaKernel | null {
  const inst = instantiate(buildModule());
  if (!inst) return null;
  const mem = inst.exports.mem as WebAssembly.Memory;
  const proj = inst.exports.proj as (w: number, s: number, out: number, nb: number, T: number) => void;
  let lastWeights: Float32Array | null = null;
  const buf = mem.buffer;
  return {
    project(weights, data, nb, T, raw) {
      const wBytes = nb * 48;
      const sOff = (wBytes + 15) & ~15;
      const perFrame = nb * 4 + 96 + 16;
      const chunk = Math.min(CHUNK, Math.max(T, 1), Math.floor((MEMORY_BYTES - sOff - 16) / perFrame));
      if (chunk < 1) return false;
      const oOff = (sOff + chunk * nb * 4 + 15) & ~15;
      if (lastWeights !== weights) {
        new Float32Array(buf, 0, nb * 12).set(weights);
        lastWeights = weights;
      }
      const sView = new Float32Array(buf, sOff, chunk * nb);
      const oView = new Float64Array(buf, oOff, chunk * 12);
      for (let t0 = 0; t0 < T; t0 += chunk) {
        const n = Math.min(chunk, T - t0);
        sView.set(data.subarray(t0 * nb, (t0 + n) * nb));
        proj(0, sOff, oOff, nb, n);
        raw.set(n === chunk ? oView : oView.subarray(0, n * 12), t0 * 12);
      }
      return true;
    },
  };
}

// --- Spectral contrast ------------------------------------------------------------------------
/*
 * (func (export "bands") (param $data i32) (param $nb i32) (param $T i32) (param $tab i32)
 *                        (param $nbands i32) (param $lb i32) (param $hb i32) (param $out i32)
 *   for t < T, for band k < nbands with (lo, len, q) = i32 triple at tab + 12·k:
 *     scan data[t·nb + lo .. + len) keeping the q smallest (ascending, at lb) and the q largest
 *     (descending, at hb) by insertion — the same procedure as contrast.ts's extremeSums —
 *     then store Σ smallest (NaN if a NaN was seen) and Σ largest as two f64 at out + 16·(t·nbands + k).
 * Values are compared as float32 and summed in float64 in sorted order, exactly as the JavaScript
 * path does, so both give bit-identical sums.
 */
function buildContrastModule(): Uint8Array<ArrayBuffer> {
  const [DATA, NB, T, TAB, NBANDS, LB, HB, OUT] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [t, k, p, end, q4, j, nan, row, tk, o] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const [v, lmax, hmin, tmp] = [18, 19, 20, 21];
  const [sl, sh] = [22, 23];
  const c: number[] = [];
  const e = (...parts: number[][]) => parts.forEach((x) => c.push(...x));
  // insertion of v into the sorted buffer at `buf` (q4 = 4·q bytes): shift while buf[j] `cmp` v
  const insert = (buf: number, cmp: number[], thr: number) => {
    e(op.get(q4), op.i32(8), op.i32Sub, op.set(j));
    e(op.block, op.loop);
    e(op.get(j), op.i32(0), op.i32LtS, op.brIf(1));
    e(op.get(buf), op.get(j), op.i32Add, op.f32Load(0), op.tee(tmp), op.get(v), cmp, op.i32Eqz, op.brIf(1));
    e(op.get(buf), op.get(j), op.i32Add, op.get(tmp), op.f32Store(4));
    e(op.get(j), op.i32(4), op.i32Sub, op.set(j));
    e(op.br(0), op.end, op.end);
    e(op.get(buf), op.get(j), op.i32Add, op.get(v), op.f32Store(4));
    e(op.get(buf), op.get(q4), op.i32Add, op.i32(4), op.i32Sub, op.f32Load(0), op.set(thr));
  };
  e(op.get(OUT), op.set(o));
  e(op.i32(0), op.set(t));
  e(op.block, op.loop); // frames
  e(op.get(t), op.get(T), op.i32GeU, op.brIf(1));
  e(op.get(DATA), op.get(t), op.get(NB), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add, op.set(row));
  e(op.i32(0), op.set(k));
  e(op.block, op.loop); // bands
  e(op.get(k), op.get(NBANDS), op.i32GeU, op.brIf(1));
  e(op.get(TAB), op.get(k), op.i32(12), op.i32Mul, op.i32Add, op.set(tk));
  e(op.get(row), op.get(tk), op.i32Load(0), op.i32(2), op.i32Shl, op.i32Add, op.tee(p));
  e(op.get(tk), op.i32Load(4), op.i32(2), op.i32Shl, op.i32Add, op.set(end));
  e(op.get(tk), op.i32Load(8), op.i32(2), op.i32Shl, op.set(q4));
  // buffers: L = +inf, H = -inf
  e(op.i32(0), op.set(j));
  e(op.block, op.loop);
  e(op.get(j), op.get(q4), op.i32GeU, op.brIf(1));
  e(op.get(LB), op.get(j), op.i32Add, op.f32Const(Infinity), op.f32Store(0));
  e(op.get(HB), op.get(j), op.i32Add, op.f32Const(-Infinity), op.f32Store(0));
  e(op.get(j), op.i32(4), op.i32Add, op.set(j));
  e(op.br(0), op.end, op.end);
  e(op.f32Const(Infinity), op.set(lmax), op.f32Const(-Infinity), op.set(hmin), op.i32(0), op.set(nan));
  e(op.block, op.loop); // elements
  e(op.get(p), op.get(end), op.i32GeU, op.brIf(1));
  e(op.get(p), op.f32Load(0), op.set(v));
  // low side: !(v >= lmax) covers v < lmax and NaN
  e(op.get(v), op.get(lmax), op.f32Ge, op.i32Eqz, op.if);
  e(op.get(v), op.get(v), op.f32Ne, op.if, op.i32(1), op.set(nan), op.else);
  insert(LB, op.f32Gt, lmax);
  e(op.end, op.end);
  // high side
  e(op.get(v), op.get(hmin), op.f32Gt, op.if);
  insert(HB, op.f32Lt, hmin);
  e(op.end);
  e(op.get(p), op.i32(4), op.i32Add, op.set(p));
  e(op.br(0), op.end, op.end);
  // sums in sorted order
  e(op.f64Const(0), op.set(sl), op.f64Const(0), op.set(sh), op.i32(0), op.set(j));
  e(op.block, op.loop);
  e(op.get(j), op.get(q4), op.i32GeU, op.brIf(1));
  e(op.get(sl), op.get(LB), op.get(j), op.i32Add, op.f32Load(0), op.f64PromoteF32, op.f64Add, op.set(sl));
  e(op.get(sh), op.get(HB), op.get(j), op.i32Add, op.f32Load(0), op.f64PromoteF32, op.f64Add, op.set(sh));
  e(op.get(j), op.i32(4), op.i32Add, op.set(j));
  e(op.br(0), op.end, op.end);
  e(op.get(o), op.f64Const(NaN), op.get(sl), op.get(nan), op.select, op.f64Store(0));
  e(op.get(o), op.get(sh), op.f64Store(8));
  e(op.get(o), op.i32(16), op.i32Add, op.set(o));
  e(op.get(k), op.i32(1), op.i32Add, op.set(k));
  e(op.br(0), op.end, op.end);
  e(op.get(t), op.i32(1), op.i32Add, op.set(t));
  e(op.br(0), op.end, op.end);
  const locals = [...uleb(3), ...uleb(10), I32, ...uleb(4), F32, ...uleb(2), F64];
  return moduleBytes([0x60, 8, I32, I32, I32, I32, I32, I32, I32, I32, 0], locals, c, 'bands');
}

/** Per-band order-statistic sums for spectral contrast. */
export interface ContrastKernel {
  /**
   * For frames [t0, t0 + n) of a frame-major (·, nb) spectrogram and each band (lo, len, q), the
   * sum of its q smallest and of its q largest values. Returns a view (valid until the next call)
   * holding 2·nBands f64 per frame (low sum, high sum; the low sum is NaN when the band holds a
   * NaN), or null when n frames do not fit in the kernel's fixed memory.
   */
  run(data: Float32Array, nb: number, t0: number, n: number, bands: readonly { lo: number; len: number; q: number }[]): Float64Array | null;
  /** How many frames fit at once for this width and band count (0: use JavaScript). */
  maxFrames(nb: number, nBands: number): number;
}

export function createContrastKernel(): ContrastKernel | null {
  const inst = instantiate(buildContrastModule());
  if (!inst) return null;
  const mem = inst.exports.mem as WebAssembly.Memory;
  const run = inst.exports.bands as (data: number, nb: number, T: number, tab: number, nbands: number, lb: number, hb: number, out: number) => void;
  const buf = mem.buffer;
  const layout = (nb: number, nBands: number) => {
    const tab = 0;
    const lb = (12 * nBands + 15) & ~15;
    const hb = lb + ((4 * nb + 15) & ~15);
    const out = hb + ((4 * nb + 15) & ~15);
    return { tab, lb, hb, out };
  };
  const maxFrames = (nb: number, nBands: number) => {
    const { out } = layout(nb, nBands);
    return Math.max(0, Math.floor((MEMORY_BYTES - out - 16) / (16 * nBands + 4 * nb)));
  };
  return {
    maxFrames,
    run(data, nb, t0, n, bands) {
      const nBands = bands.length;
      if (n > maxFrames(nb, nBands)) return null;
      const L = layout(nb, nBands);
      const dataOff = (L.out + 16 * nBands * n + 15) & ~15;
      const tab = new Int32Array(buf, L.tab, 3 * nBands);
      bands.forEach((b, i) => {
        tab[3 * i] = b.lo;
        tab[3 * i + 1] = b.len;
        tab[3 * i + 2] = b.q;
      });
      new Float32Array(buf, dataOff, n * nb).set(data.subarray(t0 * nb, (t0 + n) * nb));
      run(dataOff, nb, n, L.tab, nBands, L.lb, L.hb, L.out);
      return new Float64Array(buf, L.out, 2 * nBands * n);
    },
  };
}
