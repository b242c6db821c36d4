// AssemblyScript source of the WebAssembly polyphase resampling kernels (SIMD, f32x4). Compiled by
// scripts/build-wasm.mjs into src/dsp/resample-wasm.generated.ts (base64). Not part of
// the tsc build.
//
// The JS side (src/dsp/resample-wasm.ts) owns the memory layout: a tap table (rows × K f32, K a
// multiple of 16, rows 16-byte aligned), an input window and an output block. Output m of a block
// is the dot product of K consecutive input samples starting at x + 4·(i_m) with one tap row.

// @ts-ignore: decorator
@inline function hsum(a: v128): f32 {
  const b = f32x4.add(a, i32x4.shuffle(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(b, 0) + f32x4.extract_lane(b, 1);
}

// Dot product of K (multiple of 16) f32 values at x (any alignment) and h (16-byte aligned), as
// four partial sums (independent add chains).
// @ts-ignore: decorator
@inline function dot(x: usize, h: usize, K: i32): v128 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  const end = h + (<usize>K << 2);
  while (h < end) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x), v128.load(h)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x, 16), v128.load(h, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x, 32), v128.load(h, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x, 48), v128.load(h, 48)));
    x += 64;
    h += 64;
  }
  return f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
}

/**
 * Exact rational polyphase filter, out[m] = Σ_k x[i_m + k]·taps[p_m][k] with i_m = ⌊m·down/up⌋ and
 * p_m = m·down mod up, for whole groups of 4·up outputs (starting at phase 0): the four
 * outputs r, r + up, r + 2up, r + 3up of a group share tap row (r·down mod up) and read inputs
 * down samples apart, so each tap vector is loaded once for four outputs. Output m = g·4up + r
 * (g < nGroups) reads x from index g·4down + ⌊r·down/up⌋.
 */
export function polyRational4(x: usize, taps: usize, K: i32, up: i32, down: i32, nGroups: i32, out: usize): void {
  const rowBytes = <usize>K << 2;
  const sx = <usize>down << 2; // byte stride between the four input windows
  const so = <usize>up << 2; // byte stride between the four outputs
  const q = down / up;
  const rem = down % up;
  for (let g = 0; g < nGroups; g++) {
    const xg = x + ((<usize>g * <usize>down) << 4);
    const og = out + ((<usize>g * <usize>up) << 4);
    let i = 0;
    let p = 0;
    for (let r = 0; r < up; r++) {
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let b0 = f32x4.splat(0);
      let b1 = f32x4.splat(0);
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let d0 = f32x4.splat(0);
      let d1 = f32x4.splat(0);
      let h = taps + <usize>p * rowBytes;
      const end = h + rowBytes;
      let xa = xg + (<usize>i << 2);
      while (h < end) {
        const h0 = v128.load(h);
        const h1 = v128.load(h, 16);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(xa), h0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(xa, 16), h1));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(xa + sx), h0));
        b1 = f32x4.add(b1, f32x4.mul(v128.load(xa + sx, 16), h1));
        c0 = f32x4.add(c0, f32x4.mul(v128.load(xa + 2 * sx), h0));
        c1 = f32x4.add(c1, f32x4.mul(v128.load(xa + 2 * sx, 16), h1));
        d0 = f32x4.add(d0, f32x4.mul(v128.load(xa + 3 * sx), h0));
        d1 = f32x4.add(d1, f32x4.mul(v128.load(xa + 3 * sx, 16), h1));
        h += 32;
        xa += 32;
      }
      const o = og + (<usize>r << 2);
      store<f32>(o, hsum(f32x4.add(a0, a1)));
      store<f32>(o + so, hsum(f32x4.add(b0, b1)));
      store<f32>(o + 2 * so, hsum(f32x4.add(c0, c1)));
      store<f32>(o + 3 * so, hsum(f32x4.add(d0, d1)));
      i += q;
      p += rem;
      if (p >= up) {
        p -= up;
        i++;
      }
    }
  }
}

