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
let Z2: usize = 0; // two-frame work buffer: per complex index j, [re A, re B] then [im A, im B] (32 bytes); 0 = unused

/** Sets the two-frame work buffer (32·M bytes), enabling the two-frames-at-once path (0 disables it). */
export function configure2(z2: usize): void {
  Z2 = z2;
}

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
function powerOut(out: usize): f32 {
  const m = M;
  const z = Z;
  const z0r = load<f64>(z);
  const z0i = load<f64>(z, 8);
  const dc = z0r + z0i;
  const ny = z0r - z0i;
  store<f32>(out, <f32>(dc * dc));
  store<f32>(out + ((<usize>m) << 2), <f32>(ny * ny));
  // row maximum with pmax (one instruction; NaN-ignoring — non-finite input is reported separately)
  let mx = f64x2.pmax(f64x2.splat(dc * dc), f64x2.splat(ny * ny));
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
    const p32 = f32x4.demote_f64x2_zero(pw);
    v128.store32_lane(out + ((<usize>k) << 2), p32, 0);
    v128.store32_lane(out + ((<usize>k2) << 2), p32, 1);
    mx = f64x2.pmax(mx, pw);
  }
  // max of the rounded values = rounded max
  return <f32>f64x2.extract_lane(f64x2.pmax(mx, f64x2.shuffle(mx, mx, 1, 0)), 0);
}

/**
 * Power spectrogram of the f32 signal y[0..n) (at yPtr): frame t starts at sample t·hop − pad,
 * samples outside the signal are zeros. Writes nFrames × (n_fft/2 + 1) f32 at out, frame-major,
 * and, when rowMax ≠ 0, each frame's largest power (f32) at rowMax. Returns 1 when every sample
 * of y[0..n) is finite, else 0.
 */
export function stftPower(yPtr: usize, n: i32, hop: i32, pad: i32, nFrames: i32, out: usize, rowMax: usize): i32 {
  const finite = allFinite(yPtr, n);
  const nfft = 2 * M;
  const nBins = M + 1;
  const pairs = Z2 != 0 && FIRST_R2 == 0 && M >= 16;
  for (let t = 0; t < nFrames; t++) {
    const start = t * hop - pad;
    if (pairs && t + 1 < nFrames && start >= 0 && start + hop + nfft <= n) {
      // two interior frames at once, one per f64x2 lane (the same arithmetic as the one-frame path)
      const srcA = yPtr + ((<usize>start) << 2);
      transform2(srcA, srcA + ((<usize>hop) << 2));
      const rowA = out + (<usize>(t * nBins) << 2);
      const mx = powerOut2(rowA, rowA + ((<usize>nBins) << 2));
      if (rowMax) {
        store<f32>(rowMax + ((<usize>t) << 2), <f32>f64x2.extract_lane(mx, 0));
        store<f32>(rowMax + ((<usize>(t + 1)) << 2), <f32>f64x2.extract_lane(mx, 1));
      }
      t++;
      continue;
    }
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
    const mx = powerOut(out + (<usize>(t * nBins) << 2));
    if (rowMax) store<f32>(rowMax + ((<usize>t) << 2), mx);
  }
  return finite;
}

// ---- two frames at once (structure of arrays: lane 0 = frame A, lane 1 = frame B) ----------------

// [xA[2j], xB[2j], xA[2j+1], xB[2j+1]] (f32) of the two frames' sample pair j.
// @ts-ignore: decorator
@inline function pair2(srcA: usize, srcB: usize, j: u32): v128 {
  const a = v128.load64_zero(srcA + ((<usize>j) << 3));
  const b = v128.load64_zero(srcB + ((<usize>j) << 3));
  return v128.shuffle<f32>(a, b, 0, 4, 1, 5);
}
// @ts-ignore: decorator
@inline function re2(v: v128, j: u32): v128 {
  return f64x2.mul(f64x2.promote_low_f32x4(v), v128.load64_splat(WIN + ((<usize>j) << 4)));
}
// @ts-ignore: decorator
@inline function im2(v: v128, j: u32): v128 {
  return f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), v128.load64_splat(WIN + ((<usize>j) << 4), 8));
}

/** The FFT of two windowed frames (n_fft f32 samples each at srcA, srcB) into Z2; M a power of 4. */
function transform2(srcA: usize, srcB: usize): void {
  const m = M;
  const rev = REV;
  const z = Z2;
  const q = <u32>(m >> 2);
  for (let b = 0; b < m; b += 4) {
    const j = load<u32>(rev + ((<usize>b) << 2));
    const v0 = pair2(srcA, srcB, j);
    const v1 = pair2(srcA, srcB, j + 2 * q);
    const v2 = pair2(srcA, srcB, j + q);
    const v3 = pair2(srcA, srcB, j + 3 * q);
    const x0r = re2(v0, j), x0i = im2(v0, j);
    const u1r = re2(v1, j + 2 * q), u1i = im2(v1, j + 2 * q);
    const u2r = re2(v2, j + q), u2i = im2(v2, j + q);
    const u3r = re2(v3, j + 3 * q), u3i = im2(v3, j + 3 * q);
    const a0r = f64x2.add(x0r, u1r), a0i = f64x2.add(x0i, u1i);
    const a1r = f64x2.sub(x0r, u1r), a1i = f64x2.sub(x0i, u1i);
    const sr = f64x2.add(u2r, u3r), si = f64x2.add(u2i, u3i);
    const dr = f64x2.sub(u2r, u3r), di = f64x2.sub(u2i, u3i);
    const p = z + ((<usize>b) << 5);
    v128.store(p, f64x2.add(a0r, sr));
    v128.store(p, f64x2.add(a0i, si), 16);
    v128.store(p, f64x2.add(a1r, di), 32); // a1 + (−i·d)
    v128.store(p, f64x2.sub(a1i, dr), 48);
    v128.store(p, f64x2.sub(a0r, sr), 64);
    v128.store(p, f64x2.sub(a0i, si), 80);
    v128.store(p, f64x2.sub(a1r, di), 96); // a1 − (−i·d)
    v128.store(p, f64x2.add(a1i, dr), 112);
  }
  for (let pass = 1; pass < NPASS; pass++) {
    const h = load<i32>(PASS_H + ((<usize>pass) << 2));
    const tw0 = TW + <usize>load<i32>(PASS_OFF + ((<usize>pass) << 2));
    const blk = 4 * h;
    const hb = (<usize>h) << 5;
    for (let b = 0; b < m; b += blk) {
      let p = z + ((<usize>b) << 5);
      let t = tw0;
      for (let j = 0; j < h; j++) {
        const x0r = v128.load(p), x0i = v128.load(p, 16);
        // u = Z·W with W = c + i·s (c at the cc vector, s in the nd vector's second lane)
        const y1r = v128.load(p + hb), y1i = v128.load(p + hb, 16);
        const c2 = v128.load64_splat(t, 32), s2 = v128.load64_splat(t, 56);
        const u1r = f64x2.sub(f64x2.mul(y1r, c2), f64x2.mul(y1i, s2)), u1i = f64x2.add(f64x2.mul(y1i, c2), f64x2.mul(y1r, s2));
        const y2r = v128.load(p + 2 * hb), y2i = v128.load(p + 2 * hb, 16);
        const c1 = v128.load64_splat(t), s1 = v128.load64_splat(t, 24);
        const u2r = f64x2.sub(f64x2.mul(y2r, c1), f64x2.mul(y2i, s1)), u2i = f64x2.add(f64x2.mul(y2i, c1), f64x2.mul(y2r, s1));
        const y3r = v128.load(p + 3 * hb), y3i = v128.load(p + 3 * hb, 16);
        const c3 = v128.load64_splat(t, 64), s3 = v128.load64_splat(t, 88);
        const u3r = f64x2.sub(f64x2.mul(y3r, c3), f64x2.mul(y3i, s3)), u3i = f64x2.add(f64x2.mul(y3i, c3), f64x2.mul(y3r, s3));
        const a0r = f64x2.add(x0r, u1r), a0i = f64x2.add(x0i, u1i);
        const a1r = f64x2.sub(x0r, u1r), a1i = f64x2.sub(x0i, u1i);
        const sr = f64x2.add(u2r, u3r), si = f64x2.add(u2i, u3i);
        const dr = f64x2.sub(u2r, u3r), di = f64x2.sub(u2i, u3i);
        v128.store(p, f64x2.add(a0r, sr));
        v128.store(p, f64x2.add(a0i, si), 16);
        v128.store(p + hb, f64x2.add(a1r, di));
        v128.store(p + hb, f64x2.sub(a1i, dr), 16);
        v128.store(p + 2 * hb, f64x2.sub(a0r, sr));
        v128.store(p + 2 * hb, f64x2.sub(a0i, si), 16);
        v128.store(p + 3 * hb, f64x2.sub(a1r, di));
        v128.store(p + 3 * hb, f64x2.add(a1i, dr), 16);
        p += 32;
        t += 96;
      }
    }
  }
}

