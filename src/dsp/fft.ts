/**
 * Real FFT for one frame, written for this project (no dependency).
 *
 * Power-of-two sizes n ≥ 4: the n real samples are packed into n/2 complex ones
 * (z[j] = x[2j] + i·x[2j+1]), transformed by an iterative radix-4 decimation-in-time complex FFT
 * (one radix-2 pass first when log2(n/2) is odd) with precomputed per-pass twiddles, and split into
 * the n/2 + 1 non-negative-frequency bins. Everything runs on preallocated Float64Arrays: no
 * allocation per call. Other sizes fall back to a direct DFT (O(n²), correct but slow — use a
 * power-of-two n_fft for speed).
 *
 * Sign convention as numpy.fft.rfft: X[k] = Σ_t x[t]·e^{−2πi·k·t/n}.
 */

export interface RealFft {
  readonly n: number;
  /** Number of non-negative frequency bins, n/2 + 1 (⌊n/2⌋ + 1 for odd n). */
  readonly nBins: number;
  /**
   * Transforms `frame` (length n) and writes bins 0..nBins−1 into re/im at `offset`.
   * `frame` may be a reusable scratch buffer; it is not modified.
   */
  forward(frame: Float64Array, re: Float32Array | Float64Array, im: Float32Array | Float64Array, offset?: number): void;
  /** Transforms `frame` and writes |X[k]|² for k = 0..nBins−1 into `power` at `offset`. */
  forwardPower(frame: Float64Array, power: Float32Array | Float64Array, offset?: number): void;
}

class Pow2RealFft implements RealFft {
  readonly nBins: number;
  /** Complex size, n/2. */
  private readonly m: number;
  private readonly rev: Uint32Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  /** Radix-4 passes: for pass p, quarter-size h[p] and twiddles W^j, W^2j, W^3j (j < h) at tw offset. */
  private readonly passH: number[] = [];
  private readonly passOff: number[] = [];
  private readonly tw: Float64Array;
  private readonly firstRadix2: boolean;
  /** Post-processing twiddles e^{−2πik/n}, k = 0..m/2. */
  private readonly pc: Float64Array;
  private readonly ps: Float64Array;

  constructor(readonly n: number) {
    const m = n >> 1;
    this.m = m;
    this.nBins = m + 1;
    this.zr = new Float64Array(m);
    this.zi = new Float64Array(m);
    let bits = 0;
    while (1 << bits < m) bits++;
    this.rev = new Uint32Array(m);
    for (let i = 0; i < m; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.firstRadix2 = bits % 2 === 1;
    let h = this.firstRadix2 ? 2 : 1;
    let total = 0;
    for (let hh = h; 4 * hh <= m; hh *= 4) total += 6 * hh;
    this.tw = new Float64Array(Math.max(total, 1));
    let off = 0;
    for (; 4 * h <= m; h *= 4) {
      this.passH.push(h);
      this.passOff.push(off);
      const N = 4 * h;
      for (let j = 0; j < h; j++) {
        for (let q = 1; q <= 3; q++) {
          const a = (-2 * Math.PI * q * j) / N;
          this.tw[off + 6 * j + 2 * (q - 1)] = Math.cos(a);
          this.tw[off + 6 * j + 2 * (q - 1) + 1] = Math.sin(a);
        }
      }
      off += 6 * h;
    }
    const half = m >> 1;
    this.pc = new Float64Array(half + 1);
    this.ps = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      const a = (-2 * Math.PI * k) / n;
      this.pc[k] = Math.cos(a);
      this.ps[k] = Math.sin(a);
    }
  }

