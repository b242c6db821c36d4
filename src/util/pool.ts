/**
 * A small worker_threads pool.
 *
 * Main thread:
 *   const pool = createPool<Task, Result>({ workerUrl: workerUrl(import.meta.url, '../workers/features.worker'), size: 2 });
 *   const r = await pool.run(task);                        // one task
 *   for await (const r of pool.map(tasks, onProgress)) {}   // many tasks, results in input order
 *   await pool.close();
 *
 * Worker file:
 *   import { serveTasks, transfer } from '../util/pool.js';
 *   serveTasks(async (task) => transfer(result, [result.data.buffer]));
 *
 * Properties:
 * - `map` keeps at most `window` tasks dispatched-but-not-yet-yielded (default 2 × size + 1), so
 *   neither the task queue nor the reorder buffer grows with the input: memory stays bounded for
 *   any number of items, including lazy (async) iterables.
 * - Errors are per task: a task that throws (bad file) yields `{ok: false, error}` from `map` /
 *   rejects its `run` promise; the others continue. A SerError thrown in a worker arrives as a
 *   SerError with the same code, message and file. A worker that dies (crash, out of memory,
 *   `process.exit`) fails only its current task and is replaced.
 * - Results may carry transferable buffers (`transfer(value, [f32.buffer])`): no copy — but the
 *   detach makes every later typed-array access in that worker slower (V8's detaching protector);
 *   for results of a few hundred kB per task a copy is cheaper (src/workers/features.worker.ts).
 * - Works from TypeScript sources under tsx (a `.ts` worker file is started through a small
 *   bootstrap that registers tsx inside the worker — on Node 20 `execArgv: ['--import', 'tsx']`
 *   alone does not apply the loader to a worker's entry file) and from compiled `dist/` (`.js`).
 */
import { Worker, parentPort, isMainThread, type Transferable } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { SerError, type SerErrorCode } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

interface TaskMessage { type: 'task'; id: number; task: unknown }
interface ReadyMessage { type: 'ready' }
interface ResultMessage { type: 'result'; id: number; ok: true; value: unknown }
interface ErrorMessage { type: 'result'; id: number; ok: false; error: SerializedError }
type WorkerMessage = ReadyMessage | ResultMessage | ErrorMessage;

/** An error as it crosses the thread boundary (structured clone drops custom fields). */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  file?: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof SerError) {
    const prefix = err.file !== undefined ? `${err.file}: ` : '';
    const message = prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { name: 'SerError', message, code: err.code, file: err.file, stack: err.stack };
  }
  if (err instanceof Error) return { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.name === 'SerError' && e.code) {
    const err = new SerError(e.code as SerErrorCode, e.message, e.file !== undefined ? { file: e.file } : {});
    if (e.stack) err.stack = e.stack;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code) (err as NodeJS.ErrnoException).code = e.code;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** Raised for the task a worker was running when the worker died. */
export class WorkerCrashError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerCrashError';
  }
}

// ---------------------------------------------------------------------------------------------
// Worker side
// ---------------------------------------------------------------------------------------------

const TRANSFER = Symbol('transfer');
interface WithTransfer<R> { [TRANSFER]: true; value: R; list: Transferable[] }

/** Wrap a worker's result to send `list` (e.g. `[f32.buffer]`) by transfer instead of copy. */
export function transfer<R>(value: R, list: Transferable[]): R {
  return { [TRANSFER]: true, value, list } as unknown as R;
}

function isWithTransfer(x: unknown): x is WithTransfer<unknown> {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[TRANSFER] === true;
}

/**
 * Call once at the top level of a worker file. Runs `handler` for each task, one at a time,
 * and posts back its result (or the thrown error, serialised).
 */
export function serveTasks<T, R>(handler: (task: T) => R | Promise<R>): void {
  if (isMainThread || !parentPort) throw new Error('serveTasks must be called inside a worker thread');
  const port = parentPort;
  port.on('message', async (msg: TaskMessage) => {
    if (!msg || msg.type !== 'task') return;
    try {
      const out = await handler(msg.task as T);
      if (isWithTransfer(out)) port.postMessage({ type: 'result', id: msg.id, ok: true, value: out.value } satisfies ResultMessage, out.list);
      else port.postMessage({ type: 'result', id: msg.id, ok: true, value: out } satisfies ResultMessage);
    } catch (err) {
      port.postMessage({ type: 'result', id: msg.id, ok: false, error: serializeError(err) } satisfies ErrorMessage);
    }
  });
  port.postMessage({ type: 'ready' } satisfies ReadyMessage);
}

