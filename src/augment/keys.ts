/**
 * Augmentation descriptors and their canonical string keys (see src/augment/index.ts for the
 * table). No DSP here: cheap to import (the CLI parses options with it at start-up).
 */
import { SerError } from '../errors.js';

export type AugmentationStep =
  | { kind: 'none' }
  /** Time stretch by `rate` (> 1 faster/shorter, < 1 slower/longer), pitch kept. */
  | { kind: 'stretch'; rate: number }
  /** Pitch shift by `steps` (semitones when bins_per_octave = 12, the default), duration kept. */
  | { kind: 'pitch'; steps: number; bins_per_octave?: number }
  /** Additive white Gaussian noise at exactly `snr_db` dB SNR. */
  | { kind: 'noise'; snr_db: number; seed?: number }
  /** Gain in dB. */
  | { kind: 'gain'; db: number }
  /** Time shift by `seconds` (positive = later), circular ('roll', default) or zero-filled ('pad'). */
  | { kind: 'shift'; seconds: number; mode?: 'roll' | 'pad' };

/** One step, or a chain of steps applied in order. */
export type Augmentation = AugmentationStep | { kind: 'chain'; steps: AugmentationStep[] };

/**
 * The recipe's default policy: one copy per entry, each applied to the original clip —
 * time-stretch by 0.8 (25 % longer, the classic SER recipe's rate), pitch shift up two
 * semitones, and white noise at 20 dB SNR.
 */
export const recipeAugmentations: readonly Augmentation[] = Object.freeze([
  Object.freeze({ kind: 'stretch', rate: 0.8 }) as Augmentation,
  Object.freeze({ kind: 'pitch', steps: 2 }) as Augmentation,
  Object.freeze({ kind: 'noise', snr_db: 20 }) as Augmentation,
]);

/**
 * Bounds on descriptors (not on timeStretch itself): a stretch rate within [1/64, 64] and a pitch
 * shift within ±6 octaves (its internal stretch rate stays within those bounds), so that no
 * descriptor can ask for a copy more than 64 times longer than its source.
 */
export const MIN_RATE = 1 / 64;
export const MAX_RATE = 64;

function bad(message: string): never {
  throw new SerError('EPARAM', `augmentation: ${message}`);
}

function finite(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) bad(`${what} must be a finite number, got ${String(x)}`);
  return x;
}

/** Throws SerError('EPARAM') naming the problem unless `aug` is a valid descriptor. */
export function validateAugmentation(aug: Augmentation): void {
  if (aug === null || typeof aug !== 'object') bad(`expected a descriptor object, got ${String(aug)}`);
  switch (aug.kind) {
    case 'none':
      return;
    case 'stretch':
      if (!(finite(aug.rate, 'stretch rate') > 0)) bad(`stretch rate must be > 0, got ${aug.rate}`);
      if (aug.rate < MIN_RATE || aug.rate > MAX_RATE) bad(`stretch rate must be within [1/64, 64], got ${aug.rate}`);
      return;
    case 'pitch': {
      finite(aug.steps, 'pitch steps');
      const b = aug.bins_per_octave ?? 12;
      if (!Number.isInteger(b) || b <= 0) bad(`bins_per_octave must be a positive integer, got ${b}`);
      if (Math.abs(aug.steps) > 6 * b) bad(`pitch shift must be within ±6 octaves (±${6 * b} steps), got ${aug.steps}`);
      return;
    }
    case 'noise':
      finite(aug.snr_db, 'noise SNR (dB)');
      if (aug.seed !== undefined && !Number.isInteger(aug.seed)) bad(`noise seed must be an integer, got ${aug.seed}`);
      return;
    case 'gain':
      finite(aug.db, 'gain (dB)');
      return;
    case 'shift':
      finite(aug.seconds, 'shift (seconds)');
      if (aug.mode !== undefined && aug.mode !== 'roll' && aug.mode !== 'pad') bad(`shift mode must be 'roll' or 'pad', got '${aug.mode}'`);
      return;
    case 'chain':
      if (!Array.isArray(aug.steps)) bad('chain steps must be an array');
      for (const s of aug.steps) {
        if ((s as Augmentation).kind === 'chain') bad('chains cannot be nested');
        validateAugmentation(s);
      }
      return;
    default:
      bad(`unknown kind '${(aug as { kind?: unknown }).kind}'`);
  }
}

