// AssemblyScript source of the WebAssembly fast-convolution rate changer (SIMD, f32x4). Compiled
// by scripts/build-wasm.mjs into src/dsp/fft-resample-wasm.generated.ts (base64). Not part of the
// tsc build. The JS side (src/dsp/fft-resample-wasm.ts) owns the memory layout and the plans.
//
// Rational resampling by up/down in the frequency domain (overlap-save with two transform sizes):
// a block of Nf = down·m input samples is transformed, multiplied by the low-pass filter's
// spectrum, and only its bins below the output Nyquist frequency go into an inverse transform of
// Ni = up·m points, whose samples are the filtered signal at the output rate (the band-limited
// interpolation of the filtered block). Eight real blocks run at once: four complex transforms,
// one per f32x4 lane, each carrying two real blocks (one in its real part, one in its imaginary
// part). So every butterfly is plain lane-wise SIMD whatever the radix.
//
// Complex vectors: element j of a 4-lane complex array at p + 32·j, its real parts (one per lane)
// at +0 and imaginary parts at +16.
//
// FFT: self-sorting (Stockham) mixed radix 2, 3, 4, 5, 7, natural order in and out, unscaled.
// A stage of radix p goes from span L to L·p (R' = N / (L·p)): for k < L, r < R',
//   a_u = src[k·p·R' + u·R' + r] · W_{Lp}^{u·k}   (u < p),   dst[k·R' + v·L·R' + r] = Σ_u a_u W_p^{uv}.
// A plan is the list of radices (i32) and, per stage, the twiddles W_{Lp}^{u·k} (k < L, u = 1..p−1,
// as f32 re, im pairs, k-major), conjugated for the inverse transform; the inverse also swaps
// outputs v and p − v (its butterflies use the conjugate roots).

// @ts-ignore: decorator
@inline function cmr(ar: v128, ai: v128, wr: v128, wi: v128): v128 {
  return f32x4.sub(f32x4.mul(ar, wr), f32x4.mul(ai, wi));
}
// @ts-ignore: decorator
@inline function cmi(ar: v128, ai: v128, wr: v128, wi: v128): v128 {
  return f32x4.add(f32x4.mul(ar, wi), f32x4.mul(ai, wr));
}

// In the stages below each twiddled input is loaded and multiplied written out (xr, xi, then cmr and
// cmi): helpers returning the real and the imaginary part of one product, called as a pair, made
// the kernel 10–25 % slower (the pair's duplicated loads are not merged, A/B in one process).

// The outputs b_v = T − i·Q at pa and b_{p−v} = T + i·Q at pb of an odd-radix butterfly.
// @ts-ignore: decorator
@inline function pairOut(pa: usize, pb: usize, Tr: v128, Ti: v128, Qr: v128, Qi: v128): void {
  v128.store(pa, f32x4.add(Tr, Qi));
  v128.store(pa, f32x4.sub(Ti, Qr), 16);
  v128.store(pb, f32x4.sub(Tr, Qi));
  v128.store(pb, f32x4.add(Ti, Qr), 16);
}

// cos / sin of 2π/3, 2π/5, 4π/5, 2π/7, 4π/7, 6π/7
const C3: f32 = -0.5;
const S3: f32 = 0.8660254037844386;
const C51: f32 = 0.30901699437494745;
const C52: f32 = -0.8090169943749475;
const S51: f32 = 0.9510565162951535;
const S52: f32 = 0.5877852522924731;
const C71: f32 = 0.6234898018587336;
const C72: f32 = -0.22252093395631434;
const C73: f32 = -0.9009688679024191;
const S71: f32 = 0.7818314824680298;
const S72: f32 = 0.9749279121818236;
const S73: f32 = 0.4338837391175582;

function stage2(src: usize, dst: usize, L: i32, Rp: i32, tw: usize): void {
  const rb = <usize>Rp << 5;
  const ob = <usize>(L * Rp) << 5;
  for (let k = 0; k < L; k++) {
    const wr = v128.load32_splat(tw + (<usize>k << 3));
    const wi = v128.load32_splat(tw + (<usize>k << 3) + 4);
    let s = src + <usize>k * (rb << 1);
    let d = dst + <usize>k * rb;
    const end = s + rb;
    for (; s < end; s += 32, d += 32) {
      const ar = v128.load(s), ai = v128.load(s, 16);
      const xr = v128.load(s + rb), xi = v128.load(s + rb, 16);
      const br = cmr(xr, xi, wr, wi), bi = cmi(xr, xi, wr, wi);
      v128.store(d, f32x4.add(ar, br));
      v128.store(d, f32x4.add(ai, bi), 16);
      v128.store(d + ob, f32x4.sub(ar, br));
      v128.store(d + ob, f32x4.sub(ai, bi), 16);
    }
  }
}

