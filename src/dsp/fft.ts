/**
 * Real FFT for one frame. Power-of-two sizes use fft.js (radix-4); other sizes fall back to a
 * direct DFT (O(n²), correct but slow — use power-of-two n_fft for speed).
 */
import FFT from 'fft.js';

export interface RealFft {
  readonly n: number;
  /** Number of non-negative frequency bins, n/2 + 1. */
  readonly nBins: number;
  /**
   * Transforms `frame` (length n) and writes bins 0..n/2 into re/im at `offset`.
   * `frame` may be a reusable scratch buffer.
   */
  forward(frame: Float64Array, re: Float32Array | Float64Array, im: Float32Array | Float64Array, offset?: number): void;
}

class Pow2Fft implements RealFft {
  readonly nBins: number;
  private readonly f: FFT;
  private readonly out: number[];
  constructor(readonly n: number) {
    this.nBins = (n >> 1) + 1;
    this.f = new FFT(n);
    this.out = this.f.createComplexArray() as number[];
  }
  forward(frame: Float64Array, re: Float32Array | Float64Array, im: Float32Array | Float64Array, offset = 0): void {
    const out = this.out;
    this.f.realTransform(out, frame as unknown as number[]);
    for (let k = 0; k < this.nBins; k++) {
      re[offset + k] = out[2 * k];
      im[offset + k] = out[2 * k + 1];
    }
  }
}

class DirectDft implements RealFft {
  readonly nBins: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  constructor(readonly n: number) {
    this.nBins = (n >> 1) + 1;
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / n);
      this.sin[i] = Math.sin((2 * Math.PI * i) / n);
    }
  }
  forward(frame: Float64Array, re: Float32Array | Float64Array, im: Float32Array | Float64Array, offset = 0): void {
    const n = this.n;
    for (let k = 0; k < this.nBins; k++) {
      let sr = 0;
      let si = 0;
      let idx = 0;
      for (let t = 0; t < n; t++) {
        sr += frame[t] * this.cos[idx];
        si -= frame[t] * this.sin[idx];
        idx += k;
        if (idx >= n) idx -= n;
      }
      re[offset + k] = sr;
      im[offset + k] = si;
    }
  }
}

const cache = new Map<number, RealFft>();

/** A (cached) real FFT of size n. */
export function realFft(n: number): RealFft {
  let f = cache.get(n);
  if (!f) {
    f = n >= 4 && (n & (n - 1)) === 0 ? new Pow2Fft(n) : new DirectDft(n);
    cache.set(n, f);
  }
  return f;
}
