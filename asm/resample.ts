// AssemblyScript source of the WebAssembly polyphase resampling kernels (SIMD, f32x4). Compiled by
// scripts/build-resample-wasm.mjs into src/dsp/resample-wasm.generated.ts (base64). Not part of
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
 * Exact rational polyphase filter: for m = 0 .. nOut−1, out[m] = Σ_k x[i + k]·taps[p][k], starting
 * at input index i = i0 and phase p = p0; after each output p += down, i += ⌊p / up⌋, p %= up.
 */
export function polyRational(x: usize, taps: usize, K: i32, up: i32, down: i32, i0: i32, p0: i32, nOut: i32, out: usize): void {
  const q = down / up;
  const r = down % up;
  let i = i0;
  let p = p0;
  const rowBytes = <usize>K << 2;
  for (let m = 0; m < nOut; m++) {
    const s = dot(x + (<usize>i << 2), taps + <usize>p * rowBytes, K);
    store<f32>(out + (<usize>m << 2), hsum(s));
    i += q;
    p += r;
    if (p >= up) {
      p -= up;
      i++;
    }
  }
}

/**
 * The same filter as polyRational for whole groups of 4·up outputs starting at phase 0: the four
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

export function fftForward(re: usize, im: usize, tw: usize, N: i32): void {
  const twi = tw + (<usize>N << 2);
  for (let h = N >> 1; h >= 4; h >>= 1) {
    const hb = <usize>h << 2;
    for (let s = 0; s < N; s += h << 1) {
      const r0 = re + (<usize>s << 2);
      const i0 = im + (<usize>s << 2);
      for (let k: usize = 0; k < hb; k += 16) {
        const ar = v128.load(r0 + k);
        const ai = v128.load(i0 + k);
        const br = v128.load(r0 + hb + k);
        const bi = v128.load(i0 + hb + k);
        const wr = v128.load(tw + hb + k);
        const wi = v128.load(twi + hb + k);
        const tr = f32x4.sub(ar, br);
        const ti = f32x4.sub(ai, bi);
        v128.store(r0 + k, f32x4.add(ar, br));
        v128.store(i0 + k, f32x4.add(ai, bi));
        v128.store(r0 + hb + k, f32x4.sub(f32x4.mul(tr, wr), f32x4.mul(ti, wi)));
        v128.store(i0 + hb + k, f32x4.add(f32x4.mul(tr, wi), f32x4.mul(ti, wr)));
      }
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
  for (let h = 4; h < N; h <<= 1) {
    const hb = <usize>h << 2;
    for (let s = 0; s < N; s += h << 1) {
      const r0 = re + (<usize>s << 2);
      const i0 = im + (<usize>s << 2);
      for (let k: usize = 0; k < hb; k += 16) {
        const ar = v128.load(r0 + k);
        const ai = v128.load(i0 + k);
        const br = v128.load(r0 + hb + k);
        const bi = v128.load(i0 + hb + k);
        const wr = v128.load(tw + hb + k);
        const wi = v128.load(twi + hb + k);
        // b · conj(w)
        const cr = f32x4.add(f32x4.mul(br, wr), f32x4.mul(bi, wi));
        const ci = f32x4.sub(f32x4.mul(bi, wr), f32x4.mul(br, wi));
        v128.store(r0 + k, f32x4.add(ar, cr));
        v128.store(i0 + k, f32x4.add(ai, ci));
        v128.store(r0 + hb + k, f32x4.sub(ar, cr));
        v128.store(i0 + hb + k, f32x4.sub(ai, ci));
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
