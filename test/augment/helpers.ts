/**
 * Test helpers for the augmentation tests: a tiny 32-bit float WAV reader (mono or mixed down),
 * and the librosa 0.11 fixtures in ../shared/fixtures/librosa-0.11 (resolved from the repo root).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURE_DIR = fileURLToPath(new URL('../../../shared/fixtures/librosa-0.11/', import.meta.url));
export const haveFixtures = existsSync(FIXTURE_DIR);

/** Reads a RIFF/WAVE file of IEEE float 32-bit samples (format 3 or EXTENSIBLE float), skipping other chunks. */
export function readFloatWav(path: string): { y: Float32Array; sr: number } {
  const buf = readFileSync(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (o: number) => buf.toString('ascii', o, o + 4);
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${path}: not a RIFF/WAVE file`);
  let fmt: { format: number; channels: number; sr: number; bits: number } | undefined;
  let data: { start: number; size: number } | undefined;
  for (let off = 12; off + 8 <= buf.length; ) {
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (tag(off) === 'fmt ') {
      let format = dv.getUint16(body, true);
      if (format === 0xfffe && size >= 40) format = dv.getUint16(body + 24, true);
      fmt = { format, channels: dv.getUint16(body + 2, true), sr: dv.getUint32(body + 4, true), bits: dv.getUint16(body + 14, true) };
    } else if (tag(off) === 'data') data = { start: body, size: Math.min(size, buf.length - body) };
    off = body + size + (size & 1);
  }
  if (!fmt || !data) throw new Error(`${path}: missing fmt or data chunk`);
  if (fmt.format !== 3 || fmt.bits !== 32) throw new Error(`${path}: not a 32-bit float WAV`);
  const ch = fmt.channels;
  const n = Math.floor(data.size / (4 * ch));
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < ch; c++) s += dv.getFloat32(data.start + 4 * (i * ch + c), true);
    y[i] = ch === 1 ? s : s / ch;
  }
  return { y, sr: fmt.sr };
}

export interface StretchCase {
  name: string;
  rate: number;
  y: Float32Array;
  sr: number;
  /** librosa.effects.time_stretch(y, rate=rate) (n_fft 2048, hop 512). */
  want: Float64Array;
}

/** Every (fixture, rate) with a `time_stretch_RATE` waveform in its JSON. */
export function timeStretchCases(): StretchCase[] {
  if (!haveFixtures) return [];
  const out: StretchCase[] = [];
  for (const file of readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const json = JSON.parse(readFileSync(FIXTURE_DIR + file, 'utf8')) as {
      input: string;
      sr: number;
      features: Record<string, { shape?: number[]; data?: unknown; error?: string }>;
    };
    const keys = Object.keys(json.features).filter((k) => /^time_stretch_[0-9.]+$/.test(k));
    if (keys.length === 0) continue;
    const { y, sr } = readFloatWav(FIXTURE_DIR + json.input);
    if (sr !== json.sr) throw new Error(`${file}: WAV rate ${sr} != JSON sr ${json.sr}`);
    for (const k of keys) {
      const f = json.features[k];
      if (f.error !== undefined || !Array.isArray(f.data)) throw new Error(`${file}: ${k} has no waveform`);
      out.push({ name: file.slice(0, -5), rate: Number(k.slice('time_stretch_'.length)), y, sr, want: Float64Array.from(f.data as number[]) });
    }
  }
  return out;
}

/** Frequency from rising zero crossings (linearly interpolated) over [a, b). */
export function zeroCrossingFreq(y: Float32Array, sr: number, a: number, b: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = Math.max(1, a); i < b; i++) {
    if (y[i - 1] < 0 && y[i] >= 0) {
      const x = i - 1 + y[i - 1] / (y[i - 1] - y[i]);
      if (first < 0) first = x;
      else count++;
      last = x;
    }
  }
  return (count * sr) / (last - first);
}