// Radix-4 butterfly on twiddled inputs a, b, c, d; outputs at d0, d0 + o1, d0 + 2·ob, d0 + o3.
// @ts-ignore: decorator
@inline function bfly4(d0: usize, ob: usize, o1: usize, o3: usize, ar: v128, ai: v128, br: v128, bi: v128, cr: v128, ci: v128, dr: v128, di: v128): void {
  const t0r = f32x4.add(ar, cr), t0i = f32x4.add(ai, ci);
  const t1r = f32x4.sub(ar, cr), t1i = f32x4.sub(ai, ci);
  const t2r = f32x4.add(br, dr), t2i = f32x4.add(bi, di);
  const t3r = f32x4.sub(br, dr), t3i = f32x4.sub(bi, di);
  v128.store(d0, f32x4.add(t0r, t2r));
  v128.store(d0, f32x4.add(t0i, t2i), 16);
  v128.store(d0 + 2 * ob, f32x4.sub(t0r, t2r));
  v128.store(d0 + 2 * ob, f32x4.sub(t0i, t2i), 16);
  // b1 = t1 − i·t3, b3 = t1 + i·t3 (forward)
  v128.store(d0 + o1, f32x4.add(t1r, t3i));
  v128.store(d0 + o1, f32x4.sub(t1i, t3r), 16);
  v128.store(d0 + o3, f32x4.sub(t1r, t3i));
  v128.store(d0 + o3, f32x4.add(t1i, t3r), 16);
}

function stage4(src: usize, dst: usize, L: i32, Rp: i32, tw: usize, inv: bool): void {
  const rb = <usize>Rp << 5;
  const ob = <usize>(L * Rp) << 5;
  const o1: usize = inv ? 3 * ob : ob;
  const o3: usize = inv ? ob : 3 * ob;
  if (L == 1) {
    // a first stage: every twiddle is 1 (skipping the products gives the same values)
    let s = src;
    let d = dst;
    const end = s + rb;
    for (; s < end; s += 32, d += 32) {
      bfly4(d, ob, o1, o3, v128.load(s), v128.load(s, 16), v128.load(s + rb), v128.load(s + rb, 16), v128.load(s + 2 * rb), v128.load(s + 2 * rb, 16), v128.load(s + 3 * rb), v128.load(s + 3 * rb, 16));
    }
    return;
  }
  for (let k = 0; k < L; k++) {
    const w = tw + <usize>k * 24;
    const w1r = v128.load32_splat(w), w1i = v128.load32_splat(w + 4);
    const w2r = v128.load32_splat(w + 8), w2i = v128.load32_splat(w + 12);
    const w3r = v128.load32_splat(w + 16), w3i = v128.load32_splat(w + 20);
    let s = src + <usize>k * (rb << 2);
    let d = dst + <usize>k * rb;
    const end = s + rb;
    for (; s < end; s += 32, d += 32) {
      const ar = v128.load(s), ai = v128.load(s, 16);
      let xr = v128.load(s + rb), xi = v128.load(s + rb, 16);
      const br = cmr(xr, xi, w1r, w1i), bi = cmi(xr, xi, w1r, w1i);
      xr = v128.load(s + 2 * rb);
      xi = v128.load(s + 2 * rb, 16);
      const cr = cmr(xr, xi, w2r, w2i), ci = cmi(xr, xi, w2r, w2i);
      xr = v128.load(s + 3 * rb);
      xi = v128.load(s + 3 * rb, 16);
      const dr = cmr(xr, xi, w3r, w3i), di = cmi(xr, xi, w3r, w3i);
      bfly4(d, ob, o1, o3, ar, ai, br, bi, cr, ci, dr, di);
    }
  }
}

