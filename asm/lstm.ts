// AssemblyScript source of the WebAssembly LSTM recurrence kernels (SIMD, f32x4), plus two helpers
// of other training kernels (column sums, max-pool gradient). Compiled by
// scripts/build-wasm.mjs into src/model/kernels/lstm-wasm.generated.ts (base64). Not part
// of the tsc build. The JS side (src/model/kernels/lstm.ts) lays the buffers out in this module's
// memory, calls one function for the whole sequence, and copies the results out.
//
// Layouts (f32, row-major, TIME-major so that each step's rows are contiguous; the JS side
// reorders from and to the layer's batch-major tensors):
//   gates G (T, B, 4H), gate order [i, f, g, o]; cell C (T, B, H); hidden Hs (T, B, H);
//   dY (T, B, H), dZ (T, B, 4H);
//   U (H, 4H) and UT = Uᵀ (4H, H), both packed in panels of 8 columns (see matmulPacked);
//   h0, c0 (B, H).

// ---------------------------------------------------------------------------------------------
// Matrix product  C[r, :N] = D[r, :N] + A[r, :K] · Bm[K, N]   (r < M)
// N a multiple of 4, or else C's rows padded (ldc ≥ N rounded up to 8: the last vector stored
// runs past N into the padding).
// Bm is packed in panels of 8 columns (panel q: K rows × 8 floats, zero-padded past N), written by
// the JS side, so that the inner loop streams one 32-byte row per k and a panel (K·32 bytes) stays
// in cache while every row block uses it. Row strides (in floats) lda, ldd, ldc; ldd = 0 with D
// pointing at ≥ N + 4 zeros gives C = A·Bm. D may equal C (a block reads D before it stores).
// Rows in blocks of 4 (8 accumulators), then one at a time (k unrolled by 2, 4 accumulators).
// ---------------------------------------------------------------------------------------------

