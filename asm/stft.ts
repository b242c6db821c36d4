// AssemblyScript source of the WebAssembly STFT kernel (SIMD, f64x2). Compiled by
// scripts/build-wasm.mjs into src/dsp/stft-wasm.generated.ts (base64). Not part of the tsc build.
//
// Every complex number is one f64x2 vector [re, im]. The real n-point FFT packs the frame into
// m = n/2 complex samples, runs a radix-4 decimation-in-time FFT (one radix-2 pass first when
// log2(m) is odd), and splits the result into the n/2 + 1 bins, writing |X[k]|² as f32.
// All tables (bit reversal, twiddles, window) are computed and written by the JS side
// (src/dsp/stft-wasm.ts); this module holds no state but the addresses set by configure().

let M: i32 = 0; // complex FFT size, n_fft / 2
let REV: usize = 0; // u32[M] bit-reversal permutation
let TW: usize = 0; // radix-4 twiddles: per pass, per j: W^j, W^2j, W^3j as (cc, nd) vector pairs
let PASS_H: usize = 0; // i32[NPASS] quarter size h of each radix-4 pass
let PASS_OFF: usize = 0; // i32[NPASS] byte offset of each pass's twiddles in TW
let NPASS: i32 = 0;
let FIRST_R2: i32 = 0; // 1 when a radix-2 pass comes first
let PC: usize = 0; // per k = 0..M/2: e^{−2πik/n} as (cc, nd) vectors, 32 bytes
let Z: usize = 0; // v128[M] work buffer
let WIN: usize = 0; // f64[n] window
let EDGE: usize = 0; // f32[n] zero-padded copy of a frame that overlaps the signal's ends

export function heapBase(): usize {
  return __heap_base;
}

export function configure(m: i32, rev: usize, tw: usize, passH: usize, passOff: usize, npass: i32, firstR2: i32, pc: usize, z: usize, win: usize, edge: usize): void {
  M = m;
  REV = rev;
  TW = tw;
  PASS_H = passH;
  PASS_OFF = passOff;
  NPASS = npass;
  FIRST_R2 = firstR2;
  PC = pc;
  Z = z;
  WIN = win;
  EDGE = edge;
}

// (a + ib)(c + id) with the twiddle stored as cc = [c, c], nd = [−d, d].
// @ts-ignore: decorator
@inline function cmul(x: v128, cc: v128, nd: v128): v128 {
  return f64x2.add(f64x2.mul(x, cc), f64x2.mul(f64x2.shuffle(x, x, 1, 0), nd));
}

// Complex sample j of the windowed frame starting at src (f32 samples): [x[2j]·w[2j], x[2j+1]·w[2j+1]].
// @ts-ignore: decorator
@inline function loadZ(src: usize, j: u32): v128 {
  const x = f64x2.promote_low_f32x4(v128.load64_zero(src + ((<usize>j) << 3)));
  return f64x2.mul(x, v128.load(WIN + ((<usize>j) << 4)));
}

