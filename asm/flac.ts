// AssemblyScript source of the WebAssembly FLAC frame decoder. Compiled by scripts/build-wasm.mjs
// into src/audio/flac-wasm.generated.ts (base64). Not part of the tsc build.
//
// The JS side (src/audio/flac-wasm.ts) owns the memory (fixed size, never grown): tables built by
// init(), an input window holding bytes [winStart, winStart + winLen) of the file followed by 32
// zero bytes, room for its byte-reversed copy, and an output region of nc channels × chanCap
// samples. decodeFrames() decodes whole frames from the window start into the output (as int32, then scaled to float32 in place) until
// the file ends (END), the next frame needs more input or output room (MORE), or something is
// wrong (ERROR). It mirrors every check of the JS decoder (src/audio/flac.ts), so that a stream
// the JS decoder rejects is never accepted here; on ERROR the JS side re-runs its own decoder,
// which produces the exact error (or the samples, where this decoder was only more cautious).
//
// Arithmetic mirrors the JS decoder bit for bit, also on corrupt input: residuals, fixed
// predictors, wasted bits and stereo decorrelation wrap modulo 2^32 (Int32Array stores); LPC uses
// wrapping int32 sums under the JS decoder's rule (Σ|coef| · 2^(sbps−1) < 2^31 and order ≤ 12),
// else exact int64 sums.
//
// Speed (RAVDESS, 48 kHz 16-bit speech, ~3.8 bits per residual): Rice codes are read through a
// 64-bit bit buffer, up to three per lookup in a 4 kB table per Rice parameter; LPC runs four
// outputs per step with SIMD for the older taps; CRC-16 by slicing-by-8.

const END: i32 = 0;
const MORE: i32 = 1;
const ERROR: i32 = -1;
const FLAC_MAX_SAMPLES: i32 = 1 << 28;

// ---- tables (built by init) -------------------------------------------------------------------
let CRC8: usize = 0; // 256 × u8
let CRC16: usize = 0; // 8 × 256 × u16: table k = register after byte a then k zero bytes
let COEF: usize = 0; // 36 × i32: LPC coefficients, zero padded
let CVEC: usize = 0; // 32 × v128: (c[d], c[d+1], c[d+2], c[d+3])
let RICE: usize = 0; // RICE_K tables of 2^RICE_BITS × u32 (built on first use, see riceTable)
let riceBuilt: i32 = 0; // bit k: table k is built
let TAB_END: usize = 0;
const RICE_BITS: i32 = 10;
const RICE_K: i32 = 8;

/** Builds the tables at `at` (16-byte aligned); returns the first free address after them. */
export function init(at: usize): usize {
  CRC8 = at;
  CRC16 = at + 256;
  COEF = CRC16 + 8 * 512;
  CVEC = COEF + 36 * 4 + 16 - ((COEF + 36 * 4) & 15);
  RICE = CVEC + 32 * 16;
  riceBuilt = 0;
  TAB_END = RICE + (<usize>RICE_K << (RICE_BITS + 2));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    store<u8>(CRC8 + i, <u8>c);
    let d = i << 8;
    for (let k = 0; k < 8; k++) d = d & 0x8000 ? ((d << 1) ^ 0x8005) & 0xffff : (d << 1) & 0xffff;
    store<u16>(CRC16 + (i << 1), <u16>d);
  }
  for (let t = 1; t < 8; t++) {
    for (let i = 0; i < 256; i++) {
      const prev = <i32>load<u16>(CRC16 + ((t - 1) << 9) + (i << 1));
      const v = ((prev << 8) & 0xffff) ^ <i32>load<u16>(CRC16 + ((prev >> 8) << 1));
      store<u16>(CRC16 + (t << 9) + (i << 1), <u16>v);
    }
  }
  return TAB_END;
}

export function heapBase(): usize {
  return __heap_base;
}

// ---- results of decodeFrames --------------------------------------------------------------------
let gPos: i32 = 0;
let gDone: i32 = 0;
/** Byte offset (from the window start) of the next frame to decode. */
export function position(): i32 {
  return gPos;
}
/** Samples per channel written to the output by the last decodeFrames call. */
export function produced(): i32 {
  return gDone;
}

