/**
 * Inverse real FFT (numpy.fft.irfft semantics) for one frame. Browser-safe.
 *
 * Computed through the discrete Hartley transform, which is its own inverse, so one FORWARD real
 * FFT of size n (src/dsp/fft.ts, float64) does the work:
 *   h[k] = Re X[k] − Im X[k]          (k ≤ n/2; for k > n/2, X[k] = conj X[n−k])
 *   F    = rfft(h)
 *   x[t] = (Re F[t] − Im F[t]) / n    (t ≤ n/2; for t > n/2 use F[n−t]: (Re F + Im F) / n)
 *
 * As irfft does, the imaginary parts of the DC bin and (for even n) of the Nyquist bin are
 * ignored: the input is taken as the non-negative half of a Hermitian spectrum.
 */
import { realFft, type RealFft } from './fft.js';

export interface InverseRealFft {
  readonly n: number;
  /** Number of input bins, ⌊n/2⌋ + 1. */
  readonly nBins: number;
  /**
   * Writes x[0..n) = irfft(re + i·im) (normalised by 1/n) into `out`, reading bins 0..⌊n/2⌋
   * of re/im starting at `offset`.
   */
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, offset: number, out: Float64Array): void;
}

class HartleyIrfft implements InverseRealFft {
  readonly nBins: number;
  private readonly fwd: RealFft;
  private readonly h: Float64Array;
  private readonly fr: Float64Array;
  private readonly fi: Float64Array;
  constructor(readonly n: number) {
    this.nBins = (n >> 1) + 1;
    this.fwd = realFft(n);
    this.h = new Float64Array(n);
    this.fr = new Float64Array(this.nBins);
    this.fi = new Float64Array(this.nBins);
  }
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, offset: number, out: Float64Array): void {
    const n = this.n;
    const h = this.h;
    const last = this.nBins - 1;
    const evenN = (n & 1) === 0;
    h[0] = re[offset];
    for (let k = 1; k <= last; k++) {
      const r = re[offset + k];
      const i = k === last && evenN ? 0 : im[offset + k];
      h[k] = r - i;
      if (n - k !== k) h[n - k] = r + i;
    }
    const fr = this.fr;
    const fi = this.fi;
    this.fwd.forward(h, fr, fi, 0);
    const inv = 1 / n;
    out[0] = (fr[0] - fi[0]) * inv;
    for (let t = 1; t <= last; t++) {
      const a = fr[t];
      const b = fi[t];
      out[t] = (a - b) * inv;
      if (n - t !== t) out[n - t] = (a + b) * inv;
    }
  }
}

const cache = new Map<number, InverseRealFft>();

/** A (cached) inverse real FFT of size n (n ≥ 1). Power-of-two n is fast; other sizes are O(n²). */
export function inverseRealFft(n: number): InverseRealFft {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`inverseRealFft: n must be a positive integer, got ${n}`);
  let f = cache.get(n);
  if (!f) {
    f = new HartleyIrfft(n);
    cache.set(n, f);
  }
  return f;
}
