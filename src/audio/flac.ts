/**
 * FLAC decoder written for this project (browser-safe: typed arrays only). decodeFlac runs the
 * WebAssembly frame decoder (asm/flac.ts via src/audio/flac-wasm.ts, ~4.5× faster) when it is
 * available and falls back to the JS decoder below (decodeFlacJs) otherwise — and for every stream
 * the wasm decoder does not accept, so all errors and their messages come from the JS decoder.
 * The JS decoder is kept plain (generic LPC loops) since it is the fallback.
 * Both give bit-identical samples.
 *
 * Implements the FLAC format (RFC 9639): STREAMINFO, frame headers with UTF-8-coded numbers,
 * CRC-8 (header) and CRC-16 (frame) checks, CONSTANT / VERBATIM / FIXED / LPC subframes, wasted
 * bits, Rice and Rice2 partitioned residuals with escape partitions, independent / left-side /
 * side-right / mid-side channel decorrelation, 4–24 bits per sample (32-bit FLAC is refused
 * with 'ECODEC'). A frame whose CRC does not
 * match is reported as corrupt (SerError 'EFORMAT') rather than silently skipped. The MD5
 * signature in STREAMINFO is not verified (the CRC-16 of every frame is).
 *
 * Every read is bounded by the remaining byte count, so corrupt input ends in a SerError, never
 * a hang or an out-of-range read.
 */
import { SerError } from '../errors.js';
import { decodeFlacWasm, growChannels } from './flac-wasm.js';

export interface FlacInfo {
  sr: number;
  channels: number;
  bitsPerSample: number;
  /** Total samples per channel from STREAMINFO (0 = unknown). */
  totalSamples: number;
  minBlockSize: number;
  maxBlockSize: number;
  /** Byte offset of the first frame. */
  framesOffset: number;
}

/** Upper bound on decoded samples per channel (memory guard, ~1.5 h at 48 kHz). */
export const FLAC_MAX_SAMPLES = 1 << 28;

export function isFlac(b: Uint8Array, off = 0): boolean {
  return b.length >= off + 4 && b[off] === 0x66 && b[off + 1] === 0x4c && b[off + 2] === 0x61 && b[off + 3] === 0x43;
}

/** Reads the metadata blocks (STREAMINFO) starting at `off` (the 'fLaC' marker). */
export function parseFlacHeader(b: Uint8Array, file: string, off = 0): FlacInfo {
  if (!isFlac(b, off)) throw new SerError('EFORMAT', 'not a FLAC stream', { file });
  let p = off + 4;
  let info: FlacInfo | null = null;
  for (;;) {
    if (p + 4 > b.length) throw new SerError('ETRUNC', 'truncated FLAC metadata', { file });
    const last = (b[p] & 0x80) !== 0;
    const type = b[p] & 0x7f;
    const len = (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
    p += 4;
    if (p + len > b.length) throw new SerError('ETRUNC', `truncated FLAC metadata block (type ${type})`, { file });
    if (type === 0) {
      if (len < 34) throw new SerError('EFORMAT', 'FLAC STREAMINFO block too short', { file });
      const minBlockSize = (b[p] << 8) | b[p + 1];
      const maxBlockSize = (b[p + 2] << 8) | b[p + 3];
      const sr = (b[p + 10] << 12) | (b[p + 11] << 4) | (b[p + 12] >> 4);
      const channels = ((b[p + 12] >> 1) & 7) + 1;
      const bitsPerSample = (((b[p + 12] & 1) << 4) | (b[p + 13] >> 4)) + 1;
      const totalSamples = (b[p + 13] & 0x0f) * 2 ** 32 + ((b[p + 14] << 24) >>> 0) + ((b[p + 15] << 16) | (b[p + 16] << 8) | b[p + 17]);
      info = { sr, channels, bitsPerSample, totalSamples, minBlockSize, maxBlockSize, framesOffset: 0 };
    } else if (type === 127) {
      throw new SerError('EFORMAT', 'invalid FLAC metadata block type 127', { file });
    }
    p += len;
    if (last) break;
  }
  if (!info) throw new SerError('EFORMAT', 'FLAC stream has no STREAMINFO block', { file });
  if (info.bitsPerSample < 4) throw new SerError('EFORMAT', `FLAC bits per sample ${info.bitsPerSample} is invalid`, { file });
  if (info.bitsPerSample > 24) throw new SerError('ECODEC', `${info.bitsPerSample}-bit FLAC is not supported (4–24 bits are)`, { file });
  info.framesOffset = p;
  return info;
}

const CRC8 = new Uint8Array(256);
const CRC16 = new Uint16Array(256);
/** CRC16_2[a] = the CRC-16 register after byte a then a zero byte (for two bytes per step). */
const CRC16_2 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  CRC8[i] = c;
  let d = i << 8;
  for (let k = 0; k < 8; k++) d = d & 0x8000 ? ((d << 1) ^ 0x8005) & 0xffff : (d << 1) & 0xffff;
  CRC16[i] = d;
}
for (let i = 0; i < 256; i++) CRC16_2[i] = ((CRC16[i] << 8) & 0xffff) ^ CRC16[CRC16[i] >>> 8];