function stage3(src: usize, dst: usize, L: i32, Rp: i32, tw: usize, inv: bool): void {
  const rb = <usize>Rp << 5;
  const ob = <usize>(L * Rp) << 5;
  const o1: usize = inv ? 2 * ob : ob;
  const o2: usize = inv ? ob : 2 * ob;
  const c = f32x4.splat(C3), sn = f32x4.splat(S3);
  for (let k = 0; k < L; k++) {
    const w = tw + <usize>k * 16;
    const w1r = v128.load32_splat(w), w1i = v128.load32_splat(w + 4);
    const w2r = v128.load32_splat(w + 8), w2i = v128.load32_splat(w + 12);
    let s = src + <usize>k * (rb * 3);
    let d = dst + <usize>k * rb;
    const end = s + rb;
    for (; s < end; s += 32, d += 32) {
      const ar = v128.load(s), ai = v128.load(s, 16);
      let xr = v128.load(s + rb), xi = v128.load(s + rb, 16);
      const br = cmr(xr, xi, w1r, w1i), bi = cmi(xr, xi, w1r, w1i);
      xr = v128.load(s + 2 * rb);
      xi = v128.load(s + 2 * rb, 16);
      const cr = cmr(xr, xi, w2r, w2i), ci = cmi(xr, xi, w2r, w2i);
      const Sr = f32x4.add(br, cr), Si = f32x4.add(bi, ci);
      const Qr = f32x4.mul(sn, f32x4.sub(br, cr)), Qi = f32x4.mul(sn, f32x4.sub(bi, ci));
      const Tr = f32x4.add(ar, f32x4.mul(c, Sr)), Ti = f32x4.add(ai, f32x4.mul(c, Si));
      v128.store(d, f32x4.add(ar, Sr));
      v128.store(d, f32x4.add(ai, Si), 16);
      pairOut(d + o1, d + o2, Tr, Ti, Qr, Qi);
    }
  }
}

function stage5(src: usize, dst: usize, L: i32, Rp: i32, tw: usize, inv: bool): void {
  const rb = <usize>Rp << 5;
  const ob = <usize>(L * Rp) << 5;
  const o1: usize = inv ? 4 * ob : ob;
  const o2: usize = inv ? 3 * ob : 2 * ob;
  const o3: usize = inv ? 2 * ob : 3 * ob;
  const o4: usize = inv ? ob : 4 * ob;
  const c1 = f32x4.splat(C51), c2 = f32x4.splat(C52), s1 = f32x4.splat(S51), s2 = f32x4.splat(S52);
  for (let k = 0; k < L; k++) {
    const w = tw + <usize>k * 32;
    const w1r = v128.load32_splat(w), w1i = v128.load32_splat(w + 4);
    const w2r = v128.load32_splat(w + 8), w2i = v128.load32_splat(w + 12);
    const w3r = v128.load32_splat(w + 16), w3i = v128.load32_splat(w + 20);
    const w4r = v128.load32_splat(w + 24), w4i = v128.load32_splat(w + 28);
    let s = src + <usize>k * (rb * 5);
    let d = dst + <usize>k * rb;
    const end = s + rb;
    for (; s < end; s += 32, d += 32) {
      const ar = v128.load(s), ai = v128.load(s, 16);
      let xr = v128.load(s + rb), xi = v128.load(s + rb, 16);
      const a1r = cmr(xr, xi, w1r, w1i), a1i = cmi(xr, xi, w1r, w1i);
      xr = v128.load(s + 2 * rb);
      xi = v128.load(s + 2 * rb, 16);
      const a2r = cmr(xr, xi, w2r, w2i), a2i = cmi(xr, xi, w2r, w2i);
      xr = v128.load(s + 3 * rb);
      xi = v128.load(s + 3 * rb, 16);
      const a3r = cmr(xr, xi, w3r, w3i), a3i = cmi(xr, xi, w3r, w3i);
      xr = v128.load(s + 4 * rb);
      xi = v128.load(s + 4 * rb, 16);
      const a4r = cmr(xr, xi, w4r, w4i), a4i = cmi(xr, xi, w4r, w4i);
      const S1r = f32x4.add(a1r, a4r), S1i = f32x4.add(a1i, a4i);
      const D1r = f32x4.sub(a1r, a4r), D1i = f32x4.sub(a1i, a4i);
      const S2r = f32x4.add(a2r, a3r), S2i = f32x4.add(a2i, a3i);
      const D2r = f32x4.sub(a2r, a3r), D2i = f32x4.sub(a2i, a3i);
      v128.store(d, f32x4.add(ar, f32x4.add(S1r, S2r)));
      v128.store(d, f32x4.add(ai, f32x4.add(S1i, S2i)), 16);
      // v = 1: T = a0 + c1 S1 + c2 S2, Q = s1 D1 + s2 D2; v = 2: T = a0 + c2 S1 + c1 S2, Q = s2 D1 − s1 D2
      let Tr = f32x4.add(ar, f32x4.add(f32x4.mul(c1, S1r), f32x4.mul(c2, S2r)));
      let Ti = f32x4.add(ai, f32x4.add(f32x4.mul(c1, S1i), f32x4.mul(c2, S2i)));
      let Qr = f32x4.add(f32x4.mul(s1, D1r), f32x4.mul(s2, D2r));
      let Qi = f32x4.add(f32x4.mul(s1, D1i), f32x4.mul(s2, D2i));
      pairOut(d + o1, d + o4, Tr, Ti, Qr, Qi);
      Tr = f32x4.add(ar, f32x4.add(f32x4.mul(c2, S1r), f32x4.mul(c1, S2r)));
      Ti = f32x4.add(ai, f32x4.add(f32x4.mul(c2, S1i), f32x4.mul(c1, S2i)));
      Qr = f32x4.sub(f32x4.mul(s2, D1r), f32x4.mul(s1, D2r));
      Qi = f32x4.sub(f32x4.mul(s2, D1i), f32x4.mul(s1, D2i));
      pairOut(d + o2, d + o3, Tr, Ti, Qr, Qi);
    }
  }
}