/**
 * |X[k]|² of both frames from Z2 into rowA and rowB (f32, M + 1 bins each), computed as the
 * one-frame powerOut does but with the halvings moved to a final exact ×¼. Returns both rows'
 * maxima as [max A, max B].
 */
function powerOut2(rowA: usize, rowB: usize): v128 {
  const m = M;
  const z = Z2;
  const z0r = v128.load(z);
  const z0i = v128.load(z, 16);
  const dc = f64x2.add(z0r, z0i);
  const ny = f64x2.sub(z0r, z0i);
  const pdc = f64x2.mul(dc, dc);
  const pny = f64x2.mul(ny, ny);
  const d32 = f32x4.demote_f64x2_zero(pdc);
  const n32 = f32x4.demote_f64x2_zero(pny);
  v128.store32_lane(rowA, d32, 0);
  v128.store32_lane(rowB, d32, 1);
  v128.store32_lane(rowA + ((<usize>m) << 2), n32, 0);
  v128.store32_lane(rowB + ((<usize>m) << 2), n32, 1);
  let mx = f64x2.pmax(pdc, pny);
  const quarter = f64x2.splat(0.25);
  const half = m >> 1; // even (m is a power of 4 ≥ 16)
  // bins k and k + 1 per pass: their float32 powers are paired by a shuffle and stored 8 bytes at a
  // time (rows A and B), likewise the mirrored bins m − k − 1 and m − k, stored after (at k = half the
  // mirrored value lands last, as in the one-bin-at-a-time order)
  for (let k = 1; k < half; k += 2) {
    const pa = z + ((<usize>k) << 5);
    const pb = z + ((<usize>(m - k)) << 5);
    const pc = PC + ((<usize>k) << 5);
    const c = v128.load64_splat(pc), s = v128.load64_splat(pc, 24);
    const c_ = v128.load64_splat(pc, 32), s_ = v128.load64_splat(pc, 56);
    // bin k
    const Ar = v128.load(pa), Ai = v128.load(pa, 16);
    const Br = v128.load(pb), Bi = v128.load(pb, 16);
    const Er = f64x2.add(Ar, Br), Ei = f64x2.sub(Ai, Bi); // 2E = Z[k] + conj Z[m−k]
    const Dr = f64x2.sub(Ar, Br), Di = f64x2.add(Ai, Bi); // D = Z[k] − conj Z[m−k]; 2O = −i·D = (Di, −Dr)
    const Tr = f64x2.add(f64x2.mul(Di, c), f64x2.mul(Dr, s)); // 2T = 2O·W
    const Ti = f64x2.sub(f64x2.mul(Di, s), f64x2.mul(Dr, c));
    const Xr = f64x2.add(Er, Tr), Xi = f64x2.add(Ei, Ti); // 2X[k]
    const Yr = f64x2.sub(Er, Tr), Yi = f64x2.sub(Ei, Ti); // 2·conj X[m−k]
    const p1 = f64x2.mul(f64x2.add(f64x2.mul(Xr, Xr), f64x2.mul(Xi, Xi)), quarter);
    const p2 = f64x2.mul(f64x2.add(f64x2.mul(Yr, Yr), f64x2.mul(Yi, Yi)), quarter);
    // bin k + 1 (its mirror m − k − 1 sits 32 bytes below)
    const Ar_ = v128.load(pa, 32), Ai_ = v128.load(pa, 48);
    const Br_ = v128.load(pb - 32), Bi_ = v128.load(pb - 16);
    const Er_ = f64x2.add(Ar_, Br_), Ei_ = f64x2.sub(Ai_, Bi_);
    const Dr_ = f64x2.sub(Ar_, Br_), Di_ = f64x2.add(Ai_, Bi_);
    const Tr_ = f64x2.add(f64x2.mul(Di_, c_), f64x2.mul(Dr_, s_));
    const Ti_ = f64x2.sub(f64x2.mul(Di_, s_), f64x2.mul(Dr_, c_));
    const Xr_ = f64x2.add(Er_, Tr_), Xi_ = f64x2.add(Ei_, Ti_);
    const Yr_ = f64x2.sub(Er_, Tr_), Yi_ = f64x2.sub(Ei_, Ti_);
    const p1_ = f64x2.mul(f64x2.add(f64x2.mul(Xr_, Xr_), f64x2.mul(Xi_, Xi_)), quarter);
    const p2_ = f64x2.mul(f64x2.add(f64x2.mul(Yr_, Yr_), f64x2.mul(Yi_, Yi_)), quarter);
    // [A_k, A_k+1, B_k, B_k+1] and [A_m−k−1, A_m−k, B_m−k−1, B_m−k]
    const lo = v128.shuffle<f32>(f32x4.demote_f64x2_zero(p1), f32x4.demote_f64x2_zero(p1_), 0, 4, 1, 5);
    const hi = v128.shuffle<f32>(f32x4.demote_f64x2_zero(p2_), f32x4.demote_f64x2_zero(p2), 0, 4, 1, 5);
    const ok = (<usize>k) << 2;
    const om = (<usize>(m - k - 1)) << 2;
    v128.store64_lane(rowA + ok, lo, 0);
    v128.store64_lane(rowB + ok, lo, 1);
    v128.store64_lane(rowA + om, hi, 0);
    v128.store64_lane(rowB + om, hi, 1);
    mx = f64x2.pmax(mx, f64x2.pmax(f64x2.pmax(p1, p2), f64x2.pmax(p1_, p2_)));
  }
  return mx;
}

/** 1 when all n f32 values at p are finite, else 0 (v − v is 0 for finite v, NaN otherwise). */
export function allFinite(p: usize, n: i32): i32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = p + (<usize>i << 2);
    const v0 = v128.load(q);
    const v1 = v128.load(q, 16);
    a0 = f32x4.add(a0, f32x4.sub(v0, v0));
    a1 = f32x4.add(a1, f32x4.sub(v1, v1));
  }
  a0 = f32x4.add(a0, a1);
  let ok = !v128.any_true(f32x4.ne(a0, a0));
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v - v != 0) ok = false;
  }
  return ok ? 1 : 0;
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
 * S f32 (rows × nBins), start/len/off i32[nBands], w f32, out f32 (rows × nBands). Frames go in
 * pairs (each weight loaded once for both).
 */
