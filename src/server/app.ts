/**
 * The HTTP API of `ser serve` (Fastify 5). See docs/api.md for the contract.
 *
 *   POST /v1/predict   raw audio body (audio/wav, audio/x-wav, audio/flac, audio/mpeg, audio/ogg,
 *                      application/octet-stream, ...) or multipart/form-data with a field `file`
 *                      → 200 {label, probabilities, duration, windows}
 *   GET  /healthz      → {status: 'ok', model: {...}, queue: {...}, limits: {...}, engine}
 *   GET  /v1/model     → the bundle's metadata (without the normalisation arrays)
 *   GET  /*            static files from `staticDir` when given (see ./static.ts)
 *
 * Every error is JSON {error: {code, message}} with the status of {@link httpStatusOf}; every
 * response carries Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
 * require-corp (and Cross-Origin-Resource-Policy: same-origin) so the web app can use wasm threads.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { SerError } from '../errors.js';
import type { BundleMeta } from '../model/bundle.js';
import { BoundedQueue, ClientGoneError, QueueFullError, QueueTimeoutError } from './queue.js';
import { DurationError, HttpError } from './errors.js';

export { HttpError };
import type { Engine } from './engine.js';
import { lookupStatic } from './static.js';

/** Content types accepted as a raw audio body (the format itself is sniffed from the bytes). */
export const AUDIO_CONTENT_TYPES = [
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/vnd.wave',
  'audio/flac',
  'audio/x-flac',
  'audio/mpeg',
  'audio/mp3',
  'audio/ogg',
  'audio/vorbis',
  'application/ogg',
  'application/octet-stream',
] as const;

export interface ServerLimits {
  /** Largest accepted request body in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Longest accepted audio in seconds (422 beyond). */
  maxDurationS: number;
  /** Predictions running at once. */
  concurrency: number;
  /** Requests allowed to wait for a slot (503 + Retry-After beyond). */
  queue: number;
  /** Deadline of one prediction, queue wait included (503 if still queued, 504 if running). */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxBodyBytes: 20 * 1024 * 1024,
  maxDurationS: 60,
  concurrency: 2,
  queue: 16,
  timeoutMs: 30000,
});

export interface CreateServerOptions {
  engine: Engine;
  /** Metadata of the served bundle (labels, sample_rate, ...). */
  meta: BundleMeta;
  /** Where the model was loaded from (reported by /healthz). */
  modelSource: string;
  limits?: Partial<ServerLimits>;
  /** Folder of static files to serve (the web app), or undefined for none. */
  staticDir?: string;
  /** Fastify logger (default off). */
  logger?: boolean;
}

export interface SerServer {
  app: FastifyInstance;
  queue: BoundedQueue;
  limits: ServerLimits;
  /** Stops accepting connections, lets in-flight requests finish, then closes the engine. */
  close(): Promise<void>;
}

const SER_STATUS: Record<string, number> = {
  ETRUNC: 400, // malformed / truncated container
  EFORMAT: 415, // not a format the server decodes (random bytes, corrupt header)
  ECODEC: 415, // known container, unsupported codec
  EEMPTY: 422, // decodes to zero samples
  ENONFINITE: 422,
  ERATE: 422,
};

