/**
 * Resumable HTTP(S) download to a `.part` file (Node only).
 *
 * The bytes received so far live in `partPath`; a small JSON state file beside it (`statePath`,
 * default `partPath + '.json'`) records the URL, the server's validators (ETag, Last-Modified) and
 * the total size. A later attempt — a retry after a dropped connection, or a new run after the
 * process was killed — asks for the rest with `Range: bytes=N-` and `If-Range: <validator>`:
 * - 206 Partial Content starting at N: the new bytes are appended;
 * - 200 OK: the server ignores ranges, or the file changed since (If-Range failed): the part file
 *   is truncated and the download starts over from byte 0;
 * - 416 Range Not Satisfiable: with `Content-Range: bytes * /TOTAL` equal to what we have the part
 *   file is already complete; otherwise it is discarded and the download starts over.
 * Redirects are followed (up to 5); the socket has an idle timeout; dropped connections, timeouts,
 * 5xx and 429 answers are retried with exponential back-off (the partial data is kept), other HTTP
 * errors and unreachable hosts fail at once with a SerError that says what happened.
 */
import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { open, readFile, stat, unlink, rename, writeFile } from 'node:fs/promises';
import { SerError } from '../errors.js';

export interface DownloadState {
  version: 1;
  url: string;
  etag?: string;
  lastModified?: string;
  /** Total size announced by the server (Content-Length of a 200, or the Content-Range total). */
  total?: number;
}

export type DownloadEvent =
  | { kind: 'start'; offset: number; total?: number }
  | { kind: 'resume'; offset: number; total?: number }
  | { kind: 'restart'; reason: string }
  | { kind: 'retry'; attempt: number; delayMs: number; reason: string };

export interface ResumableDownloadOptions {
  url: string;
  /** File the bytes go to (kept between runs until complete). */
  partPath: string;
  /** JSON state beside it (default `${partPath}.json`). */
  statePath?: string;
  /** Retries after a dropped connection, timeout, 5xx or 429 (default 4). */
  retries?: number;
  /** First back-off delay; doubles per retry, at most 30 s (default 1000 ms). */
  retryDelayMs?: number;
  /** Socket idle timeout: no byte for this long → the attempt fails (default 60 000 ms). */
  timeoutMs?: number;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number;
  /** Called as bytes arrive: bytes in the part file so far, and the total when known. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Resume / restart / retry notices (for a log line). */
  onEvent?: (event: DownloadEvent) => void;
  /** Appended to the "host unreachable" error, e.g. how to download the file by hand. */
  offlineHint?: string;
}

export interface ResumableDownloadResult {
  /** Size of the complete part file. */
  bytes: number;
  /** Total announced by the server (undefined when it sent no length). */
  total?: number;
  /** True when some bytes came from an earlier attempt or run (a 206 was used). */
  resumed: boolean;
  /** True when partial data had to be thrown away (200 instead of 206, 416, changed file). */
  restarted: boolean;
  /** HTTP requests made (redirects not counted). */
  requests: number;
}

/** Error codes of a host that cannot be reached at all (no retry helps). */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN']);

/** Thrown inside an attempt when another attempt may succeed. */
class RetryableError extends Error {}

