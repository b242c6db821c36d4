/**
 * Delta (derivative) features, librosa.feature.delta (0.11): a Savitzky–Golay derivative along
 * frames, i.e. scipy.signal.savgol_filter(data, width, deriv=order, polyorder=order, mode=mode).
 * Browser-safe.
 */
import { check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { wasmSavgolInterior } from '../dsp/stft-wasm.js';

export type DeltaMode = 'interp' | 'nearest' | 'mirror' | 'constant' | 'wrap';

export interface DeltaOptions {
  /** Number of frames in the fitting window; an odd integer ≥ 3. Default 9. */
  width?: number;
  /** Derivative order, a positive integer. Default 1. */
  order?: number;
  /** Degree of the fitted polynomial, order ≤ polyorder < width. Default `order` (as librosa). */
  polyorder?: number;
  /**
   * Edge handling. 'interp' (default): the first and last width/2 frames take the derivative of a
   * polynomial fitted to the first / last `width` frames. Other modes extend the data as
   * scipy.ndimage does ('nearest' repeats the edge, 'mirror' reflects about it, 'constant' pads
   * with 0, 'wrap' is periodic).
   */
  mode?: DeltaMode;
}

/**
 * Weights w[m], m = 0..width-1 (frame offset m − h, h = ⌊width/2⌋), such that Σ_m w[m]·x[m] is the
 * `deriv`-th derivative, at offset `at` (−h..h) from the window centre, of the least-squares
 * polynomial of degree `polyorder` through x (unit sample spacing).
 */
export function savgolWeights(width: number, polyorder: number, deriv: number, at = 0): Float64Array {
  const key = `${width}:${polyorder}:${deriv}:${at}`;
  let cached = weightCache.get(key);
  if (!cached) {
    cached = computeSavgolWeights(width, polyorder, deriv, at);
    if (weightCache.size > 256) weightCache.clear();
    weightCache.set(key, cached);
  }
  return cached;
}

const weightCache = new Map<string, Float64Array>();

function computeSavgolWeights(width: number, polyorder: number, deriv: number, at: number): Float64Array {
  const h = (width - 1) / 2;
  const P = polyorder + 1;
  const w = new Float64Array(width);
  if (deriv > polyorder) return w;
  // Positions scaled to [-1, 1] for conditioning: z = (m − h) / h.
  const sc = h > 0 ? h : 1;
  // Normal equations G c = Aᵀ, G = AᵀA (P×P), A[m, q] = z_m^q.
  const G = new Float64Array(P * P);
  const At = new Float64Array(P * width);
  for (let m = 0; m < width; m++) {
    const z = (m - h) / sc;
    let zq = 1;
    for (let q = 0; q < P; q++) {
      At[q * width + m] = zq;
      zq *= z;
    }
  }
  for (let a = 0; a < P; a++)
    for (let b = 0; b < P; b++) {
      let s = 0;
      for (let m = 0; m < width; m++) s += At[a * width + m] * At[b * width + m];
      G[a * P + b] = s;
    }
  // Solve G X = At (Gauss–Jordan with partial pivoting); X (P×width) maps data to coefficients.
  const X = Float64Array.from(At);
  for (let col = 0; col < P; col++) {
    let piv = col;
    for (let r = col + 1; r < P; r++) if (Math.abs(G[r * P + col]) > Math.abs(G[piv * P + col])) piv = r;
    if (piv !== col) {
      for (let c = 0; c < P; c++) [G[col * P + c], G[piv * P + c]] = [G[piv * P + c], G[col * P + c]];
      for (let c = 0; c < width; c++) [X[col * width + c], X[piv * width + c]] = [X[piv * width + c], X[col * width + c]];
    }
    const d = G[col * P + col];
    for (let c = 0; c < P; c++) G[col * P + c] /= d;
    for (let c = 0; c < width; c++) X[col * width + c] /= d;
    for (let r = 0; r < P; r++) {
      if (r === col) continue;
      const f = G[r * P + col];
      if (f === 0) continue;
      for (let c = 0; c < P; c++) G[r * P + c] -= f * G[col * P + c];
      for (let c = 0; c < width; c++) X[r * width + c] -= f * X[col * width + c];
    }
  }
  // deriv-th derivative (w.r.t. the sample index) of Σ c_q z^q at z0 = at / h.
  const z0 = at / sc;
  for (let q = deriv; q < P; q++) {
    let fall = 1; // q! / (q − deriv)!
    for (let i = 0; i < deriv; i++) fall *= q - i;
    const coef = (fall * Math.pow(z0, q - deriv)) / Math.pow(sc, deriv);
    for (let m = 0; m < width; m++) w[m] += coef * X[q * width + m];
  }
  return w;
}

let accBuf = new Float64Array(64);
/** A reused float64 accumulator of at least n values. */
function scratch(n: number): Float64Array {
  if (accBuf.length < n) accBuf = new Float64Array(Math.max(n, 2 * accBuf.length));
  return accBuf;
}

function extendIndex(i: number, n: number, mode: DeltaMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'nearest':
      return i < 0 ? 0 : n - 1;
    case 'wrap':
      return ((i % n) + n) % n;
    case 'mirror': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      let j = ((i % period) + period) % period;
      if (j >= n) j = period - j;
      return j;
    }
    default:
      return -1; // constant: zero
  }
}