// ---- bit reader: MSB-aligned 64-bit buffer -------------------------------------------------------
// WebAssembly has no byte swap, so the window is first copied byte-reversed (reverseWindow): then
// the big-endian 64 bits at window byte q are the plain little-endian load at RB − q, RB being the
// reversed copy's end minus 8. bb holds the next bits of the stream at its top; cnt (≤ 63) of them
// are counted, the bits below are zero or the correct following bits. rp = RB − (index of the first
// byte not yet counted).
let bb: u64 = 0;
let cnt: i32 = 0;
let rp: usize = 0;
let RB: usize = 0;
let limitBits: i32 = 0;

// @ts-ignore: decorator
@inline function seek(byte: i32): void {
  bb = 0;
  cnt = 0;
  rp = RB - <usize>byte;
}

// @ts-ignore: decorator
@inline function refill(): void {
  bb |= load<u64>(rp) >>> <u64>cnt;
  rp -= <usize>((63 - cnt) >>> 3);
  cnt |= 56;
}

// @ts-ignore: decorator
@inline function bitPos(): i32 {
  return (<i32>(RB - rp) << 3) - cnt;
}

// @ts-ignore: decorator
@inline function over(): bool {
  return bitPos() > limitBits;
}

/** Unsigned read of 0 ≤ n ≤ 32 bits. */
// @ts-ignore: decorator
@inline function readU(n: i32): u32 {
  if (cnt < n) refill();
  const v = <u32>((bb >>> 1) >>> <u64>(63 - n));
  bb <<= <u64>n;
  cnt -= n;
  return v;
}

/** Signed (two's complement) read of 0 ≤ n ≤ 32 bits. */
// @ts-ignore: decorator
@inline function readS(n: i32): i32 {
  if (n == 0) return 0;
  if (cnt < n) refill();
  const v = <i32>(<i64>bb >> <i64>(64 - n));
  bb <<= <u64>n;
  cnt -= n;
  return v;
}

/** Zero bits before the next 1 bit (consumed); −1 when the reader passes the limit. */
function unary(): i32 {
  let q = 0;
  for (;;) {
    refill();
    const lz = <i32>clz<u64>(bb);
    if (lz < cnt) {
      bb <<= <u64>(lz + 1);
      cnt -= lz + 1;
      if (over()) return -1;
      return q + lz;
    }
    q += cnt;
    bb = 0;
    cnt = 0;
    if (over()) return -1;
  }
  return -1; // unreachable
}

// ---- residual -----------------------------------------------------------------------------------
/**
 * Multi-code Rice table for parameter k < RICE_K: entry b (the next RICE_BITS bits of the stream)
 * holds the bits taken by the whole codes those bits start with (bits 0–5: a 64-bit shift by the
 * entry consumes them), how many codes (0–3, bits 6–7) and their zig-zag-decoded values as int8
 * at bits 8, 16 and 24 (a code whose value does not fit in int8 ends the entry).
 */
function riceTable(k: i32): usize {
  const t = RICE + (<usize>k << (RICE_BITS + 2));
  if (riceBuilt & (1 << k)) return t;
  for (let b = 0; b < 1 << RICE_BITS; b++) {
    let pos = 0;
    let n = 0;
    let e: u32 = 0;
    while (n < 3) {
      let q = 0;
      while (pos + q < RICE_BITS && ((b >> (RICE_BITS - 1 - pos - q)) & 1) == 0) q++;
      if (pos + q + 1 + k > RICE_BITS) break;
      const low = k == 0 ? 0 : (b >> (RICE_BITS - pos - q - 1 - k)) & ((1 << k) - 1);
      const v = (q << k) | low;
      const z = (v >>> 1) ^ -(v & 1);
      if (z < -128 || z > 127) break;
      e |= <u32>(z & 0xff) << <u32>(8 + 8 * n);
      pos += q + 1 + k;
      n++;
    }
    store<u32>(t + (<usize>b << 2), e | <u32>pos | (<u32>n << 6));
  }
  riceBuilt |= 1 << k;
  return t;
}

