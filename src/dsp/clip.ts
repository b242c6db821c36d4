/**
 * Fixing a waveform to a clip length (browser-safe). One implementation serves training (the
 * feature cache and the training pipeline), prediction and the feature benchmark, so a model
 * never sees a clip cut differently from how it was trained.
 */

/** Which part of a longer clip is kept: the start, or the centre. */
export type ClipCrop = 'center' | 'start';
/** Where a shorter clip gets its zeros: at the end, or split before and after. */
export type ClipPad = 'both' | 'end';

/**
 * Crops or zero-pads `y` (shape (n,)) to exactly `length` samples: a longer clip keeps
 * `length` samples from the start (crop 'start') or from floor((n − length) / 2) (crop 'center');
 * a shorter one is placed at 0 (pad 'end') or at floor((length − n) / 2) (pad 'both') in zeros.
 * Returns `y` itself when it already has `length` samples, else a new array of shape (length,).
 * Like librosa.util.fix_length when crop is 'start' and pad is 'end'.
 */
export function fitClip(y: Float32Array, length: number, crop: ClipCrop, pad: ClipPad): Float32Array {
  const n = y.length;
  if (n === length) return y;
  const out = new Float32Array(length);
  if (n > length) {
    const s = fitClipOffset(n, length, crop);
    out.set(y.subarray(s, s + length));
  } else {
    out.set(y, pad === 'both' ? Math.floor((length - n) / 2) : 0);
  }
  return out;
}

/** Start sample of the part {@link fitClip} keeps of a clip of n > length samples. */
export function fitClipOffset(n: number, length: number, crop: ClipCrop): number {
  return crop === 'center' ? Math.floor((n - length) / 2) : 0;
}