/**
 * librosa.feature.delta(data, width, order, axis=time, mode). `data` is frame-major
 * (n_frames, n_features); the derivative is taken along frames, per feature column.
 * Returns the same shape (n_frames, n_features).
 *
 * Throws SerError('EPARAM') when width is not an odd integer ≥ 3, order is not a positive
 * integer, polyorder is out of range, or — with mode 'interp' — width exceeds the number of
 * frames (librosa raises ParameterError there: the edge fit needs `width` frames). Clips
 * shorter than `width` frames (width 9, hop 512 → under ~0.19 s at 22050 Hz) must use a smaller
 * width or another mode.
 */
export function delta(data: Matrix, options: DeltaOptions = {}, out?: Matrix): Matrix {
  const width = options.width ?? 9;
  const order = options.order ?? 1;
  const mode = options.mode ?? 'interp';
  const polyorder = options.polyorder ?? order;
  const n = data.rows;
  const F = data.cols;
  check(
    ['interp', 'nearest', 'mirror', 'constant', 'wrap'].includes(mode),
    `delta mode must be one of interp, nearest, mirror, constant, wrap; got '${mode}'`,
  );
  if (mode === 'interp')
    check(width <= n, `delta: when mode='interp', width=${width} cannot exceed the number of frames (${n}); use a smaller odd width (≥ 3) or a longer clip`);
  check(Number.isInteger(width) && width >= 3 && width % 2 === 1, `delta width must be an odd integer ≥ 3, got ${width}`);
  check(Number.isInteger(order) && order >= 1, `delta order must be a positive integer, got ${order}`);
  check(
    Number.isInteger(polyorder) && polyorder >= order && polyorder < width,
    `delta polyorder must be an integer with order (${order}) ≤ polyorder < width (${width}), got ${polyorder}`,
  );
  const res = out ?? { rows: n, cols: F, data: new Float32Array(n * F) };
  check(res.rows === n && res.cols === F, 'delta: output matrix has the wrong shape');
  const src = data.data;
  const dst = res.data;
  const h = (width - 1) / 2;
  const wc = savgolWeights(width, polyorder, order, 0);
  const interp = mode === 'interp';
  // Interior frames (and every frame for the non-interp modes).
  const tStart = interp ? h : 0;
  const tEnd = interp ? n - h : n;
  const acc = scratch(F);
  if (interp) {
    // every window frame exists: out[t, f] = Σ_m wc[m]·src[t − h + m, f] (float64 sums, zero weights skipped)
    const ms: number[] = [];
    for (let m = 0; m < width; m++) if (wc[m] !== 0) ms.push(m);
    if (ms.length === 0) dst.fill(0, tStart * F, tEnd * F);
    else if (wasmSavgolInterior(src, n, F, h, ms, ms.map((m) => wc[m]), dst)) {
      // WebAssembly SIMD: the same float64 sums in the same order
    } else for (let t = tStart; t < tEnd; t++) {
      const m0 = ms[0];
      const w0 = wc[m0];
      let b = (t - h + m0) * F;
      for (let f = 0; f < F; f++) acc[f] = w0 * src[b + f];
      for (let i = 1; i < ms.length; i++) {
        const wm = wc[ms[i]];
        b = (t - h + ms[i]) * F;
        for (let f = 0; f < F; f++) acc[f] += wm * src[b + f];
      }
      const ob = t * F;
      for (let f = 0; f < F; f++) dst[ob + f] = acc[f];
    }
  } else {
    for (let t = tStart; t < tEnd; t++) {
      acc.fill(0, 0, F);
      for (let m = 0; m < width; m++) {
        const wm = wc[m];
        if (wm === 0) continue;
        const i = t + m - h;
        const j = i >= 0 && i < n ? i : extendIndex(i, n, mode);
        if (j < 0) continue;
        const base = j * F;
        for (let f = 0; f < F; f++) acc[f] += wm * src[base + f];
      }
      const ob = t * F;
      for (let f = 0; f < F; f++) dst[ob + f] = acc[f];
    }
  }
  if (interp) {
    // Edges: the polynomial fitted to the first / last `width` frames, differentiated at each edge frame.
    for (let e = 0; e < h; e++) {
      for (const [t, winStart, at] of [
        [e, 0, e - h],
        [n - h + e, n - width, e + 1],
      ] as const) {
        const w = savgolWeights(width, polyorder, order, at);
        acc.fill(0, 0, F);
        for (let m = 0; m < width; m++) {
          const wm = w[m];
          const base = (winStart + m) * F;
          for (let f = 0; f < F; f++) acc[f] += wm * src[base + f];
        }
        const ob = t * F;
        for (let f = 0; f < F; f++) dst[ob + f] = acc[f];
      }
    }
  }
  return res;
}
