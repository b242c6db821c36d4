/**
 * Data augmentation for speech emotion recognition: descriptors, canonical keys, the recipe's
 * default policy, and `applyAugmentation`. Browser-safe: typed arrays only.
 *
 * An augmentation is a plain JSON-serialisable descriptor (`Augmentation`), or its canonical
 * string key (`describeAugmentation`), which `parseAugmentation` turns back into the descriptor:
 *
 * | descriptor                                   | key                  |
 * |----------------------------------------------|----------------------|
 * | `{kind: 'none'}`                             | `none`               |
 * | `{kind: 'stretch', rate: 0.9}`               | `stretch:0.9`        |
 * | `{kind: 'pitch', steps: 2}`                  | `pitch:+2`           |
 * | `{kind: 'pitch', steps: -1, bins_per_octave: 24}` | `pitch:-1/24`   |
 * | `{kind: 'noise', snr_db: 20}`                | `noise:20dB`         |
 * | `{kind: 'noise', snr_db: 20, seed: 3}`       | `noise:20dB:seed=3`  |
 * | `{kind: 'gain', db: -6}`                     | `gain:-6dB`          |
 * | `{kind: 'shift', seconds: 0.1}`              | `shift:+0.1s:roll`   |
 * | `{kind: 'shift', seconds: -0.2, mode: 'pad'}`| `shift:-0.2s:pad`    |
 * | `{kind: 'chain', steps: [a, b]}`             | `KEY(a),KEY(b)`      |
 *
 * Numbers are written in JavaScript's shortest round-trip form, so equal descriptors give equal
 * keys (cache keys). Randomness (noise) comes from the `seed` given to `applyAugmentation`
 * unless the descriptor carries its own `seed`; the key names the seed only in that case.
 */
import { SerError } from '../errors.js';
import { Rng } from '../util/random.js';
import { addNoise, gain, timeShift } from './basic.js';
import { pitchShift, timeStretch } from './effects.js';
import { parseAugmentation, validateAugmentation, type Augmentation, type AugmentationStep } from './keys.js';

export { addNoise, gain, timeShift, type TimeShiftOptions } from './basic.js';
export { fixLength, pitchShift, timeStretch, type PitchShiftOptions, type StretchOptions } from './effects.js';
export {
  describeAugmentation,
  parseAugmentation,
  recipeAugmentations,
  validateAugmentation,
  type Augmentation,
  type AugmentationStep,
} from './keys.js';

function bad(message: string): never {
  throw new SerError('EPARAM', `augmentation: ${message}`);
}

function applyStep(y: Float32Array, sr: number, a: AugmentationStep, seed: number | string): Float32Array {
  switch (a.kind) {
    case 'none':
      return y.slice();
    case 'stretch':
      return timeStretch(y, a.rate);
    case 'pitch':
      return pitchShift(y, sr, a.steps, { bins_per_octave: a.bins_per_octave ?? 12 });
    case 'noise':
      return addNoise(y, a.snr_db, new Rng(a.seed ?? seed));
    case 'gain':
      return gain(y, a.db);
    case 'shift':
      return timeShift(y, { seconds: a.seconds, sr }, { mode: a.mode ?? 'roll' });
  }
}

/**
 * Applies `aug` (a descriptor or a key) to the mono signal y at sample rate sr and returns a new
 * array (y is not modified). Deterministic: the same (y, sr, aug, seed) gives bit-identical output.
 * Noise draws from `new Rng(seed)` (or the descriptor's own seed); in a chain, random step i > 0
 * uses the derived seed `${seed}/${i}` so two noise steps are independent.
 * Output length: len(y) for pitch/noise/gain/shift, round(len(y)/rate) for stretch.
 * Throws SerError for an invalid descriptor/key ('EPARAM'), sr ≤ 0 ('ERATE'), or NaN/Inf samples
 * ('ENONFINITE').
 */
export function applyAugmentation(y: Float32Array, sr: number, aug: Augmentation | string, seed: number = 0): Float32Array {
  if (!(Number.isFinite(sr) && sr > 0)) throw new SerError('ERATE', `augmentation: sample rate must be a positive number, got ${sr}`);
  if (!Number.isFinite(seed)) bad(`seed must be a finite number, got ${seed}`);
  const a = typeof aug === 'string' ? parseAugmentation(aug) : aug;
  validateAugmentation(a);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new SerError('ENONFINITE', `augmentation: input sample ${i} is ${y[i]} (NaN/Inf samples cannot be augmented)`);
  }
  if (a.kind !== 'chain') return applyStep(y, sr, a, seed);
  let out: Float32Array = y.slice();
  a.steps.forEach((s, i) => {
    out = applyStep(out, sr, s, i === 0 ? seed : `${seed}/${i}`);
  });
  return out;
}