/** The HTTP status, API code, message and extra headers for an error thrown while serving. */
export function httpStatusOf(err: unknown): { status: number; code: string; message: string; headers: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  if (err instanceof QueueFullError) return { status: 503, code: 'EBUSY', message: err.message, headers: { 'retry-after': String(err.retryAfterS) } };
  if (err instanceof ClientGoneError) return { status: 503, code: 'EGONE', message: err.message, headers: {} };
  if (err instanceof QueueTimeoutError) {
    return err.phase === 'queued'
      ? { status: 503, code: 'ETIMEOUT', message: err.message, headers: { 'retry-after': '1' } }
      : { status: 504, code: 'ETIMEOUT', message: err.message, headers: {} };
  }
  const e = err as { code?: string; statusCode?: number; message?: string; name?: string };
  if (err instanceof DurationError || e?.code === 'EDURATION') return { status: 422, code: 'EDURATION', message: String(e.message), headers: {} };
  if (err instanceof SerError || e?.name === 'SerError') {
    const status = SER_STATUS[String(e.code)];
    if (status) return { status, code: String(e.code), message: String(e.message), headers: {} };
    return { status: 500, code: 'EINTERNAL', message: `the server could not process the audio: ${e.message}`, headers: {} };
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, code: 'ETOOLARGE', message: 'the request body is larger than the server accepts (--max-body-mb)', headers: {} };
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return { status: 413, code: 'ETOOLARGE', message: `multipart upload: ${e.message} (send one part named 'file')`, headers: {} };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return { status: 415, code: 'EMEDIATYPE', message: `unsupported Content-Type; send the audio file as one of ${AUDIO_CONTENT_TYPES.join(', ')}, or multipart/form-data with a field 'file'`, headers: {} };
      }
      return { status: 400, code: 'EBADREQUEST', message: String(e.message), headers: {} };
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return { status: 400, code: 'EMULTIPART', message: `malformed multipart upload: ${e.message}`, headers: {} };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, code: 'EBADREQUEST', message: String(e.message), headers: {} };
  }
  // busboy's parse errors ('Unexpected end of form', 'Malformed part header', ...) carry no status
  if (typeof e?.message === 'string' && /multipart|boundary|form|part header/i.test(e.message)) {
    return { status: 400, code: 'EMULTIPART', message: `malformed multipart upload: ${e.message}`, headers: {} };
  }
  return { status: 500, code: 'EINTERNAL', message: 'internal server error', headers: {} };
}

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, code, message, headers } = httpStatusOf(err);
  if (status >= 500 && status !== 503 && status !== 504) reply.log.error(err);
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
}

/** The model summary of /healthz and /v1/model. */
export function modelSummary(meta: BundleMeta, source: string, full = false): Record<string, unknown> {
  const base: Record<string, unknown> = {
    source,
    labels: meta.labels,
    sample_rate: meta.sample_rate,
    clip_seconds: meta.clip_seconds,
    window_hop_seconds: meta.window_hop_seconds,
    input_shape: meta.input_shape,
    feature_config_hash: meta.feature_config_hash,
  };
  if (!full) return base;
  const { normalization, weights, ...rest } = meta;
  const prior = normalization.speaker_prior;
  return {
    source,
    ...rest,
    normalization: {
      kind: normalization.kind,
      mode: normalization.mode,
      count: normalization.count,
      ...(prior ? { speaker_prior: { speakers: prior.speakers, pseudo_count: prior.pseudo_count }, speaker_statistics: 'per request, from its own audio' } : {}),
    },
    weights,
  };
}

function checkLimits(l: ServerLimits): void {
  const pos = (v: number, name: string, int = false) => {
    if (!(Number.isFinite(v) && v > 0) || (int && !Number.isInteger(v))) throw new SerError('EPARAM', `${name} must be a positive ${int ? 'integer' : 'number'}, got ${v}`);
  };
  pos(l.maxBodyBytes, '--max-body-mb');
  pos(l.maxDurationS, '--max-duration-s');
  pos(l.concurrency, '--concurrency', true);
  pos(l.timeoutMs, '--timeout-ms');
  if (!(Number.isInteger(l.queue) && l.queue >= 0)) throw new SerError('EPARAM', `--queue must be a non-negative integer, got ${l.queue}`);
}