/** The part file must be dropped and the download restarted now (does not use up a retry). */
class RestartError extends Error {}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function defaultStatePath(partPath: string): string {
  return `${partPath}.json`;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Reads the state file; undefined when missing or unreadable (then the part file is not trusted). */
export async function readDownloadState(statePath: string): Promise<DownloadState | undefined> {
  try {
    const s = JSON.parse(await readFile(statePath, 'utf8')) as DownloadState;
    if (s && s.version === 1 && typeof s.url === 'string') return s;
  } catch { /* missing or corrupt */ }
  return undefined;
}

async function writeState(statePath: string, state: DownloadState): Promise<void> {
  const tmp = `${statePath}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state) + '\n');
  await rename(tmp, statePath);
}

async function removeQuiet(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}

/** The value for If-Range: a strong ETag, else Last-Modified (weak ETags are not allowed there). */
function ifRangeValue(state: DownloadState): string | undefined {
  if (state.etag && !state.etag.startsWith('W/')) return state.etag;
  return state.lastModified;
}

/** Parses `bytes A-B/T` or `bytes * /T` (without the space). */
export function parseContentRange(v: string | undefined): { start?: number; end?: number; total?: number } | undefined {
  if (!v) return undefined;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(v.trim());
  if (!m) return undefined;
  return {
    start: m[1] !== undefined ? Number(m[1]) : undefined,
    end: m[2] !== undefined ? Number(m[2]) : undefined,
    total: m[3] !== '*' ? Number(m[3]) : undefined,
  };
}

interface OpenResult {
  res: IncomingMessage;
  req: ClientRequest;
  finalUrl: string;
  /** The body, consumed from the moment the response arrived (see {@link consume}). */
  body: AsyncGenerator<Buffer>;
}

/**
 * Starts reading `res` at once and hands its chunks out through an async generator. Reading must
 * begin before any further await: when the server closes the connection early, Node destroys the
 * response, and bytes still buffered inside it would be lost — bytes a resume would then fetch
 * again. The queue is bounded (the response is paused above `highWater` bytes). The generator
 * throws when the connection ends before the response did.
 */
function consume(res: IncomingMessage, highWater = 4 << 20): AsyncGenerator<Buffer> {
  const chunks: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  res.on('data', (c: Buffer) => {
    chunks.push(c);
    queued += c.length;
    if (queued > highWater) res.pause();
    poke();
  });
  res.on('end', () => {
    ended = true;
    poke();
  });
  res.on('error', (e: Error) => {
    failure ??= e;
    poke();
  });
  res.on('close', () => {
    if (!ended) failure ??= Object.assign(new Error('connection closed early'), { code: 'ECONNRESET' });
    poke();
  });
  return (async function* () {
    for (;;) {
      while (chunks.length > 0) {
        const c = chunks.shift()!;
        queued -= c.length;
        if (queued <= highWater / 2 && res.isPaused()) res.resume();
        yield c;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((r) => (wake = r));
    }
  })();
}

/** One GET, following redirects; resolves with the response of the last hop (body unread). */
function get(url: string, headers: Record<string, string>, timeoutMs: number, redirectsLeft: number, offlineHint: string): Promise<OpenResult> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new SerError('EPARAM', `not a valid URL: '${url}'`));
      return;
    }
    const fn = parsed.protocol === 'https:' ? httpsRequest : parsed.protocol === 'http:' ? httpRequest : undefined;
    if (!fn) {
      reject(new SerError('EPARAM', `unsupported URL scheme '${parsed.protocol}' in ${url} (http or https only)`));
      return;
    }
    const req = fn(parsed, { method: 'GET', headers });
    req.setTimeout(timeoutMs, () => req.destroy(new RetryableError(`no response from ${parsed.host} for ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof RetryableError) return reject(err);
      if (err.code && UNREACHABLE.has(err.code)) {
        return reject(
          new SerError(
            'EIO',
            `cannot reach ${parsed.host} (${err.code}): this machine seems to be offline, or the host is unreachable or refuses connections.${offlineHint ? ' ' + offlineHint : ''}`,
            { cause: err },
          ),
        );
      }
      reject(new RetryableError(`connection to ${parsed.host} failed (${err.code ?? err.message})`));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && status !== 304 && res.headers.location) {
        res.resume();
        req.destroy();
        if (redirectsLeft <= 0) return reject(new SerError('EIO', `${url}: too many redirects`));
        let next: string;
        try {
          next = new URL(res.headers.location, parsed).toString();
        } catch {
          return reject(new SerError('EIO', `${url}: bad redirect location '${res.headers.location}'`));
        }
        get(next, headers, timeoutMs, redirectsLeft - 1, offlineHint).then(resolve, reject);
        return;
      }
      resolve({ res, req, finalUrl: url, body: consume(res) });
    });
    req.end();
  });
}