export function matmulPacked(a: usize, lda: i32, bp: usize, d: usize, ldd: i32, c: usize, ldc: i32, M: i32, K: i32, N: i32): void {
  const panel = (<usize>K) << 5;
  for (let j = 0; j < N; j += 8) {
    const full = j + 4 < N; // the panel's second vector holds valid columns
    const pb = bp + (<usize>(j >> 3)) * panel;
    const o = (<usize>j) << 2;
    let r = 0;
    for (; r + 4 <= M; r += 4) {
      const a0 = a + ((<usize>(r * lda)) << 2);
      const a1 = a0 + ((<usize>lda) << 2);
      const a2 = a1 + ((<usize>lda) << 2);
      const a3 = a2 + ((<usize>lda) << 2);
      const d0 = d + ((<usize>(r * ldd)) << 2) + o;
      const d1 = d0 + ((<usize>ldd) << 2);
      const d2 = d1 + ((<usize>ldd) << 2);
      const d3 = d2 + ((<usize>ldd) << 2);
      let x0 = v128.load(d0), y0 = v128.load(d0, 16);
      let x1 = v128.load(d1), y1 = v128.load(d1, 16);
      let x2 = v128.load(d2), y2 = v128.load(d2, 16);
      let x3 = v128.load(d3), y3 = v128.load(d3, 16);
      let p = pb;
      for (let k = 0; k < K; k++) {
        const kb = (<usize>k) << 2;
        const u = v128.load(p);
        const w = v128.load(p, 16);
        p += 32;
        const s0 = v128.load32_splat(a0 + kb);
        const s1 = v128.load32_splat(a1 + kb);
        const s2 = v128.load32_splat(a2 + kb);
        const s3 = v128.load32_splat(a3 + kb);
        x0 = f32x4.add(x0, f32x4.mul(s0, u));
        y0 = f32x4.add(y0, f32x4.mul(s0, w));
        x1 = f32x4.add(x1, f32x4.mul(s1, u));
        y1 = f32x4.add(y1, f32x4.mul(s1, w));
        x2 = f32x4.add(x2, f32x4.mul(s2, u));
        y2 = f32x4.add(y2, f32x4.mul(s2, w));
        x3 = f32x4.add(x3, f32x4.mul(s3, u));
        y3 = f32x4.add(y3, f32x4.mul(s3, w));
      }
      const c0 = c + ((<usize>(r * ldc)) << 2) + o;
      const c1 = c0 + ((<usize>ldc) << 2);
      const c2 = c1 + ((<usize>ldc) << 2);
      const c3 = c2 + ((<usize>ldc) << 2);
      v128.store(c0, x0);
      v128.store(c1, x1);
      v128.store(c2, x2);
      v128.store(c3, x3);
      if (full) {
        v128.store(c0, y0, 16);
        v128.store(c1, y1, 16);
        v128.store(c2, y2, 16);
        v128.store(c3, y3, 16);
      }
    }
    for (; r < M; r++) {
      const a0 = a + ((<usize>(r * lda)) << 2);
      const d0 = d + ((<usize>(r * ldd)) << 2) + o;
      let x0 = v128.load(d0), y0 = v128.load(d0, 16);
      let x1 = f32x4.splat(0), y1 = f32x4.splat(0);
      let p = pb;
      let k = 0;
      for (; k + 2 <= K; k += 2) {
        const kb = (<usize>k) << 2;
        const s0 = v128.load32_splat(a0 + kb);
        const s1 = v128.load32_splat(a0 + kb, 4);
        x0 = f32x4.add(x0, f32x4.mul(s0, v128.load(p)));
        y0 = f32x4.add(y0, f32x4.mul(s0, v128.load(p, 16)));
        x1 = f32x4.add(x1, f32x4.mul(s1, v128.load(p, 32)));
        y1 = f32x4.add(y1, f32x4.mul(s1, v128.load(p, 48)));
        p += 64;
      }
      if (k < K) {
        const s0 = v128.load32_splat(a0 + ((<usize>k) << 2));
        x0 = f32x4.add(x0, f32x4.mul(s0, v128.load(p)));
        y0 = f32x4.add(y0, f32x4.mul(s0, v128.load(p, 16)));
      }
      const c0 = c + ((<usize>(r * ldc)) << 2) + o;
      v128.store(c0, f32x4.add(x0, x1));
      if (full) v128.store(c0, f32x4.add(y0, y1), 16);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Element-wise functions on 4 lanes. exp(x) = 2ⁿ · e^r, n = round(x / ln 2), |r| ≤ ln2 / 2, e^r
// by its Taylor polynomial of degree 7 (truncation error < 5e-9 relative), x clamped to
// [−87, 88] so that 2ⁿ stays a normal float.
// ---------------------------------------------------------------------------------------------

function expv(x: v128): v128 {
  x = f32x4.max(f32x4.min(x, f32x4.splat(88.0)), f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.4426950408889634)));
  // r = x − n·ln2 in two parts (ln2 = 0.693359375 − 2.12194440e−4), exact for |n| ≤ 128
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.0 / 5040.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 720.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

// @ts-ignore: decorator
@inline function sigv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

// tanh(x) = 1 − 2 / (e^{2x} + 1)  (absolute error ~1e-7)
// @ts-ignore: decorator
@inline function tanhv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(expv(f32x4.add(x, x)), one)));
}

// ---------------------------------------------------------------------------------------------
// Forward: for t = 0..T−1
//   z = G[t] + h_{t−1} · U  (G holds x_t·W + b on entry)
//   i, f, o = σ(z_i, z_f, z_o), g = tanh(z_g), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)
// G[t] is overwritten with the activated gates [i, f, g, o]; C, Hs receive c_t, h_t.
// H (units) must be a multiple of 4 (lane loops); the JS side uses its plain-JS kernel otherwise.
// ---------------------------------------------------------------------------------------------