// ---------------------------------------------------------------------------------------------
// Main side
// ---------------------------------------------------------------------------------------------

/**
 * The URL of a worker file next to the calling module, with the caller's own extension:
 * `workerUrl(import.meta.url, '../workers/features.worker')` → `.ts` under tsx, `.js` in dist/.
 */
export function workerUrl(callerUrl: string, relativeWithoutExtension: string): URL {
  const ext = /\.([cm]?[jt]s)$/.exec(new URL(callerUrl).pathname)?.[1] ?? 'js';
  return new URL(`${relativeWithoutExtension}.${ext}`, callerUrl);
}

/** Resolves a `--jobs` value: a positive integer, or 0 / 'auto' for the number of cores. */
export function resolvePoolSize(jobs: number | string | undefined, fallback = 1): number {
  if (jobs === undefined || jobs === '') return fallback;
  if (jobs === 'auto' || jobs === 0 || jobs === '0') return Math.max(1, availableParallelism());
  const n = typeof jobs === 'number' ? jobs : Number(jobs);
  if (!Number.isInteger(n) || n < 0 || n > 1024) {
    throw new SerError('EPARAM', `--jobs must be a non-negative integer or 'auto', got '${jobs}'`);
  }
  return n;
}

export interface PoolOptions {
  /** The worker file (a `.ts` file is run through tsx; a `.js` file directly). */
  workerUrl: URL | string;
  /** Number of worker threads (default 1; 0 = number of cores). */
  size?: number;
  /** Extra node options for each worker. */
  execArgv?: string[];
  /** Passed to each worker as `workerData`. */
  workerData?: unknown;
}

export interface MapProgress {
  /** Tasks finished (ok + failed). */
  done: number;
  failed: number;
  /** Total number of items when known (array input or `total` option). */
  total?: number;
  elapsedMs: number;
}

export interface MapOptions {
  onProgress?: (p: MapProgress) => void;
  /** Max tasks dispatched but not yet yielded (default 2 × size + 1). */
  window?: number;
  /** Item count, for progress, when `items` is not an array. */
  total?: number;
  /** Optional transfer list per task (e.g. input sample buffers). */
  transferList?: (task: unknown) => Transferable[] | undefined;
}

export type MapResult<T, R> =
  | { index: number; task: T; ok: true; value: R }
  | { index: number; task: T; ok: false; error: Error };

export interface WorkerPool<T, R> {
  readonly size: number;
  /** Runs one task; rejects with the task's own error. */
  run(task: T, transferList?: Transferable[]): Promise<R>;
  /** Runs every item, yielding results in input order, at most `window` in flight. */
  map(items: Iterable<T> | AsyncIterable<T>, options?: MapOptions | ((p: MapProgress) => void)): AsyncGenerator<MapResult<T, R>>;
  /** Resolves once every worker has started (rejects if they cannot start). Optional: tasks queue until then. */
  ready(): Promise<void>;
  /** Highest number of tasks that were queued or running at the same time (for tests and tuning). */
  readonly peakPending: number;
  /** Waits for queued and running tasks, then stops the workers. */
  close(): Promise<void>;
  /** Stops the workers now; queued and running tasks reject. */
  terminate(): Promise<void>;
}

interface Job {
  id: number;
  task: unknown;
  transferList?: Transferable[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  exited: boolean;
  /** Settles when the worker reports ready (resolve) or dies before that (reject). */
  started: Promise<void>;
}

function startWorker(url: URL, options: PoolOptions): Worker {
  const isTs = /\.[cm]?ts$/.test(url.pathname);
  const execArgv = options.execArgv ?? [];
  if (!isTs) return new Worker(url, { execArgv, workerData: options.workerData });
  // tsx registers its loader from inside the worker, then imports the real entry.
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, execArgv, workerData: options.workerData });
}