/**
 * CRC-16 (polynomial 0x8005, MSB first, initial 0) of buf[start, end). Two bytes per step: the
 * register is linear, so after bytes b0, b1 it is CRC16_2[(crc >> 8) ^ b0] ^ CRC16[(crc & 0xff) ^ b1].
 */
function crc16(buf: Uint8Array, start: number, end: number): number {
  let crc = 0;
  let i = start;
  for (; i + 1 < end; i += 2) crc = CRC16_2[(crc >>> 8) ^ buf[i]] ^ CRC16[(crc & 0xff) ^ buf[i + 1]];
  if (i < end) crc = ((crc << 8) & 0xffff) ^ CRC16[(crc >>> 8) ^ buf[i]];
  return crc;
}

class Corrupt extends Error {}

/**
 * Bit reader over `buf` (which has at least 8 zero bytes of slack past `endBit / 8`); `check()`
 * throws once the position passes `endBit`.
 */
class Bits {
  pos = 0;
  /** Big-endian 32-bit reads of buf. */
  readonly dv: DataView;
  constructor(
    readonly buf: Uint8Array,
    public endBit: number,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  check(): void {
    if (this.pos > this.endBit) throw new Corrupt('frame runs past the end of the file');
  }
  /** Unsigned read of n ≤ 32 bits. */
  u(n: number): number {
    if (n === 0) return 0;
    if (n > 24) {
      const hi = this.u(n - 16);
      return hi * 65536 + this.u(16);
    }
    const p = this.pos;
    const w = this.dv.getUint32(p >>> 3) << (p & 7);
    this.pos = p + n;
    if (this.pos > this.endBit) throw new Corrupt('frame runs past the end of the file');
    return w >>> (32 - n);
  }
  /** Signed (two's complement) read of n ≤ 32 bits. */
  s(n: number): number {
    if (n === 0) return 0;
    const v = this.u(n);
    return v >= 2 ** (n - 1) ? v - 2 ** n : v;
  }
  /** Number of 0 bits before the next 1 bit (consumes the 1). */
  unary(): number {
    const b = this.buf;
    let p = this.pos;
    let q = 0;
    for (;;) {
      const cur = (b[p >>> 3] << (p & 7)) & 0xff;
      if (cur === 0) {
        const adv = 8 - (p & 7);
        q += adv;
        p += adv;
        if (p > this.endBit) throw new Corrupt('frame runs past the end of the file');
      } else {
        const lz = Math.clz32(cur) - 24;
        q += lz;
        this.pos = p + lz + 1;
        if (this.pos > this.endBit) throw new Corrupt('frame runs past the end of the file');
        return q;
      }
    }
  }
}

const BLOCK_SIZES = [0, 192, 576, 1152, 2304, 4608, -8, -16, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
const SAMPLE_RATES = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];
const SAMPLE_SIZES = [0, 8, 12, 0, 16, 20, 24, 32];

/** Reused copy buffer for files up to 16 MB (saves an allocation and its page faults per file). */
let scratch: Uint8Array | null = null;
const SCRATCH_MAX = 16 << 20;

function slackCopy(bytes: Uint8Array): Uint8Array {
  const need = bytes.length + 8;
  if (need > SCRATCH_MAX) {
    const b = new Uint8Array(need);
    b.set(bytes);
    return b;
  }
  if (!scratch || scratch.length < need) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(need, 2 * (scratch?.length ?? 0))));
  const b = scratch.subarray(0, need);
  b.set(bytes);
  b.fill(0, bytes.length);
  return b;
}