const num = (x: number): string => String(x === 0 ? 0 : x); // -0 → '0'
const signed = (x: number): string => (x >= 0 ? '+' : '') + num(x);

/**
 * The canonical key of an augmentation (see the table above), e.g. 'stretch:0.9', 'pitch:+2',
 * 'noise:20dB:seed=3', 'stretch:0.9,noise:20dB'. A string is taken as a key: it is parsed and
 * re-described (so equivalent spellings give the same key). Invalid descriptors throw SerError.
 */
export function describeAugmentation(aug: Augmentation | string): string {
  const a = typeof aug === 'string' ? parseAugmentation(aug) : aug;
  validateAugmentation(a);
  switch (a.kind) {
    case 'none':
      return 'none';
    case 'stretch':
      return `stretch:${num(a.rate)}`;
    case 'pitch':
      return `pitch:${signed(a.steps)}${(a.bins_per_octave ?? 12) !== 12 ? `/${a.bins_per_octave}` : ''}`;
    case 'noise':
      return `noise:${num(a.snr_db)}dB${a.seed !== undefined ? `:seed=${a.seed}` : ''}`;
    case 'gain':
      return `gain:${signed(a.db)}dB`;
    case 'shift':
      return `shift:${signed(a.seconds)}s:${a.mode ?? 'roll'}`;
    case 'chain':
      return a.steps.length === 0 ? 'none' : a.steps.map((s) => describeAugmentation(s)).join(',');
  }
}

const NUM = '([+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[+-]?\\d+)?)';

function parseStep(key: string): AugmentationStep {
  const k = key.trim();
  let m: RegExpExecArray | null;
  if (k === 'none') return { kind: 'none' };
  if ((m = new RegExp(`^stretch:${NUM}$`, 'i').exec(k))) return { kind: 'stretch', rate: Number(m[1]) };
  if ((m = new RegExp(`^pitch:${NUM}(?:/(\\d+))?$`, 'i').exec(k))) {
    const step: AugmentationStep = { kind: 'pitch', steps: Number(m[1]) };
    if (m[2] !== undefined && Number(m[2]) !== 12) step.bins_per_octave = Number(m[2]);
    return step;
  }
  if ((m = new RegExp(`^noise:${NUM}(?:db)?(?::seed=([+-]?\\d+))?$`, 'i').exec(k))) {
    const step: AugmentationStep = { kind: 'noise', snr_db: Number(m[1]) };
    if (m[2] !== undefined) step.seed = Number(m[2]);
    return step;
  }
  if ((m = new RegExp(`^gain:${NUM}(?:db)?$`, 'i').exec(k))) return { kind: 'gain', db: Number(m[1]) };
  if ((m = new RegExp(`^shift:${NUM}s?(?::(roll|pad))?$`, 'i').exec(k))) {
    const step: AugmentationStep = { kind: 'shift', seconds: Number(m[1]) };
    if (m[2] !== undefined) step.mode = m[2].toLowerCase() as 'roll' | 'pad';
    return step;
  }
  return bad(`cannot parse '${key}' (expected e.g. stretch:0.9, pitch:+2, noise:20dB, gain:-6dB, shift:0.1s:roll)`);
}

/** Parses a key made by describeAugmentation (steps separated by ','). Throws SerError on bad keys. */
export function parseAugmentation(key: string): Augmentation {
  if (typeof key !== 'string') bad(`expected a key string, got ${String(key)}`);
  const parts = key.split(',');
  const steps = parts.map(parseStep);
  const aug: Augmentation = steps.length === 1 ? steps[0] : { kind: 'chain', steps };
  validateAugmentation(aug);
  return aug;
}
