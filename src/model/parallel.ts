/**
 * Data-parallel training across worker threads (Node only: node:worker_threads).
 *
 * tfjs-backend-wasm runs single-threaded under Node, so one process uses one core. This trainer
 * keeps a replica of the model in a worker thread (its own wasm backend, its own Adam): each batch
 * is split in two shards, the main thread and the worker compute forward + backward on their
 * shard at the same time, the worker's gradients come back (transferred Float32Arrays), the main
 * thread adds them (gradient of the whole batch: each shard's loss is scaled by shard/batch) and
 * both replicas apply the same sum with identical optimizers — so the replicas stay bit-identical
 * and no weights are broadcast. Batch-norm moving statistics (updated by each replica's forward
 * pass on its own shard) are averaged across replicas in `syncToModel()`; since they are
 * exponential moving averages from a common start, the average of the means is exactly the
 * moving mean over the whole batch. Batch normalisation itself uses shard statistics (like
 * PyTorch DDP without SyncBatchNorm).
 *
 * Implements the training loop's `BatchTrainer` (./train.ts): pass it as `trainer`.
 * With `workers: 1` everything runs on the calling thread (no worker).
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { SerError } from '../errors.js';
import { argmaxRows } from './metrics.js';
import type { Batch, BatchResult, BatchTrainer } from './train.js';
import { addGrads, applyGrads, computeShard, nonTrainableIndices, readWeights, seededUniform, writeWeights } from './parallel-core.js';
import type { BackendName } from './backend.js';

export interface ParallelTrainerOptions {
  /** The model to train (main replica; the training loop evaluates and snapshots this one). */
  model: LayersModel;
  /** 1 = no worker; 2 = main thread + one worker thread (default 2). */
  workers?: 1 | 2;
  /** Adam learning rate (default 1e-4). */
  learningRate?: number;
  /** Seed of the dropout masks (default 0). */
  seed?: number;
  /** Backend of the worker (default 'wasm'); the main thread uses whatever is active. */
  backend?: BackendName;
  /** Fraction of each batch computed by the worker (default 0.5). */
  workerShare?: number;
}