export function sparseApply(s: usize, rows: i32, nBins: i32, start: usize, len: usize, off: usize, w: usize, nBands: i32, out: usize): void {
  let t = 0;
  // two frames per pass over the bands (each weight pair loaded once for both), the same arithmetic
  // and order for each frame as the one-frame loop below
  for (; t + 1 < rows; t += 2) {
    const srow = s + (<usize>(t * nBins) << 2);
    const srow2 = srow + (<usize>nBins << 2);
    const orow = out + (<usize>(t * nBands) << 2);
    const orow2 = orow + (<usize>nBands << 2);
    for (let b = 0; b < nBands; b++) {
      const bb = <usize>b << 2;
      const n = load<i32>(len + bb);
      const so = <usize>load<i32>(start + bb) << 2;
      const sp = srow + so;
      const sq = srow2 + so;
      const wp = w + (<usize>load<i32>(off + bb) << 2);
      let acc = f64x2.splat(0);
      let acd = acc;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        const c = f64x2.promote_low_f32x4(v128.load64_zero(wp + (<usize>i << 2)));
        acc = f64x2.add(acc, f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(sp + (<usize>i << 2))), c));
        acd = f64x2.add(acd, f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(sq + (<usize>i << 2))), c));
      }
      let r = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      let r2 = f64x2.extract_lane(acd, 0) + f64x2.extract_lane(acd, 1);
      if (i < n) {
        const wi = <f64>load<f32>(wp + (<usize>i << 2));
        r += <f64>load<f32>(sp + (<usize>i << 2)) * wi;
        r2 += <f64>load<f32>(sq + (<usize>i << 2)) * wi;
      }
      store<f32>(orow + bb, <f32>r);
      store<f32>(orow2 + bb, <f32>r2);
    }
  }
  for (; t < rows; t++) {
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

// ---- spectral contrast: per band, the sums of the q smallest and the q largest values ----------

// Insert v into the ascending buffer L[0..q) (L[q−1] is the largest kept); returns the new L[q−1].
// @ts-ignore: decorator
@inline function insertLow(L: usize, q: i32, v: f32): f32 {
  let j = q - 2;
  while (j >= 0) {
    const x = load<f32>(L + (<usize>j << 2));
    if (!(x > v)) break;
    store<f32>(L + (<usize>j << 2), x, 4);
    j--;
  }
  store<f32>(L + (<usize>j << 2), v, 4);
  return load<f32>(L + (<usize>(q - 1) << 2));
}

// Insert v into the descending buffer H[0..q) (H[q−1] is the smallest kept); returns the new H[q−1].
// @ts-ignore: decorator
@inline function insertHigh(H: usize, q: i32, v: f32): f32 {
  let j = q - 2;
  while (j >= 0) {
    const x = load<f32>(H + (<usize>j << 2));
    if (!(x < v)) break;
    store<f32>(H + (<usize>j << 2), x, 4);
    j--;
  }
  store<f32>(H + (<usize>j << 2), v, 4);
  return load<f32>(H + (<usize>(q - 1) << 2));
}

let C_L: usize = 0; // f32 scratch, ascending q smallest
let C_H: usize = 0; // f32 scratch, descending q largest
let C_NAN: bool = false;
let C_CL: usize = 0; // f32 scratch: candidates for the q smallest (band length + 16 values)
let C_CH: usize = 0; // f32 scratch: candidates for the q largest
// i8x16.swizzle patterns moving the f32 lanes set in a 4-bit mask to the front (255 = zero byte)
const PACK4 = memory.data<u8>([
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  4, 5, 6, 7, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 4, 5, 6, 7, 255, 255, 255, 255, 255, 255, 255, 255,
  8, 9, 10, 11, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 8, 9, 10, 11, 255, 255, 255, 255, 255, 255, 255, 255,
  4, 5, 6, 7, 8, 9, 10, 11, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255, 255, 255, 255,
  12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255,
  4, 5, 6, 7, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 255, 255, 255, 255,
  8, 9, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
]);
let C_LMAX: f32 = 0;
let C_HMIN: f32 = 0;

// @ts-ignore: decorator
@inline function visit(v: f32, q: i32): void {
  if (!(v >= C_LMAX)) {
    if (v != v) C_NAN = true;
    else C_LMAX = insertLow(C_L, q, v);
  }
  if (v > C_HMIN) C_HMIN = insertHigh(C_H, q, v);
}

// ---- sorting 16 f32 lanes (no NaN) with a SIMD network ------------------------------------------

// [x3, x2, x1, x0]
// @ts-ignore: decorator
@inline function rev4(x: v128): v128 {
  return v128.shuffle<f32>(x, x, 3, 2, 1, 0);
}

// Sorts a bitonic sequence of 4 lanes ascending (half-cleaners at distance 2, then 1).
// @ts-ignore: decorator
@inline function bitonic4(x: v128): v128 {
  let y = v128.shuffle<f32>(x, x, 2, 3, 0, 1);
  x = v128.shuffle<f32>(f32x4.pmin(x, y), f32x4.pmax(x, y), 0, 1, 6, 7);
  y = v128.shuffle<f32>(x, x, 1, 0, 3, 2);
  return v128.shuffle<f32>(f32x4.pmin(x, y), f32x4.pmax(x, y), 0, 5, 2, 7);
}

/**
 * The 16 lanes of a, b, c, d sorted ascending into tmp (64 bytes): columns sorted across the
 * four vectors, a transpose (each vector then sorted), and bitonic merges 4 + 4 → 8, 8 + 8 → 16.
 */
function sort16(a: v128, b: v128, c: v128, d: v128, tmp: usize): void {
  // sort each lane across a ≤ b ≤ c ≤ d
  let t = f32x4.pmin(a, b);
  b = f32x4.pmax(a, b);
  a = t;
  t = f32x4.pmin(c, d);
  d = f32x4.pmax(c, d);
  c = t;
  t = f32x4.pmin(a, c);
  c = f32x4.pmax(a, c);
  a = t;
  t = f32x4.pmin(b, d);
  d = f32x4.pmax(b, d);
  b = t;
  t = f32x4.pmin(b, c);
  c = f32x4.pmax(b, c);
  b = t;
  // transpose: r_l = [a_l, b_l, c_l, d_l], each sorted
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  const r0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5);
  const r1 = rev4(v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  const r2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5);
  const r3 = rev4(v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  // 4 + 4 → 8: (A0, A1) from r0, r1 and (B0, B1) from r2, r3
  const A0 = bitonic4(f32x4.pmin(r0, r1));
  const A1 = bitonic4(f32x4.pmax(r0, r1));
  const B0 = bitonic4(f32x4.pmin(r2, r3));
  const B1 = bitonic4(f32x4.pmax(r2, r3));
  // 8 + 8 → 16: against B reversed, then half-cleaners at distance 4, 2, 1
  const rb1 = rev4(B1);
  const rb0 = rev4(B0);
  const L0 = f32x4.pmin(A0, rb1);
  const L1 = f32x4.pmin(A1, rb0);
  const H0 = f32x4.pmax(A0, rb1);
  const H1 = f32x4.pmax(A1, rb0);
  v128.store(tmp, bitonic4(f32x4.pmin(L0, L1)));
  v128.store(tmp, bitonic4(f32x4.pmax(L0, L1)), 16);
  v128.store(tmp, bitonic4(f32x4.pmin(H0, H1)), 32);
  v128.store(tmp, bitonic4(f32x4.pmax(H0, H1)), 48);
}

// The q-th smallest (1 ≤ q ≤ 16) of the 16 lanes of a, b, c, d (no NaN). tmp: 64 bytes of scratch.
// @ts-ignore: decorator
@inline function kthSmallest16(a: v128, b: v128, c: v128, d: v128, q: i32, tmp: usize): f32 {
  sort16(a, b, c, d, tmp);
  return load<f32>(tmp + (<usize>(q - 1) << 2));
}

// The q-th largest (1 ≤ q ≤ 16) of the 16 lanes of a, b, c, d (no NaN).
// @ts-ignore: decorator
@inline function kthLargest16(a: v128, b: v128, c: v128, d: v128, q: i32, tmp: usize): f32 {
  sort16(a, b, c, d, tmp);
  return load<f32>(tmp + (<usize>(16 - q) << 2));
}

// Keeps the 16 smallest (low ≠ 0) or the 16 largest (low = 0) of the 32 values in acc and tmp, each
// 16 f32 sorted ascending (64 bytes), ascending into acc: the lower (upper) half of a bitonic merge
// — acc[i] against tmp[15 − i] — then the half-cleaners at distance 8, 4, 2, 1.
// @ts-ignore: decorator
@inline function merge16(acc: usize, tmp: usize, low: bool): void {
  const a0 = v128.load(acc), a1 = v128.load(acc, 16), a2 = v128.load(acc, 32), a3 = v128.load(acc, 48);
  const b0 = rev4(v128.load(tmp, 48)), b1 = rev4(v128.load(tmp, 32)), b2 = rev4(v128.load(tmp, 16)), b3 = rev4(v128.load(tmp));
  const l0 = low ? f32x4.pmin(a0, b0) : f32x4.pmax(a0, b0);
  const l1 = low ? f32x4.pmin(a1, b1) : f32x4.pmax(a1, b1);
  const l2 = low ? f32x4.pmin(a2, b2) : f32x4.pmax(a2, b2);
  const l3 = low ? f32x4.pmin(a3, b3) : f32x4.pmax(a3, b3);
  const m0 = f32x4.pmin(l0, l2), m2 = f32x4.pmax(l0, l2);
  const m1 = f32x4.pmin(l1, l3), m3 = f32x4.pmax(l1, l3);
  v128.store(acc, bitonic4(f32x4.pmin(m0, m1)));
  v128.store(acc, bitonic4(f32x4.pmax(m0, m1)), 16);
  v128.store(acc, bitonic4(f32x4.pmin(m2, m3)), 32);
  v128.store(acc, bitonic4(f32x4.pmax(m2, m3)), 48);
}

// The 16 smallest (low) or largest (!low) of the n ≥ 1 candidates at c (no NaN), ascending into acc
// (64 bytes; tmp: 64 bytes of scratch): blocks of 16 (the last one padded with +∞ / −∞, written
// after the n candidates: c holds n + 16 values) are sorted by a network and merged.
function select16(c: usize, n: i32, low: bool, acc: usize, tmp: usize): void {
  const pad: f32 = low ? Infinity : -Infinity;
  const end = (n + 15) & ~15;
  for (let j = n; j < end; j++) store<f32>(c + (<usize>j << 2), pad);
  sort16(v128.load(c), v128.load(c, 16), v128.load(c, 32), v128.load(c, 48), acc);
  for (let j = 16; j < end; j += 16) {
    const p = c + (<usize>j << 2);
    sort16(v128.load(p), v128.load(p, 16), v128.load(p, 32), v128.load(p, 48), tmp);
    merge16(acc, tmp, low);
  }
}

// The q ≤ 16 smallest of the n ≥ q candidates at C_CL (no NaN), ascending into C_L[0..q).
function selectLow(n: i32, q: i32): void {
  const acc = C_L + 64;
  select16(C_CL, n, true, acc, acc + 64);
  for (let j = 0; j < q; j++) store<f32>(C_L + (<usize>j << 2), load<f32>(acc + (<usize>j << 2)));
}

// The q ≤ 16 largest of the n ≥ q candidates at C_CH (no NaN), descending into C_H[0..q).
function selectHigh(n: i32, q: i32): void {
  const acc = C_H + 64;
  select16(C_CH, n, false, acc, acc + 64);
  for (let j = 0; j < q; j++) store<f32>(C_H + (<usize>j << 2), load<f32>(acc + (<usize>(15 - j) << 2)));
}

// For q ≤ 3 and len ≥ 16: the q smallest and the q largest of p[0..len) into C_L (ascending) and
// C_H (descending) through per-lane insertion networks (each lane's 3 smallest / largest, in
// registers) and a network selection among the 4q lane values plus the len % 4 tail values. Sets
// C_NAN (and selects nothing) when the band holds a NaN.
function smallQ(p: usize, len: i32, q: i32): void {
  let l1 = f32x4.splat(Infinity), l2 = l1, l3 = l1;
  let h1 = f32x4.splat(-Infinity), h2 = h1, h3 = h1;
  let nan = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    nan = v128.or(nan, f32x4.ne(v, v));
    const t1 = f32x4.pmax(l1, v);
    l1 = f32x4.pmin(l1, v);
    const t2 = f32x4.pmax(l2, t1);
    l2 = f32x4.pmin(l2, t1);
    l3 = f32x4.pmin(l3, t2);
    const u1 = f32x4.pmin(h1, v);
    h1 = f32x4.pmax(h1, v);
    const u2 = f32x4.pmin(h2, u1);
    h2 = f32x4.pmax(h2, u1);
    h3 = f32x4.pmax(h3, u2);
  }
  v128.store(C_CL, l1);
  v128.store(C_CL, l2, 16);
  v128.store(C_CL, l3, 32);
  v128.store(C_CH, h1);
  v128.store(C_CH, h2, 16);
  v128.store(C_CH, h3, 32);
  let n = 4 * q;
  for (; i < len; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v != v) C_NAN = true;
    store<f32>(C_CL + (<usize>n << 2), v);
    store<f32>(C_CH + (<usize>n << 2), v);
    n++;
  }
  if (v128.any_true(nan)) C_NAN = true;
  if (C_NAN) return;
  selectLow(n, q);
  selectHigh(n, q);
}

