/**
 * The browser-safe core of ser: typed arrays and TensorFlow.js only, no Node APIs.
 * Data flows audio → signal → features → model → results; each stage is re-exported here.
 *
 *   import { decodeAudio, extractFeatures, createEmotionStream, loadBundleFromUrl } from 'ser-ts/core';
 */
export { SerError, check, type SerErrorCode } from './errors.js';
// signal
export { type Matrix, matrix, transpose, fromNested, toNested } from './dsp/matrix.js';
export { stft, spectrogramPower, powerSpectrogram, getWindow, frameCount, type Spectrogram, type StftOptions, type WindowName } from './dsp/stft.js';
export { realFft } from './dsp/fft.js';
export { istft } from './dsp/istft.js';
export { resample, resampledLength, type ResampleOptions } from './dsp/resample.js';
export { loadFftResampleWasm } from './dsp/fft-resample-wasm.js';
export { trim } from './dsp/trim.js';
// audio bytes (no file system)
export { decodeAudio, decodeAudioSync, sniffFormat, type DecodedAudio, type AudioFormat } from './audio/decode.js';
export { encodeWav, type EncodeWavOptions } from './audio/wav-write.js';
// features
export * from './features/index.js';
// augmentation
export * from './augment/index.js';
// model (bundle parsing, prediction, metrics)
export { parseBundle, loadBundleFromUrl, disposeBundle, validateBundleMeta, bundleNormalizer } from './model/bundle.js';
export { predictClip, predictClips } from './model/predict.js';
export {
  createNormalizer,
  SpeakerStatsAccumulator,
  blendSpeakerStats,
  modeNormalize,
  NORMALIZATION_MODES,
  type Normalizer,
  type NormalizationMode,
  type BundleNormalization,
  type SpeakerPrior,
} from './model/normalizer.js';
export { evaluateMetrics } from './model/metrics.js';
export { initBackend } from './model/backend.js';
export { buildModel } from './model/build.js';
export { defaultModelConfig, validateModelConfig, type ModelConfig } from './model/config.js';
// streaming
export * from './stream/index.js';
