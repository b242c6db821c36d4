/**
 * `ser augment IN --out OUT.wav [--stretch R] [--pitch N] [--noise-snr DB] [--gain DB]
 *  [--shift S] [--seed S] | --aug KEY`
 *
 * Augments one audio file at its native sample rate and writes the result as a 32-bit float WAV
 * (atomically: temp file + rename). Several operations may be given; they are applied in this
 * fixed order, whatever the order on the command line:
 *   stretch → pitch → gain → shift → noise
 * (noise last, so the SNR is measured against the final signal). `--aug` takes a canonical key
 * instead (e.g. 'stretch:0.9,noise:20dB'), applied in the key's own order.
 */
import type { Command } from 'commander';
import { SerError } from '../../errors.js';
import { parseAugmentation, validateAugmentation, type Augmentation, type AugmentationStep } from '../../augment/keys.js';

interface AugmentCliOptions {
  out?: string;
  stretch?: string;
  pitch?: string;
  binsPerOctave?: string;
  noiseSnr?: string;
  gain?: string;
  shift?: string;
  shiftMode?: string;
  seed?: string;
  aug?: string;
}

function parseNumber(value: string, flag: string): number {
  const v = value.trim();
  const x = v === '' ? NaN : Number(v);
  if (!Number.isFinite(x)) throw new SerError('EPARAM', `${flag} must be a number, got '${value}'`);
  return x;
}

/** The augmentation the options ask for (see the module comment for the order). */
export function augmentationFromOptions(o: AugmentCliOptions): Augmentation {
  const ops = ['stretch', 'pitch', 'noiseSnr', 'gain', 'shift'] as const;
  const given = ops.filter((k) => o[k] !== undefined);
  if (o.aug !== undefined) {
    if (given.length > 0) throw new SerError('EPARAM', '--aug cannot be combined with --stretch/--pitch/--noise-snr/--gain/--shift');
    return parseAugmentation(o.aug);
  }
  if (given.length === 0) throw new SerError('EPARAM', 'nothing to do: give at least one of --stretch, --pitch, --noise-snr, --gain, --shift (or --aug KEY)');
  const steps: AugmentationStep[] = [];
  if (o.stretch !== undefined) {
    const rate = parseNumber(o.stretch, '--stretch');
    if (!(rate > 0)) throw new SerError('EPARAM', `--stretch rate must be > 0, got ${o.stretch}`);
    steps.push({ kind: 'stretch', rate });
  }
  if (o.pitch !== undefined) {
    const step: AugmentationStep = { kind: 'pitch', steps: parseNumber(o.pitch, '--pitch') };
    if (o.binsPerOctave !== undefined) {
      const b = parseNumber(o.binsPerOctave, '--bins-per-octave');
      if (!Number.isInteger(b) || b <= 0) throw new SerError('EPARAM', `--bins-per-octave must be a positive integer, got ${o.binsPerOctave}`);
      step.bins_per_octave = b;
    }
    steps.push(step);
  } else if (o.binsPerOctave !== undefined) throw new SerError('EPARAM', '--bins-per-octave needs --pitch');
  if (o.gain !== undefined) steps.push({ kind: 'gain', db: parseNumber(o.gain, '--gain') });
  if (o.shift !== undefined) {
    const mode = o.shiftMode ?? 'roll';
    if (mode !== 'roll' && mode !== 'pad') throw new SerError('EPARAM', `--shift-mode must be 'roll' or 'pad', got '${mode}'`);
    steps.push({ kind: 'shift', seconds: parseNumber(o.shift, '--shift'), mode });
  } else if (o.shiftMode !== undefined) throw new SerError('EPARAM', '--shift-mode needs --shift');
  if (o.noiseSnr !== undefined) steps.push({ kind: 'noise', snr_db: parseNumber(o.noiseSnr, '--noise-snr') });
  const aug: Augmentation = steps.length === 1 ? steps[0] : { kind: 'chain', steps };
  validateAugmentation(aug);
  return aug;
}

export function register(program: Command): void {
  program
    .command('augment')
    .description(
      'Augment one audio file at its native rate and write a 32-bit float WAV. Operations are applied in the order ' +
        'stretch → pitch → gain → shift → noise.',
    )
    .argument('<input>', 'audio file (WAV, FLAC, MP3, Ogg Vorbis)')
    .option('-o, --out <file>', 'output WAV file (required; written atomically)')
    .option('--stretch <rate>', 'time-stretch by rate (> 1 faster/shorter, < 1 slower/longer), pitch kept')
    .option('--pitch <steps>', 'pitch shift in semitones (e.g. 2, -3, 0.5), duration kept')
    .option('--bins-per-octave <n>', 'steps per octave for --pitch (default 12)')
    .option('--noise-snr <dB>', 'add white Gaussian noise at exactly this SNR in dB')
    .option('--gain <dB>', 'gain in dB (no clipping: float output)')
    .option('--shift <seconds>', 'time shift in seconds (positive = later)')
    .option('--shift-mode <mode>', "'roll' (circular, default) or 'pad' (zero-filled)")
    .option('--seed <n>', 'integer seed for the noise (default 0): same seed, same output')
    .option('--aug <key>', "a canonical augmentation key instead, e.g. 'stretch:0.9,noise:20dB'")
    .action(async (input: string, o: AugmentCliOptions) => {
      if (o.out === undefined || o.out.trim() === '') throw new SerError('EPARAM', 'missing --out FILE (where to write the augmented WAV)');
      let seed = 0;
      if (o.seed !== undefined) {
        seed = parseNumber(o.seed, '--seed');
        if (!Number.isSafeInteger(seed)) throw new SerError('EPARAM', `--seed must be an integer, got ${o.seed}`);
      }
      const aug = augmentationFromOptions(o);
      // Loaded on use, so other sub-commands do not pay for them at start-up.
      const [{ applyAugmentation, describeAugmentation }, { loadAudio }, { writeWav }] = await Promise.all([
        import('../../augment/index.js'),
        import('../../audio/load.js'),
        import('../../audio/write.js'),
      ]);
      const key = describeAugmentation(aug);
      const { y, sr } = await loadAudio(input, { sr: 'native' });
      if (y.length === 0) throw new SerError('EEMPTY', 'no audio samples to augment', { file: input });
      const out = applyAugmentation(y, sr, aug, seed);
      writeWav(o.out, out, sr, { format: 'f32' });
      process.stdout.write(`${o.out}: ${key}, ${out.length} samples at ${sr} Hz (${(out.length / sr).toFixed(3)} s) from ${input}\n`);
    });
}
