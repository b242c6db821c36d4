/**
 * librosa-exact feature extraction (browser-safe). See each module for shapes: every time-varying
 * feature is frame-major, (n_frames, n_features).
 */
export * from './mel.js';
export * from './db.js';
export * from './mfcc.js';
export * from './delta.js';
export * from './rms.js';
export * from './zcr.js';
export * from './extract.js';
export * from './tuning.js';
export * from './chroma.js';
export * from './contrast.js';
export { loadFeatureWasm } from '../dsp/stft-wasm.js';