/** Builds the Fastify app (not listening yet: call `app.listen`). */
export async function createServer(opts: CreateServerOptions): Promise<SerServer> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  checkLimits(limits);
  const queue = new BoundedQueue(limits.concurrency, limits.queue, limits.timeoutMs);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.maxBodyBytes,
    // slow uploads must not hold a connection forever
    requestTimeout: limits.timeoutMs + 10000,
    forceCloseConnections: 'idle',
    // while closing, requests on still-open connections get our own JSON 503 (onRequest below)
    return503OnClosing: false,
  });
  let staticRoot: string | null = null;
  if (opts.staticDir !== undefined) {
    try {
      staticRoot = await realpath(opts.staticDir);
      if (!(await stat(staticRoot)).isDirectory()) throw new Error('not a folder');
    } catch {
      throw new SerError('ENOENT', 'the --static folder does not exist or is not a folder', { file: opts.staticDir });
    }
  }

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-embedder-policy', 'require-corp');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  // Only audio bodies and multipart uploads are parsed; anything else is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...AUDIO_CONTENT_TYPES], { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_req, body, done) => done(null, body));
  await app.register(multipart, { limits: { fileSize: limits.maxBodyBytes, files: 1, parts: 20, fields: 10, fieldSize: 64 * 1024, headerPairs: 100 } });

  app.setErrorHandler((err, _req, reply) => sendError(reply, err));
  app.setNotFoundHandler((req, reply) => sendError(reply, new HttpError(404, 'ENOTFOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)));

  let shuttingDown = false;
  // Refuse at once, before reading the body: while shutting down, and when the queue is full.
  app.addHook('onRequest', async (req, reply) => {
    if (shuttingDown) {
      reply.header('connection', 'close');
      await sendError(reply, new HttpError(503, 'ESHUTDOWN', 'the server is shutting down; retry on a new connection', { 'retry-after': '1' }));
      return reply;
    }
    if (req.method === 'POST' && req.routeOptions.url === '/v1/predict' && queue.isFull()) {
      await sendError(reply, queue.refuse());
      return reply;
    }
  });

  app.get('/healthz', async () => ({
    status: 'ok',
    model: modelSummary(opts.meta, opts.modelSource),
    queue: queue.stats(),
    limits: { max_body_bytes: limits.maxBodyBytes, max_duration_s: limits.maxDurationS, timeout_ms: limits.timeoutMs },
    engine: opts.engine.kind,
  }));

  app.get('/v1/model', async () => modelSummary(opts.meta, opts.modelSource, true));

  app.get('/v1/predict', async (_req, reply) => {
    reply.header('allow', 'POST');
    return sendError(reply, new HttpError(405, 'EMETHOD', 'use POST /v1/predict with the audio as the body'));
  });

  app.post('/v1/predict', async (req: FastifyRequest, reply: FastifyReply) => {
    let bytes: Uint8Array;
    let name = 'request body';
    if (req.isMultipart()) {
      const part = await req.file();
      if (!part) throw new HttpError(400, 'EMULTIPART', "multipart upload without a file: send the audio in a field named 'file'");
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new HttpError(400, 'EMULTIPART', `multipart upload: the audio must be in a field named 'file', got '${part.fieldname}'`);
      }
      name = part.filename ? `upload '${part.filename}'` : "multipart field 'file'";
      bytes = await part.toBuffer();
    } else {
      const body = req.body as Buffer | undefined;
      if (body === undefined || body === null) throw new HttpError(400, 'EEMPTY', 'empty request body: send the audio file as the body (or multipart field file)');
      bytes = body;
    }
    if (bytes.length === 0) throw new HttpError(400, 'EEMPTY', `${name}: empty body, no audio bytes`);
    // A client that hangs up while its request waits leaves the queue (its job never runs).
    const gone = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    const result = await queue.run(() => opts.engine.predict(bytes, name, limits.maxDurationS), gone.signal);
    return reply.type('application/json; charset=utf-8').send(result);
  });

  if (staticRoot !== null) {
    const root = staticRoot;
    const serve = async (req: FastifyRequest, reply: FastifyReply) => {
      const r = await lookupStatic(root, req.raw.url ?? '/');
      if (!r.ok) return sendError(reply, new HttpError(r.status, r.code, r.message));
      reply.header('content-type', r.contentType);
      reply.header('content-length', String(r.size));
      reply.header('last-modified', r.mtime.toUTCString());
      reply.header('cache-control', 'no-cache');
      return reply.send(createReadStream(r.path));
    };
    app.get('/', serve);
    app.get('/*', serve);
  }

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      await app.close();
      await queue.idle();
      await opts.engine.close();
    })();
    return closing;
  };
  return { app, queue, limits, close };
}
