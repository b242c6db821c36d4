// AssemblyScript source of the WebAssembly LSTM recurrence kernels (SIMD, f32x4). Compiled by
// scripts/build-wasm-kernels.mjs into src/model/kernels/lstm-wasm.generated.ts (base64). Not part
// of the tsc build. The JS side (src/model/kernels/lstm.ts) lays the buffers out in this module's
// memory, calls one function for the whole sequence, and copies the results out.
//
// Layouts (f32, row-major, batch-major like the layer's input):
//   gates G (B, T, 4H), gate order [i, f, g, o]; cell C (B, T, H); hidden Hs (B, T, H);
//   U (H, 4H); UT = Uᵀ (4H, H); h0, c0 (B, H).

// ---------------------------------------------------------------------------------------------
// Matrix product  C[r, :N] = D[r, :N] + A[r, :K] · Bm[K, N]   (r < M)
// Row strides (in floats) lda, ldd, ldc; Bm is contiguous (row stride N). ldd = 0 with D pointing
// at N zeros gives C = A·Bm. D may equal C: all of a block's D values are read before it stores.
// Rows go in blocks of 4 (a short last block repeats its last row: the same values are stored
// twice), columns in blocks of 8, then 4, then 1.
// ---------------------------------------------------------------------------------------------

function matmulAdd(a: usize, lda: i32, bm: usize, d: usize, ldd: i32, c: usize, ldc: i32, M: i32, K: i32, N: i32): void {
  const nb = (<usize>N) << 2;
  for (let r = 0; r < M; r += 4) {
    const r1 = min(r + 1, M - 1);
    const r2 = min(r + 2, M - 1);
    const r3 = min(r + 3, M - 1);
    const a0 = a + ((<usize>(r * lda)) << 2);
    const a1 = a + ((<usize>(r1 * lda)) << 2);
    const a2 = a + ((<usize>(r2 * lda)) << 2);
    const a3 = a + ((<usize>(r3 * lda)) << 2);
    const d0 = d + ((<usize>(r * ldd)) << 2);
    const d1 = d + ((<usize>(r1 * ldd)) << 2);
    const d2 = d + ((<usize>(r2 * ldd)) << 2);
    const d3 = d + ((<usize>(r3 * ldd)) << 2);
    const c0 = c + ((<usize>(r * ldc)) << 2);
    const c1 = c + ((<usize>(r1 * ldc)) << 2);
    const c2 = c + ((<usize>(r2 * ldc)) << 2);
    const c3 = c + ((<usize>(r3 * ldc)) << 2);
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      const o = (<usize>j) << 2;
      let x0 = v128.load(d0 + o), y0 = v128.load(d0 + o, 16);
      let x1 = v128.load(d1 + o), y1 = v128.load(d1 + o, 16);
      let x2 = v128.load(d2 + o), y2 = v128.load(d2 + o, 16);
      let x3 = v128.load(d3 + o), y3 = v128.load(d3 + o, 16);
      let p = bm + o;
      for (let k = 0; k < K; k++) {
        const kb = (<usize>k) << 2;
        const u = v128.load(p);
        const w = v128.load(p, 16);
        p += nb;
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
      v128.store(c0 + o, x0);
      v128.store(c0 + o, y0, 16);
      v128.store(c1 + o, x1);
      v128.store(c1 + o, y1, 16);
      v128.store(c2 + o, x2);
      v128.store(c2 + o, y2, 16);
      v128.store(c3 + o, x3);
      v128.store(c3 + o, y3, 16);
    }
    for (; j + 4 <= N; j += 4) {
      const o = (<usize>j) << 2;
      let x0 = v128.load(d0 + o);
      let x1 = v128.load(d1 + o);
      let x2 = v128.load(d2 + o);
      let x3 = v128.load(d3 + o);
      let p = bm + o;
      for (let k = 0; k < K; k++) {
        const kb = (<usize>k) << 2;
        const u = v128.load(p);
        p += nb;
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(a0 + kb), u));
        x1 = f32x4.add(x1, f32x4.mul(v128.load32_splat(a1 + kb), u));
        x2 = f32x4.add(x2, f32x4.mul(v128.load32_splat(a2 + kb), u));
        x3 = f32x4.add(x3, f32x4.mul(v128.load32_splat(a3 + kb), u));
      }
      v128.store(c0 + o, x0);
      v128.store(c1 + o, x1);
      v128.store(c2 + o, x2);
      v128.store(c3 + o, x3);
    }
    for (; j < N; j++) {
      const o = (<usize>j) << 2;
      let x0 = load<f32>(d0 + o), x1 = load<f32>(d1 + o), x2 = load<f32>(d2 + o), x3 = load<f32>(d3 + o);
      let p = bm + o;
      for (let k = 0; k < K; k++) {
        const kb = (<usize>k) << 2;
        const u = load<f32>(p);
        p += nb;
        x0 += load<f32>(a0 + kb) * u;
        x1 += load<f32>(a1 + kb) * u;
        x2 += load<f32>(a2 + kb) * u;
        x3 += load<f32>(a3 + kb) * u;
      }
      store<f32>(c0 + o, x0);
      store<f32>(c1 + o, x1);
      store<f32>(c2 + o, x2);
      store<f32>(c3 + o, x3);
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
//   z = G[:, t, :] + h_{t−1} · U  (G holds x_t·W + b on entry)
//   i, f, o = σ(z_i, z_f, z_o), g = tanh(z_g), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)
// G[:, t, :] is overwritten with the activated gates [i, f, g, o]; C, Hs receive c_t, h_t.
// H (units) must be a multiple of 4 (lane loops); the JS side uses its plain-JS kernel otherwise.
// ---------------------------------------------------------------------------------------------

export function lstmForward(g: usize, u: usize, h0: usize, c0: usize, hs: usize, cs: usize, B: i32, T: i32, H: i32): void {
  const G4 = 4 * H;
  for (let t = 0; t < T; t++) {
    const hp = t == 0 ? h0 : hs + ((<usize>((t - 1) * H)) << 2);
    const ldh = t == 0 ? H : T * H;
    const gt = g + ((<usize>(t * G4)) << 2);
    matmulAdd(hp, ldh, u, gt, T * G4, gt, T * G4, B, H, G4);
    for (let b = 0; b < B; b++) {
      const gp = gt + ((<usize>(b * T * G4)) << 2);
      const cp = t == 0 ? c0 + ((<usize>(b * H)) << 2) : cs + ((<usize>((b * T + t - 1) * H)) << 2);
      const co = cs + ((<usize>((b * T + t) * H)) << 2);
      const ho = hs + ((<usize>((b * T + t) * H)) << 2);
      const hb = (<usize>H) << 2;
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
// Backward (BPTT): for t = T−1..0, with dh = dY[:, t, :] (when seq) + dh_next:
//   tc = tanh(c_t), dc = dh ⊙ o ⊙ (1 − tc²) + dc_next
//   dz = [dc ⊙ g ⊙ i(1−i), dc ⊙ c_{t−1} ⊙ f(1−f), dc ⊙ i ⊙ (1−g²), dh ⊙ tc ⊙ o(1−o)]
//   dc_next = dc ⊙ f, dh_next = dz · Uᵀ
// dhn holds dh_next (B, H) on entry (zeros, or the gradient of the last output) and dh0 on exit;
// dcn likewise (zeros on entry, dc0 on exit). dZ (B, T, 4H) receives dz; zero: H zeros.
// ---------------------------------------------------------------------------------------------

export function lstmBackward(g: usize, cs: usize, c0: usize, ut: usize, dy: usize, seq: i32, dhn: usize, dcn: usize, dz: usize, zero: usize, B: i32, T: i32, H: i32): void {
  const G4 = 4 * H;
  const hb = (<usize>H) << 2;
  const one = f32x4.splat(1.0);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const gp = g + ((<usize>((b * T + t) * G4)) << 2);
      const zp = dz + ((<usize>((b * T + t) * G4)) << 2);
      const cp = cs + ((<usize>((b * T + t) * H)) << 2);
      const pp = t == 0 ? c0 + ((<usize>(b * H)) << 2) : cp - hb;
      const yp = dy + ((<usize>((b * T + t) * H)) << 2);
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
    const zt = dz + ((<usize>(t * G4)) << 2);
    matmulAdd(zt, T * G4, ut, zero, 0, dhn, H, B, G4, H);
  }
}

/** Where free memory starts (the JS side places its buffers from here). */
export function heapBase(): usize {
  return __heap_base;
}
