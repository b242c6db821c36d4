/**
 * Short-time Fourier transform, as librosa.stft (0.11) computes it.
 */
import { check } from '../errors.js';
import { realFft } from './fft.js';
import { wasmStftPower, wasmStftPowerResident } from './stft-wasm.js';
import type { Matrix } from './matrix.js';

export type WindowName = 'hann' | 'hamming' | 'ones';

/**
 * A periodic window of `win_length` samples (scipy.signal.get_window(name, N, fftbins=True)),
 * centre-padded with zeros to `n_fft` as librosa does when win_length < n_fft.
 * Shape: (n_fft,)
 */
export function getWindow(window: WindowName, win_length: number, n_fft = win_length): Float64Array {
  check(Number.isInteger(win_length) && win_length > 0 && win_length <= n_fft, `window length ${win_length} must be in 1..n_fft (${n_fft})`);
  const w = new Float64Array(n_fft);
  const off = Math.floor((n_fft - win_length) / 2);
  for (let i = 0; i < win_length; i++) {
    const phase = (2 * Math.PI * i) / win_length;
    w[off + i] = window === 'hann' ? 0.5 - 0.5 * Math.cos(phase) : window === 'hamming' ? 0.54 - 0.46 * Math.cos(phase) : 1;
  }
  return w;
}

export interface StftOptions {
  /** FFT size. Default 2048. */
  n_fft?: number;
  /** Hop between frames in samples. Default n_fft / 4. */
  hop_length?: number;
  /** Window length, ≤ n_fft. Default n_fft. */
  win_length?: number;
  /** Window function. Default 'hann' (periodic). */
  window?: WindowName;
  /** Pad n_fft/2 samples at both ends so frame t is centred at t·hop. Default true. */
  center?: boolean;
  /** Padding used when center is true. Only 'constant' (zeros; librosa 0.11's default) is supported. */
  pad_mode?: 'constant';
}

/**
 * Complex spectrogram, **frame-major**: bin k of frame t is `re[t * nBins + k] + i·im[t * nBins + k]`.
 * Shape: (nFrames, nBins) with nBins = n_fft/2 + 1 — the transpose of librosa's (1 + n_fft/2, n_frames).
 */
export interface Spectrogram {
  nFrames: number;
  nBins: number;
  n_fft: number;
  hop_length: number;
  re: Float32Array;
  im: Float32Array;
}

/** Number of frames librosa.stft produces for `n` samples. */
export function frameCount(n: number, n_fft: number, hop_length: number, center = true): number {
  const len = center ? n + 2 * Math.floor(n_fft / 2) : n;
  check(len >= n_fft, `input of ${n} samples is too short for n_fft=${n_fft} without centering`);
  return 1 + Math.floor((len - n_fft) / hop_length);
}

/**
 * STFT of a mono signal y (shape (n,)). Returns a frame-major complex spectrogram of shape
 * (1 + (n + 2·⌊n_fft/2⌋ − n_fft) / hop_length, n_fft/2 + 1) when center is true.
 */
export function stft(y: Float32Array, options: StftOptions = {}): Spectrogram {
  const plan = stftPlan(y, options);
  const { n_fft, hop_length, nFrames, nBins, fft } = plan;
  const re = new Float32Array(nFrames * nBins);
  const im = new Float32Array(nFrames * nBins);
  for (let t = 0; t < nFrames; t++) fft.forward(plan.frame(t), re, im, t * nBins);
  return { nFrames, nBins, n_fft, hop_length, re, im };
}

interface StftPlan {
  n_fft: number;
  hop_length: number;
  nFrames: number;
  nBins: number;
  fft: ReturnType<typeof realFft>;
  /** Samples of centre padding at each end. */
  pad: number;
  /** The window, zero-padded to n_fft, and a key naming it. */
  window: Float64Array;
  windowKey: string;
  /** Windowed frame t in a reused scratch buffer (valid until the next call). */
  frame(t: number): Float64Array;
}

const windowCache = new Map<string, Float64Array>();

function cachedWindow(window: WindowName, win_length: number, n_fft: number): Float64Array {
  const key = `${window}:${win_length}:${n_fft}`;
  let w = windowCache.get(key);
  if (!w) {
    w = getWindow(window, win_length, n_fft);
    if (windowCache.size > 16) windowCache.clear();
    windowCache.set(key, w);
  }
  return w;
}