/** Rice-coded residual of samples [order, blockSize) into x; false on a corrupt stream. */
function residual(x: usize, blockSize: i32, order: i32): bool {
  const method = readU(2);
  if (method > 1) return false;
  const pbits = method == 0 ? 4 : 5;
  const escape: u32 = method == 0 ? 15 : 31;
  const porder = <i32>readU(4);
  const parts = 1 << porder;
  const psize = blockSize >>> porder;
  if (psize * parts != blockSize || psize < order) return false;
  let i = order;
  for (let pt = 0; pt < parts; pt++) {
    const k = <i32>readU(pbits);
    const end = (pt + 1) * psize;
    if (<u32>k == escape) {
      const nb = <i32>readU(5);
      for (; i < end; i++) store<i32>(x + (<usize>i << 2), readS(nb));
      if (over()) return false;
      continue;
    }
    let lb = bb;
    let lc = cnt;
    let lp = rp;
    const k1 = k + 1;
    const k64 = <u64>k;
    let o = x + (<usize>i << 2);
    const oe = x + (<usize>end << 2);
    i = end;
    const table = k < RICE_K ? riceTable(k) : 0;
    while (o < oe) {
      if (table) {
        // Up to three codes per table lookup while three more samples fit in the partition; one
        // refill serves four lookups (at most 4 · RICE_BITS ≤ 56 − RICE_BITS bits). The four
        // lookups are written out on purpose: as a 4-iteration loop (same output) the decoder ran
        // 1–5 % slower (bench:decode, wasm vs JS speed-up 4.31–4.33× against 4.36–4.58×).
        while (o + 48 <= oe) {
          lb |= load<u64>(lp) >>> <u64>lc;
          lp -= <usize>((63 - lc) >>> 3);
          lc |= 56;
          let e: i32;
          e = load<i32>(table + <usize>((lb >>> <u64>(64 - RICE_BITS)) << 2));
          if ((e & 0xc0) == 0) break; // a code longer than the table's bits (or a large value)
          store<i32>(o, (e << 16) >> 24);
          store<i32>(o, (e << 8) >> 24, 4);
          store<i32>(o, e >> 24, 8);
          lb <<= <u64>e; // by e & 63
          lc -= e & 63;
          o += <usize>(e >> 4) & 12;
          e = load<i32>(table + <usize>((lb >>> <u64>(64 - RICE_BITS)) << 2));
          if ((e & 0xc0) == 0) break; // a code longer than the table's bits (or a large value)
          store<i32>(o, (e << 16) >> 24);
          store<i32>(o, (e << 8) >> 24, 4);
          store<i32>(o, e >> 24, 8);
          lb <<= <u64>e; // by e & 63
          lc -= e & 63;
          o += <usize>(e >> 4) & 12;
          e = load<i32>(table + <usize>((lb >>> <u64>(64 - RICE_BITS)) << 2));
          if ((e & 0xc0) == 0) break; // a code longer than the table's bits (or a large value)
          store<i32>(o, (e << 16) >> 24);
          store<i32>(o, (e << 8) >> 24, 4);
          store<i32>(o, e >> 24, 8);
          lb <<= <u64>e; // by e & 63
          lc -= e & 63;
          o += <usize>(e >> 4) & 12;
          e = load<i32>(table + <usize>((lb >>> <u64>(64 - RICE_BITS)) << 2));
          if ((e & 0xc0) == 0) break; // a code longer than the table's bits (or a large value)
          store<i32>(o, (e << 16) >> 24);
          store<i32>(o, (e << 8) >> 24, 4);
          store<i32>(o, e >> 24, 8);
          lb <<= <u64>e; // by e & 63
          lc -= e & 63;
          o += <usize>(e >> 4) & 12;
        }
        while (o + 12 <= oe) {
          if (lc < RICE_BITS) {
            lb |= load<u64>(lp) >>> <u64>lc;
            lp -= <usize>((63 - lc) >>> 3);
            lc |= 56;
          }
          let e: i32;
          e = load<i32>(table + <usize>((lb >>> <u64>(64 - RICE_BITS)) << 2));
          if ((e & 0xc0) == 0) break;
          store<i32>(o, (e << 16) >> 24);
          store<i32>(o, (e << 8) >> 24, 4);
          store<i32>(o, e >> 24, 8);
          lb <<= <u64>e; // by e & 63
          lc -= e & 63;
          o += <usize>(e >> 4) & 12;
        }
        if (o >= oe) break;
      }
      // One code.
      // Refill only when the counted bits do not hold the whole code (once per several samples):
      // the loop-carried chain is then clz → add → shift.
      let lz = <i32>clz<u64>(lb);
      let len = lz + k1;
      if (len > lc) {
        lb |= load<u64>(lp) >>> <u64>lc;
        lp -= <usize>((63 - lc) >>> 3);
        lc |= 56;
        lz = <i32>clz<u64>(lb);
        len = lz + k1;
        if (len > lc) {
          // long quotient: count zeros across refills
          let q: u64 = 0;
          for (;;) {
            const z = <i32>clz<u64>(lb);
            if (z < lc) {
              lb <<= <u64>(z + 1);
              lc -= z + 1;
              q += <u64>z;
              break;
            }
            q += <u64>lc;
            lb = 0;
            lc = 0;
            if ((<i32>(RB - lp) << 3) > limitBits) return false;
            lb |= load<u64>(lp) >>> <u64>lc;
            lp -= <usize>((63 - lc) >>> 3);
            lc |= 56;
          }
          if (lc < k) {
            lb |= load<u64>(lp) >>> <u64>lc;
            lp -= <usize>((63 - lc) >>> 3);
            lc |= 56;
          }
          const low = (lb >>> 1) >>> <u64>(63 - k);
          lb <<= k64;
          lc -= k;
          if (q >= (<u64>1 << <u64>(53 - k))) return false; // the JS decoder's doubles would round
          const v = (q << k64) | low;
          store<i32>(o, <i32>((v >>> 1) ^ (0 - (v & 1))));
          o += 4;
          continue;
        }
      }
      // quotient lz, stop bit, k low bits: lb >>> (64 − len) is (1 << k) | low
      const v = (lb >>> <u64>(64 - len)) + (<u64>(lz - 1) << k64);
      lb <<= <u64>len;
      lc -= len;
      store<i32>(o, <i32>((v >>> 1) ^ (0 - (v & 1)))); // zig-zag, modulo 2^32
      o += 4;
    }
    bb = lb;
    cnt = lc;
    rp = lp;
    if (over()) return false;
  }
  return true;
}

