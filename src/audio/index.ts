/**
 * Audio I/O (Node edge). Browser code imports the browser-safe parts directly:
 * src/audio/decode.ts (decodeAudio), src/audio/wav-write.ts (encodeWav), src/dsp/resample.ts.
 */
export { decodeAudio, decodeAudioSync, sniffFormat, validateDecoded, id3Length, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE } from './decode.js';
export type { DecodedAudio, AudioFormat } from './decode.js';
export { decodeWav, parseWavHeader, isWav } from './wav.js';
export type { WavHeader } from './wav.js';
export { decodeFlac, parseFlacHeader, isFlac, FLAC_MAX_SAMPLES } from './flac.js';
export { loadFlacWasm } from './flac-wasm.js';
export type { FlacInfo } from './flac.js';
export { encodeWav } from './wav-write.js';
export type { EncodeWavOptions } from './wav-write.js';
export { writeWav } from './write.js';
export { loadAudio, loadAudioSync, audioInfo, audioInfoSync, readBytes, readBytesSync, readBytesReused, toMono } from './load.js';
export type { LoadOptions, LoadedAudio, AudioInfo } from './load.js';
export { resample, resampledLength } from '../dsp/resample.js';
export type { ResampleOptions } from '../dsp/resample.js';