  /** Complex FFT of the packed input, left in zr/zi (natural order). */
  private transform(frame: Float64Array): void {
    const m = this.m;
    const zr = this.zr;
    const zi = this.zi;
    const rev = this.rev;
    // Bit-reversed load fused with the first pass. For a block start b (a multiple of the first
    // pass's size), rev[b] < m/4 (or m/2), and the block's inputs are z[rev[b] + q·m/4] in
    // bit-reversed q order (0, 2, 1, 3) — or z[rev[b]], z[rev[b] + m/2] for a radix-2 first pass.
    if (this.firstRadix2) {
      const hm = m >> 1;
      for (let b = 0; b < m; b += 2) {
        const j = rev[b];
        const ar = frame[2 * j], ai = frame[2 * j + 1];
        const br = frame[2 * (j + hm)], bi = frame[2 * (j + hm) + 1];
        zr[b] = ar + br;
        zi[b] = ai + bi;
        zr[b + 1] = ar - br;
        zi[b + 1] = ai - bi;
      }
    } else {
      const q = m >> 2;
      for (let b = 0; b < m; b += 4) {
        const j0 = 2 * rev[b];
        const j1 = j0 + 4 * q; // z[j + m/2] → position b+1
        const j2 = j0 + 2 * q; // z[j + m/4] → position b+2
        const j3 = j0 + 6 * q; // z[j + 3m/4] → position b+3
        const x0r = frame[j0], x0i = frame[j0 + 1];
        const u1r = frame[j1], u1i = frame[j1 + 1];
        const u2r = frame[j2], u2i = frame[j2 + 1];
        const u3r = frame[j3], u3i = frame[j3 + 1];
        const a0r = x0r + u1r, a0i = x0i + u1i;
        const a1r = x0r - u1r, a1i = x0i - u1i;
        const sr = u2r + u3r, si = u2i + u3i;
        const dr = u2r - u3r, di = u2i - u3i;
        zr[b] = a0r + sr;
        zi[b] = a0i + si;
        zr[b + 2] = a0r - sr;
        zi[b + 2] = a0i - si;
        zr[b + 1] = a1r + di;
        zi[b + 1] = a1i - dr;
        zr[b + 3] = a1r - di;
        zi[b + 3] = a1i + dr;
      }
    }
    const tw = this.tw;
    const passes = this.passH.length;
    // Pass 0 of the radix-4 plan (h = 1) was fused into the load above when there is no radix-2 pass.
    for (let p = this.firstRadix2 ? 0 : 1; p < passes; p++) {
      const h = this.passH[p];
      const off = this.passOff[p];
      const blk = 4 * h;
      for (let b = 0; b < m; b += blk) {
        for (let j = 0; j < h; j++) {
          const t = off + 6 * j;
          const w1r = tw[t], w1i = tw[t + 1];
          const w2r = tw[t + 2], w2i = tw[t + 3];
          const w3r = tw[t + 4], w3i = tw[t + 5];
          const i0 = b + j, i1 = i0 + h, i2 = i1 + h, i3 = i2 + h;
          const x0r = zr[i0], x0i = zi[i0];
          // u1 = W^{2j}·x[i1], u2 = W^{j}·x[i2], u3 = W^{3j}·x[i3] (bit-reversed input order)
          let xr = zr[i1], xi = zi[i1];
          const u1r = xr * w2r - xi * w2i, u1i = xr * w2i + xi * w2r;
          xr = zr[i2];
          xi = zi[i2];
          const u2r = xr * w1r - xi * w1i, u2i = xr * w1i + xi * w1r;
          xr = zr[i3];
          xi = zi[i3];
          const u3r = xr * w3r - xi * w3i, u3i = xr * w3i + xi * w3r;
          const a0r = x0r + u1r, a0i = x0i + u1i;
          const a1r = x0r - u1r, a1i = x0i - u1i;
          const sr = u2r + u3r, si = u2i + u3i;
          const dr = u2r - u3r, di = u2i - u3i;
          zr[i0] = a0r + sr;
          zi[i0] = a0i + si;
          zr[i2] = a0r - sr;
          zi[i2] = a0i - si;
          zr[i1] = a1r + di;
          zi[i1] = a1i - dr;
          zr[i3] = a1r - di;
          zi[i3] = a1i + dr;
        }
      }
    }
  }

  forward(frame: Float64Array, re: Float32Array | Float64Array, im: Float32Array | Float64Array, offset = 0): void {
    this.transform(frame);
    const m = this.m;
    const zr = this.zr;
    const zi = this.zi;
    const pc = this.pc;
    const ps = this.ps;
    re[offset] = zr[0] + zi[0];
    im[offset] = 0;
    re[offset + m] = zr[0] - zi[0];
    im[offset + m] = 0;
    const half = m >> 1;
    for (let k = 1; k <= half; k++) {
      const k2 = m - k;
      const ar = zr[k], ai = zi[k], br = zr[k2], bi = zi[k2];
      // E = (Z[k] + conj Z[m−k]) / 2, O = −i (Z[k] − conj Z[m−k]) / 2
      const er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
      const or_ = 0.5 * (ai + bi), oi = -0.5 * (ar - br);
      const c = pc[k], s = ps[k];
      const tr = or_ * c - oi * s, ti = or_ * s + oi * c;
      re[offset + k] = er + tr;
      im[offset + k] = ei + ti;
      // X[m−k] = conj(E) + W^{m−k}·conj(O) = conj(E − W^k·O)
      re[offset + k2] = er - tr;
      im[offset + k2] = ti - ei;
    }
  }

  forwardPower(frame: Float64Array, power: Float32Array | Float64Array, offset = 0): void {
    this.transform(frame);
    const m = this.m;
    const zr = this.zr;
    const zi = this.zi;
    const pc = this.pc;
    const ps = this.ps;
    const dc = zr[0] + zi[0];
    const ny = zr[0] - zi[0];
    power[offset] = dc * dc;
    power[offset + m] = ny * ny;
    const half = m >> 1;
    for (let k = 1; k <= half; k++) {
      const k2 = m - k;
      const ar = zr[k], ai = zi[k], br = zr[k2], bi = zi[k2];
      const er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
      const or_ = 0.5 * (ai + bi), oi = -0.5 * (ar - br);
      const c = pc[k], s = ps[k];
      const tr = or_ * c - oi * s, ti = or_ * s + oi * c;
      const xr = er + tr, xi = ei + ti;
      const yr = er - tr, yi = ti - ei;
      power[offset + k] = xr * xr + xi * xi;
      power[offset + k2] = yr * yr + yi * yi;
    }
  }
}

class DirectDft implements RealFft {
  readonly nBins: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly bre: Float64Array;
  private readonly bim: Float64Array;
  constructor(readonly n: number) {
    this.nBins = (n >> 1) + 1;
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    this.bre = new Float64Array(this.nBins);
    this.bim = new Float64Array(this.nBins);
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
  forwardPower(frame: Float64Array, power: Float32Array | Float64Array, offset = 0): void {
    this.forward(frame, this.bre, this.bim, 0);
    for (let k = 0; k < this.nBins; k++) power[offset + k] = this.bre[k] * this.bre[k] + this.bim[k] * this.bim[k];
  }
}

const cache = new Map<number, RealFft>();

/** A (cached) real FFT of size n (n ≥ 1). Power-of-two n ≥ 4 is fast; other sizes use a direct DFT. */
export function realFft(n: number): RealFft {
  let f = cache.get(n);
  if (!f) {
    f = n >= 4 && (n & (n - 1)) === 0 ? new Pow2RealFft(n) : new DirectDft(n);
    cache.set(n, f);
  }
  return f;
}