/** Creates a pool of `size` workers running `workerUrl` (which must call {@link serveTasks}). */
export function createPool<T = unknown, R = unknown>(options: PoolOptions): WorkerPool<T, R> {
  const url = typeof options.workerUrl === 'string' ? new URL(options.workerUrl) : options.workerUrl;
  const size = options.size === undefined ? 1 : options.size === 0 ? Math.max(1, availableParallelism()) : options.size;
  if (!Number.isInteger(size) || size < 1) throw new SerError('EPARAM', `pool size must be a positive integer, got ${options.size}`);

  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let pending = 0;
  let peakPending = 0;
  let closing = false;
  let broken: Error | null = null;
  let idleWaiters: (() => void)[] = [];

  const settle = () => {
    if (pending === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };

  const failAllQueued = (err: Error) => {
    while (queue.length) {
      const j = queue.shift()!;
      pending--;
      j.reject(err);
    }
    settle();
  };

  const spawn = (): Slot => {
    let onStarted!: () => void;
    let onFailed!: (e: Error) => void;
    const started = new Promise<void>((res, rej) => {
      onStarted = res;
      onFailed = rej;
    });
    started.catch(() => {}); // observed through ready() only
    const slot: Slot = { worker: startWorker(url, options), ready: false, job: null, exited: false, started };
    slot.worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        slot.ready = true;
        onStarted();
        dispatch();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = null;
      pending--;
      if (msg.ok) job.resolve(msg.value);
      else job.reject(deserializeError(msg.error));
      settle();
      dispatch();
    });
    let lastError: Error | null = null;
    slot.worker.on('error', (err) => {
      lastError = err;
    });
    slot.worker.on('exit', (code) => {
      slot.exited = true;
      const idx = slots.indexOf(slot);
      if (idx >= 0) slots.splice(idx, 1);
      const job = slot.job;
      slot.job = null;
      const why = lastError ? `: ${lastError.message}` : '';
      if (job) {
        pending--;
        job.reject(new WorkerCrashError(`worker exited (code ${code}) while running a task${why}`, { cause: lastError ?? undefined }));
      }
      if (closing) {
        settle();
        return;
      }
      if (!slot.ready) {
        // The worker could not even start (missing file, syntax error): do not respawn forever.
        broken = new WorkerCrashError(`worker ${url.href} failed to start${why}`, { cause: lastError ?? undefined });
        onFailed(broken);
        if (slots.length === 0) failAllQueued(broken);
        settle();
        return;
      }
      slots.push(spawn());
      settle();
    });
    return slot;
  };

  const dispatch = () => {
    for (const slot of slots) {
      if (!queue.length) return;
      if (!slot.ready || slot.job || slot.exited) continue;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ type: 'task', id: job.id, task: job.task } satisfies TaskMessage, job.transferList ?? []);
    }
  };

  for (let i = 0; i < size; i++) slots.push(spawn());

  const run = (task: T, transferList?: Transferable[]): Promise<R> => {
    if (closing) return Promise.reject(new Error('pool is closed'));
    if (broken && slots.length === 0) return Promise.reject(broken);
    return new Promise<R>((resolve, reject) => {
      queue.push({ id: nextId++, task, transferList, resolve: resolve as (v: unknown) => void, reject });
      pending++;
      if (pending > peakPending) peakPending = pending;
      dispatch();
    });
  };

  async function* map(items: Iterable<T> | AsyncIterable<T>, opts?: MapOptions | ((p: MapProgress) => void)): AsyncGenerator<MapResult<T, R>> {
    const o: MapOptions = typeof opts === 'function' ? { onProgress: opts } : opts ?? {};
    const window = Math.max(1, o.window ?? 2 * size + 1);
    const total = o.total ?? (Array.isArray(items) ? items.length : undefined);
    const iter: AsyncIterator<T> | Iterator<T> =
      Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
    const inflight = new Map<number, Promise<MapResult<T, R>>>();
    const t0 = performance.now();
    let done = 0;
    let failed = 0;
    let dispatched = 0;
    let next = 0;
    let exhausted = false;
    while (true) {
      while (!exhausted && dispatched - next < window) {
        const r = await iter.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        const index = dispatched++;
        const task = r.value;
        const p = run(task, o.transferList?.(task)).then(
          (value): MapResult<T, R> => ({ index, task, ok: true, value }),
          (error: Error): MapResult<T, R> => ({ index, task, ok: false, error }),
        ).then((res) => {
          done++;
          if (!res.ok) failed++;
          o.onProgress?.({ done, failed, total, elapsedMs: performance.now() - t0 });
          return res;
        });
        inflight.set(index, p);
      }
      if (next === dispatched) return;
      const res = await inflight.get(next)!;
      inflight.delete(next);
      next++;
      yield res;
    }
  }

  const close = async () => {
    if (pending > 0) await new Promise<void>((r) => idleWaiters.push(r));
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };

  const terminate = async () => {
    closing = true;
    failAllQueued(new Error('pool terminated'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };

  const ready = async (): Promise<void> => {
    if (broken && slots.length === 0) throw broken;
    await Promise.all(slots.map((s) => s.started));
  };

  return {
    size,
    run,
    map,
    ready,
    get peakPending() {
      return peakPending;
    },
    close,
    terminate,
  };
}
