/** Worker-thread entry of the training pipeline's feature stage (see ./feature-task.ts). */
import { serveTasks } from '../util/pool.js';
import { runPipelineFeatureTask, type PipelineFeatureResult, type PipelineFeatureTask } from './feature-task.js';

serveTasks<PipelineFeatureTask, PipelineFeatureResult>(runPipelineFeatureTask);