function resetBuffers(q: i32): void {
  for (let j = 0; j < q; j++) {
    store<f32>(C_L + (<usize>j << 2), Infinity);
    store<f32>(C_H + (<usize>j << 2), -Infinity);
  }
  C_LMAX = Infinity;
  C_HMIN = -Infinity;
}

/**
 * For frames t < T of a frame-major (T × nb) f32 array at s and each band k < nBands given as the
 * i32 triple (lo, len, q) at tab + 12·k: the sum, in sorted order and in f64, of the q smallest and
 * of the q largest of s[t, lo .. lo+len) — of their square roots when sqrtValues ≠ 0 (the
 * magnitudes of a power row: √ is monotone, so the selected bins are the same). Writes two f64 per
 * (frame, band) at out + 16·(t·nBands + k); the low sum is NaN when the band holds a NaN.
 * lb and hb are f32 scratch buffers of max(max(q), 48) values each, cl and ch of (longest band + 16).
 *
 * Long bands with q ≤ 16 are first scanned with SIMD minima/maxima of 16 interleaved groups: the
 * q-th smallest group minimum tLo is ≥ the band's q-th smallest value (the q group minima up to it
 * are q distinct elements), so only values ≤ tLo can be among the q smallest (likewise ≥ tHi for
 * the largest). A second SIMD pass copies just those candidates (typically q + a few) and the q
 * smallest / largest are picked among them (blocks of 16 sorted by a SIMD network and merged,
 * keeping 16). The selected values, hence the sums, are exactly those of a full scan.
 */
export function contrastSums(s: usize, nb: i32, T: i32, tab: usize, nBands: i32, lb: usize, hb: usize, cl: usize, ch: usize, sqrtValues: i32, out: usize): void {
  C_L = lb;
  C_H = hb;
  C_CL = cl;
  C_CH = ch;
  let o = out;
  for (let t = 0; t < T; t++) {
    const row = s + (<usize>(t * nb) << 2);
    for (let k = 0; k < nBands; k++) {
      const tk = tab + (<usize>(k * 12));
      const p = row + (<usize>load<i32>(tk) << 2);
      const len = load<i32>(tk, 4);
      const q = load<i32>(tk, 8);
      C_NAN = false;
      let sl: f64 = 0;
      let sh: f64 = 0;
      if (q == 1) {
        // pmin/pmax are single instructions (min/max's NaN rules are not): NaNs are tracked apart
        let mn = f32x4.splat(Infinity);
        let mx = f32x4.splat(-Infinity);
        let nan = f32x4.splat(0);
        let i = 0;
        for (; i + 4 <= len; i += 4) {
          const v = v128.load(p + (<usize>i << 2));
          mn = f32x4.pmin(mn, v);
          mx = f32x4.pmax(mx, v);
          nan = v128.or(nan, f32x4.ne(v, v));
        }
        mn = f32x4.pmin(mn, v128.shuffle<f32>(mn, mn, 2, 3, 0, 1));
        mn = f32x4.pmin(mn, v128.shuffle<f32>(mn, mn, 1, 0, 3, 2));
        mx = f32x4.pmax(mx, v128.shuffle<f32>(mx, mx, 2, 3, 0, 1));
        mx = f32x4.pmax(mx, v128.shuffle<f32>(mx, mx, 1, 0, 3, 2));
        let a = f32x4.extract_lane(mn, 0);
        let b = f32x4.extract_lane(mx, 0);
        if (v128.any_true(nan)) C_NAN = true;
        for (; i < len; i++) {
          const v = load<f32>(p + (<usize>i << 2));
          if (v != v) C_NAN = true;
          if (v < a) a = v;
          if (v > b) b = v;
        }
        sl = sqrtValues ? <f64>Mathf.sqrt(a) : <f64>a;
        sh = sqrtValues ? <f64>Mathf.sqrt(b) : <f64>b;
      } else {
        resetBuffers(q);
        let i = 0;
        if (q <= 3 && len >= 16) {
          // few to select: each lane keeps its q smallest and q largest (min/max insertion
          // networks); the band's q smallest/largest are among those 4q values and the tail's
          smallQ(p, len, q);
          i = len;
        } else if (q <= 16 && len >= 64) {
          let m0 = f32x4.splat(Infinity), m1 = m0, m2 = m0, m3 = m0;
          let x0 = f32x4.splat(-Infinity), x1 = x0, x2 = x0, x3 = x0;
          let nan = f32x4.splat(0);
          let g = 0;
          for (; g + 16 <= len; g += 16) {
            const a = p + (<usize>g << 2);
            const v0 = v128.load(a);
            const v1 = v128.load(a, 16);
            const v2 = v128.load(a, 32);
            const v3 = v128.load(a, 48);
            m0 = f32x4.pmin(m0, v0);
            m1 = f32x4.pmin(m1, v1);
            m2 = f32x4.pmin(m2, v2);
            m3 = f32x4.pmin(m3, v3);
            x0 = f32x4.pmax(x0, v0);
            x1 = f32x4.pmax(x1, v1);
            x2 = f32x4.pmax(x2, v2);
            x3 = f32x4.pmax(x3, v3);
            nan = v128.or(nan, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
          }
          // thresholds: the q-th smallest of the 16 group minima, the q-th largest of the maxima
          if (v128.any_true(nan)) C_NAN = true;
          for (let j = g; j < len; j++) {
            const v = load<f32>(p + (<usize>j << 2));
            if (v != v) C_NAN = true; // (the tail outside the groups: the band is now checked for NaN)
          }
          const tLo = C_NAN ? <f32>0 : kthSmallest16(m0, m1, m2, m3, q, C_L + 64);
          const tHi = C_NAN ? <f32>0 : kthLargest16(x0, x1, x2, x3, q, C_H + 64);
          if (C_NAN) {
            // a group minimum is NaN: the band holds a NaN (the caller reports it)
          } else if (tLo < tHi) {
            // Only values ≤ tLo can be among the q smallest, only values ≥ tHi among the q largest:
            // copy those (branch-free: each block of 4 lanes is packed by a shuffle) and select from them.
            const lo4 = f32x4.splat(tLo);
            const hi4 = f32x4.splat(tHi);
            let nl = 0;
            let nh = 0;
            for (; i + 4 <= len; i += 4) {
              const v = v128.load(p + (<usize>i << 2));
              const ml = i32x4.bitmask(f32x4.le(v, lo4));
              const mh = i32x4.bitmask(f32x4.ge(v, hi4));
              v128.store(C_CL + (<usize>nl << 2), i8x16.swizzle(v, v128.load(PACK4 + (<usize>ml << 4))));
              v128.store(C_CH + (<usize>nh << 2), i8x16.swizzle(v, v128.load(PACK4 + (<usize>mh << 4))));
              nl += <i32>popcnt(ml);
              nh += <i32>popcnt(mh);
            }
            for (; i < len; i++) {
              const v = load<f32>(p + (<usize>i << 2));
              if (v <= tLo) store<f32>(C_CL + (<usize>(nl++) << 2), v);
              if (v >= tHi) store<f32>(C_CH + (<usize>(nh++) << 2), v);
            }
            selectLow(nl, q);
            selectHigh(nh, q);
          }
        }
        if (!C_NAN) for (; i < len; i++) visit(load<f32>(p + (<usize>i << 2)), q);
        for (let j = 0; j < q; j++) {
          const a = load<f32>(C_L + (<usize>j << 2));
          const b = load<f32>(C_H + (<usize>j << 2));
          sl += sqrtValues ? <f64>Mathf.sqrt(a) : <f64>a;
          sh += sqrtValues ? <f64>Mathf.sqrt(b) : <f64>b;
        }
      }
      store<f64>(o, C_NAN ? NaN : sl);
      store<f64>(o, sh, 8);
      o += 16;
    }
  }
}

// ---- power → dB --------------------------------------------------------------------------------

// Natural logarithm of two positive normal finite f64 (argument reduction to [√½, √2) and the
// classic odd series in s = f/(2+f), to about 1 ulp).
// @ts-ignore: decorator
@inline function lnx2(x: v128): v128 {
  // ix = bits + (1.0 − √½ high word) so that the exponent k rounds the mantissa into [√½, √2)
  const ix = i64x2.add(x, i64x2.splat(0x3ff0000000000000 - 0x3fe6a09e00000000));
  const k = i64x2.sub(i64x2.shr_u(ix, 52), i64x2.splat(1023));
  const m = i64x2.add(v128.and(ix, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3fe6a09e00000000));
  // k (|k| < 2^51) → f64 via the 2^52 + 2^51 magic constant
  const kf = f64x2.sub(i64x2.add(k, i64x2.splat(0x4338000000000000)), f64x2.splat(6755399441055744.0));
  const f = f64x2.sub(m, f64x2.splat(1.0));
  const hfsq = f64x2.mul(f64x2.splat(0.5), f64x2.mul(f, f));
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(f64x2.splat(3.999999999940941908e-1), f64x2.mul(w, f64x2.add(f64x2.splat(2.222219843214978396e-1), f64x2.mul(w, f64x2.splat(1.531383769920937332e-1))))));
  const t2 = f64x2.mul(z, f64x2.add(f64x2.splat(6.666666666666735130e-1), f64x2.mul(w, f64x2.add(f64x2.splat(2.857142874366239149e-1), f64x2.mul(w, f64x2.add(f64x2.splat(1.818357216161805012e-1), f64x2.mul(w, f64x2.splat(1.479819860511658591e-1))))))));
  const R = f64x2.add(t2, t1);
  const lo = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.mul(kf, f64x2.splat(1.90821492927058770002e-10)));
  return f64x2.add(f64x2.mul(kf, f64x2.splat(6.93147180369123816490e-1)), f64x2.sub(f, f64x2.sub(hfsq, lo)));
}

