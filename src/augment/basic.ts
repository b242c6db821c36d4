/**
 * Sample-domain augmentations: additive white Gaussian noise at an exact SNR, gain in dB, and
 * time shift. Browser-safe: typed arrays only.
 */
import { check } from '../errors.js';
import { Rng } from '../util/random.js';

/**
 * Adds white Gaussian noise so that the signal-to-noise ratio is exactly `snrDb`:
 * 10·log10(Σy² / Σn²) = snrDb, where n is the noise actually added (the drawn noise is scaled by
 * its own measured power, not by its expected power). The only deviation is float32 rounding of
 * the output (≪ 0.01 dB).
 *
 * `rng` is a generator or a seed: the same seed gives bit-identical output.
 * An all-zero (or empty) y has no power to measure against: it is returned unchanged (a copy).
 * Input shape (n,); returns a new array of shape (n,).
 */
export function addNoise(y: Float32Array, snrDb: number, rng: Rng | number | string): Float32Array {
  check(typeof snrDb === 'number' && Number.isFinite(snrDb), `noise: SNR must be a finite number of dB, got ${snrDb}`);
  const r = rng instanceof Rng ? rng : new Rng(rng);
  const n = y.length;
  const out = new Float32Array(n);
  let py = 0;
  for (let i = 0; i < n; i++) py += y[i] * y[i];
  if (!(py > 0)) {
    out.set(y);
    return out;
  }
  const noise = new Float64Array(n);
  let pn = 0;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    noise[i] = v;
    pn += v * v;
  }
  const scale = Math.sqrt(py / (pn * Math.pow(10, snrDb / 10)));
  for (let i = 0; i < n; i++) out[i] = y[i] + scale * noise[i];
  return out;
}

/**
 * Multiplies y by 10^(db/20) (no clipping: samples may leave [−1, 1] for positive gains).
 * Input shape (n,); returns a new array of shape (n,).
 */
export function gain(y: Float32Array, db: number): Float32Array {
  check(typeof db === 'number' && Number.isFinite(db), `gain: dB must be a finite number, got ${db}`);
  const g = Math.pow(10, db / 20);
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i] * g;
  return out;
}

export interface TimeShiftOptions {
  /**
   * 'roll' (default): circular, samples pushed off one end re-enter at the other (np.roll).
   * 'pad': samples pushed off are dropped and the gap is filled with zeros.
   */
  mode?: 'roll' | 'pad';
}

/**
 * Shifts y in time by `shift` — a whole number of samples, or `{seconds, sr}` (rounded to the
 * nearest sample). Positive shifts delay the signal (content moves later: out[i] = y[i − s]),
 * negative shifts advance it. Input shape (n,); returns a new array of shape (n,).
 */
export function timeShift(y: Float32Array, shift: number | { seconds: number; sr: number }, options: TimeShiftOptions = {}): Float32Array {
  let s: number;
  if (typeof shift === 'number') {
    check(Number.isInteger(shift), `time shift: a shift in samples must be an integer, got ${shift}`);
    s = shift;
  } else {
    check(Number.isFinite(shift.seconds), `time shift: seconds must be a finite number, got ${shift.seconds}`);
    check(Number.isFinite(shift.sr) && shift.sr > 0, `time shift: sr must be a positive number, got ${shift.sr}`);
    s = Math.round(shift.seconds * shift.sr);
  }
  const mode = options.mode ?? 'roll';
  check(mode === 'roll' || mode === 'pad', `time shift: mode must be 'roll' or 'pad', got '${mode}'`);
  const n = y.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  if (mode === 'roll') {
    const k = ((s % n) + n) % n;
    out.set(y.subarray(n - k), 0);
    out.set(y.subarray(0, n - k), k);
  } else if (s >= 0) {
    if (s < n) out.set(y.subarray(0, n - s), s);
  } else if (-s < n) {
    out.set(y.subarray(-s), 0);
  }
  return out;
}
