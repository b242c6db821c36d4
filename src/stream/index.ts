/** Streaming (real-time) emotion recognition; browser-safe. */
export * from './engine.js';
export * from './features.js';
export * from './resampler.js';