const frameScratch: Int32Array[] = [];

/** Initial output length per channel: the declared length, but never more than the file could plausibly hold. */
function initialCapacity(info: FlacInfo, n: number): number {
  const cap = info.totalSamples > 0 ? info.totalSamples : 1 << 16;
  return Math.min(cap, Math.max(1 << 16, n * 64));
}

/**
 * Decodes a whole FLAC file (optionally starting at `off`, e.g. after an ID3 tag) into float32
 * channels (each of shape (n_samples,), scaled by 2^-(bitsPerSample-1)). Uses the WebAssembly
 * decoder (src/audio/flac-wasm.ts) when it is available and accepts the stream, else the JS
 * decoder (decodeFlacJs); both give bit-identical samples, and every error comes from the JS
 * decoder. With `scratch`, the channels may be views of the WebAssembly decoder's memory, valid
 * until the next decode (see decodeFlacWasm).
 */
export function decodeFlac(bytes: Uint8Array, file: string, off = 0, scratch = false): { channels: Float32Array[]; sr: number; info: FlacInfo } {
  if (Object.getPrototypeOf(bytes) !== Uint8Array.prototype) bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const info = parseFlacHeader(bytes, file, off);
  if (info.totalSamples <= FLAC_MAX_SAMPLES) {
    const channels = decodeFlacWasm(bytes, info, initialCapacity(info, bytes.length), scratch);
    if (channels) return { channels, sr: info.sr, info };
  }
  return decodeFlacJs(bytes, file, off);
}