/** polyRational4 for K = 16 (the short stage-2 kernel of the two-stage path), fully unrolled. */
export function polyRational4x16(x: usize, taps: usize, up: i32, down: i32, nGroups: i32, out: usize): void {
  const sx = <usize>down << 2;
  const so = <usize>up << 2;
  const q = down / up;
  const rem = down % up;
  for (let g = 0; g < nGroups; g++) {
    const xg = x + ((<usize>g * <usize>down) << 4);
    const og = out + ((<usize>g * <usize>up) << 4);
    let i = 0;
    let p = 0;
    for (let r = 0; r < up; r++) {
      const h = taps + (<usize>p << 6);
      const h0 = v128.load(h), h1 = v128.load(h, 16), h2 = v128.load(h, 32), h3 = v128.load(h, 48);
      let xa = xg + (<usize>i << 2);
      const o = og + (<usize>r << 2);
      for (let t = 0; t < 4; t++) {
        const s = f32x4.add(
          f32x4.add(f32x4.mul(v128.load(xa), h0), f32x4.mul(v128.load(xa, 16), h1)),
          f32x4.add(f32x4.mul(v128.load(xa, 32), h2), f32x4.mul(v128.load(xa, 48), h3)),
        );
        store<f32>(o + <usize>t * so, hsum(s));
        xa += sx;
      }
      i += q;
      p += rem;
      if (p >= up) {
        p -= up;
        i++;
      }
    }
  }
}

/**
 * Arbitrary ratio with a fine table of P phases (P + 1 rows): output m sits at t = t0 + m·step
 * (input samples, relative to x); the two rows around the fractional position are interpolated
 * linearly.
 */
export function polyFine(x: usize, taps: usize, K: i32, P: i32, t0: f64, step: f64, nOut: i32, out: usize): void {
  const rowBytes = <usize>K << 2;
  for (let m = 0; m < nOut; m++) {
    const t = t0 + <f64>m * step;
    const i = <i32>Math.floor(t);
    const pos = (t - <f64>i) * <f64>P;
    let r = <i32>Math.floor(pos);
    if (r > P - 1) r = P - 1;
    const a = <f32>(pos - <f64>r);
    const xb = x + (<usize>i << 2);
    const h0 = taps + <usize>r * rowBytes;
    const s0 = hsum(dot(xb, h0, K));
    const s1 = hsum(dot(xb, h0 + rowBytes, K));
    store<f32>(out + (<usize>m << 2), s0 + a * (s1 - s0));
  }
}

// ---- FFT convolution (overlap-save) for the two-stage path -------------------------------------
// Complex FFT of size N (power of two, ≥ 16) on split arrays re[N], im[N] (f32). The forward
// transform is a radix-2 decimation in frequency (natural order in, bit-reversed order out), the
// inverse a decimation in time (bit-reversed in, natural out, unscaled), so a pointwise product
// between them needs no reordering. tw holds per stage h (butterfly distance, h ≥ 4) the h
// twiddles e^{−iπk/h} at [h + k] (re) and [N + h + k] (im).

// @ts-ignore: decorator
@inline function cmr(ar: v128, ai: v128, wr: v128, wi: v128): v128 {
  return f32x4.sub(f32x4.mul(ar, wr), f32x4.mul(ai, wi));
}
// @ts-ignore: decorator
@inline function cmi(ar: v128, ai: v128, wr: v128, wi: v128): v128 {
  return f32x4.add(f32x4.mul(ar, wi), f32x4.mul(ai, wr));
}