/**
 * out[i] = f32(10·log10(max(x[i], amin)) − refDb) for n f32 values at x (amin a positive normal
 * f64; NaN stays NaN, +∞ stays +∞). Returns the largest output (−∞ when none; NaNs ignored).
 */
export function powerToDb(x: usize, n: i32, amin: f64, refDb: f64, out: usize): f64 {
  const am = f64x2.splat(amin);
  const inf = f64x2.splat(Infinity);
  const scale = f64x2.splat(4.342944819032518); // 10 / ln 10
  const ref = f64x2.splat(refDb);
  let mx = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    const cl = f64x2.pmax(am, lo); // pmax(a, b) = a < b ? b : a: amin when lo ≤ amin or NaN
    const ch = f64x2.pmax(am, hi);
    let dl = f64x2.sub(f64x2.mul(lnx2(cl), scale), ref);
    let dh = f64x2.sub(f64x2.mul(lnx2(ch), scale), ref);
    dl = v128.bitselect(f64x2.add(lo, ref), dl, f64x2.eq(cl, inf)); // +∞ stays +∞ (inf − ref = inf)
    dh = v128.bitselect(f64x2.add(hi, ref), dh, f64x2.eq(ch, inf));
    let r = f32x4.demote_f64x2_zero(dl);
    r = v128.shuffle<f32>(r, f32x4.demote_f64x2_zero(dh), 0, 1, 4, 5);
    r = v128.bitselect(v, r, f32x4.ne(v, v)); // NaN stays NaN
    v128.store(out + (<usize>i << 2), r);
    mx = f32x4.pmax(mx, r); // pmax ignores a NaN in r (keeps mx)
  }
  mx = f32x4.pmax(mx, v128.shuffle<f32>(mx, mx, 2, 3, 0, 1));
  mx = f32x4.pmax(mx, v128.shuffle<f32>(mx, mx, 1, 0, 3, 2));
  let m = <f64>f32x4.extract_lane(mx, 0);
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    let r: f32;
    if (v != v) r = v;
    else {
      const c = <f64>v > amin ? <f64>v : amin;
      r = c == Infinity ? Infinity : <f32>(f64x2.extract_lane(f64x2.sub(f64x2.mul(lnx2(f64x2.splat(c)), scale), ref), 0));
    }
    store<f32>(out + (<usize>i << 2), r);
    if (<f64>r > m) m = <f64>r;
  }
  return m;
}

/** x[i] = max(x[i], floor) for n f32 values at x (NaN stays NaN), in place: power_to_db's top_db clip. */
export function clampMin(x: usize, n: i32, floor: f32): void {
  const f4 = f32x4.splat(floor);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = x + (<usize>i << 2);
    v128.store(q, f32x4.pmax(v128.load(q), f4)); // pmax(v, f) = v < f ? f : v
  }
  for (; i < n; i++) {
    const q = x + (<usize>i << 2);
    const v = load<f32>(q);
    if (v < floor) store<f32>(q, floor);
  }
}

// ---- Savitzky–Golay delta (interior frames) -----------------------------------------------------

/**
 * out[t, f] = Σ_i w[m_i] · x[t − h + m_i, f] (f64, in the order of the taps) for frames t in
 * [h, rows − h), where the nTaps taps are (offset m_i as i32 at taps, weight as f64 at w + 8·i).
 * x and out are frame-major f32 (rows × F). F must be even.
 */
export function savgolInterior(x: usize, rows: i32, F: i32, h: i32, taps: usize, w: usize, nTaps: i32, out: usize): void {
  for (let t = h; t < rows - h; t++) {
    const o = out + (<usize>(t * F) << 2);
    for (let f = 0; f < F; f += 2) {
      let acc = f64x2.splat(0);
      for (let i = 0; i < nTaps; i++) {
        const m = load<i32>(taps + (<usize>i << 2));
        const v = f64x2.promote_low_f32x4(v128.load64_zero(x + (<usize>((t - h + m) * F + f) << 2)));
        const wm = v128.load64_splat(w + (<usize>i << 3));
        acc = i == 0 ? f64x2.mul(wm, v) : f64x2.add(acc, f64x2.mul(wm, v));
      }
      v128.store64_lane(o + (<usize>f << 2), f32x4.demote_f64x2_zero(acc), 0);
    }
  }
}

// ---- DCT-II by even/odd folding ------------------------------------------------------------------

/**
 * out[t, k] = Σ_j D[k, j] · x[t, j] for a DCT-II matrix D (any per-row scale), using its symmetry
 * D[k, n−1−j] = (−1)^k · D[k, j]: with s_j = x_j + x_{n−1−j} and d_j = x_j − x_{n−1−j} (j < n/2),
 * even rows are Σ H[k, j]·s_j and odd rows Σ H[k, j]·d_j, where H (f64, nOut × n/2) holds the first
 * half of each row. Half the products of the dense product. x f32 (rows × n), n a multiple of 4;
 * fold: f64 scratch of 2n values (frames go in pairs, each H row loaded once for both); out f32
 * (rows × nOut).
 */