/** FFT of the windowed frame at src (n_fft f32 samples) into Z. */
function transform(src: usize): void {
  const m = M;
  const rev = REV;
  const z = Z;
  const flip = f64x2(1.0, -1.0);
  if (FIRST_R2) {
    const hm = <u32>(m >> 1);
    for (let b = 0; b < m; b += 2) {
      const j = load<u32>(rev + ((<usize>b) << 2));
      const a = loadZ(src, j);
      const c = loadZ(src, j + hm);
      const p = z + ((<usize>b) << 4);
      v128.store(p, f64x2.add(a, c));
      v128.store(p, f64x2.sub(a, c), 16);
    }
  } else {
    const q = <u32>(m >> 2);
    for (let b = 0; b < m; b += 4) {
      const j = load<u32>(rev + ((<usize>b) << 2));
      const x0 = loadZ(src, j);
      const u1 = loadZ(src, j + 2 * q);
      const u2 = loadZ(src, j + q);
      const u3 = loadZ(src, j + 3 * q);
      const a0 = f64x2.add(x0, u1);
      const a1 = f64x2.sub(x0, u1);
      const s = f64x2.add(u2, u3);
      const d = f64x2.sub(u2, u3);
      const md = f64x2.mul(f64x2.shuffle(d, d, 1, 0), flip); // −i·d
      const p = z + ((<usize>b) << 4);
      v128.store(p, f64x2.add(a0, s));
      v128.store(p, f64x2.add(a1, md), 16);
      v128.store(p, f64x2.sub(a0, s), 32);
      v128.store(p, f64x2.sub(a1, md), 48);
    }
  }
  const start = FIRST_R2 ? 0 : 1;
  for (let pass = start; pass < NPASS; pass++) {
    const h = load<i32>(PASS_H + ((<usize>pass) << 2));
    const tw0 = TW + <usize>load<i32>(PASS_OFF + ((<usize>pass) << 2));
    const blk = 4 * h;
    const hb = (<usize>h) << 4;
    for (let b = 0; b < m; b += blk) {
      let p = z + ((<usize>b) << 4);
      let t = tw0;
      for (let j = 0; j < h; j++) {
        const x0 = v128.load(p);
        const u1 = cmul(v128.load(p + hb), v128.load(t, 32), v128.load(t, 48)); // W^2j
        const u2 = cmul(v128.load(p + 2 * hb), v128.load(t), v128.load(t, 16)); // W^j
        const u3 = cmul(v128.load(p + 3 * hb), v128.load(t, 64), v128.load(t, 80)); // W^3j
        const a0 = f64x2.add(x0, u1);
        const a1 = f64x2.sub(x0, u1);
        const s = f64x2.add(u2, u3);
        const d = f64x2.sub(u2, u3);
        const md = f64x2.mul(f64x2.shuffle(d, d, 1, 0), flip);
        v128.store(p, f64x2.add(a0, s));
        v128.store(p + hb, f64x2.add(a1, md));
        v128.store(p + 2 * hb, f64x2.sub(a0, s));
        v128.store(p + 3 * hb, f64x2.sub(a1, md));
        p += 16;
        t += 96;
      }
    }
  }
}

/** |X[k]|², k = 0..M, from Z, as f32 at out. PC holds (cc, nd) twiddle vectors of e^{−2πik/n}. */
function powerOut(out: usize): void {
  const m = M;
  const z = Z;
  const z0r = load<f64>(z);
  const z0i = load<f64>(z, 8);
  const dc = z0r + z0i;
  const ny = z0r - z0i;
  store<f32>(out, <f32>(dc * dc));
  store<f32>(out + ((<usize>m) << 2), <f32>(ny * ny));
  const half = m >> 1;
  const conj = f64x2(1.0, -1.0);
  const halfv = f64x2.splat(0.5);
  for (let k = 1; k <= half; k++) {
    const k2 = m - k;
    const A = v128.load(z + ((<usize>k) << 4));
    const Bc = f64x2.mul(v128.load(z + ((<usize>k2) << 4)), conj); // conj Z[m−k]
    const E = f64x2.mul(f64x2.add(A, Bc), halfv); // (Z[k] + conj Z[m−k]) / 2
    const D = f64x2.sub(A, Bc);
    const O = f64x2.mul(f64x2.mul(f64x2.shuffle(D, D, 1, 0), conj), halfv); // −i·D / 2
    const pc = PC + ((<usize>k) << 5);
    const T = cmul(O, v128.load(pc), v128.load(pc, 16));
    const X = f64x2.add(E, T); // X[k]
    const Y = f64x2.sub(E, T); // conj X[m−k]
    const q1 = f64x2.mul(X, X);
    const q2 = f64x2.mul(Y, Y);
    const pw = f64x2.add(f64x2.shuffle(q1, q2, 0, 2), f64x2.shuffle(q1, q2, 1, 3)); // [|X[k]|², |X[m−k]|²]
    store<f32>(out + ((<usize>k) << 2), <f32>f64x2.extract_lane(pw, 0));
    store<f32>(out + ((<usize>k2) << 2), <f32>f64x2.extract_lane(pw, 1));
  }
}

/**
 * Power spectrogram of the f32 signal y[0..n) (at yPtr): frame t starts at sample t·hop − pad,
 * samples outside the signal are zeros. Writes nFrames × (n_fft/2 + 1) f32 at out, frame-major.
 */