function stage7(src: usize, dst: usize, L: i32, Rp: i32, tw: usize, inv: bool): void {
  const rb = <usize>Rp << 5;
  const ob = <usize>(L * Rp) << 5;
  const o1: usize = inv ? 6 * ob : ob;
  const o2: usize = inv ? 5 * ob : 2 * ob;
  const o3: usize = inv ? 4 * ob : 3 * ob;
  const o4: usize = inv ? 3 * ob : 4 * ob;
  const o5: usize = inv ? 2 * ob : 5 * ob;
  const o6: usize = inv ? ob : 6 * ob;
  const c1 = f32x4.splat(C71), c2 = f32x4.splat(C72), c3 = f32x4.splat(C73);
  const s1 = f32x4.splat(S71), s2 = f32x4.splat(S72), s3 = f32x4.splat(S73);
  for (let k = 0; k < L; k++) {
    const w = tw + <usize>k * 48;
    let s = src + <usize>k * (rb * 7);
    let d = dst + <usize>k * rb;
    const end = s + rb;
    for (; s < end; s += 32, d += 32) {
      const ar = v128.load(s), ai = v128.load(s, 16);
      let xr = v128.load(s + rb), xi = v128.load(s + rb, 16);
      let wr = v128.load32_splat(w), wi = v128.load32_splat(w + 4);
      const a1r = cmr(xr, xi, wr, wi), a1i = cmi(xr, xi, wr, wi);
      xr = v128.load(s + 2 * rb);
      xi = v128.load(s + 2 * rb, 16);
      wr = v128.load32_splat(w + 8);
      wi = v128.load32_splat(w + 12);
      const a2r = cmr(xr, xi, wr, wi), a2i = cmi(xr, xi, wr, wi);
      xr = v128.load(s + 3 * rb);
      xi = v128.load(s + 3 * rb, 16);
      wr = v128.load32_splat(w + 16);
      wi = v128.load32_splat(w + 20);
      const a3r = cmr(xr, xi, wr, wi), a3i = cmi(xr, xi, wr, wi);
      xr = v128.load(s + 4 * rb);
      xi = v128.load(s + 4 * rb, 16);
      wr = v128.load32_splat(w + 24);
      wi = v128.load32_splat(w + 28);
      const a4r = cmr(xr, xi, wr, wi), a4i = cmi(xr, xi, wr, wi);
      xr = v128.load(s + 5 * rb);
      xi = v128.load(s + 5 * rb, 16);
      wr = v128.load32_splat(w + 32);
      wi = v128.load32_splat(w + 36);
      const a5r = cmr(xr, xi, wr, wi), a5i = cmi(xr, xi, wr, wi);
      xr = v128.load(s + 6 * rb);
      xi = v128.load(s + 6 * rb, 16);
      wr = v128.load32_splat(w + 40);
      wi = v128.load32_splat(w + 44);
      const a6r = cmr(xr, xi, wr, wi), a6i = cmi(xr, xi, wr, wi);
      const S1r = f32x4.add(a1r, a6r), S1i = f32x4.add(a1i, a6i);
      const D1r = f32x4.sub(a1r, a6r), D1i = f32x4.sub(a1i, a6i);
      const S2r = f32x4.add(a2r, a5r), S2i = f32x4.add(a2i, a5i);
      const D2r = f32x4.sub(a2r, a5r), D2i = f32x4.sub(a2i, a5i);
      const S3r = f32x4.add(a3r, a4r), S3i = f32x4.add(a3i, a4i);
      const D3r = f32x4.sub(a3r, a4r), D3i = f32x4.sub(a3i, a4i);
      v128.store(d, f32x4.add(ar, f32x4.add(S1r, f32x4.add(S2r, S3r))));
      v128.store(d, f32x4.add(ai, f32x4.add(S1i, f32x4.add(S2i, S3i))), 16);
      // v = 1: T = a0 + c1 S1 + c2 S2 + c3 S3, Q = s1 D1 + s2 D2 + s3 D3
      let Tr = f32x4.add(ar, f32x4.add(f32x4.mul(c1, S1r), f32x4.add(f32x4.mul(c2, S2r), f32x4.mul(c3, S3r))));
      let Ti = f32x4.add(ai, f32x4.add(f32x4.mul(c1, S1i), f32x4.add(f32x4.mul(c2, S2i), f32x4.mul(c3, S3i))));
      let Qr = f32x4.add(f32x4.mul(s1, D1r), f32x4.add(f32x4.mul(s2, D2r), f32x4.mul(s3, D3r)));
      let Qi = f32x4.add(f32x4.mul(s1, D1i), f32x4.add(f32x4.mul(s2, D2i), f32x4.mul(s3, D3i)));
      pairOut(d + o1, d + o6, Tr, Ti, Qr, Qi);
      // v = 2: T = a0 + c2 S1 + c3 S2 + c1 S3, Q = s2 D1 − s3 D2 − s1 D3
      Tr = f32x4.add(ar, f32x4.add(f32x4.mul(c2, S1r), f32x4.add(f32x4.mul(c3, S2r), f32x4.mul(c1, S3r))));
      Ti = f32x4.add(ai, f32x4.add(f32x4.mul(c2, S1i), f32x4.add(f32x4.mul(c3, S2i), f32x4.mul(c1, S3i))));
      Qr = f32x4.sub(f32x4.mul(s2, D1r), f32x4.add(f32x4.mul(s3, D2r), f32x4.mul(s1, D3r)));
      Qi = f32x4.sub(f32x4.mul(s2, D1i), f32x4.add(f32x4.mul(s3, D2i), f32x4.mul(s1, D3i)));
      pairOut(d + o2, d + o5, Tr, Ti, Qr, Qi);
      // v = 3: T = a0 + c3 S1 + c1 S2 + c2 S3, Q = s3 D1 − s1 D2 + s2 D3
      Tr = f32x4.add(ar, f32x4.add(f32x4.mul(c3, S1r), f32x4.add(f32x4.mul(c1, S2r), f32x4.mul(c2, S3r))));
      Ti = f32x4.add(ai, f32x4.add(f32x4.mul(c3, S1i), f32x4.add(f32x4.mul(c1, S2i), f32x4.mul(c2, S3i))));
      Qr = f32x4.add(f32x4.sub(f32x4.mul(s3, D1r), f32x4.mul(s1, D2r)), f32x4.mul(s2, D3r));
      Qi = f32x4.add(f32x4.sub(f32x4.mul(s3, D1i), f32x4.mul(s1, D2i)), f32x4.mul(s2, D3i));
      pairOut(d + o3, d + o4, Tr, Ti, Qr, Qi);
    }
  }
}