export function lstmForward(g: usize, u: usize, h0: usize, c0: usize, hs: usize, cs: usize, B: i32, T: i32, H: i32): void {
  const G4 = 4 * H;
  const hb = (<usize>H) << 2;
  for (let t = 0; t < T; t++) {
    const hp = t == 0 ? h0 : hs + ((<usize>((t - 1) * B * H)) << 2);
    const gt = g + ((<usize>(t * B * G4)) << 2);
    matmulPacked(hp, H, u, gt, G4, gt, G4, B, H, G4);
    for (let b = 0; b < B; b++) {
      const gp = gt + ((<usize>(b * G4)) << 2);
      const cp = t == 0 ? c0 + ((<usize>(b * H)) << 2) : cs + ((<usize>(((t - 1) * B + b) * H)) << 2);
      const co = cs + ((<usize>((t * B + b) * H)) << 2);
      const ho = hs + ((<usize>((t * B + b) * H)) << 2);
      for (let j = 0; j < H; j += 4) {
        const o = (<usize>j) << 2;
        const ig = sigv(v128.load(gp + o));
        const fg = sigv(v128.load(gp + o + hb));
        const gg = tanhv(v128.load(gp + o + 2 * hb));
        const og = sigv(v128.load(gp + o + 3 * hb));
        const c = f32x4.add(f32x4.mul(fg, v128.load(cp + o)), f32x4.mul(ig, gg));
        v128.store(gp + o, ig);
        v128.store(gp + o + hb, fg);
        v128.store(gp + o + 2 * hb, gg);
        v128.store(gp + o + 3 * hb, og);
        v128.store(co + o, c);
        v128.store(ho + o, f32x4.mul(og, tanhv(c)));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Backward (BPTT): for t = T−1..0, with dh = dY[t] (when seq) + dh_next:
//   tc = tanh(c_t), dc = dh ⊙ o ⊙ (1 − tc²) + dc_next
//   dz = [dc ⊙ g ⊙ i(1−i), dc ⊙ c_{t−1} ⊙ f(1−f), dc ⊙ i ⊙ (1−g²), dh ⊙ tc ⊙ o(1−o)]
//   dc_next = dc ⊙ f, dh_next = dz · Uᵀ
// dhn holds dh_next (B, H) on entry (zeros, or the gradient of the last output) and dh0 on exit;
// dcn likewise (zeros on entry, dc0 on exit). dZ receives dz; zero: H + 4 zeros.
// ---------------------------------------------------------------------------------------------

export function lstmBackward(g: usize, cs: usize, c0: usize, ut: usize, dy: usize, seq: i32, dhn: usize, dcn: usize, dz: usize, zero: usize, B: i32, T: i32, H: i32): void {
  const G4 = 4 * H;
  const hb = (<usize>H) << 2;
  const one = f32x4.splat(1.0);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const gp = g + ((<usize>((t * B + b) * G4)) << 2);
      const zp = dz + ((<usize>((t * B + b) * G4)) << 2);
      const cp = cs + ((<usize>((t * B + b) * H)) << 2);
      const pp = t == 0 ? c0 + ((<usize>(b * H)) << 2) : cs + ((<usize>(((t - 1) * B + b) * H)) << 2);
      const yp = dy + ((<usize>((t * B + b) * H)) << 2);
      const hp = dhn + ((<usize>(b * H)) << 2);
      const dp = dcn + ((<usize>(b * H)) << 2);
      for (let j = 0; j < H; j += 4) {
        const o = (<usize>j) << 2;
        let dh = v128.load(hp + o);
        if (seq) dh = f32x4.add(dh, v128.load(yp + o));
        const ig = v128.load(gp + o);
        const fg = v128.load(gp + o + hb);
        const gg = v128.load(gp + o + 2 * hb);
        const og = v128.load(gp + o + 3 * hb);
        const tc = tanhv(v128.load(cp + o));
        const dc = f32x4.add(f32x4.mul(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(tc, tc))), v128.load(dp + o));
        v128.store(zp + o, f32x4.mul(f32x4.mul(dc, gg), f32x4.mul(ig, f32x4.sub(one, ig))));
        v128.store(zp + o + hb, f32x4.mul(f32x4.mul(dc, v128.load(pp + o)), f32x4.mul(fg, f32x4.sub(one, fg))));
        v128.store(zp + o + 2 * hb, f32x4.mul(f32x4.mul(dc, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
        v128.store(zp + o + 3 * hb, f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(og, f32x4.sub(one, og))));
        v128.store(dp + o, f32x4.mul(dc, fg));
      }
    }
    const zt = dz + ((<usize>(t * B * G4)) << 2);
    matmulPacked(zt, G4, ut, zero, 0, dhn, H, B, G4, H);
  }
}

// ---------------------------------------------------------------------------------------------
// Weight gradients after the BPTT loop, on the time-major rows r = t·B + b (K = T·B rows):
//   matmulAtPacked: C[m, :N] = Σ_k A[k, m] · Bm[k, :N]  (A is K × M row-major with row stride lda,
//   i.e. the product Aᵀ·Bm; Bm packed in panels of 8 like above; C row stride ldc ≥ N rounded up
//   to 8 when N is not a multiple of 4). Blocks of 4 m (one vector load of A[k, m..m+3], lane
//   splats) × 8 n, then single m. Rows of A may overlap (lda < M): with lda = Ci over a
//   time-padded signal, row k is the window x[k : k + M/Ci] — the im2col of a 1-D convolution
//   without copying it.
//   colSums: out[j] = Σ_k A[k, j] (N a multiple of 4).
// ---------------------------------------------------------------------------------------------

export function matmulAtPacked(a: usize, lda: i32, bp: usize, c: usize, ldc: i32, M: i32, K: i32, N: i32): void {
  const panel = (<usize>K) << 5;
  const ab = (<usize>lda) << 2;
  for (let j = 0; j < N; j += 8) {
    const full = j + 4 < N; // the panel's second vector holds valid columns
    const pb = bp + (<usize>(j >> 3)) * panel;
    const o = (<usize>j) << 2;
    let m = 0;
    for (; m + 4 <= M; m += 4) {
      let x0 = f32x4.splat(0), y0 = f32x4.splat(0), x1 = f32x4.splat(0), y1 = f32x4.splat(0);
      let x2 = f32x4.splat(0), y2 = f32x4.splat(0), x3 = f32x4.splat(0), y3 = f32x4.splat(0);
      let p = pb;
      let q = a + ((<usize>m) << 2);
      for (let k = 0; k < K; k++) {
        const v = v128.load(q);
        q += ab;
        const u = v128.load(p);
        const w = v128.load(p, 16);
        p += 32;
        const s0 = i32x4.shuffle(v, v, 0, 0, 0, 0);
        const s1 = i32x4.shuffle(v, v, 1, 1, 1, 1);
        const s2 = i32x4.shuffle(v, v, 2, 2, 2, 2);
        const s3 = i32x4.shuffle(v, v, 3, 3, 3, 3);
        x0 = f32x4.add(x0, f32x4.mul(s0, u));
        y0 = f32x4.add(y0, f32x4.mul(s0, w));
        x1 = f32x4.add(x1, f32x4.mul(s1, u));
        y1 = f32x4.add(y1, f32x4.mul(s1, w));
        x2 = f32x4.add(x2, f32x4.mul(s2, u));
        y2 = f32x4.add(y2, f32x4.mul(s2, w));
        x3 = f32x4.add(x3, f32x4.mul(s3, u));
        y3 = f32x4.add(y3, f32x4.mul(s3, w));
      }
      const c0 = c + ((<usize>(m * ldc)) << 2) + o;
      const c1 = c0 + ((<usize>ldc) << 2);
      const c2 = c1 + ((<usize>ldc) << 2);
      const c3 = c2 + ((<usize>ldc) << 2);
      v128.store(c0, x0);
      v128.store(c1, x1);
      v128.store(c2, x2);
      v128.store(c3, x3);
      if (full) {
        v128.store(c0, y0, 16);
        v128.store(c1, y1, 16);
        v128.store(c2, y2, 16);
        v128.store(c3, y3, 16);
      }
    }
    for (; m < M; m++) {
      let x0 = f32x4.splat(0), y0 = f32x4.splat(0);
      let p = pb;
      let q = a + ((<usize>m) << 2);
      for (let k = 0; k < K; k++) {
        const s0 = v128.load32_splat(q);
        q += ab;
        x0 = f32x4.add(x0, f32x4.mul(s0, v128.load(p)));
        y0 = f32x4.add(y0, f32x4.mul(s0, v128.load(p, 16)));
        p += 32;
      }
      const c0 = c + ((<usize>(m * ldc)) << 2) + o;
      v128.store(c0, x0);
      if (full) v128.store(c0, y0, 16);
    }
  }
}

export function colSums(a: usize, K: i32, N: i32, out: usize): void {
  for (let j = 0; j < N; j += 4) {
    const o = (<usize>j) << 2;
    let s = f32x4.splat(0);
    let q = a + o;
    for (let k = 0; k < K; k++) {
      s = f32x4.add(s, v128.load(q));
      q += (<usize>N) << 2;
    }
    v128.store(out + o, s);
  }
}

/** Writes the (K, N) row-major matrix a (row stride lda) into out packed in panels of 8 columns
 * (zero-padded past N). */
export function packRows(a: usize, lda: i32, K: i32, N: i32, out: usize): void {
  for (let j = 0; j < N; j += 8) {
    const w = min(8, N - j);
    let dst = out + (<usize>(j >> 3)) * ((<usize>K) << 5);
    for (let k = 0; k < K; k++) {
      const src = a + ((<usize>(k * lda + j)) << 2);
      if (w == 8) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      } else {
        for (let c = 0; c < 8; c++) store<f32>(dst + ((<usize>c) << 2), c < w ? load<f32>(src + ((<usize>c) << 2)) : 0);
      }
      dst += 32;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers for other training kernels (src/model/kernels/fast_wasm.ts)
// ---------------------------------------------------------------------------------------------

/** out[j] = scale · Σ_k a[k·N + j] (f32 output, f64 accumulation), j < N. */
export function colSumsF64(a: usize, K: i32, N: i32, scale: f64, out: usize): void {
  const nb = (<usize>N) << 2;
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const o = (<usize>j) << 2;
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let q = a + o;
    for (let k = 0; k < K; k++) {
      const v = v128.load(q);
      q += nb;
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)));
    }
    const sc = f64x2.splat(scale);
    lo = f64x2.mul(lo, sc);
    hi = f64x2.mul(hi, sc);
    store<f32>(out + o, <f32>f64x2.extract_lane(lo, 0));
    store<f32>(out + o + 4, <f32>f64x2.extract_lane(lo, 1));
    store<f32>(out + o + 8, <f32>f64x2.extract_lane(hi, 0));
    store<f32>(out + o + 12, <f32>f64x2.extract_lane(hi, 1));
  }
  for (; j < N; j++) {
    let s: f64 = 0;
    for (let k = 0; k < K; k++) s += <f64>load<f32>(a + ((<usize>(k * N + j)) << 2));
    store<f32>(out + ((<usize>j) << 2), <f32>(s * scale));
  }
}

/**
 * Max-pool gradient, NHWC, no dilation: dx (zeroed here) receives each dy at its window's first
 * maximum (strictly greater replaces). Window (oh, ow) covers rows oh·sh − pt + [0, FH), cols
 * ow·sw − pl + [0, FW), clipped to the input. Channels in lanes of 4, then single.
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, B: i32, IH: i32, IW: i32, C: i32, OH: i32, OW: i32, FH: i32, FW: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dx, 0, (<usize>(B * IH * IW * C)) << 2);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const h0 = max(oh * sh - pt, 0), h1 = min(oh * sh - pt + FH, IH);
    const w0 = max(ow * sw - pl, 0), w1 = min(ow * sw - pl + FW, IW);
    if (h0 >= h1 || w0 >= w1) continue;
    const go = dy + ((<usize>(((b * OH + oh) * OW + ow) * C)) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      let first = ((b * IH + h0) * IW + w0) * C + c;
      let bv = v128.load(x + ((<usize>first) << 2));
      let bi = i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3));
      for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) {
        const e = ((b * IH + ih) * IW + iw) * C + c;
        const v = v128.load(x + ((<usize>e) << 2));
        const gt = f32x4.gt(v, bv);
        bv = v128.bitselect(v, bv, gt);
        bi = v128.bitselect(i32x4.add(i32x4.splat(e), i32x4(0, 1, 2, 3)), bi, gt);
      }
      const g = v128.load(go + ((<usize>c) << 2));
      let p = dx + ((<usize>i32x4.extract_lane(bi, 0)) << 2);
      store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 0));
      p = dx + ((<usize>i32x4.extract_lane(bi, 1)) << 2);
      store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 1));
      p = dx + ((<usize>i32x4.extract_lane(bi, 2)) << 2);
      store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 2));
      p = dx + ((<usize>i32x4.extract_lane(bi, 3)) << 2);
      store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 3));
    }
    for (; c < C; c++) {
      let bestI = ((b * IH + h0) * IW + w0) * C + c;
      let bestV = load<f32>(x + ((<usize>bestI) << 2));
      for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) {
        const e = ((b * IH + ih) * IW + iw) * C + c;
        const v = load<f32>(x + ((<usize>e) << 2));
        if (v > bestV) {
          bestV = v;
          bestI = e;
        }
      }
      const p = dx + ((<usize>bestI) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(go + ((<usize>c) << 2)));
    }
  }
}

/** Where free memory starts (the JS side places its buffers from here). */
export function heapBase(): usize {
  return __heap_base;
}
