/**
 * Worker-thread entry of `ser serve`'s worker engine: loads the model bundle once
 * (workerData {modelDir, backend}), then answers tasks {bytes, name, maxDurationS} with
 * {@link predictBytes}. The model is loaded before the worker reports ready, so a bundle that
 * cannot be loaded makes the pool's ready() reject.
 */
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../util/pool.js';
import { initBackend, type BackendName } from '../model/backend.js';
import { loadBundle } from '../model/bundle-node.js';
import { predictBytes, type PredictResponse } from './infer.js';

export interface WorkerInit {
  modelDir: string;
  backend: BackendName;
}

export interface WorkerTask {
  bytes: Uint8Array;
  name: string;
  maxDurationS: number;
}

const init = workerData as WorkerInit;
await initBackend(init.backend);
const bundle = await loadBundle(init.modelDir);

serveTasks<WorkerTask, PredictResponse>((task) => predictBytes(bundle, task.bytes, task.name, { maxDurationS: task.maxDurationS }));
