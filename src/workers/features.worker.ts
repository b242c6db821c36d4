/**
 * Worker-thread entry for feature extraction (`ser features --jobs N`, the feature benchmark and
 * the dataset cache). Each task is a FeatureTask (see feature-tasks.ts); feature matrices are
 * returned by transfer, cache entries are written by the worker itself.
 */
import { serveTasks } from '../util/pool.js';
import { runFeatureTaskTransfer, type FeatureTask, type FeatureResult } from './feature-tasks.js';

serveTasks<FeatureTask, FeatureResult>(runFeatureTaskTransfer);