// ---- prediction ---------------------------------------------------------------------------------
function restoreFixed(x: usize, n: i32, order: i32): void {
  if (order == 0) return;
  const e = x + (<usize>n << 2);
  let p = x + (<usize>order << 2);
  if (order == 1) {
    let a = load<i32>(x);
    for (; p < e; p += 4) {
      a += load<i32>(p);
      store<i32>(p, a);
    }
  } else if (order == 2) {
    let a = load<i32>(x, 4);
    let b = load<i32>(x);
    for (; p < e; p += 4) {
      const v = load<i32>(p) + 2 * a - b;
      store<i32>(p, v);
      b = a;
      a = v;
    }
  } else if (order == 3) {
    let a = load<i32>(x, 8);
    let b = load<i32>(x, 4);
    let c = load<i32>(x);
    for (; p < e; p += 4) {
      const v = load<i32>(p) + 3 * (a - b) + c;
      store<i32>(p, v);
      c = b;
      b = a;
      a = v;
    }
  } else {
    let a = load<i32>(x, 12);
    let b = load<i32>(x, 8);
    let c = load<i32>(x, 4);
    let d = load<i32>(x);
    for (; p < e; p += 4) {
      const v = load<i32>(p) + 4 * (a + c) - 6 * b - d;
      store<i32>(p, v);
      d = c;
      c = b;
      b = a;
      a = v;
    }
  }
}

// @ts-ignore: decorator
@inline function tap(xi: usize, d: i32, cv: v128): v128 {
  // splat(x[i − 1 − d]) · (c[d], c[d+1], c[d+2], c[d+3])
  return i32x4.mul(v128.load32_splat(xi - 4 - (<usize>d << 2)), cv);
}

/**
 * LPC synthesis in wrapping int32 arithmetic for order ≤ T (T = 4, 8 or 12; coefficients zero
 * padded), four outputs x[i .. i+3] per step: the terms in samples before x[i − 2] form one vector
 * K (lane m: Σ_{d ≥ 2} c[m+d]·x[i−1−d], computed off the critical path), the terms in x[i − 2],
 * x[i − 1] and the step's own new samples are added one output at a time, the newest last (the
 * chain from one output to the next is one multiply, two adds and a shift). Taps past the order
 * multiply samples before the block (or before the channel's buffer: any value) by zero.
 */