export function dctFolded(x: usize, hm: usize, rows: i32, n: i32, nOut: i32, fold: usize, out: usize): void {
  const half = n >> 1;
  const sBuf = fold;
  const dBuf = fold + (<usize>half << 3);
  // two frames per pass over H (the second frame's folds at fold + 8n), the same arithmetic and
  // order for each frame as the one-frame loop below
  const sBuf2 = fold + (<usize>n << 3);
  const dBuf2 = sBuf2 + (<usize>half << 3);
  let t = 0;
  for (; t + 1 < rows; t += 2) {
    const xr = x + (<usize>(t * n) << 2);
    const xr2 = xr + (<usize>n << 2);
    for (let j = 0; j < half; j += 2) {
      const a = f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>j << 2)));
      const b = f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>(n - 2 - j) << 2)));
      const r = f64x2.shuffle(b, b, 1, 0);
      v128.store(sBuf + (<usize>j << 3), f64x2.add(a, r));
      v128.store(dBuf + (<usize>j << 3), f64x2.sub(a, r));
      const a2 = f64x2.promote_low_f32x4(v128.load64_zero(xr2 + (<usize>j << 2)));
      const b2 = f64x2.promote_low_f32x4(v128.load64_zero(xr2 + (<usize>(n - 2 - j) << 2)));
      const r2 = f64x2.shuffle(b2, b2, 1, 0);
      v128.store(sBuf2 + (<usize>j << 3), f64x2.add(a2, r2));
      v128.store(dBuf2 + (<usize>j << 3), f64x2.sub(a2, r2));
    }
    const orow = out + (<usize>(t * nOut) << 2);
    const orow2 = orow + (<usize>nOut << 2);
    for (let k = 0; k < nOut; k++) {
      const src = (k & 1) ? dBuf : sBuf;
      const src2 = (k & 1) ? dBuf2 : sBuf2;
      const hrow = hm + (<usize>(k * half) << 3);
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let b0 = f64x2.splat(0);
      let b1 = f64x2.splat(0);
      let j = 0;
      for (; j + 4 <= half; j += 4) {
        const h0 = v128.load(hrow + (<usize>j << 3));
        const h1 = v128.load(hrow + (<usize>j << 3), 16);
        a0 = f64x2.add(a0, f64x2.mul(h0, v128.load(src + (<usize>j << 3))));
        a1 = f64x2.add(a1, f64x2.mul(h1, v128.load(src + (<usize>j << 3), 16)));
        b0 = f64x2.add(b0, f64x2.mul(h0, v128.load(src2 + (<usize>j << 3))));
        b1 = f64x2.add(b1, f64x2.mul(h1, v128.load(src2 + (<usize>j << 3), 16)));
      }
      for (; j < half; j += 2) {
        const h0 = v128.load(hrow + (<usize>j << 3));
        a0 = f64x2.add(a0, f64x2.mul(h0, v128.load(src + (<usize>j << 3))));
        b0 = f64x2.add(b0, f64x2.mul(h0, v128.load(src2 + (<usize>j << 3))));
      }
      a0 = f64x2.add(a0, a1);
      b0 = f64x2.add(b0, b1);
      store<f32>(orow + (<usize>k << 2), <f32>(f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1)));
      store<f32>(orow2 + (<usize>k << 2), <f32>(f64x2.extract_lane(b0, 0) + f64x2.extract_lane(b0, 1)));
    }
  }
  for (; t < rows; t++) {
    const xr = x + (<usize>(t * n) << 2);
    for (let j = 0; j < half; j += 2) {
      const a = f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>j << 2)));
      const b = f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>(n - 2 - j) << 2))); // [x[n−2−j], x[n−1−j]]
      const r = f64x2.shuffle(b, b, 1, 0); // [x[n−1−j], x[n−2−j]]
      v128.store(sBuf + (<usize>j << 3), f64x2.add(a, r));
      v128.store(dBuf + (<usize>j << 3), f64x2.sub(a, r));
    }
    const orow = out + (<usize>(t * nOut) << 2);
    for (let k = 0; k < nOut; k++) {
      const src = (k & 1) ? dBuf : sBuf;
      const hrow = hm + (<usize>(k * half) << 3);
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let j = 0;
      for (; j + 4 <= half; j += 4) {
        a0 = f64x2.add(a0, f64x2.mul(v128.load(hrow + (<usize>j << 3)), v128.load(src + (<usize>j << 3))));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(hrow + (<usize>j << 3), 16), v128.load(src + (<usize>j << 3), 16)));
      }
      for (; j < half; j += 2) a0 = f64x2.add(a0, f64x2.mul(v128.load(hrow + (<usize>j << 3)), v128.load(src + (<usize>j << 3))));
      a0 = f64x2.add(a0, a1);
      store<f32>(orow + (<usize>k << 2), <f32>(f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1)));
    }
  }
}

// ---- piptrack peaks ------------------------------------------------------------------------------

/**
 * For frames t < T of a frame-major (T × nb) f32 array at s: the bins k ∈ [k0, k1] (k0 ≥ 1) where
 * piptrack finds a peak, as librosa defines it: with x = s·(s > thr[t]) (thr f32 per frame),
 * x[k] > x[k − 1] and x[k] ≥ x[k + 1] (the last bin, k = nb − 1: only the left test), and s[k] > thr[t].
 * Appended as i32 at out, frame after frame in increasing k; counts[t] (i32) receives each frame's
 * number. Returns the total.
 */
export function peakBins(s: usize, nb: i32, T: i32, k0: i32, k1: i32, thr: usize, out: usize, counts: usize): i32 {
  let o = out;
  const kv = k1 + 1 < nb - 1 ? k1 + 1 : nb - 1; // SIMD blocks end before this bin (k + 1 stays in the row)
  for (let t = 0; t < T; t++) {
    const rv = load<f32>(thr + (<usize>t << 2));
    const rv4 = f32x4.splat(rv);
    const row = s + (<usize>(t * nb) << 2);
    const o0 = o;
    let k = k0;
    for (; k + 4 <= kv; k += 4) {
      const p = row + (<usize>k << 2);
      const v = v128.load(p);
      const l = v128.load(p - 4);
      const r = v128.load(p + 4);
      const xl = v128.and(l, f32x4.gt(l, rv4)); // x[k − 1]: 0 unless above the threshold
      const xr = v128.and(r, f32x4.gt(r, rv4));
      let m = i32x4.bitmask(v128.and(f32x4.gt(v, rv4), v128.and(f32x4.gt(v, xl), f32x4.ge(v, xr))));
      while (m) {
        store<i32>(o, k + ctz(m));
        o += 4;
        m &= m - 1;
      }
    }
    for (; k <= k1; k++) {
      const p = row + (<usize>k << 2);
      const v = load<f32>(p);
      if (!(v > rv)) continue;
      const l = load<f32>(p - 4);
      if (!(v > (l > rv ? l : <f32>0))) continue;
      if (k + 1 < nb) {
        const r = load<f32>(p + 4);
        if (!(v >= (r > rv ? r : <f32>0))) continue;
      }
      store<i32>(o, k);
      o += 4;
    }
    store<i32>(counts + (<usize>t << 2), <i32>((o - o0) >> 2));
  }
  return <i32>((o - out) >> 2);
}

// ---- spectral contrast: band sums → contrast ---------------------------------------------------

/**
 * Spectral contrast from contrastSums' output (rows·nBands pairs of f64 at sums: low sum, high sum)
 * and the i32 q of each band at qs: valley = f32(low / q), peak = f32(high / q); unless linear ≠ 0
 * both become 10·log10(max(1e-10, ·)) in f64, raised to (largest of their kind − 80) (power_to_db
 * with ref 1, amin 1e-10, top_db 80, once over all valleys and once over all peaks of the clip),
 * and out[i] = f32(peak − valley). The dB values
 * are written over sums. Returns −1, or the index of the first pair whose low sum is NaN (nothing
 * written), or −2 − index of the first pair with an infinite dB value (not finite).
 */
export function contrastFinish(sums: usize, rows: i32, nBands: i32, qs: usize, linear: i32, out: usize): i32 {
  const n = rows * nBands;
  for (let i = 0; i < n; i++) {
    const lo = load<f64>(sums + (<usize>i << 4));
    if (lo != lo) return i;
  }
  const amin = f64x2.splat(1e-10);
  const inf = f64x2.splat(Infinity);
  const scale = f64x2.splat(4.342944819032518); // 10 / ln 10
  let mx = f64x2.splat(-Infinity);
  let i = 0;
  for (let t = 0; t < rows; t++) {
    for (let k = 0; k < nBands; k++) {
      const p = sums + (<usize>i << 4);
      const q = <f64>load<i32>(qs + (<usize>k << 2));
      // [valley, peak] as float32 values
      const v = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.div(v128.load(p), f64x2.splat(q))));
      if (linear) {
        store<f32>(out + (<usize>i << 2), <f32>(f64x2.extract_lane(v, 1) - f64x2.extract_lane(v, 0)));
      } else {
        const c = f64x2.pmax(amin, v); // pmax(a, b) = a < b ? b : a
        if (v128.any_true(f64x2.eq(c, inf))) return -2 - i;
        const d = f64x2.mul(lnx2(c), scale);
        v128.store(p, d);
        mx = f64x2.pmax(mx, d);
      }
      i++;
    }
  }
  if (linear) return -1;
  const floor = f64x2.sub(mx, f64x2.splat(80.0)); // per lane: valleys and peaks each have their own
  for (let j = 0; j < n; j++) {
    const d = f64x2.pmax(v128.load(sums + (<usize>j << 4)), floor); // values below the floor → floor
    store<f32>(out + (<usize>j << 2), <f32>(f64x2.extract_lane(d, 1) - f64x2.extract_lane(d, 0)));
  }
  return -1;
}