export interface ParallelTrainer extends BatchTrainer {
  readonly workers: 1 | 2;
  /** Copies of all weights (model.weights order), after syncing batch-norm statistics. */
  getWeights(): Promise<Float32Array[]>;
  /** Writes all weights (model.weights order) into every replica. */
  setWeights(weights: Float32Array[]): Promise<void>;
  /** Inference-mode probabilities (n, classes) for x (n, frames, features), in batches. */
  predict(x: Float32Array, n: number, batchSize?: number): Float32Array;
  /** Weights held by the worker replica (for tests); null without a worker. */
  workerWeights(): Promise<Float32Array[] | null>;
  dispose(): void;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | { type: 'grads'; grads: Float32Array[]; loss: number; probs: Float32Array }
  | { type: 'weights'; weights: Float32Array[] };

class WorkerLink {
  private waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  private failed: Error | null = null;
  closing = false;
  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'error') return this.fail(new SerError('EMODEL', m.message));
      const w = this.waiting.shift();
      if (this.waiting.length === 0) worker.unref();
      if (w) w.resolve(m);
    });
    worker.on('error', (e) => this.fail(new SerError('EMODEL', `parallel trainer: worker crashed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => {
      if (code !== 0 && !this.closing) this.fail(new SerError('EMODEL', `parallel trainer: worker exited with code ${code}`));
    });
  }
  private fail(e: Error): void {
    this.failed = e;
    this.worker.unref();
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
  /** The next reply from the worker. */
  next(): Promise<FromWorker> {
    if (this.failed) return Promise.reject(this.failed);
    // Keep the process alive only while a reply is awaited: an idle (or forgotten, undisposed)
    // trainer never holds the process open.
    this.worker.ref();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  post(m: unknown, transfer: ArrayBuffer[] = []): void {
    if (this.failed) throw this.failed;
    this.worker.postMessage(m, transfer);
  }
}

/** The worker entry: from source (.ts, run under tsx) or from dist (.js). */
function spawnWorker(workerData: unknown): Worker {
  const self = import.meta.url;
  const ts = /\.ts$/.test(new URL(self).pathname);
  const url = new URL(ts ? './parallel-worker.ts' : './parallel-worker.js', self);
  if (!ts) return new Worker(url, { workerData });
  // On Node 20 a worker's execArgv ['--import', 'tsx'] does not reach the worker's own entry:
  // register tsx's ESM hooks from inside the worker, then import the .ts entry.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/**
 * Creates the trainer; resolves once the worker replica is ready.
 * Throws SerError('EPARAM') for bad options, SerError('EMODEL') if the worker cannot start.
 */
export async function createParallelTrainer(opts: ParallelTrainerOptions): Promise<ParallelTrainer> {
  const { model } = opts;
  const workers = opts.workers ?? 2;
  if (workers !== 1 && workers !== 2) throw new SerError('EPARAM', `parallel trainer: workers must be 1 or 2, got ${String(workers)}`);
  const share = opts.workerShare ?? 0.5;
  if (!(share > 0 && share < 1)) throw new SerError('EPARAM', `parallel trainer: workerShare must be in (0, 1), got ${share}`);
  const lr = opts.learningRate ?? 1e-4;
  const seed = opts.seed ?? 0;
  const optimizer = tf.train.adam(lr);
  const random = seededUniform(seed * 2 + 1);
  const ntIdx = nonTrainableIndices(model);

  let link: WorkerLink | null = null;
  if (workers === 2) {
    const worker = spawnWorker({
      topology: model.toJSON(null, false),
      weights: readWeights(model),
      learningRate: lr,
      seed: seed * 2 + 2,
      backend: opts.backend ?? 'wasm',
    });
    link = new WorkerLink(worker);
    const m = await link.next().catch((e: unknown) => {
      void worker.terminate();
      throw e;
    });
    if (m.type !== 'ready') throw new SerError('EMODEL', 'parallel trainer: unexpected first message from the worker');
  }

  const k = (model.outputs[0]!.shape[1] as number) ?? 0;

  async function syncStats(): Promise<void> {
    if (link === null || ntIdx.length === 0) return;
    link.post({ type: 'getWeights', indices: ntIdx });
    const m = await link.next();
    if (m.type !== 'weights') throw new SerError('EMODEL', 'parallel trainer: unexpected reply to getWeights');
    const mine = ntIdx.map((i) => model.weights[i]!.read().dataSync() as Float32Array);
    const avg = mine.map((a, j) => {
      const b = m.weights[j]!;
      const o = new Float32Array(a.length);
      for (let q = 0; q < a.length; q++) o[q] = (a[q]! + b[q]!) / 2;
      return o;
    });
    tf.tidy(() => ntIdx.forEach((wi, j) => model.weights[wi]!.write(tf.tensor(avg[j]!, model.weights[wi]!.shape as number[]))));
    link.post({ type: 'setWeights', weights: avg, indices: ntIdx });
  }

  const trainer: ParallelTrainer = {
    workers,
    async trainBatch(batch: Batch): Promise<BatchResult> {
      const [B, T, F] = batch.shape;
      const per = T * F;
      const nW = link === null || B < 2 ? 0 : Math.min(B - 1, Math.max(1, Math.round(B * share)));
      const nM = B - nW;
      let workerReply: Promise<FromWorker> | null = null;
      if (nW > 0 && link !== null) {
        const x = batch.x.slice(nM * per, B * per);
        const y = batch.yOneHot.slice(nM * k, B * k);
        const w = batch.sampleWeight.slice(nM, B);
        workerReply = link.next();
        link.post({ type: 'step', shard: { x, shape: [nW, T, F], yOneHot: y, sampleWeight: w, totalBatch: B, withPenalties: false } }, [x.buffer, y.buffer, w.buffer]);
      }
      const mine = computeShard(
        model,
        {
          x: nW > 0 ? batch.x.subarray(0, nM * per) : batch.x,
          shape: [nM, T, F],
          yOneHot: nW > 0 ? batch.yOneHot.subarray(0, nM * k) : batch.yOneHot,
          sampleWeight: nW > 0 ? batch.sampleWeight.subarray(0, nM) : batch.sampleWeight,
          totalBatch: B,
          withPenalties: true,
        },
        random,
      );
      let grads = mine.grads;
      let loss = mine.loss;
      const probs = new Float32Array(B * k);
      probs.set(mine.probs, 0);
      if (workerReply !== null) {
        const r = await workerReply;
        if (r.type !== 'grads') throw new SerError('EMODEL', 'parallel trainer: unexpected reply to a training step');
        grads = addGrads(grads, r.grads);
        loss += r.loss;
        probs.set(r.probs, nM * k);
        link!.post({ type: 'apply', grads });
      }
      applyGrads(model, optimizer, grads);
      const pred = argmaxRows(probs, B, k);
      let correct = 0;
      for (let i = 0; i < B; i++) if (pred[i] === batch.labels[i]) correct++;
      return { loss, acc: B > 0 ? correct / B : 0, pred };
    },
    setLearningRate(newLr: number) {
      (optimizer as unknown as { learningRate: number }).learningRate = newLr;
      link?.post({ type: 'lr', lr: newLr });
    },
    async syncToModel() {
      await syncStats();
    },
    async onWeightsSet() {
      link?.post({ type: 'setWeights', weights: readWeights(model) });
    },
    async getWeights() {
      await syncStats();
      return readWeights(model);
    },
    async setWeights(weights: Float32Array[]) {
      if (weights.length !== model.weights.length) {
        throw new SerError('EPARAM', `parallel trainer: setWeights got ${weights.length} arrays, the model has ${model.weights.length} weights`);
      }
      writeWeights(model, weights);
      link?.post({ type: 'setWeights', weights });
    },
    predict(x: Float32Array, n: number, batchSize = 64): Float32Array {
      const [, T, F] = model.inputs[0]!.shape as number[];
      const per = T! * F!;
      if (x.length !== n * per) throw new SerError('EPARAM', `parallel trainer: predict got ${x.length} values, expected ${n} × ${per}`);
      const out = new Float32Array(n * k);
      for (let s = 0; s < n; s += batchSize) {
        const e = Math.min(n, s + batchSize);
        const p = tf.tidy(() => model.predict(tf.tensor3d(x.subarray(s * per, e * per), [e - s, T!, F!])) as tf.Tensor);
        out.set(p.dataSync(), s * k);
        p.dispose();
      }
      return out;
    },
    async workerWeights() {
      if (link === null) return null;
      link.post({ type: 'getWeights' });
      const m = await link.next();
      if (m.type !== 'weights') throw new SerError('EMODEL', 'parallel trainer: unexpected reply to getWeights');
      return m.weights;
    },
    dispose() {
      optimizer.dispose();
      if (link !== null) {
        link.closing = true;
        try {
          link.post({ type: 'dispose' });
        } catch {
          /* already failed */
        }
        void link.worker.terminate();
        link = null;
      }
    },
  };
  return trainer;
}