/** The JS FLAC decoder alone (the fallback of decodeFlac; same result and errors). */
export function decodeFlacJs(bytes: Uint8Array, file: string, off = 0): { channels: Float32Array[]; sr: number; info: FlacInfo } {
  // A plain Uint8Array view (Node passes Buffers): keeps every byte access in here monomorphic.
  if (Object.getPrototypeOf(bytes) !== Uint8Array.prototype) bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const info = parseFlacHeader(bytes, file, off);
  const { channels: nc, bitsPerSample: bps } = info;
  // A copy with 8 zero bytes of slack, so the 32-bit window reads never go out of range.
  const buf = slackCopy(bytes);
  const n = bytes.length;
  const bits = new Bits(buf, n * 8);
  if (info.totalSamples > FLAC_MAX_SAMPLES) throw new SerError('EFORMAT', `FLAC declares ${info.totalSamples} samples, more than the supported ${FLAC_MAX_SAMPLES}`, { file });
  let cap = initialCapacity(info, n);
  // Integer work buffers for one frame; each decoded frame is scaled straight into the float output.
  let out: Float32Array[] = [];
  for (let c = 0; c < nc; c++) out.push(new Float32Array(cap));
  // Per-channel integer work buffers for one frame (≤ 65536 samples), reused across calls.
  while (frameScratch.length < nc) frameScratch.push(new Int32Array(65536));
  const frameBuf = frameScratch;
  const scale = 1 / 2 ** (bps - 1);
  let done = 0;
  let p = info.framesOffset;
  try {
    while (p + 2 <= n) {
      if (!(bytes[p] === 0xff && (bytes[p + 1] & 0xfe) === 0xf8)) {
        if (info.totalSamples > 0 && done >= info.totalSamples) break; // trailing tag / padding
        if (bytes[p] === 0x54 && bytes[p + 1] === 0x41 && p + 128 >= n) break; // ID3v1 'TAG' at the end
        throw new Corrupt(`lost frame sync at byte ${p}`);
      }
      const start = p;
      bits.pos = p * 8;
      bits.endBit = n * 8;
      bits.u(16);
      const bsCode = bits.u(4);
      const srCode = bits.u(4);
      const chCode = bits.u(4);
      const ssCode = bits.u(3);
      if (bits.u(1) !== 0) throw new Corrupt('reserved bit set in frame header');
      // UTF-8-like coded frame/sample number.
      const first = bits.u(8);
      let extra = 0;
      if (first >= 0x80) {
        // 0xFE starts the 7-byte form used for 36-bit sample numbers (variable block size).
        if (first === 0xff || (first & 0xc0) === 0x80) throw new Corrupt('bad coded frame number');
        extra = first === 0xfe ? 6 : first >= 0xfc ? 5 : first >= 0xf8 ? 4 : first >= 0xf0 ? 3 : first >= 0xe0 ? 2 : 1;
        for (let i = 0; i < extra; i++) {
          if (bits.u(2) !== 2) throw new Corrupt('bad coded frame number');
          bits.u(6);
        }
      }
      let blockSize = BLOCK_SIZES[bsCode];
      if (blockSize === 0) throw new Corrupt('reserved block size');
      if (blockSize === -8) blockSize = bits.u(8) + 1;
      else if (blockSize === -16) blockSize = bits.u(16) + 1;
      let sr = info.sr;
      if (srCode >= 1 && srCode <= 11) sr = SAMPLE_RATES[srCode];
      else if (srCode === 12) sr = bits.u(8) * 1000;
      else if (srCode === 13) sr = bits.u(16);
      else if (srCode === 14) sr = bits.u(16) * 10;
      else if (srCode === 15) throw new Corrupt('invalid sample rate code');
      let fbps = bps;
      if (ssCode !== 0) {
        fbps = SAMPLE_SIZES[ssCode];
        if (fbps === 0) throw new Corrupt('reserved sample size');
      }
      const hdrEnd = bits.pos >>> 3;
      let crc = 0;
      for (let i = start; i < hdrEnd; i++) crc = CRC8[crc ^ buf[i]];
      if (crc !== buf[hdrEnd]) throw new Corrupt(`frame header CRC mismatch at byte ${start}`);
      bits.pos += 8;
      const fnc = chCode < 8 ? chCode + 1 : chCode <= 10 ? 2 : 0;
      if (fnc === 0) throw new Corrupt('reserved channel assignment');
      if (fnc !== nc || fbps !== bps || sr !== info.sr) throw new Corrupt('frame parameters differ from STREAMINFO (not supported)');
      if (done + blockSize > FLAC_MAX_SAMPLES) throw new Corrupt('stream too long');
      if (done + blockSize > cap) {
        out = growChannels(out, done, done + blockSize);
        cap = out[0].length;
      }
      const work = frameBuf;
      for (let c = 0; c < nc; c++) {
        // Side channel carries one extra bit.
        const extraBit = (chCode === 8 && c === 1) || (chCode === 9 && c === 0) || (chCode === 10 && c === 1) ? 1 : 0;
        decodeSubframe(bits, work[c], blockSize, bps + extraBit);
      }
      // Byte-align, then CRC-16 over the whole frame.
      bits.pos = (bits.pos + 7) & ~7;
      const end = bits.pos >>> 3;
      if (end + 2 > n) throw new Corrupt('truncated frame');
      if (crc16(buf, start, end) !== ((buf[end] << 8) | buf[end + 1])) throw new Corrupt(`frame CRC mismatch at byte ${start}`);
      p = end + 2;
      // Decorrelate stereo (FLAC spec §9.2).
      if (chCode >= 8) {
        const a = work[0];
        const b = work[1];
        if (chCode === 8) for (let i = 0; i < blockSize; i++) b[i] = a[i] - b[i];
        else if (chCode === 9) for (let i = 0; i < blockSize; i++) a[i] += b[i];
        else {
          for (let i = 0; i < blockSize; i++) {
            const s = b[i];
            const m = a[i] * 2 + (s & 1);
            a[i] = (m + s) >> 1;
            b[i] = (m - s) >> 1;
          }
        }
      }
      for (let c = 0; c < nc; c++) {
        const w = work[c];
        const o = out[c];
        for (let i = 0; i < blockSize; i++) o[done + i] = w[i] * scale;
      }
      done += blockSize;
    }
  } catch (e) {
    if (e instanceof Corrupt) throw new SerError(e.message.includes('past the end') || e.message === 'truncated frame' ? 'ETRUNC' : 'EFORMAT', `corrupt FLAC: ${e.message}`, { file });
    throw e;
  }
  if (info.totalSamples > 0 && done < info.totalSamples) {
    throw new SerError('ETRUNC', `truncated FLAC: STREAMINFO declares ${info.totalSamples} samples, found ${done}`, { file });
  }
  const total = info.totalSamples > 0 ? Math.min(done, info.totalSamples) : done;
  const channels = out.map((o) => (o.length === total ? o : o.slice(0, total)));
  return { channels, sr: info.sr, info };
}

