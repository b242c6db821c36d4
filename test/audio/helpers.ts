/** Test helpers for test/audio: hand-built WAV bytes (independent of src/audio/wav-write.ts), PRNG, paths. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/audio/', import.meta.url));
export const RAVDESS = SHARED + 'data/ravdess/';
export const RAVDESS_WAV = SHARED + 'data/ravdess-wav/Actor_01/';
export const LIBROSA = SHARED + 'fixtures/librosa-0.11/';
export const hasRavdess = existsSync(RAVDESS + 'Actor_01');
export const hasRavdessWav = existsSync(RAVDESS_WAV);

export interface Chunk {
  id: string;
  body: Uint8Array;
}

function u16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}
function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
export function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

/** A chunk: id, little-endian size, body, pad byte when the size is odd. */
export function chunk(id: string, body: ArrayLike<number>, sizeOverride?: number): number[] {
  const b = Array.from(body);
  return [...ascii(id), ...u32(sizeOverride ?? b.length), ...b, ...(b.length & 1 ? [0] : [])];
}

export interface FmtSpec {
  tag: number; // 1 PCM, 3 float, 0xfffe extensible
  channels: number;
  sr: number;
  bits: number; // container bits
  validBits?: number;
  subTag?: number; // for extensible
}

export function fmtBody(f: FmtSpec): number[] {
  const blockAlign = (f.channels * f.bits) / 8;
  const base = [...u16(f.tag), ...u16(f.channels), ...u32(f.sr), ...u32(f.sr * blockAlign), ...u16(blockAlign), ...u16(f.bits)];
  if (f.tag !== 0xfffe) return base;
  const guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  return [...base, ...u16(22), ...u16(f.validBits ?? f.bits), ...u32(f.channels === 2 ? 3 : 4), ...u16(f.subTag ?? 1), ...guidTail];
}

/** RIFF/WAVE bytes from chunks (the RIFF size is computed unless given). */
export function riff(chunks: number[][], riffSize?: number): Uint8Array {
  const body = chunks.flat();
  return new Uint8Array([...ascii('RIFF'), ...u32(riffSize ?? 4 + body.length), ...ascii('WAVE'), ...body]);
}

/** Interleaved little-endian sample bytes. kind: 'u8' | 'i16' | 'i24' | 'i32' | 'f32' | 'f64'. */
export function sampleBytes(kind: 'u8' | 'i16' | 'i24' | 'i32' | 'f32' | 'f64', values: number[]): number[] {
  const out: number[] = [];
  const dv = new DataView(new ArrayBuffer(8));
  for (const v of values) {
    switch (kind) {
      case 'u8':
        out.push(v & 0xff);
        break;
      case 'i16':
        out.push(...u16(v & 0xffff));
        break;
      case 'i24':
        out.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff);
        break;
      case 'i32':
        out.push(...u32(v >>> 0));
        break;
      case 'f32':
        dv.setFloat32(0, v, true);
        for (let i = 0; i < 4; i++) out.push(dv.getUint8(i));
        break;
      case 'f64':
        dv.setFloat64(0, v, true);
        for (let i = 0; i < 8; i++) out.push(dv.getUint8(i));
        break;
    }
  }
  return out;
}

/** Simple 16-bit mono/stereo WAV of given interleaved int16 values. */
export function wav16(values: number[], channels = 1, sr = 16000): Uint8Array {
  return riff([chunk('fmt ', fmtBody({ tag: 1, channels, sr, bits: 16 })), chunk('data', sampleBytes('i16', values))]);
}

/** Deterministic PRNG (mulberry32), values in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sine(n: number, sr: number, f: number, amp = 1, phase = 0): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = amp * Math.sin(2 * Math.PI * f * (i / sr) + phase);
  return y;
}