function stftPlan(y: Float32Array, options: StftOptions): StftPlan {
  const n_fft = options.n_fft ?? 2048;
  const hop_length = options.hop_length ?? Math.floor(n_fft / 4);
  const win_length = options.win_length ?? n_fft;
  const center = options.center ?? true;
  check(Number.isInteger(n_fft) && n_fft >= 2, `n_fft must be an integer ≥ 2, got ${n_fft}`);
  check(Number.isInteger(hop_length) && hop_length >= 1, `hop_length must be a positive integer, got ${hop_length}`);
  check((options.pad_mode ?? 'constant') === 'constant', `pad_mode '${options.pad_mode}' is not supported (only 'constant')`);
  const win = cachedWindow(options.window ?? 'hann', win_length, n_fft);
  const nFrames = frameCount(y.length, n_fft, hop_length, center);
  const fft = realFft(n_fft);
  const buf = new Float64Array(n_fft);
  const pad = center ? Math.floor(n_fft / 2) : 0;
  const n = y.length;
  // The window is zero outside [off, off + win_length): skip those samples.
  const off = Math.floor((n_fft - win_length) / 2);
  const end = off + win_length;
  return {
    n_fft,
    hop_length,
    nFrames,
    nBins: fft.nBins,
    fft,
    pad,
    window: win,
    windowKey: `${options.window ?? 'hann'}:${win_length}`,
    frame(t: number): Float64Array {
      const start = t * hop_length - pad; // index into y of frame sample 0
      if (start + off >= 0 && start + end <= n) {
        for (let i = off; i < end; i++) buf[i] = y[start + i] * win[i];
      } else {
        for (let i = off; i < end; i++) {
          const j = start + i;
          buf[i] = j >= 0 && j < n ? y[j] * win[i] : 0;
        }
      }
      return buf;
    },
  };
}

/**
 * |stft(y)|^power computed directly (no complex intermediate): a frame-major Matrix of shape
 * (n_frames, n_fft/2 + 1) — the transpose of librosa's `np.abs(librosa.stft(y, ...)) ** power`.
 * power 2 (default) gives the power spectrogram, 1 the magnitude.
 */
export function powerSpectrogram(y: Float32Array, options: StftOptions & { power?: number } = {}): Matrix {
  const power = options.power ?? 2;
  check(Number.isFinite(power) && power > 0, `power must be a positive number, got ${power}`);
  const { power: P2 } = spectrograms(y, options, false);
  const out = P2.data;
  if (power !== 2) {
    if (power === 1) for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]);
    else for (let i = 0; i < out.length; i++) out[i] = Math.pow(out[i], power / 2);
  }
  return P2;
}

/**
 * The power spectrogram |stft(y)|² and the magnitude |stft(y)| from one STFT, both frame-major
 * (n_frames, n_fft/2 + 1). The magnitude is exactly Math.fround(Math.sqrt(power)).
 */
export function powerAndMagnitude(y: Float32Array, options: StftOptions = {}): { power: Matrix; magnitude: Matrix } {
  const { power, magnitude } = spectrograms(y, options, true);
  return { power, magnitude: magnitude! };
}

function spectrograms(y: Float32Array, options: StftOptions, withMagnitude: boolean): { power: Matrix; magnitude?: Matrix } {
  const plan = stftPlan(y, options);
  const { nFrames, nBins, fft } = plan;
  const mag = withMagnitude ? new Float32Array(nFrames * nBins) : undefined;
  // WebAssembly SIMD kernel when available (same float64 arithmetic), else the JS FFT.
  let out = wasmStftPower(y, plan.n_fft, plan.hop_length, plan.pad, nFrames, plan.window, plan.windowKey, mag);
  if (!out) {
    out = new Float32Array(nFrames * nBins);
    for (let t = 0; t < nFrames; t++) fft.forwardPower(plan.frame(t), out, t * nBins);
    if (mag) for (let i = 0; i < out.length; i++) mag[i] = Math.sqrt(out[i]);
  }
  return { power: { rows: nFrames, cols: nBins, data: out }, magnitude: mag && { rows: nFrames, cols: nBins, data: mag } };
}

/**
 * |S|^power as a frame-major Matrix, shape (nFrames, nBins). power 2 gives the power spectrogram,
 * 1 the magnitude (librosa's `np.abs(stft(y)) ** power`, transposed).
 */
export function spectrogramPower(S: Spectrogram, power = 2): Matrix {
  const out = new Float32Array(S.re.length);
  const { re, im } = S;
  if (power === 2) for (let i = 0; i < out.length; i++) out[i] = re[i] * re[i] + im[i] * im[i];
  else if (power === 1) for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(re[i] * re[i] + im[i] * im[i]);
  else for (let i = 0; i < out.length; i++) out[i] = Math.pow(re[i] * re[i] + im[i] * im[i], power / 2);
  return { rows: S.nFrames, cols: S.nBins, data: out };
}

/**
 * The power spectrogram |stft(y)|² (frame-major, (n_frames, n_fft/2 + 1)) for a pipeline that
 * consumes it at once: when the WebAssembly kernel can hold the whole clip, `power.data` is a VIEW
 * of the kernel's memory, valid only until the next STFT call (the other kernels read it in place,
 * without a copy), `rowMax[t]` is frame t's largest value and `finite` tells whether every sample
 * of y is finite. Otherwise `power` is an ordinary array and rowMax / finite are null (unknown).
 * Do not keep `power` beyond the synchronous computation that requested it.
 */
export function transientPowerSpectrogram(
  y: Float32Array,
  options: StftOptions = {},
): { power: Matrix; rowMax: Float32Array | null; finite: boolean | null } {
  const plan = stftPlan(y, options);
  const { nFrames, nBins } = plan;
  const r = wasmStftPowerResident(y, plan.n_fft, plan.hop_length, plan.pad, nFrames, plan.window, plan.windowKey);
  if (r) return { power: { rows: nFrames, cols: nBins, data: r.power }, rowMax: r.rowMax, finite: r.finite };
  return { power: spectrograms(y, options, false).power, rowMax: null, finite: null };
}
