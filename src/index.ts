/**
 * ser — speech emotion recognition. The Node entry: the browser-safe core plus file I/O,
 * datasets, training, reports and the feature cache. See README.md.
 */
export * from './core.js';
export { loadAudio, loadAudioSync, audioInfo, audioInfoSync, writeWav, type LoadOptions, type LoadedAudio, type AudioInfo } from './audio/index.js';
export * from './data/index.js';
export { saveBundle, loadBundle } from './model/bundle-node.js';
export { train } from './model/train.js';
export { createParallelTrainer } from './model/parallel.js';
export { renderReport, loadRunDir, fitCurve, fitHistory } from './report/index.js';
export { runTrainPipeline } from './pipeline/index.js';
export { buildFeatureCache, readFeatureCache } from './data/cache.js';
