/**
 * Inverse real FFT (numpy.fft.irfft semantics) for one frame. Browser-safe.
 *
 * Power-of-two sizes n ≥ 4 pack the real output into a complex sequence of half the length
 * (z[m] = x[2m] + i·x[2m+1]) and run one complex inverse FFT of size n/2 with fft.js; other
 * sizes use a direct O(n²) inverse DFT.
 *
 * As irfft does, the imaginary parts of the DC bin and (for even n) of the Nyquist bin are
 * ignored: the input is taken as the non-negative half of a Hermitian spectrum.
 */
import FFT from 'fft.js';

export interface InverseRealFft {
  readonly n: number;
  /** Number of input bins, ⌊n/2⌋ + 1. */
  readonly nBins: number;
  /**
   * Writes x[0..n) = irfft(re + i·im) (normalised by 1/n) into `out`, reading bins 0..n/2
   * of re/im starting at `offset`.
   */
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, offset: number, out: Float64Array): void;
}

class PackedPow2Ifft implements InverseRealFft {
  readonly nBins: number;
  private readonly m: number;
  private readonly f: FFT;
  private readonly zin: number[];
  private readonly zout: number[];
  private readonly twr: Float64Array;
  private readonly twi: Float64Array;
  constructor(readonly n: number) {
    this.m = n >> 1;
    this.nBins = this.m + 1;
    this.f = new FFT(this.m);
    this.zin = this.f.createComplexArray() as number[];
    this.zout = this.f.createComplexArray() as number[];
    this.twr = new Float64Array(this.m);
    this.twi = new Float64Array(this.m);
    for (let k = 0; k < this.m; k++) {
      const a = (2 * Math.PI * k) / n;
      this.twr[k] = Math.cos(a);
      this.twi[k] = Math.sin(a);
    }
  }
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, offset: number, out: Float64Array): void {
    const M = this.m;
    const zin = this.zin;
    const twr = this.twr;
    const twi = this.twi;
    for (let k = 0; k < M; k++) {
      // a = X[k], b = conj(X[M − k]); DC and Nyquist imaginary parts are ignored.
      const ar = re[offset + k];
      const ai = k === 0 ? 0 : im[offset + k];
      const br = re[offset + M - k];
      const bi = k === 0 ? 0 : -im[offset + M - k];
      // E = (a + b)/2, O = (a − b)·e^{+2πik/n}/2, Z = E + i·O
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai + bi);
      const dr = 0.5 * (ar - br);
      const di = 0.5 * (ai - bi);
      const or = dr * twr[k] - di * twi[k];
      const oi = dr * twi[k] + di * twr[k];
      zin[2 * k] = er - oi;
      zin[2 * k + 1] = ei + or;
    }
    const zout = this.zout;
    this.f.inverseTransform(zout, zin); // includes the 1/M normalisation
    for (let m = 0; m < M; m++) {
      out[2 * m] = zout[2 * m];
      out[2 * m + 1] = zout[2 * m + 1];
    }
  }
}

class DirectIdft implements InverseRealFft {
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
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, offset: number, out: Float64Array): void {
    const n = this.n;
    const nyq = n % 2 === 0 ? n >> 1 : -1;
    for (let t = 0; t < n; t++) {
      let s = re[offset];
      let idx = 0;
      for (let k = 1; k < this.nBins; k++) {
        idx += t;
        if (idx >= n) idx %= n;
        const c = re[offset + k] * this.cos[idx] - im[offset + k] * this.sin[idx];
        s += k === nyq ? re[offset + k] * this.cos[idx] : 2 * c;
      }
      out[t] = s / n;
    }
  }
}

const cache = new Map<number, InverseRealFft>();

/** A (cached) inverse real FFT of size n (n ≥ 1). */
export function inverseRealFft(n: number): InverseRealFft {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`inverseRealFft: n must be a positive integer, got ${n}`);
  let f = cache.get(n);
  if (!f) {
    f = n >= 4 && (n & (n - 1)) === 0 ? new PackedPow2Ifft(n) : new DirectIdft(n);
    cache.set(n, f);
  }
  return f;
}