// @ts-ignore: decorator
@inline function lpcIntT(x: usize, n: i32, i0: i32, s: i32, T: i32): i32 {
  const c0 = load<i32>(COEF);
  const c1 = load<i32>(COEF, 4);
  const c2 = load<i32>(COEF, 8);
  const c3 = load<i32>(COEF, 12);
  const c4 = load<i32>(COEF, 16);
  let i = i0;
  if (i + 4 > n) return i;
  let l1 = load<i32>(x + (<usize>(i - 1) << 2));
  let l2 = load<i32>(x + (<usize>(i - 2) << 2));
  const v2 = v128.load(CVEC + 32);
  const v3 = v128.load(CVEC + 48);
  const v4 = v128.load(CVEC + 64);
  const v5 = v128.load(CVEC + 80);
  const v6 = v128.load(CVEC + 96);
  const v7 = v128.load(CVEC + 112);
  const v8 = v128.load(CVEC + 128);
  const v9 = v128.load(CVEC + 144);
  const v10 = v128.load(CVEC + 160);
  const v11 = v128.load(CVEC + 176);
  for (; i + 4 <= n; i += 4) {
    const xi = x + (<usize>i << 2);
    let acc = i32x4.add(tap(xi, 3, v3), tap(xi, 2, v2));
    if (T > 4) {
      acc = i32x4.add(acc, i32x4.add(tap(xi, 7, v7), tap(xi, 6, v6)));
      acc = i32x4.add(acc, i32x4.add(tap(xi, 5, v5), tap(xi, 4, v4)));
    }
    if (T > 8) {
      acc = i32x4.add(acc, i32x4.add(tap(xi, 11, v11), tap(xi, 10, v10)));
      acc = i32x4.add(acc, i32x4.add(tap(xi, 9, v9), tap(xi, 8, v8)));
    }
    const x0 = load<i32>(xi) + (((i32x4.extract_lane(acc, 0) + c1 * l2) + c0 * l1) >> s);
    store<i32>(xi, x0);
    const x1 = load<i32>(xi, 4) + (((i32x4.extract_lane(acc, 1) + c2 * l2 + c1 * l1) + c0 * x0) >> s);
    store<i32>(xi, x1, 4);
    const x2 = load<i32>(xi, 8) + (((i32x4.extract_lane(acc, 2) + c3 * l2 + c2 * l1 + c1 * x0) + c0 * x1) >> s);
    store<i32>(xi, x2, 8);
    const x3 = load<i32>(xi, 12) + (((i32x4.extract_lane(acc, 3) + c4 * l2 + c3 * l1 + c2 * x0 + c1 * x1) + c0 * x2) >> s);
    store<i32>(xi, x3, 12);
    l2 = x2;
    l1 = x3;
  }
  return i;
}

/** LPC synthesis in wrapping int32 arithmetic (order ≤ 12): the block kernel, then a scalar tail. */
function lpcInt(x: usize, n: i32, order: i32, shift: i32): void {
  let i = order;
  if (order == 1 && n >= 2) {
    store<i32>(x, load<i32>(x, 4) + ((load<i32>(COEF) * load<i32>(x)) >> shift), 4);
    i = 2; // the kernel starts where x[i − 2] and x[i − 1] are known
  }
  if (order <= 4) i = lpcIntT(x, n, i, shift, 4);
  else if (order <= 8) i = lpcIntT(x, n, i, shift, 8);
  else i = lpcIntT(x, n, i, shift, 12);
  for (; i < n; i++) {
    const xi = x + (<usize>i << 2);
    let sum: i32 = 0;
    for (let j = 0; j < order; j++) sum += load<i32>(COEF + (<usize>j << 2)) * load<i32>(xi - 4 - (<usize>j << 2));
    store<i32>(xi, load<i32>(xi) + (sum >> shift));
  }
}

