/** The training pipeline (`ser train`): options, feature stage, orchestration. Node-only. */
export { addTrainOptions, resolveTrainOptions, parseAugmentOption, TRAIN_DEFAULTS, type TrainPipelineConfig, type RawTrainOptions, type Normalize, type TrainProtocol } from './options.js';
export { extractRequests, requestKey, type FeatureRequest, type FeatureStageOptions, type FeatureStageResult } from './features.js';
export { runTrainPipeline, planSplits, meanStd, type PipelineIO, type PipelineResult, type FoldOutcome } from './run.js';