/**
 * Complex FFT of size N on a 4-lane complex array at src, using dst as the other buffer of the
 * ping-pong; plan: nStages radices (i32), tw: the plan's twiddles. Returns where the result is
 * (src or dst). inv: inverse transform (unscaled; tw must hold the conjugate twiddles).
 */
export function fft(src: usize, dst: usize, N: i32, plan: usize, nStages: i32, tw: usize, inv: bool): usize {
  let L = 1;
  let a = src;
  let b = dst;
  for (let st = 0; st < nStages; st++) {
    const p = load<i32>(plan + (<usize>st << 2));
    const Rp = N / (L * p);
    if (p == 4) stage4(a, b, L, Rp, tw, inv);
    else if (p == 2) stage2(a, b, L, Rp, tw);
    else if (p == 3) stage3(a, b, L, Rp, tw, inv);
    else if (p == 5) stage5(a, b, L, Rp, tw, inv);
    else stage7(a, b, L, Rp, tw, inv);
    tw += <usize>(L * (p - 1)) << 3;
    L *= p;
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

// 4×4 transposes (lanes ↔ rows)
// @ts-ignore: decorator
@inline function lo(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 0, 4, 1, 5);
}
// @ts-ignore: decorator
@inline function hi(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 2, 6, 3, 7);
}
// @ts-ignore: decorator
@inline function lo64(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 0, 1, 4, 5);
}
// @ts-ignore: decorator
@inline function hi64(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 2, 3, 6, 7);
}