/** LPC synthesis with exact int64 sums (the JS decoder's float64 path, exact there too). */
function lpcWide(x: usize, n: i32, order: i32, shift: i32): void {
  const s = <i64>shift;
  for (let i = order; i < n; i++) {
    const xi = x + (<usize>i << 2);
    let sum: i64 = 0;
    for (let j = 0; j < order; j++) sum += <i64>load<i32>(COEF + (<usize>j << 2)) * <i64>load<i32>(xi - 4 - (<usize>j << 2));
    store<i32>(xi, load<i32>(xi) + <i32>(sum >> s));
  }
}

// ---- subframe -----------------------------------------------------------------------------------
function subframe(x: usize, blockSize: i32, sbps: i32): bool {
  const h = <i32>readU(8);
  if (h & 0x80) return false;
  const type = (h >> 1) & 63;
  let wasted = 0;
  if (h & 1) {
    const u = unary();
    if (u < 0) return false;
    wasted = u + 1;
    if (wasted >= sbps) return false;
  }
  const w = sbps - wasted;
  const e = x + (<usize>blockSize << 2);
  if (type == 0) {
    const v = readS(w);
    for (let p = x; p < e; p += 4) store<i32>(p, v);
  } else if (type == 1) {
    for (let p = x; p < e; p += 4) store<i32>(p, readS(w));
  } else if (type >= 8 && type <= 12) {
    const order = type - 8;
    if (order > blockSize) return false;
    for (let i = 0; i < order; i++) store<i32>(x + (<usize>i << 2), readS(w));
    if (over()) return false;
    if (!residual(x, blockSize, order)) return false;
    restoreFixed(x, blockSize, order);
  } else if (type >= 32) {
    const order = type - 31;
    if (order > blockSize) return false;
    for (let i = 0; i < order; i++) store<i32>(x + (<usize>i << 2), readS(w));
    const precision = <i32>readU(4) + 1;
    if (precision == 16) return false;
    const shift = readS(5);
    if (shift < 0) return false;
    let sumAbs: i64 = 0;
    for (let j = 0; j < order; j++) {
      const c = readS(precision);
      store<i32>(COEF + (<usize>j << 2), c);
      sumAbs += <i64>(c < 0 ? -c : c);
    }
    for (let j = order; j < 36; j++) store<i32>(COEF + (<usize>j << 2), 0);
    if (over()) return false;
    if (!residual(x, blockSize, order)) return false;
    if (order <= 12 && (sumAbs << <i64>(sbps - 1)) < (<i64>1 << 31)) {
      for (let d = 0; d < 12; d++) v128.store(CVEC + (<usize>d << 4), v128.load(COEF + (<usize>d << 2)));
      lpcInt(x, blockSize, order, shift);
    } else {
      lpcWide(x, blockSize, order, shift);
    }
  } else {
    return false;
  }
  if (wasted > 0) for (let p = x; p < e; p += 4) store<i32>(p, load<i32>(p) << wasted);
  return true;
}

// ---- CRC-16 -------------------------------------------------------------------------------------
// @ts-ignore: decorator
@inline function t16(k: i32, a: u64): i32 {
  return <i32>load<u16>(CRC16 + (<usize>k << 9) + ((<usize>a & 0xff) << 1));
}

function crc16(p: usize, e: usize): i32 {
  let crc = 0;
  for (; p + 8 <= e; p += 8) {
    const w = load<u64>(p); // byte j of the stream is bits 8j .. 8j + 7
    crc =
      t16(7, (w ^ <u64>(crc >> 8)) & 0xff) ^
      t16(6, (w >> 8) ^ <u64>(crc & 0xff)) ^
      t16(5, w >> 16) ^
      t16(4, w >> 24) ^
      t16(3, w >> 32) ^
      t16(2, w >> 40) ^
      t16(1, w >> 48) ^
      t16(0, w >> 56);
  }
  for (; p < e; p++) crc = ((crc << 8) & 0xffff) ^ <i32>load<u16>(CRC16 + ((<usize>((crc >> 8) ^ <i32>load<u8>(p))) << 1));
  return crc;
}