// ---- sparse chroma projection ------------------------------------------------------------------

// acc[off .. off + 8) += the 8 f32 lanes of a0, a1 (f64 accumulators, unaligned).
// @ts-ignore: decorator
@inline function flush8(acc: usize, a0: v128, a1: v128): void {
  v128.store(acc, f64x2.add(v128.load(acc), f64x2.promote_low_f32x4(a0)));
  v128.store(acc, f64x2.add(v128.load(acc, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(a0, a0, 2, 3, 0, 1))), 16);
  v128.store(acc, f64x2.add(v128.load(acc, 32), f64x2.promote_low_f32x4(a1)), 32);
  v128.store(acc, f64x2.add(v128.load(acc, 48), f64x2.promote_low_f32x4(v128.shuffle<f32>(a1, a1, 2, 3, 0, 1))), 48);
}

// acc[8 .. 12) += the 4 f32 lanes of a2.
// @ts-ignore: decorator
@inline function flush4hi(acc: usize, a2: v128): void {
  v128.store(acc, f64x2.add(v128.load(acc, 64), f64x2.promote_low_f32x4(a2)), 64);
  v128.store(acc, f64x2.add(v128.load(acc, 80), f64x2.promote_low_f32x4(v128.shuffle<f32>(a2, a2, 2, 3, 0, 1))), 80);
}

/**
 * raw[t·12 + c] (f64 at out) = Σ_k W[c, k] · S[t, k] for t < T, with the 12-row bank W given as
 * segments of consecutive bins (nSegs i32 quadruples at segs: first bin, bin count ≤ 64, window
 * start c0, float offset of the segment's weights in packed). A segment with c0 ≥ 0 holds, per bin,
 * the 8 weights of chroma c0 .. c0 + 7 (mod 12) — the bin's other weights are negligible and
 * dropped —, one with c0 < 0 all 12 weights. Products are summed in f32 over a segment, the
 * segment sums in f64 (acc: 384 bytes of scratch). Frames go in pairs, each weight vector loaded
 * once for both. S frame-major (T × nb f32 at s). With normInf ≠ 0 each frame's 12 values are
 * finished as chroma_stft does with norm ∞ (rounded to f32, divided by their largest magnitude
 * unless it is below f32's smallest normal) and written as f32 (12 per frame) instead; returns the
 * first frame with a non-finite value then (−1 when none; always −1 without normInf).
 */
export function chromaSparse(packed: usize, segs: usize, nSegs: i32, s: usize, out: usize, nb: i32, T: i32, acc: usize, normInf: i32): i32 {
  const accB = acc + 192;
  const zero = f64x2.splat(0);
  let t = 0;
  for (; t < T; t += 2) {
    const two = t + 1 < T;
    for (let i = 0; i < 24; i += 2) {
      v128.store(acc + (<usize>i << 3), zero);
      v128.store(accB + (<usize>i << 3), zero);
    }
    const row = s + (<usize>(t * nb) << 2);
    const sq = two ? <usize>nb << 2 : 0; // the second frame (the first again when there is none)
    for (let g = 0; g < nSegs; g++) {
      const sg = segs + (<usize>g << 4);
      const k0 = load<i32>(sg);
      const n = load<i32>(sg, 4);
      const c0 = load<i32>(sg, 8);
      let wp = packed + (<usize>load<i32>(sg, 12) << 2);
      let sp = row + (<usize>k0 << 2);
      const end = sp + (<usize>n << 2);
      if (c0 >= 0) {
        let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0;
        for (; sp < end; sp += 4) {
          const x = v128.load32_splat(sp);
          const y = v128.load32_splat(sp + sq);
          const w0 = v128.load(wp), w1 = v128.load(wp, 16);
          a0 = f32x4.add(a0, f32x4.mul(x, w0));
          a1 = f32x4.add(a1, f32x4.mul(x, w1));
          b0 = f32x4.add(b0, f32x4.mul(y, w0));
          b1 = f32x4.add(b1, f32x4.mul(y, w1));
          wp += 32;
        }
        flush8(acc + (<usize>c0 << 3), a0, a1);
        flush8(accB + (<usize>c0 << 3), b0, b1);
      } else {
        let a0 = f32x4.splat(0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
        for (; sp < end; sp += 4) {
          const x = v128.load32_splat(sp);
          const y = v128.load32_splat(sp + sq);
          const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32);
          a0 = f32x4.add(a0, f32x4.mul(x, w0));
          a1 = f32x4.add(a1, f32x4.mul(x, w1));
          a2 = f32x4.add(a2, f32x4.mul(x, w2));
          b0 = f32x4.add(b0, f32x4.mul(y, w0));
          b1 = f32x4.add(b1, f32x4.mul(y, w1));
          b2 = f32x4.add(b2, f32x4.mul(y, w2));
          wp += 48;
        }
        flush8(acc, a0, a1);
        flush4hi(acc, a2);
        flush8(accB, b0, b1);
        flush4hi(accB, b2);
      }
    }
    // fold the window overhang (slots 12 ..) back onto chroma 0 ..
    if (normInf) {
      if (!chromaNormRow(acc, out + (<usize>(t * 12) << 2))) return t;
      if (two && !chromaNormRow(accB, out + (<usize>((t + 1) * 12) << 2))) return t + 1;
      continue;
    }
    const o = out + (<usize>(t * 12) << 3);
    for (let c = 0; c < 12; c += 2) {
      const cc = <usize>c << 3;
      v128.store(o + cc, f64x2.add(v128.load(acc + cc), v128.load(acc + cc, 96)));
      if (two) v128.store(o + cc, f64x2.add(v128.load(accB + cc), v128.load(accB + cc, 96)), 96);
    }
  }
  return -1;
}

// chroma_stft's epilogue for one frame from its 24 f64 slots at acc: v = f32(slot c + slot c + 12),
// len = max |v| (1 below f32's smallest normal), out[c] = f32(v / len) (12 f32). False when a v is
// not finite (nothing written).
function chromaNormRow(acc: usize, out: usize): bool {
  let len: f64 = 0;
  for (let c = 0; c < 12; c++) {
    const v = <f64><f32>(load<f64>(acc + (<usize>c << 3)) + load<f64>(acc + (<usize>c << 3), 96));
    if (v - v != 0) return false;
    store<f64>(acc + (<usize>c << 3), v);
    const a = abs<f64>(v);
    if (a > len) len = a;
  }
  if (len < 1.1754943508222875e-38) len = 1;
  for (let c = 0; c < 12; c++) store<f32>(out + (<usize>c << 2), <f32>(load<f64>(acc + (<usize>c << 3)) / len));
  return true;
}

// ---- chroma filterbank -------------------------------------------------------------------------

// fdlibm's exp (FreeBSD e_exp.c, which V8's Math.exp is) on two lanes, the same IEEE operations in
// the same order, for |x| ≤ 700 (callers ensure it): bit-identical to Math.exp there (but for V8's
// special case x = 1, never an argument here).
// @ts-ignore: decorator
@inline function expx2(x: v128): v128 {
  const ax = f64x2.abs(x);
  const small = f64x2.lt(ax, f64x2.splat(0.3465735912322998)); // high word < 0x3fd62e43: k = 0
  const tiny = f64x2.lt(ax, f64x2.splat(3.725290298461914e-9)); // |x| < 2^-28: 1 + x
  const kf = f64x2.trunc(f64x2.add(f64x2.mul(x, f64x2.splat(1.44269504088896338700e0)), v128.bitselect(f64x2.splat(-0.5), f64x2.splat(0.5), f64x2.lt(x, f64x2.splat(0)))));
  const hi = f64x2.sub(x, f64x2.mul(kf, f64x2.splat(6.93147180369123816490e-1)));
  const lo = f64x2.mul(kf, f64x2.splat(1.90821492927058770002e-10));
  const r = v128.bitselect(x, f64x2.sub(hi, lo), small);
  const t = f64x2.mul(r, r);
  const p = f64x2.add(f64x2.splat(-2.77777777770155933842e-3), f64x2.mul(t, f64x2.add(f64x2.splat(6.61375632143793436117e-5), f64x2.mul(t, f64x2.add(f64x2.splat(-1.65339022054652515390e-6), f64x2.mul(t, f64x2.splat(4.13813679705723846039e-8)))))));
  const c = f64x2.sub(r, f64x2.mul(t, f64x2.add(f64x2.splat(1.66666666666666019037e-1), f64x2.mul(t, p))));
  const one = f64x2.splat(1.0);
  // fdlibm divides by (c − 2) for k = 0 and by (2 − c) otherwise: one quotient serves both, as
  // x/(−y) = −(x/y) and a − (−b) = a + b exactly
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(c, f64x2.splat(2.0)));
  const y0 = f64x2.sub(one, f64x2.sub(q, r));
  const y1 = f64x2.sub(one, f64x2.sub(f64x2.add(lo, q), hi));
  // 2^k: (k + 1023) in the exponent field
  const k64 = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(kf));
  const twopk = i64x2.shl(i64x2.add(k64, i64x2.splat(1023)), 52);
  const res = v128.bitselect(y0, f64x2.mul(y1, twopk), small);
  return v128.bitselect(f64x2.add(one, x), res, tiny);
}

