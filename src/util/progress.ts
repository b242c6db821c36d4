/**
 * Progress reporting for long runs (feature extraction, cache builds).
 *
 * On a TTY: one line redrawn in place (at most every 100 ms),
 *   `features [##########----------]  50% 600/1200  41.2/s  ETA 0:14  (2 failed)`
 * Elsewhere (CI logs, pipes): plain lines, one per 10 % step and one at the end, so a log stays short.
 * Writes to stderr by default, keeping stdout for results (e.g. `--json`).
 */

export interface ProgressOptions {
  total: number;
  label?: string;
  /** Output stream (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force TTY (redrawn bar) or plain-line mode; default: the stream's isTTY. */
  tty?: boolean;
  /** Print nothing at all. */
  quiet?: boolean;
  /** Unit name for the rate (default 'files'). */
  unit?: string;
  /** Clock, for tests (ms). */
  now?: () => number;
}

export interface Progress {
  /** Records `n` more finished items (`failed` of which failed). */
  tick(n?: number, failed?: number): void;
  /** Sets the absolute counts. */
  update(done: number, failed?: number): void;
  /** Prints the final line (and a newline on a TTY). Idempotent. */
  stop(): void;
  readonly done: number;
  readonly failed: number;
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Remaining seconds at the average rate so far (NaN before the first item). */
export function estimateEta(done: number, total: number, elapsedMs: number): number {
  if (done <= 0 || elapsedMs <= 0) return NaN;
  return ((total - done) * elapsedMs) / done / 1000;
}

/** The text of one progress line (without bar). */
export function progressText(done: number, failed: number, total: number, elapsedMs: number, unit = 'files'): string {
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const eta = done >= total ? `done in ${formatDuration(elapsedMs / 1000)}` : `ETA ${formatDuration(estimateEta(done, total, elapsedMs))}`;
  const fail = failed > 0 ? `  (${failed} failed)` : '';
  return `${String(pct).padStart(3)}% ${done}/${total}  ${rate.toFixed(1)} ${unit}/s  ${eta}${fail}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const now = options.now ?? (() => performance.now());
  const total = Math.max(0, options.total);
  const label = options.label ? `${options.label} ` : '';
  const unit = options.unit ?? 'files';
  const t0 = now();
  let done = 0;
  let failed = 0;
  let lastDraw = -Infinity;
  let lastStep = 0;
  let stopped = false;

  const draw = (final: boolean) => {
    if (options.quiet) return;
    const elapsed = now() - t0;
    const text = progressText(done, failed, total, elapsed, unit);
    if (tty) {
      if (!final && elapsed - lastDraw < 100) return;
      lastDraw = elapsed;
      const width = 20;
      const filled = total > 0 ? Math.min(width, Math.round((width * done) / total)) : width;
      const line = `${label}[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
      const cols = stream.columns || 120;
      stream.write(`\r\x1b[K${line.slice(0, Math.max(20, cols - 1))}${final ? '\n' : ''}`);
    } else {
      const step = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (!final && step <= lastStep) return;
      lastStep = step;
      stream.write(`${label}${text}\n`);
    }
  };

  const progress: Progress = {
    tick(n = 1, f = 0) {
      done += n;
      failed += f;
      if (done < total) draw(false);
    },
    update(d, f) {
      done = d;
      if (f !== undefined) failed = f;
      if (done < total) draw(false);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      draw(true);
    },
    get done() {
      return done;
    },
    get failed() {
      return failed;
    },
  };
  if (tty) draw(false);
  return progress;
}
