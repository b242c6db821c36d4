/**
 * Inference engines of `ser serve`. Both run {@link predictBytes} (decode → duration check →
 * predict) behind the server's BoundedQueue, which decides how many run at once:
 *
 * - 'inline' (the CLI default): on the main thread. Each job first yields to the event loop
 *   (setImmediate), so pending I/O (new connections, health checks, 503 answers) is served between
 *   predictions, but not during one; jobs run one after another whatever the concurrency. It gave
 *   the higher throughput in every measurement on the 2-core development machine (docs/api.md).
 * - 'workers': a pool of `size` worker threads, each with its own copy of the model
 *   (./predict.worker.ts). The main thread only parses HTTP, so it is never blocked by a
 *   prediction; two predictions run in parallel when two cores are free.
 */
import type { ModelBundle } from '../model/bundle.js';
import type { BackendName } from '../model/backend.js';
import { createPool, workerUrl, type WorkerPool } from '../util/pool.js';
import { predictBytes, type PredictResponse } from './infer.js';
import type { WorkerInit, WorkerTask } from './predict.worker.js';

export type EngineKind = 'workers' | 'inline';

export interface Engine {
  readonly kind: EngineKind;
  /** Decodes and predicts one upload. Rejects with SerError / DurationError for bad audio. */
  predict(bytes: Uint8Array, name: string, maxDurationS: number): Promise<PredictResponse>;
  /** Resolves when the engine can serve (workers started, models loaded). */
  ready(): Promise<void>;
  /** Releases threads / models (after in-flight jobs end). */
  close(): Promise<void>;
}

export interface InlineEngineOptions {
  /** Test hook: awaited before each prediction (e.g. a delay to hold a slot busy). */
  beforePredict?: () => Promise<void> | void;
  /** Disposes the bundle on close (default false: the caller owns it). */
  disposeOnClose?: () => void;
}

/** Predicts on the main thread with an already loaded bundle. */
export function createInlineEngine(bundle: ModelBundle, opts: InlineEngineOptions = {}): Engine {
  return {
    kind: 'inline',
    async predict(bytes, name, maxDurationS) {
      await new Promise<void>((r) => setImmediate(r));
      if (opts.beforePredict) await opts.beforePredict();
      return predictBytes(bundle, bytes, name, { maxDurationS });
    },
    ready: () => Promise.resolve(),
    async close() {
      opts.disposeOnClose?.();
    },
  };
}

export interface WorkerEngineOptions {
  modelDir: string;
  backend: BackendName;
  /** Number of worker threads (each loads the model). */
  size: number;
  /** Test hook for the worker engine: delay (ms) before each prediction on the main side. */
  delayMs?: number;
}

/** Predicts in `size` worker threads, each holding the model loaded from `modelDir`. */
export function createWorkerEngine(opts: WorkerEngineOptions): Engine {
  const pool: WorkerPool<WorkerTask, PredictResponse> = createPool<WorkerTask, PredictResponse>({
    workerUrl: workerUrl(import.meta.url, './predict.worker'),
    size: opts.size,
    workerData: { modelDir: opts.modelDir, backend: opts.backend } satisfies WorkerInit,
  });
  return {
    kind: 'workers',
    async predict(bytes, name, maxDurationS) {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      // Copy into a buffer of its own so it can be transferred (the body may be a slice of a pool).
      const own = new Uint8Array(bytes);
      return pool.run({ bytes: own, name, maxDurationS }, [own.buffer]);
    },
    ready: () => pool.ready(),
    close: () => pool.close(),
  };
}
