/**
 * Datasets, preprocessing and leakage-free splits. Node-only parts: load.ts, walk.ts, inspect.ts
 * (file system); everything else is browser-safe and can be imported file by file.
 */
export * from './types.js';
export * from './labels.js';
export * from './recording.js';
export * from './adapters/index.js';
export * from './preprocess.js';
export * from './splits.js';
export { loadDataset, detectDataset, describeAdapters, type LoadDatasetOptions, type LoadDatasetResult } from './load.js';
export { walkAudio, isAudioFile, AUDIO_EXTENSIONS, type WalkResult } from './walk.js';
export { inspectDataset, formatInspectReport, mapLimit, type InspectOptions, type InspectReport } from './inspect.js';