/**
 * Loads eight real blocks of nf samples (nf a multiple of 4), block b starting at win + 4·b·stride
 * (f32), into the 4-lane complex array z: lane l's real part is block 2l, its imaginary part block 2l + 1.
 */
function gather(win: usize, stride: i32, nf: i32, z: usize): void {
  const sb = <usize>stride << 2;
  for (let j = 0; j < nf; j += 4) {
    const p = win + (<usize>j << 2);
    for (let part: usize = 0; part < 2; part++) {
      const q = p + part * sb;
      const r0 = v128.load(q), r1 = v128.load(q + 2 * sb), r2 = v128.load(q + 4 * sb), r3 = v128.load(q + 6 * sb);
      const t0 = lo(r0, r1), t1 = hi(r0, r1), t2 = lo(r2, r3), t3 = hi(r2, r3);
      const o = z + (<usize>j << 5) + (part << 4);
      v128.store(o, lo64(t0, t2));
      v128.store(o + 32, hi64(t0, t2));
      v128.store(o + 64, lo64(t1, t3));
      v128.store(o + 96, hi64(t1, t3));
    }
  }
}

/**
 * One batch of eight blocks: gather (see gather), forward FFT of size nf (plan pf, twiddles twf),
 * the product with the filter's kept bins hk (ni complex f32 pairs: bins 0 .. ni/2 − 1 and
 * nf − ni/2 + 1 .. nf − 1 of the nf-point spectrum at positions 0 .. ni/2 − 1 and ni/2 + 1 .. ni − 1,
 * the Nyquist position ni/2 zero), inverse FFT of size ni (plan pi, twiddles twi), then samples
 * n0 .. n0 + cnt − 1 (cnt a multiple of 4) of each block's output to out + 4·b·cnt. a and b are two
 * 4-lane complex arrays of max(nf, ni) elements.
 */
export function batch(win: usize, stride: i32, nf: i32, pf: usize, sf: i32, twf: usize, ni: i32, pi: usize, si: i32, twi: usize, hk: usize, a: usize, b: usize, n0: i32, cnt: i32, out: usize): void {
  gather(win, stride, nf, a);
  const x = fft(a, b, nf, pf, sf, twf, false);
  const y = x == a ? b : a;
  const half = ni >> 1;
  const shift = <usize>(nf - ni) << 5;
  for (let k = 0; k < ni; k++) {
    const src = x + (<usize>k << 5) + (k > half ? shift : 0);
    const h = hk + (<usize>k << 3);
    const hr = v128.load32_splat(h), hi = v128.load32_splat(h + 4);
    const zr = v128.load(src), zi = v128.load(src, 16);
    const d = y + (<usize>k << 5);
    v128.store(d, cmr(zr, zi, hr, hi));
    v128.store(d, cmi(zr, zi, hr, hi), 16);
  }
  const r = fft(y, x, ni, pi, si, twi, true);
  const cb = <usize>cnt << 2;
  for (let j = 0; j < cnt; j += 4) {
    const p = r + (<usize>(n0 + j) << 5);
    for (let part: usize = 0; part < 2; part++) {
      const q = p + (part << 4);
      const r0 = v128.load(q), r1 = v128.load(q + 32), r2 = v128.load(q + 64), r3 = v128.load(q + 96);
      const t0 = lo(r0, r1), t1 = hi(r0, r1), t2 = lo(r2, r3), t3 = hi(r2, r3);
      const o = out + (<usize>j << 2) + part * cb;
      v128.store(o, lo64(t0, t2));
      v128.store(o + 2 * cb, hi64(t0, t2));
      v128.store(o + 4 * cb, lo64(t1, t3));
      v128.store(o + 6 * cb, hi64(t1, t3));
    }
  }
}

export function heapBase(): usize {
  return __heap_base;
}