// Python's x % n (n > 0) on two lanes, as chroma.ts's pyMod computes it (|x| < 2^52).
// @ts-ignore: decorator
@inline function pyModx2(x: v128, n: v128, rn: v128): v128 {
  const a = f64x2.abs(x);
  // ⌊a/n⌋ from a·(1/n) may be one off either way: the remainder (exact) is then corrected by ±n
  let f = f64x2.sub(a, f64x2.mul(f64x2.floor(f64x2.mul(a, rn)), n));
  f = v128.bitselect(f64x2.add(f, n), f, f64x2.lt(f, f64x2.splat(0)));
  f = v128.bitselect(f64x2.sub(f, n), f, f64x2.ge(f, n));
  const neg = v128.and(f64x2.lt(x, f64x2.splat(0)), f64x2.ne(f, f64x2.splat(0)));
  return v128.bitselect(f64x2.sub(n, f), f, neg);
}

/**
 * librosa.filters.chroma's weights with L2 column norms and the octave Gaussian, as chroma.ts's
 * chromaFilterbank computes them (the same float64 operations in the same order, exp as fdlibm),
 * written bin-major as f32: out[k·n + c] = W[c, k] for bins k < nBins. frq and width: f64 per bin
 * (nBins a multiple of 4), col: 32·n bytes of scratch. Returns 1, or 0 (nothing usable written) when an
 * argument falls outside the range this exp covers or a mod argument reaches 2^52.
 */
export function chromaBank(frq: usize, width: usize, nBins: i32, n: i32, half: f64, ctroct: f64, octwidth: f64, shift: i32, out: usize, col: usize): i32 {
  const nv = f64x2.splat(<f64>n);
  const rn = f64x2.splat(1.0 / <f64>n);
  const halfv = f64x2.splat(half);
  const tenN = f64x2.splat(<f64>(10 * n));
  const lim = f64x2.splat(700.0);
  const big = f64x2.splat(4503599627370496.0);
  let bad = f64x2.splat(0);
  // four bins per pass (two independent lane pairs: the exp is a long dependency chain)
  for (let k = 0; k < nBins; k += 4) {
    const fk = v128.load(frq + (<usize>k << 3));
    const wk = v128.load(width + (<usize>k << 3));
    const fk2 = v128.load(frq + (<usize>k << 3), 16);
    const wk2 = v128.load(width + (<usize>k << 3), 16);
    let s = f64x2.splat(0);
    let s2 = s;
    for (let c = 0; c < n; c++) {
      const cv = f64x2.splat(<f64>c);
      const x = f64x2.add(f64x2.add(f64x2.sub(fk, cv), halfv), tenN);
      const x2 = f64x2.add(f64x2.add(f64x2.sub(fk2, cv), halfv), tenN);
      bad = v128.or(bad, v128.or(f64x2.ge(f64x2.abs(x), big), f64x2.ge(f64x2.abs(x2), big)));
      const z = f64x2.div(f64x2.mul(f64x2.splat(2.0), f64x2.sub(pyModx2(x, nv, rn), halfv)), wk);
      const z2 = f64x2.div(f64x2.mul(f64x2.splat(2.0), f64x2.sub(pyModx2(x2, nv, rn), halfv)), wk2);
      const e = f64x2.mul(f64x2.mul(f64x2.splat(-0.5), z), z);
      const e2 = f64x2.mul(f64x2.mul(f64x2.splat(-0.5), z2), z2);
      bad = v128.or(bad, v128.or(f64x2.gt(f64x2.abs(e), lim), f64x2.gt(f64x2.abs(e2), lim)));
      const g = expx2(e);
      const g2 = expx2(e2);
      v128.store(col + (<usize>c << 5), g);
      v128.store(col + (<usize>c << 5), g2, 16);
      s = f64x2.add(s, f64x2.mul(g, g));
      s2 = f64x2.add(s2, f64x2.mul(g2, g2));
    }
    const tinyLen = f64x2.splat(2.2250738585072014e-308);
    let len = f64x2.sqrt(s);
    len = v128.bitselect(f64x2.splat(1.0), len, f64x2.lt(len, tinyLen));
    let len2 = f64x2.sqrt(s2);
    len2 = v128.bitselect(f64x2.splat(1.0), len2, f64x2.lt(len2, tinyLen));
    const u = f64x2.div(f64x2.sub(f64x2.div(fk, nv), f64x2.splat(ctroct)), f64x2.splat(octwidth));
    const u2 = f64x2.div(f64x2.sub(f64x2.div(fk2, nv), f64x2.splat(ctroct)), f64x2.splat(octwidth));
    const eo = f64x2.mul(f64x2.mul(f64x2.splat(-0.5), u), u);
    const eo2 = f64x2.mul(f64x2.mul(f64x2.splat(-0.5), u2), u2);
    bad = v128.or(bad, v128.or(f64x2.gt(f64x2.abs(eo), lim), f64x2.gt(f64x2.abs(eo2), lim)));
    const oct = expx2(eo);
    const oct2 = expx2(eo2);
    const o0 = out + (<usize>(k * n) << 2);
    const nb4 = <usize>n << 2;
    for (let c = 0; c < n; c++) {
      let src = c + shift;
      if (src >= n) src -= n;
      const p = col + (<usize>src << 5);
      const w32 = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.div(v128.load(p), len), oct));
      const w32b = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.div(v128.load(p, 16), len2), oct2));
      const q = o0 + (<usize>c << 2);
      v128.store32_lane(q, w32, 0);
      v128.store32_lane(q + nb4, w32, 1);
      v128.store32_lane(q + 2 * nb4, w32b, 0);
      v128.store32_lane(q + 3 * nb4, w32b, 1);
    }
  }
  return v128.any_true(bad) ? 0 : 1;
}

/**
 * piptrack's parabolic interpolation at the peaks listed by peakBins (bins: i32, frame after frame,
 * counts[t] per frame) of the frame-major (T × nb) f32 array at s, as tuning.ts's peakAt computes it
 * (float32 roundings where librosa's float32 arithmetic has them): pitch = (k + shift)·sr / n_fft and
 * mag = S[k] + dskew, both written as f32 per peak.
 */
export function peakInterp(s: usize, nb: i32, T: i32, bins: usize, counts: usize, sr: f64, nfft: f64, pitch: usize, mag: usize): void {
  let j = 0;
  for (let t = 0; t < T; t++) {
    const row = s + (<usize>(t * nb) << 2);
    const cnt = load<i32>(counts + (<usize>t << 2));
    for (let c = 0; c < cnt; c++) {
      const k = load<i32>(bins + (<usize>j << 2));
      const p = row + (<usize>k << 2);
      const sv = <f64>load<f32>(p);
      const sl = <f64>load<f32>(p - 4);
      let shift: f64 = 0;
      let avg: f64;
      if (k + 1 < nb) {
        const sr1 = <f64>load<f32>(p + 4);
        const a = <f64><f32>(sr1 + sl) - 2 * sv;
        const b = <f64><f32>(sr1 - sl) / 2;
        shift = abs<f64>(b) >= abs<f64>(a) ? 0 : <f64><f32>(-b / a);
        avg = b;
      } else {
        avg = <f64><f32>(sv - sl);
      }
      const dskew = <f64><f32>(<f64><f32>(0.5 * avg) * shift);
      store<f32>(pitch + (<usize>j << 2), <f32>(((<f64>k + shift) * sr) / nfft));
      store<f32>(mag + (<usize>j << 2), <f32>(sv + dskew));
      j++;
    }
  }
}