function decodeSubframe(br: Bits, out: Int32Array, blockSize: number, sbps: number): void {
  if (br.u(1) !== 0) throw new Corrupt('subframe padding bit set');
  const type = br.u(6);
  let wasted = 0;
  if (br.u(1) === 1) {
    wasted = br.unary() + 1;
    if (wasted >= sbps) throw new Corrupt('wasted bits exceed sample size');
  }
  const w = sbps - wasted;
  if (type === 0) {
    const v = br.s(w);
    out.fill(v, 0, blockSize);
  } else if (type === 1) {
    for (let i = 0; i < blockSize; i++) out[i] = br.s(w);
  } else if (type >= 8 && type <= 12) {
    const order = type - 8;
    if (order > blockSize) throw new Corrupt('predictor order exceeds block size');
    for (let i = 0; i < order; i++) out[i] = br.s(w);
    residual(br, out, blockSize, order);
    restoreFixed(out, blockSize, order);
  } else if (type >= 32) {
    const order = type - 31;
    if (order > blockSize) throw new Corrupt('predictor order exceeds block size');
    for (let i = 0; i < order; i++) out[i] = br.s(w);
    const precision = br.u(4) + 1;
    if (precision === 16) throw new Corrupt('invalid LPC coefficient precision');
    const shift = br.s(5);
    if (shift < 0) throw new Corrupt('negative LPC shift');
    const coefs = new Int32Array(order);
    for (let i = 0; i < order; i++) coefs[i] = br.s(precision);
    residual(br, out, blockSize, order);
    lpcRestore(out, blockSize, coefs, shift, sbps);
  } else {
    throw new Corrupt(`reserved subframe type ${type}`);
  }
  if (wasted > 0) for (let i = 0; i < blockSize; i++) out[i] *= 2 ** wasted;
}

function residual(br: Bits, out: Int32Array, blockSize: number, order: number): void {
  const method = br.u(2);
  if (method > 1) throw new Corrupt('reserved residual coding method');
  const pbits = method === 0 ? 4 : 5;
  const escape = method === 0 ? 15 : 31;
  const porder = br.u(4);
  const parts = 1 << porder;
  const psize = blockSize >>> porder;
  if (psize * parts !== blockSize || psize < order) throw new Corrupt('bad residual partition order');
  const buf = br.buf;
  const dv = br.dv;
  let i = order;
  for (let pt = 0; pt < parts; pt++) {
    const k = br.u(pbits);
    const end = (pt + 1) * psize;
    if (k === escape) {
      const nb = br.u(5);
      for (; i < end; i++) out[i] = br.s(nb);
      continue;
    }
    // Inline Rice decoding. Fast path: one 32-bit window holds the unary quotient, its stop bit
    // and the k low bits — and, when they fit too, those of the next sample; long quotients fall
    // back to a byte-wise scan.
    let p = br.pos;
    const endBit = br.endBit;
    const k1 = k + 1;
    const kr = 32 - k; // k = 0: x >>> 32 is x >>> 0 in JS, hence the masks below
    const kmask = k === 0 ? 0 : -1;
    for (; i < end; i++) {
      const j = p >>> 3;
      const sh = p & 7;
      const win = (dv.getUint32(j) << sh) | (buf[j + 4] >>> (8 - sh));
      const lz = Math.clz32(win);
      const len = lz + k1;
      if (win !== 0 && len <= 32) {
        const v = (lz << k) | (((win << (lz + 1)) >>> kr) & kmask);
        out[i] = (v >>> 1) ^ -(v & 1); // zig-zag: even → +v/2, odd → −(v+1)/2
        p += len;
        // A second sample from the bits left in the window (32 − len of them).
        const w2 = win << len;
        const lz2 = Math.clz32(w2);
        const len2 = lz2 + k1;
        if (len < 32 && w2 !== 0 && len + len2 <= 32 && i + 1 < end) {
          const v2 = (lz2 << k) | (((w2 << (lz2 + 1)) >>> kr) & kmask);
          out[++i] = (v2 >>> 1) ^ -(v2 & 1);
          p += len2;
        }
        if (p > endBit) throw new Corrupt('frame runs past the end of the file');
        continue;
      }
      let q = 0;
      for (;;) {
        const cur = (buf[p >>> 3] << (p & 7)) & 0xff;
        if (cur !== 0) {
          const z = Math.clz32(cur) - 24;
          q += z;
          p += z + 1;
          break;
        }
        const adv = 8 - (p & 7);
        q += adv;
        p += adv;
        if (p > endBit) throw new Corrupt('frame runs past the end of the file');
      }
      let v: number;
      if (k > 0) {
        br.pos = p;
        v = q * 2 ** k + br.u(k);
        p += k;
      } else v = q;
      if (p > endBit) throw new Corrupt('frame runs past the end of the file');
      out[i] = v <= 0x7fffffff ? (v >>> 1) ^ -(v & 1) : v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    }
    br.pos = p;
  }
}