export function fftForward(re: usize, im: usize, tw: usize, N: i32): void {
  const twi = tw + (<usize>N << 2);
  let h = N >> 1;
  // Pairs of radix-2 stages (h, h/2) as one radix-2² pass while h/2 ≥ 4: with q = h/2 and
  // W = e^{−iπk/h}, the four inputs a, b, c, d at k, k + q, k + h, k + 3q of a block give
  // a + b + c + d, (a + c − b − d)·W², (a − c − i(b − d))·W, (a − c + i(b − d))·W³.
  for (; h >= 8; h >>= 2) {
    const q = h >> 1;
    const qb = <usize>q << 2;
    const hb = <usize>h << 2;
    for (let s = 0; s < N; s += h << 1) {
      const r0 = re + (<usize>s << 2);
      const i0 = im + (<usize>s << 2);
      for (let k: usize = 0; k < qb; k += 16) {
        const ar = v128.load(r0 + k), ai = v128.load(i0 + k);
        const br = v128.load(r0 + qb + k), bi = v128.load(i0 + qb + k);
        const cr = v128.load(r0 + hb + k), ci = v128.load(i0 + hb + k);
        const dr = v128.load(r0 + hb + qb + k), di = v128.load(i0 + hb + qb + k);
        const w1r = v128.load(tw + hb + k), w1i = v128.load(twi + hb + k); // e^{−iπk/h}
        const w2r = v128.load(tw + qb + k), w2i = v128.load(twi + qb + k); // e^{−iπk/q} = W²
        const pr = f32x4.add(ar, cr), pi = f32x4.add(ai, ci);
        const mr = f32x4.sub(ar, cr), mi = f32x4.sub(ai, ci);
        const sr = f32x4.add(br, dr), si = f32x4.add(bi, di);
        const tr = f32x4.sub(br, dr), ti = f32x4.sub(bi, di);
        v128.store(r0 + k, f32x4.add(pr, sr));
        v128.store(i0 + k, f32x4.add(pi, si));
        const er = f32x4.sub(pr, sr), ei = f32x4.sub(pi, si);
        v128.store(r0 + qb + k, cmr(er, ei, w2r, w2i));
        v128.store(i0 + qb + k, cmi(er, ei, w2r, w2i));
        // (a − c) − i(b − d) = (mr + ti, mi − tr); (a − c) + i(b − d) = (mr − ti, mi + tr)
        const ur = f32x4.add(mr, ti), ui = f32x4.sub(mi, tr);
        const vr = f32x4.sub(mr, ti), vi = f32x4.add(mi, tr);
        v128.store(r0 + hb + k, cmr(ur, ui, w1r, w1i));
        v128.store(i0 + hb + k, cmi(ur, ui, w1r, w1i));
        const w3r = cmr(w1r, w1i, w2r, w2i), w3i = cmi(w1r, w1i, w2r, w2i);
        v128.store(r0 + hb + qb + k, cmr(vr, vi, w3r, w3i));
        v128.store(i0 + hb + qb + k, cmi(vr, vi, w3r, w3i));
      }
    }
  }
  // A remaining single radix-2 stage with h = 4.
  if (h == 4) {
    const hb: usize = 16;
    for (let s = 0; s < N; s += 8) {
      const r0 = re + (<usize>s << 2);
      const i0 = im + (<usize>s << 2);
      const ar = v128.load(r0), ai = v128.load(i0);
      const br = v128.load(r0 + hb), bi = v128.load(i0 + hb);
      const wr = v128.load(tw + hb), wi = v128.load(twi + hb);
      const tr = f32x4.sub(ar, br), ti = f32x4.sub(ai, bi);
      v128.store(r0, f32x4.add(ar, br));
      v128.store(i0, f32x4.add(ai, bi));
      v128.store(r0 + hb, cmr(tr, ti, wr, wi));
      v128.store(i0 + hb, cmi(tr, ti, wr, wi));
    }
  }
  // Last two stages (h = 2, then h = 1) as one radix-4 pass per group of four.
  for (let g: usize = 0; g < (<usize>N << 2); g += 16) {
    const x0r = load<f32>(re + g), x1r = load<f32>(re + g, 4), x2r = load<f32>(re + g, 8), x3r = load<f32>(re + g, 12);
    const x0i = load<f32>(im + g), x1i = load<f32>(im + g, 4), x2i = load<f32>(im + g, 8), x3i = load<f32>(im + g, 12);
    const y0r = x0r + x2r, y0i = x0i + x2i;
    const y2r = x0r - x2r, y2i = x0i - x2i;
    const y1r = x1r + x3r, y1i = x1i + x3i;
    const y3r = x1i - x3i, y3i = x3r - x1r; // (x1 − x3)·(−i)
    store<f32>(re + g, y0r + y1r);
    store<f32>(im + g, y0i + y1i);
    store<f32>(re + g, y0r - y1r, 4);
    store<f32>(im + g, y0i - y1i, 4);
    store<f32>(re + g, y2r + y3r, 8);
    store<f32>(im + g, y2i + y3i, 8);
    store<f32>(re + g, y2r - y3r, 12);
    store<f32>(im + g, y2i - y3i, 12);
  }
}

