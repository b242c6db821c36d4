/**
 * One prediction from the bytes of an uploaded audio file: decode (format sniffed from the bytes),
 * check the duration limit, mix to mono, predict with the bundle. Used by the main-thread engine
 * and by the inference worker (./predict.worker.ts), so both answer identically.
 * Normalisation is per request, as the bundle says (src/model/normalizer.ts): an
 * utterance-normalised model normalises each window by itself, a speaker-normalised one uses the
 * statistics of the request's own audio shrunk toward the model's speaker prior (no state is kept
 * between requests).
 */
import { SerError } from '../errors.js';
import { decodeAudio } from '../audio/decode.js';
import { toMono } from '../audio/load.js';
import type { ModelBundle } from '../model/bundle.js';
import { predictClip, type Prediction } from '../model/predict.js';
import { DurationError } from './errors.js';

export { DurationError };

export interface InferOptions {
  /** Longest accepted audio in seconds (at its native rate); longer → DurationError. */
  maxDurationS: number;
}

/** The API's answer: the prediction without the per-window timeline's extras. */
export interface PredictResponse {
  label: string;
  probabilities: Record<string, number>;
  /** Seconds of audio analysed (after trimming, when the bundle trims). */
  duration: number;
  windows: Prediction['windows'];
}

/**
 * Decodes `bytes` (WAV, FLAC, MP3, Ogg Vorbis) and predicts. `name` names the input in errors
 * (e.g. 'request body' or the uploaded file name). Throws SerError for undecodable / unusable
 * audio (codes as in src/audio/decode.ts) and DurationError when it is longer than the limit.
 */
export async function predictBytes(bundle: ModelBundle, bytes: Uint8Array, name: string, opts: InferOptions): Promise<PredictResponse> {
  if (bytes.length === 0) throw new SerError('EEMPTY', 'empty body', { file: name });
  const a = await decodeAudio(bytes, name);
  const seconds = a.channels[0].length / a.sr;
  if (seconds > opts.maxDurationS) {
    throw new DurationError(`${name}: the audio lasts ${seconds.toFixed(2)} s, longer than the server's limit of ${opts.maxDurationS} s (--max-duration-s)`);
  }
  let p: Prediction;
  try {
    p = predictClip(bundle, toMono(a.channels), a.sr);
  } catch (e) {
    if (e instanceof SerError && e.file === undefined) throw new SerError(e.code, e.message, { file: name, cause: e });
    throw e;
  }
  return { label: p.label, probabilities: p.probabilities, duration: p.duration, windows: p.windows };
}
