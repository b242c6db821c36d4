/**
 * Test helpers for the download tests: a minimal zip writer (independent of the reader under test,
 * able to write the malformed members a reader must refuse), tiny RAVDESS-named WAVs, and a local
 * HTTP server on 127.0.0.1 (port 0) whose behaviour each test scripts. No other host is contacted.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { monoWav } from '../fixtures/wav.js';

export interface ZipMember {
  name: string;
  data?: Uint8Array;
  /** 0 stored, 8 deflate (default 8). */
  method?: 0 | 8;
  /** Write this CRC-32 instead of the true one (a corrupt archive). */
  crc?: number;
  /** Unix mode bits for the external attributes (e.g. 0o120777 for a symbolic link). */
  mode?: number;
}

/** Builds a zip archive (no zip64, no data descriptors). Directory members end with '/'. */
export function buildZip(members: ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const raw = Buffer.from(m.data ?? new Uint8Array(0));
    const isDir = m.name.endsWith('/');
    const method = isDir ? 0 : m.method ?? 8;
    const comp = method === 8 ? deflateRawSync(raw) : raw;
    const crc = m.crc ?? crc32(raw);
    const name = Buffer.from(m.name, 'utf8');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x800, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt16LE(0, 10);
    lh.writeUInt16LE(0x21, 12);
    lh.writeUInt32LE(crc >>> 0, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(raw.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    locals.push(lh, name, comp);
    const mode = m.mode ?? (isDir ? 0o40755 : 0o100644);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x800, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(0, 12);
    ch.writeUInt16LE(0x21, 14);
    ch.writeUInt32LE(crc >>> 0, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(raw.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((mode & 0xffff) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A 16-bit PCM mono WAV of `samples` pseudo-random samples (seeded xorshift; incompressible enough). */
export function noiseWav(samples: number, seed: number, sr = 16000): Buffer {
  const pcm = new Int16Array(samples);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < samples; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    pcm[i] = (x % 8000) - 4000;
  }
  return monoWav(pcm, sr);
}

/** RAVDESS-named recordings used in the test archive: [path inside the zip, emotion label]. */
export const RAVDESS_MEMBERS: [string, string][] = [
  ['Actor_01/03-01-01-01-01-01-01.wav', 'neutral'],
  ['Actor_01/03-01-05-02-01-01-01.wav', 'angry'],
  ['Actor_01/03-01-04-01-02-02-01.wav', 'sad'],
  ['Actor_02/03-01-03-01-01-01-02.wav', 'happy'],
  ['Actor_02/03-01-06-02-02-01-02.wav', 'fearful'],
  ['Actor_02/03-01-08-01-01-02-02.wav', 'surprised'],
];

/** A RAVDESS-style archive (~100 kB): Actor_01/, Actor_02/ with tiny WAVs, stored and deflated. */
export function ravdessZip(): { zip: Buffer; files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>();
  const members: ZipMember[] = [{ name: 'Actor_01/' }, { name: 'Actor_02/' }];
  RAVDESS_MEMBERS.forEach(([name], i) => {
    const data = noiseWav(8000, i + 1);
    files.set(name, data);
    members.push({ name, data, method: i % 2 === 0 ? 0 : 8 });
  });
  return { zip: buildZip(members), files };
}

export function md5(b: Uint8Array): string {
  return createHash('md5').update(b).digest('hex');
}
export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function tempDir(prefix = 'ser-dl-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RecordedRequest {
  url: string;
  headers: IncomingMessage['headers'];
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

export interface TestServer {
  url: (path?: string) => string;
  requests: RecordedRequest[];
  /** Replaces the behaviour (index counts requests from 0). */
  handle: (h: Handler) => void;
  close: () => Promise<void>;
  server: Server;
}

/** Starts an HTTP server on 127.0.0.1, port 0. */
export async function startServer(handler: Handler): Promise<TestServer> {
  let h = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const i = requests.length;
    requests.push({ url: req.url ?? '', headers: req.headers });
    h(req, res, i);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path = '/Audio_Speech_Actors_01-24.zip') => `http://127.0.0.1:${port}${path}`,
    requests,
    handle: (nh) => (h = nh),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
    server,
  };
}

export const ETAG = '"v1-test"';

/**
 * Serves `body` like a static file server: ETag, Accept-Ranges, honours `Range: bytes=N-` (206),
 * If-Range (a different validator → 200 with everything), and answers 416 past the end.
 */
export function serveRanges(req: IncomingMessage, res: ServerResponse, body: Buffer, etag = ETAG): void {
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
  if (m && (ifRange === undefined || ifRange === etag)) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      'content-length': body.length - start,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      etag,
      'accept-ranges': 'bytes',
    });
    res.end(body.subarray(start));
    return;
  }
  serveFull(res, body, etag);
}

/** 200 with the whole body (ignores any Range header: a server without range support). */
export function serveFull(res: ServerResponse, body: Buffer, etag = ETAG): void {
  res.writeHead(200, { 'content-length': body.length, etag, 'content-type': 'application/zip' });
  res.end(body);
}

/** Sends the headers of a 200 for the whole body, then exactly `cut` bytes, then closes the connection. */
export function serveAndDrop(req: IncomingMessage, res: ServerResponse, body: Buffer, cut: number, etag = ETAG): void {
  res.writeHead(200, { 'content-length': body.length, etag, 'accept-ranges': 'bytes', 'content-type': 'application/zip' });
  // end() (FIN), not destroy(): a reset could make the client's kernel drop bytes it has not read yet.
  res.write(body.subarray(0, cut), () => req.socket.end());
}