export function fftInverse(re: usize, im: usize, tw: usize, N: i32): void {
  // First two stages (h = 1, then h = 2) as one radix-4 pass per group of four.
  for (let g: usize = 0; g < (<usize>N << 2); g += 16) {
    const x0r = load<f32>(re + g), x1r = load<f32>(re + g, 4), x2r = load<f32>(re + g, 8), x3r = load<f32>(re + g, 12);
    const x0i = load<f32>(im + g), x1i = load<f32>(im + g, 4), x2i = load<f32>(im + g, 8), x3i = load<f32>(im + g, 12);
    const y0r = x0r + x1r, y0i = x0i + x1i;
    const y1r = x0r - x1r, y1i = x0i - x1i;
    const y2r = x2r + x3r, y2i = x2i + x3i;
    const y3r = x2r - x3r, y3i = x2i - x3i;
    // y3·(+i) = (−y3i, y3r)
    store<f32>(re + g, y0r + y2r);
    store<f32>(im + g, y0i + y2i);
    store<f32>(re + g, y1r - y3i, 4);
    store<f32>(im + g, y1i + y3r, 4);
    store<f32>(re + g, y0r - y2r, 8);
    store<f32>(im + g, y0i - y2i, 8);
    store<f32>(re + g, y1r + y3i, 12);
    store<f32>(im + g, y1i - y3r, 12);
  }
  const twi = tw + (<usize>N << 2);
  let h = 4;
  // A single radix-2 stage first when the number of remaining stages is odd.
  let st = 0;
  for (let t = 4; t < N; t <<= 1) st++;
  if (st & 1) {
    const hb: usize = 16;
    for (let s = 0; s < N; s += 8) {
      const r0 = re + (<usize>s << 2);
      const i0 = im + (<usize>s << 2);
      const ar = v128.load(r0), ai = v128.load(i0);
      const br = v128.load(r0 + hb), bi = v128.load(i0 + hb);
      const wr = v128.load(tw + hb), wi = v128.load(twi + hb);
      const cr = f32x4.add(f32x4.mul(br, wr), f32x4.mul(bi, wi)); // b · conj(w)
      const ci = f32x4.sub(f32x4.mul(bi, wr), f32x4.mul(br, wi));
      v128.store(r0, f32x4.add(ar, cr));
      v128.store(i0, f32x4.add(ai, ci));
      v128.store(r0 + hb, f32x4.sub(ar, cr));
      v128.store(i0 + hb, f32x4.sub(ai, ci));
    }
    h = 8;
  }
  // Pairs of stages (q, h = 2q) as one radix-2² pass: the exact inverse of the forward pass with
  // conjugate twiddles. From a2, b2, c2, d2 (positions k, k + q, k + h, k + 3q):
  // B = b2·conj(W²), C = c2·conj(W), D = d2·conj(W³); P = a2 + B, S = a2 − B, M = C + D,
  // T = i(C − D)… giving a = P + M, c = P − M, b = S + T', d = S − T' (see below).
  for (; h < N; h <<= 2) {
    const q = h;
    const qb = <usize>q << 2;
    const hb = <usize>(q << 1) << 2;
    for (let s = 0; s < N; s += q << 2) {
      const r0 = re + (<usize>s << 2);
      const i0 = im + (<usize>s << 2);
      for (let k: usize = 0; k < qb; k += 16) {
        const w1r = v128.load(tw + hb + k), w1i = v128.load(twi + hb + k); // e^{−iπk/(2q)}
        const w2r = v128.load(tw + qb + k), w2i = v128.load(twi + qb + k); // e^{−iπk/q}
        const w3r = cmr(w1r, w1i, w2r, w2i), w3i = cmi(w1r, w1i, w2r, w2i);
        const ar = v128.load(r0 + k), ai = v128.load(i0 + k);
        const xr = v128.load(r0 + qb + k), xi = v128.load(i0 + qb + k);
        const yr = v128.load(r0 + hb + k), yi = v128.load(i0 + hb + k);
        const zr = v128.load(r0 + hb + qb + k), zi = v128.load(i0 + hb + qb + k);
        // conj products
        const br = f32x4.add(f32x4.mul(xr, w2r), f32x4.mul(xi, w2i)), bi = f32x4.sub(f32x4.mul(xi, w2r), f32x4.mul(xr, w2i));
        const cr = f32x4.add(f32x4.mul(yr, w1r), f32x4.mul(yi, w1i)), ci = f32x4.sub(f32x4.mul(yi, w1r), f32x4.mul(yr, w1i));
        const dr = f32x4.add(f32x4.mul(zr, w3r), f32x4.mul(zi, w3i)), di = f32x4.sub(f32x4.mul(zi, w3r), f32x4.mul(zr, w3i));
        // second-level butterflies (distance q) then first-level (distance 2q):
        const pr = f32x4.add(ar, br), pi = f32x4.add(ai, bi); // p = a2 + B  (= 2(a + c) before scaling)
        const sr = f32x4.sub(ar, br), si = f32x4.sub(ai, bi); // s = a2 − B  (= 2(b + d))
        const mr = f32x4.add(cr, dr), mi = f32x4.add(ci, di); // m = C + D   (= 2(a − c))
        const nr = f32x4.sub(cr, dr), ni = f32x4.sub(ci, di); // n = C − D   (= −2i(b − d))
        // outputs: a = p + m, c = p − m, b = s + i·n, d = s − i·n  (i·n = (−ni, nr))
        v128.store(r0 + k, f32x4.add(pr, mr));
        v128.store(i0 + k, f32x4.add(pi, mi));
        v128.store(r0 + hb + k, f32x4.sub(pr, mr));
        v128.store(i0 + hb + k, f32x4.sub(pi, mi));
        v128.store(r0 + qb + k, f32x4.sub(sr, ni));
        v128.store(i0 + qb + k, f32x4.add(si, nr));
        v128.store(r0 + hb + qb + k, f32x4.add(sr, ni));
        v128.store(i0 + hb + qb + k, f32x4.sub(si, nr));
      }
    }
  }
}

/** (ore, oim) = (re, im) · (hre, him), pointwise over N (multiple of 4) complex values. */
export function cmul(re: usize, im: usize, hre: usize, him: usize, ore: usize, oim: usize, N: i32): void {
  const end = <usize>N << 2;
  for (let k: usize = 0; k < end; k += 16) {
    const ar = v128.load(re + k);
    const ai = v128.load(im + k);
    const br = v128.load(hre + k);
    const bi = v128.load(him + k);
    v128.store(ore + k, f32x4.sub(f32x4.mul(ar, br), f32x4.mul(ai, bi)));
    v128.store(oim + k, f32x4.add(f32x4.mul(ar, bi), f32x4.mul(ai, br)));
  }
}

export function heapBase(): usize {
  return __heap_base;
}
