/**
 * Worker-thread entry for feature extraction (`ser features --jobs N`, the feature benchmark and
 * the dataset cache). Each task is a FeatureTask (see feature-tasks.ts); cache entries are written
 * by the worker itself.
 *
 * Results are sent by COPY, not by transfer: transferring detaches an ArrayBuffer, and the first
 * detach in a thread invalidates V8's "no detached buffers" protector, after which every
 * typed-array access in that worker carries a detach check. Measured with `npm run bench:features
 * -- --limit 300 --jobs 2` (A/B, alternating): 3.49 / 3.89 ms per 3 s of audio copying the
 * ~150 kB matrices vs 4.37 / 4.54 ms transferring them.
 */
import { serveTasks } from '../util/pool.js';
import { runFeatureTask, type FeatureTask, type FeatureResult } from './feature-tasks.js';

serveTasks<FeatureTask, FeatureResult>(runFeatureTask);
