/** A small PNG reader for the tests: chunk walk with CRC check, IHDR, IDAT inflate and unfiltering. */
import { inflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  chunks: string[];
  /** Unfiltered pixel bytes, `height` rows of `width * channels` bytes (8-bit only). */
  pixels: Uint8Array;
  channels: number;
}

/** Decodes an 8-bit, non-interlaced PNG (greyscale, RGB, grey+alpha or RGBA). Throws on any defect. */
export function decodePng(buf: Uint8Array): DecodedPng {
  for (let i = 0; i < 8; i++) if (buf[i] !== PNG_SIGNATURE[i]) throw new Error('bad PNG signature');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 8;
  const chunks: string[] = [];
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, bitDepth = 0, colorType = 0, interlace = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new Error('truncated chunk');
    const len = dv.getUint32(off);
    const type = String.fromCharCode(...buf.subarray(off + 4, off + 8));
    if (off + 12 + len > buf.length) throw new Error(`chunk ${type} overruns the file`);
    const crc = dv.getUint32(off + 8 + len);
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== crc) throw new Error(`bad CRC in chunk ${type}`);
    const data = buf.subarray(off + 8, off + 8 + len);
    chunks.push(type);
    if (type === 'IHDR') {
      const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
      width = d.getUint32(0);
      height = d.getUint32(4);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
    if (type === 'IEND') break;
  }
  if (chunks[0] !== 'IHDR' || chunks[chunks.length - 1] !== 'IEND') throw new Error('IHDR must come first and IEND last');
  if (bitDepth !== 8 || interlace !== 0) throw new Error(`unsupported PNG: bit depth ${bitDepth}, interlace ${interlace}`);
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!channels) throw new Error(`unsupported colour type ${colorType}`);
  const total = idat.reduce((u, c) => u + c.length, 0);
  const z = new Uint8Array(total);
  let p = 0;
  for (const c of idat) (z.set(c, p), (p += c.length));
  const raw = inflateSync(z);
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`inflated ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = px.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v: number;
      switch (f) {
        case 0: v = 0; break;
        case 1: v = a; break;
        case 2: v = b; break;
        case 3: v = (a + b) >> 1; break;
        case 4: {
          const pp = a + b - c;
          const pa = Math.abs(pp - a), pb = Math.abs(pp - b), pc = Math.abs(pp - c);
          v = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`bad filter type ${f} in row ${y}`);
      }
      row[x] = (src[x] + v) & 0xff;
    }
  }
  return { width, height, bitDepth, colorType, chunks, pixels: px, channels };
}

/** Number of distinct pixel values and the share of pixels that are not white. */
export function pixelStats(png: DecodedPng): { distinct: number; nonWhite: number } {
  const seen = new Set<number>();
  let nonWhite = 0;
  const { pixels, channels } = png;
  const n = pixels.length / channels;
  for (let i = 0; i < n; i++) {
    let key = 0;
    let white = true;
    for (let c = 0; c < channels; c++) {
      const v = pixels[i * channels + c];
      key = key * 256 + v;
      if (v !== 255) white = false;
    }
    seen.add(key);
    if (!white) nonWhite++;
  }
  return { distinct: seen.size, nonWhite: nonWhite / n };
}
