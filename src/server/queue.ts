/**
 * A bounded job queue: at most `concurrency` jobs run at once, at most `maxQueue` wait; a job
 * offered beyond that is refused at once (QueueFullError → HTTP 503 + Retry-After), never
 * buffered. Each job has a deadline: a job still waiting when it expires is dropped from the queue
 * and rejects with QueueTimeoutError('queued'); a running job that outlives it rejects with
 * QueueTimeoutError('running') (its work is not interrupted, its result is discarded, and its
 * slot stays busy until it really ends, so the queue never over-commits the CPU).
 */

export class QueueFullError extends Error {
  readonly code = 'EBUSY';
  constructor(readonly retryAfterS: number, message: string) {
    super(message);
    this.name = 'QueueFullError';
  }
}

export class QueueTimeoutError extends Error {
  readonly code = 'ETIMEOUT';
  constructor(readonly phase: 'queued' | 'running', message: string) {
    super(message);
    this.name = 'QueueTimeoutError';
  }
}

/** The client disconnected while its job waited (nobody to answer). */
export class ClientGoneError extends Error {
  readonly code = 'EGONE';
  constructor() {
    super('the client disconnected before its request was served');
    this.name = 'ClientGoneError';
  }
}

export interface QueueStats {
  concurrency: number;
  max_queue: number;
  running: number;
  waiting: number;
  completed: number;
  failed: number;
  rejected_full: number;
  timed_out: number;
  /** Jobs dropped from the queue because their client disconnected before they ran. */
  dropped_gone: number;
  /** Mean run time of the last jobs (ms), 0 before the first. */
  mean_run_ms: number;
}

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout | null;
}

export class BoundedQueue {
  private running = 0;
  private waiting: Waiter[] = [];
  private completed = 0;
  private failed = 0;
  private rejectedFull = 0;
  private timedOut = 0;
  private aborted = 0;
  private meanRunMs = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
    readonly timeoutMs: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError(`queue must be a non-negative integer, got ${maxQueue}`);
    if (!(timeoutMs > 0)) throw new RangeError(`timeout must be > 0 ms, got ${timeoutMs}`);
  }

  /** Seconds a refused client should wait before retrying (≥ 1): the estimated time to drain the queue. */
  retryAfterS(): number {
    const per = this.meanRunMs > 0 ? this.meanRunMs : 1000;
    return Math.max(1, Math.ceil(((this.waiting.length + this.running) * per) / this.concurrency / 1000));
  }

  stats(): QueueStats {
    return {
      concurrency: this.concurrency,
      max_queue: this.maxQueue,
      running: this.running,
      waiting: this.waiting.length,
      completed: this.completed,
      failed: this.failed,
      rejected_full: this.rejectedFull,
      timed_out: this.timedOut,
      dropped_gone: this.aborted,
      mean_run_ms: Math.round(this.meanRunMs * 10) / 10,
    };
  }

  /** Jobs running or waiting. */
  get pending(): number {
    return this.running + this.waiting.length;
  }

  /** True when a new job would be refused (every slot busy and the queue full). */
  isFull(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.maxQueue;
  }

  /** Counts a refusal and returns the QueueFullError to answer with. */
  refuse(): QueueFullError {
    this.rejectedFull++;
    const s = this.retryAfterS();
    return new QueueFullError(s, `the server is busy (${this.running} running, ${this.waiting.length} queued, queue limit ${this.maxQueue}); retry in ${s} s`);
  }

  /**
   * Runs `job` when a slot is free. Rejects with QueueFullError at once when `maxQueue` jobs
   * already wait, with QueueTimeoutError when the deadline (`timeoutMs` from now) passes first,
   * with ClientGoneError when `signal` aborts while the job still waits (the client hung up: its
   * job leaves the queue and never runs), else settles as the job does.
   */
  run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.isFull()) return Promise.reject(this.refuse());
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    const deadline = Date.now() + this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const startJob = () => {
        this.running++;
        const t0 = performance.now();
        const left = Math.max(0, deadline - Date.now());
        const timer = setTimeout(() => {
          if (settled) return;
          settled = true;
          this.timedOut++;
          reject(new QueueTimeoutError('running', `the prediction did not finish within the server's ${this.timeoutMs} ms limit (--timeout-ms)`));
        }, left);
        let p: Promise<T>;
        try {
          p = job();
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (v) => {
            this.completed++;
            if (!settled) {
              settled = true;
              resolve(v);
            }
          },
          (e) => {
            this.failed++;
            if (!settled) {
              settled = true;
              reject(e);
            }
          },
        ).finally(() => {
          clearTimeout(timer);
          const ms = performance.now() - t0;
          this.meanRunMs = this.meanRunMs === 0 ? ms : 0.8 * this.meanRunMs + 0.2 * ms;
          this.running--;
          this.next();
        });
      };
      if (this.running < this.concurrency) {
        startJob();
        return;
      }
      const w: Waiter = { start: startJob, timer: null };
      const onAbort = () => {
        const i = this.waiting.indexOf(w);
        if (i < 0) return;
        this.waiting.splice(i, 1);
        if (w.timer) clearTimeout(w.timer);
        settled = true;
        this.aborted++;
        reject(new ClientGoneError());
        this.checkIdle();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      w.start = () => {
        signal?.removeEventListener('abort', onAbort);
        startJob();
      };
      w.timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(w);
        if (i < 0) return;
        this.waiting.splice(i, 1);
        settled = true;
        this.timedOut++;
        reject(new QueueTimeoutError('queued', `the request waited ${this.timeoutMs} ms in the queue without being served (--timeout-ms); retry later`));
        this.checkIdle();
      }, this.timeoutMs);
      this.waiting.push(w);
    });
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      if (w.timer) clearTimeout(w.timer);
      w.start();
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.pending === 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of ws) f();
    }
  }

  /** Resolves when no job is running or waiting. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
