/**
 * Test helpers for the augmentation tests: the librosa 0.11 fixtures in
 * ../shared/fixtures/librosa-0.11 (the reader and folder of test/features/fixtures.ts), the
 * time-stretch cases they hold, and signal measurements.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { FIXTURE_DIR, readFloatWav } from '../features/fixtures.js';

export { FIXTURE_DIR, readFloatWav };
export const haveFixtures = existsSync(FIXTURE_DIR);

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