function restoreFixed(x: Int32Array, n: number, order: number): void {
  // The last `order` samples are held in local variables (no store-to-load chain through x).
  switch (order) {
    case 0:
      return;
    case 1: {
      let a = x[0];
      for (let i = 1; i < n; i++) x[i] = a = (x[i] + a) | 0;
      return;
    }
    case 2: {
      let a = x[1];
      let b = x[0];
      for (let i = 2; i < n; i++) {
        const v = (x[i] + 2 * a - b) | 0;
        x[i] = v;
        b = a;
        a = v;
      }
      return;
    }
    case 3: {
      let a = x[2];
      let b = x[1];
      let c = x[0];
      for (let i = 3; i < n; i++) {
        const v = (x[i] + 3 * a - 3 * b + c) | 0;
        x[i] = v;
        c = b;
        b = a;
        a = v;
      }
      return;
    }
    case 4: {
      let a = x[3];
      let b = x[2];
      let c = x[1];
      let d = x[0];
      for (let i = 4; i < n; i++) {
        const v = (x[i] + 4 * a - 6 * b + 4 * c - d) | 0;
        x[i] = v;
        d = c;
        c = b;
        b = a;
        a = v;
      }
      return;
    }
  }
}

/**
 * FLAC LPC synthesis in place: x[i] += (Σ_j coefs[j] · x[i − 1 − j]) >> shift for i ≥ order, with
 * the first `order` samples as warm-up (the spec's arithmetic, exact for samples of `sbps` ≤ 25
 * bits). Uses int32 arithmetic when Σ|coef| · 2^(sbps−1) < 2^31 (every RAVDESS subframe: 12-bit
 * coefficients), else exact float64 sums. Exported for tests.
 */
export function lpcRestore(x: Int32Array, n: number, coefs: Int32Array, shift: number, sbps: number): void {
  let sumAbs = 0;
  for (let j = 0; j < coefs.length; j++) sumAbs += Math.abs(coefs[j]);
  if (sumAbs * 2 ** (sbps - 1) < 2 ** 31) restoreLpcInt(x, n, coefs, shift);
  else restoreLpc(x, n, coefs, shift);
}

/**
 * LPC restore in int32 arithmetic, for subframes where Σ|coef| · 2^(sbps−1) < 2^31: then no partial
 * sum of a valid stream can leave the int32 range, and `>> shift` is the spec's arithmetic shift.
 * (The JS decoder is the fallback of the WebAssembly one, src/audio/flac-wasm.ts: plain loops.)
 */
function restoreLpcInt(x: Int32Array, n: number, c: Int32Array, shift: number): void {
  const order = c.length;
  for (let i = order; i < n; i++) {
    let s = 0;
    for (let j = 0; j < order; j++) s += Math.imul(c[j], x[i - 1 - j]);
    x[i] += s >> shift;
  }
}

/**
 * LPC restore in exact float64 sums, for the subframes restoreLpcInt cannot take. Exact in doubles
 * for ≤ 24-bit audio: every c·x is an integer below 2^53 (|coef| < 2^15, |x| < 2^25, order ≤ 32), and
 * scaling the coefficients by 2^-shift is exact, so Math.floor(Σ (c·2^-shift)·x) equals the spec's
 * (Σ c·x) >> shift in any summation order.
 */
function restoreLpc(x: Int32Array, n: number, c: Int32Array, shift: number): void {
  const order = c.length;
  const inv = 2 ** -shift;
  const cs = new Float64Array(order);
  for (let j = 0; j < order; j++) cs[j] = c[j] * inv;
  for (let i = order; i < n; i++) {
    let s = 0;
    for (let j = order - 1; j >= 0; j--) s += cs[j] * x[i - 1 - j];
    x[i] += Math.floor(s);
  }
}
