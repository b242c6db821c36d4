/**
 * Argument checks shared by the features that take a spectrogram (chroma_stft, spectral_contrast,
 * piptrack / estimate_tuning): one message per problem, naming the calling feature.
 * Browser-safe (no Node APIs).
 */
import { check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';

/**
 * Checks that S is a (n_frames, 1 + n_fft/2) spectrogram and returns n_fft: the given one (which
 * must match S's bins) or, when undefined, 2·(S.cols − 1) as librosa infers it.
 */
export function resolveNfft(S: Matrix, n_fft: number | undefined, where: string): number {
  check(S && Number.isInteger(S.rows) && Number.isInteger(S.cols) && S.rows >= 0 && S.cols >= 2, `${where}: spectrogram must have at least 2 frequency bins`);
  check(S.data.length === S.rows * S.cols, `${where}: spectrogram data length ${S.data.length} != ${S.rows}x${S.cols}`);
  const n = n_fft ?? 2 * (S.cols - 1);
  check(Number.isInteger(n) && n >= 2 && Math.floor(n / 2) + 1 === S.cols, `${where}: n_fft=${n_fft} does not match a spectrogram with ${S.cols} frequency bins (expected ${2 * (S.cols - 1)})`);
  return n;
}

/** Checks that sr is a positive finite sample rate (Hz). */
export function checkSr(sr: number, where: string): void {
  check(typeof sr === 'number' && Number.isFinite(sr) && sr > 0, `${where}: sample rate must be a positive number, got ${sr}`);
}