// ---- frames -------------------------------------------------------------------------------------
// @ts-ignore: decorator
@inline function blockSizeOf(code: i32): i32 {
  // 0 reserved, 6 / 7: 8- / 16-bit field (−8 / −16)
  if (code == 1) return 192;
  if (code >= 2 && code <= 5) return 576 << (code - 2);
  if (code == 6) return -8;
  if (code == 7) return -16;
  if (code >= 8) return 256 << (code - 8);
  return 0;
}

// @ts-ignore: decorator
@inline function sampleRateOf(code: i32): i32 {
  switch (code) {
    case 1: return 88200;
    case 2: return 176400;
    case 3: return 192000;
    case 4: return 8000;
    case 5: return 16000;
    case 6: return 22050;
    case 7: return 24000;
    case 8: return 32000;
    case 9: return 44100;
    case 10: return 48000;
    case 11: return 96000;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function sampleSizeOf(code: i32): i32 {
  switch (code) {
    case 1: return 8;
    case 2: return 12;
    case 4: return 16;
    case 5: return 20;
    case 6: return 24;
    case 7: return 32;
  }
  return 0;
}

let gEnd: i32 = 0;

/**
 * One frame at window offset p: returns its block size (samples written at out + done), −1 on a
 * corrupt or truncated frame, −2 when the output has no room for it. Sets gEnd to the next frame.
 */
function frame(inp: usize, p: i32, winLen: i32, nc: i32, bps: i32, sr: i32, done: i32, doneTotal: i32, out: usize, chanCap: i32): i32 {
  const b2 = <i32>load<u8>(inp + p + 2);
  const b3 = <i32>load<u8>(inp + p + 3);
  const bsCode = b2 >> 4;
  const srCode = b2 & 15;
  const chCode = b3 >> 4;
  const ssCode = (b3 >> 1) & 7;
  if (b3 & 1) return -1;
  let q = inp + <usize>p + 4;
  const first = <i32>load<u8>(q++);
  if (first >= 0x80) {
    if (first == 0xff || (first & 0xc0) == 0x80) return -1;
    const extra = first == 0xfe ? 6 : first >= 0xfc ? 5 : first >= 0xf8 ? 4 : first >= 0xf0 ? 3 : first >= 0xe0 ? 2 : 1;
    for (let i = 0; i < extra; i++) if ((load<u8>(q++) >> 6) != 2) return -1;
  }
  let blockSize = blockSizeOf(bsCode);
  if (blockSize == 0) return -1;
  if (blockSize == -8) blockSize = <i32>load<u8>(q++) + 1;
  else if (blockSize == -16) {
    blockSize = ((<i32>load<u8>(q) << 8) | <i32>load<u8>(q + 1)) + 1;
    q += 2;
  }
  let fsr = sr;
  if (srCode >= 1 && srCode <= 11) fsr = sampleRateOf(srCode);
  else if (srCode == 12) fsr = <i32>load<u8>(q++) * 1000;
  else if (srCode == 13) {
    fsr = (<i32>load<u8>(q) << 8) | <i32>load<u8>(q + 1);
    q += 2;
  } else if (srCode == 14) {
    fsr = ((<i32>load<u8>(q) << 8) | <i32>load<u8>(q + 1)) * 10;
    q += 2;
  } else if (srCode == 15) return -1;
  let fbps = bps;
  if (ssCode != 0) {
    fbps = sampleSizeOf(ssCode);
    if (fbps == 0) return -1;
  }
  const hdrEnd = <i32>(q - inp);
  if (hdrEnd + 1 > winLen) return -1;
  let crc = 0;
  for (let a = inp + <usize>p; a < q; a++) crc = <i32>load<u8>(CRC8 + <usize>(crc ^ <i32>load<u8>(a)));
  if (crc != <i32>load<u8>(q)) return -1;
  const fnc = chCode < 8 ? chCode + 1 : chCode <= 10 ? 2 : 0;
  if (fnc == 0) return -1;
  if (fnc != nc || fbps != bps || fsr != sr) return -1;
  if (doneTotal + blockSize > FLAC_MAX_SAMPLES) return -1;
  if (done + blockSize > chanCap) return -2;
  seek(hdrEnd + 1);
  const stride = <usize>chanCap << 2;
  const x0 = out + (<usize>done << 2);
  for (let c = 0; c < nc; c++) {
    const extraBit = (chCode == 8 && c == 1) || (chCode == 9 && c == 0) || (chCode == 10 && c == 1) ? 1 : 0;
    if (!subframe(x0 + <usize>c * stride, blockSize, bps + extraBit)) return -1;
    if (over()) return -1;
  }
  const end = (bitPos() + 7) >> 3;
  if (end + 2 > winLen) return -1;
  const a = inp + <usize>end;
  if (crc16(inp + <usize>p, a) != ((<i32>load<u8>(a) << 8) | <i32>load<u8>(a + 1))) return -1;
  const e = <usize>blockSize << 2;
  if (chCode >= 8) {
    const xa = x0;
    const xb = x0 + stride;
    if (chCode == 8) {
      for (let o: usize = 0; o < e; o += 4) store<i32>(xb + o, load<i32>(xa + o) - load<i32>(xb + o));
    } else if (chCode == 9) {
      for (let o: usize = 0; o < e; o += 4) store<i32>(xa + o, load<i32>(xa + o) + load<i32>(xb + o));
    } else {
      for (let o: usize = 0; o < e; o += 4) {
        const s = load<i32>(xb + o);
        const m = (load<i32>(xa + o) << 1) + (s & 1);
        store<i32>(xa + o, (m + s) >> 1);
        store<i32>(xb + o, (m - s) >> 1);
      }
    }
  }
  // int32 → float32 in place, times 2^−(bps−1) (exact: a power of two)
  const scale = reinterpret<f32>((127 - (bps - 1)) << 23);
  const sv = f32x4.splat(scale);
  for (let c = 0; c < nc; c++) {
    const xc = x0 + <usize>c * stride;
    let o: usize = 0;
    for (; o + 16 <= e; o += 16) v128.store(xc + o, f32x4.mul(f32x4.convert_i32x4_s(v128.load(xc + o)), sv));
    for (; o < e; o += 4) store<f32>(xc + o, <f32>load<i32>(xc + o) * scale);
  }
  gEnd = end + 2;
  return blockSize;
}

/**
 * Copies window bytes [0, winLen + 16) (the last 16 + up to 15 more are zero) byte-reversed to end
 * at rev: byte j goes to rev − 1 − j.
 */
function reverseWindow(inp: usize, winLen: i32, rev: usize): void {
  const e = inp + <usize>winLen + 16;
  let d = rev - 16;
  for (let p = inp; p < e; p += 16, d -= 16) {
    const v = v128.load(p);
    v128.store(d, i8x16.shuffle(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
  }
}

/**
 * Decodes frames from the window start (a frame boundary). inp: window of winLen bytes followed by
 * 32 zero bytes; rev: end of a region of winLen + 32 bytes for the
 * reversed copy; remain: bytes from the window start to the end of the file; total: STREAMINFO's
 * sample count (0 unknown); doneBase: samples decoded before this window. Output channel c starts
 * at out + 4·c·chanCap. Returns END, MORE or ERROR; position() and produced() tell where it stopped.
 */
export function decodeFrames(inp: usize, winLen: i32, remain: i32, nc: i32, bps: i32, sr: i32, total: i32, doneBase: i32, out: usize, chanCap: i32, rev: usize): i32 {
  reverseWindow(inp, winLen, rev);
  RB = rev - 8;
  limitBits = winLen << 3;
  let p = 0;
  let done = 0;
  let st = END;
  for (;;) {
    if (p + 2 > remain) break;
    if (winLen < remain && p + 16 > winLen) {
      st = MORE;
      break;
    }
    const b0 = <i32>load<u8>(inp + p);
    const b1 = <i32>load<u8>(inp + p + 1);
    if (!(b0 == 0xff && (b1 & 0xfe) == 0xf8)) {
      if (total > 0 && doneBase + done >= total) break; // trailing tag / padding
      if (b0 == 0x54 && b1 == 0x41 && p + 128 >= remain) break; // ID3v1 'TAG' at the end
      st = ERROR;
      break;
    }
    const r = frame(inp, p, winLen, nc, bps, sr, done, doneBase + done, out, chanCap);
    if (r < 0) {
      st = r == -2 ? MORE : ERROR;
      break;
    }
    done += r;
    p = gEnd;
  }
  gPos = p;
  gDone = done;
  return st;
}