/**
 * Downloads `url` into `partPath`, resuming from what is already there when the state file says it
 * is the same resource. Returns once the part file holds the whole resource (its length equals the
 * announced total). Throws SerError: EIO for unreachable hosts, HTTP errors (with the status) and
 * interruptions that outlast the retries (the partial file is kept for the next run); EPARAM for
 * a bad URL.
 */
export async function downloadResumable(options: ResumableDownloadOptions): Promise<ResumableDownloadResult> {
  const { url, partPath } = options;
  const statePath = options.statePath ?? defaultStatePath(partPath);
  const retries = Math.max(0, options.retries ?? 4);
  const baseDelay = Math.max(0, options.retryDelayMs ?? 1000);
  const timeoutMs = options.timeoutMs ?? 60000;
  const maxRedirects = options.maxRedirects ?? 5;
  const offlineHint = options.offlineHint ?? '';
  const emit = options.onEvent ?? (() => {});
  const result: ResumableDownloadResult = { bytes: 0, resumed: false, restarted: false, requests: 0 };

  const discard = async (reason: string) => {
    await removeQuiet(partPath);
    await removeQuiet(statePath);
    result.restarted = true;
    emit({ kind: 'restart', reason });
  };

  let failures = 0;
  let restarts = 0;
  let lastReason = '';
  for (;;) {
    // What do we have?
    let offset = await fileSize(partPath);
    let state = await readDownloadState(statePath);
    if (offset > 0 && (!state || state.url !== url)) {
      await discard(state ? 'the partial file came from another URL' : 'no record of where the partial file came from');
      offset = 0;
      state = undefined;
    }
    if (state && state.total !== undefined && offset > state.total) {
      await discard('the partial file is longer than the resource');
      offset = 0;
      state = undefined;
    }
    if (state && state.total !== undefined && offset === state.total && offset > 0) {
      result.bytes = offset;
      result.total = state.total;
      options.onProgress?.(offset, state.total);
      return result;
    }

    const headers: Record<string, string> = {
      'accept-encoding': 'identity',
      'user-agent': 'ser-ts (speech emotion recognition; dataset download)',
    };
    if (offset > 0 && state) {
      headers.range = `bytes=${offset}-`;
      const v = ifRangeValue(state);
      if (v) headers['if-range'] = v;
    }

    try {
      result.requests++;
      const { res, req, body } = await get(url, headers, timeoutMs, maxRedirects, offlineHint);
      const status = res.statusCode ?? 0;
      let append = false;
      let total: number | undefined;
      const finish = () => {
        res.resume();
        req.destroy();
      };
      if (status === 206 && offset > 0) {
        const cr = parseContentRange(res.headers['content-range']);
        if (!cr || cr.start !== offset) {
          finish();
          throw new RestartError(`the server answered the range request with bytes from ${cr?.start ?? '?'} instead of ${offset}`);
        }
        if (state?.total !== undefined && cr.total !== undefined && cr.total !== state.total) {
          finish();
          throw new RestartError(`the resource size changed (${state.total} → ${cr.total} bytes)`);
        }
        total = cr.total ?? state?.total;
        append = true;
        result.resumed = true;
        emit({ kind: 'resume', offset, total });
      } else if (status === 200 || status === 206) {
        // 206 without a range request would be odd; treat its Content-Range total like 200's length.
        if (offset > 0) {
          result.restarted = true;
          emit({
            kind: 'restart',
            reason: headers['if-range'] ? 'the server does not resume this download (or the file changed); starting over' : 'the server does not resume downloads; starting over',
          });
          offset = 0;
        }
        const len = res.headers['content-length'];
        total = status === 206 ? parseContentRange(res.headers['content-range'])?.total : len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
        emit({ kind: 'start', offset: 0, total });
      } else if (status === 416) {
        finish();
        const cr = parseContentRange(res.headers['content-range']);
        if (offset > 0 && cr?.total !== undefined && cr.total === offset) {
          result.bytes = offset;
          result.total = offset;
          if (state) await writeState(statePath, { ...state, total: offset });
          options.onProgress?.(offset, offset);
          return result;
        }
        throw new RestartError('the server refused the byte range (416)');
      } else if (status === 429 || status >= 500) {
        finish();
        throw new RetryableError(`HTTP ${status} ${res.statusMessage ?? ''}`.trim());
      } else {
        finish();
        const hint = status === 404 || status === 410 ? ' (the file is not at this address: check --url)' : status === 401 || status === 403 ? ' (access denied)' : '';
        throw new SerError('EIO', `${url}: HTTP ${status} ${res.statusMessage ?? ''}`.trim() + hint);
      }
      const enc = res.headers['content-encoding'];
      if (enc && enc.toLowerCase() !== 'identity') {
        finish();
        throw new SerError('EIO', `${url}: the server sent the file with Content-Encoding '${enc}' although identity was asked for`);
      }

      const newState: DownloadState = {
        version: 1,
        url,
        etag: (res.headers.etag as string | undefined) ?? (append ? state?.etag : undefined),
        lastModified: res.headers['last-modified'] ?? (append ? state?.lastModified : undefined),
        total,
      };
      // State first, then bytes: a part file is only ever trusted together with its state.
      await writeState(statePath, newState);
      result.total = total;
      const fh = await open(partPath, append ? 'a' : 'w');
      let received = append ? offset : 0;
      try {
        options.onProgress?.(received, total);
        for await (const chunk of body) {
          let off = 0;
          while (off < chunk.length) {
            const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
            off += bytesWritten;
          }
          received += chunk.length;
          options.onProgress?.(received, total);
        }
      } catch (err) {
        if (err instanceof SerError) throw err;
        const e = err as NodeJS.ErrnoException;
        if (e instanceof RetryableError) throw e;
        if (e.code && ['ENOSPC', 'EACCES', 'EROFS', 'EPERM', 'EDQUOT'].includes(e.code)) {
          throw new SerError('EIO', `cannot write the download (${e.message})`, { file: partPath, cause: err });
        }
        throw new RetryableError(`connection dropped after ${received}${total !== undefined ? ` of ${total}` : ''} bytes (${e.code ?? e.message})`);
      } finally {
        await fh.close().catch(() => {});
        req.destroy();
      }
      if (total !== undefined && received < total) {
        throw new RetryableError(`connection closed after ${received} of ${total} bytes`);
      }
      if (total !== undefined && received > total) {
        throw new RestartError(`received ${received} bytes, more than the announced ${total}`);
      }
      if (total === undefined) await writeState(statePath, { ...newState, total: received });
      result.bytes = received;
      result.total = total ?? received;
      return result;
    } catch (err) {
      if (err instanceof RestartError) {
        if (++restarts > 2) throw new SerError('EIO', `${url}: the download cannot be resumed or restarted consistently (${err.message})`);
        await discard(err.message);
        continue;
      }
      if (!(err instanceof RetryableError)) throw err;
      lastReason = err.message;
      failures++;
      if (failures > retries) {
        const have = await fileSize(partPath);
        const st = await readDownloadState(statePath);
        throw new SerError(
          'EIO',
          `download from ${hostOf(url)} interrupted (${lastReason}); ${have} of ${st?.total ?? '?'} bytes kept in ${partPath}: run the same command again to resume`,
        );
      }
      const delayMs = Math.min(30000, baseDelay * 2 ** (failures - 1));
      emit({ kind: 'retry', attempt: failures, delayMs, reason: lastReason });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