export function stftPower(yPtr: usize, n: i32, hop: i32, pad: i32, nFrames: i32, out: usize): void {
  const nfft = 2 * M;
  const nBins = M + 1;
  for (let t = 0; t < nFrames; t++) {
    const start = t * hop - pad;
    let src: usize;
    if (start >= 0 && start + nfft <= n) {
      src = yPtr + ((<usize>start) << 2);
    } else {
      for (let i = 0; i < nfft; i++) {
        const j = start + i;
        store<f32>(EDGE + ((<usize>i) << 2), j >= 0 && j < n ? load<f32>(yPtr + ((<usize>j) << 2)) : 0);
      }
      src = EDGE;
    }
    transform(src);
    powerOut(out + (<usize>(t * nBins) << 2));
  }
}

/**
 * out[t, k] = Σ_j D[k, j] · X[t, j] (f64 accumulation): X f32 (rows × nIn), D f64 (nOut × nIn),
 * out f32 (rows × nOut). nIn must be even. Used for the MFCC's DCT.
 */
export function matmulT(x: usize, d: usize, rows: i32, nIn: i32, nOut: i32, out: usize): void {
  for (let t = 0; t < rows; t++) {
    const xr = x + (<usize>(t * nIn) << 2);
    const orow = out + (<usize>(t * nOut) << 2);
    let k = 0;
    // two output coefficients at a time share each loaded input pair
    for (; k + 1 < nOut; k += 2) {
      const d0 = d + (<usize>(k * nIn) << 3);
      const d1 = d0 + (<usize>nIn << 3);
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      for (let j = 0; j < nIn; j += 2) {
        const v = f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>j << 2)));
        a0 = f64x2.add(a0, f64x2.mul(v, v128.load(d0 + (<usize>j << 3))));
        a1 = f64x2.add(a1, f64x2.mul(v, v128.load(d1 + (<usize>j << 3))));
      }
      store<f32>(orow + (<usize>k << 2), <f32>(f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1)));
      store<f32>(orow + (<usize>(k + 1) << 2), <f32>(f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1)));
    }
    for (; k < nOut; k++) {
      const d0 = d + (<usize>(k * nIn) << 3);
      let a0 = f64x2.splat(0);
      for (let j = 0; j < nIn; j += 2) {
        const v = f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>j << 2)));
        a0 = f64x2.add(a0, f64x2.mul(v, v128.load(d0 + (<usize>j << 3))));
      }
      store<f32>(orow + (<usize>k << 2), <f32>(f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1)));
    }
  }
}

/**
 * Sparse filterbank: out[t, b] = Σ_{i<len[b]} w[off[b] + i] · S[t, start[b] + i] (f64 accumulation).
 * S f32 (rows × nBins), start/len/off i32[nBands], w f32, out f32 (rows × nBands).
 */
export function sparseApply(s: usize, rows: i32, nBins: i32, start: usize, len: usize, off: usize, w: usize, nBands: i32, out: usize): void {
  for (let t = 0; t < rows; t++) {
    const srow = s + (<usize>(t * nBins) << 2);
    const orow = out + (<usize>(t * nBands) << 2);
    for (let b = 0; b < nBands; b++) {
      const bb = <usize>b << 2;
      const n = load<i32>(len + bb);
      const sp = srow + (<usize>load<i32>(start + bb) << 2);
      const wp = w + (<usize>load<i32>(off + bb) << 2);
      let acc = f64x2.splat(0);
      let i = 0;
      for (; i + 1 < n; i += 2) {
        const a = f64x2.promote_low_f32x4(v128.load64_zero(sp + (<usize>i << 2)));
        const c = f64x2.promote_low_f32x4(v128.load64_zero(wp + (<usize>i << 2)));
        acc = f64x2.add(acc, f64x2.mul(a, c));
      }
      let r = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      if (i < n) r += <f64>load<f32>(sp + (<usize>i << 2)) * <f64>load<f32>(wp + (<usize>i << 2));
      store<f32>(orow + bb, <f32>r);
    }
  }
}

/** x[i] = √x[i] for n f32 values at p (IEEE-correctly-rounded, as Math.fround(Math.sqrt(x))). */
export function sqrtInPlace(p: usize, n: i32): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const q = p + (<usize>i << 2);
    v128.store(q, f32x4.sqrt(v128.load(q)));
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    store<f32>(q, Mathf.sqrt(load<f32>(q)));
  }
}
