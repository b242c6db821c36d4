/**
 * Resumable download against a local HTTP server (127.0.0.1, port 0): full transfer, a connection
 * dropped mid-body then resumed with Range + If-Range, a server without range support (restart
 * from zero), 416 for an already complete part file, a changed file (If-Range mismatch), HTTP
 * errors with their status, an unreachable port, an idle timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { downloadResumable, parseContentRange, readDownloadState } from '../../src/download/http.js';
import { SerError } from '../../src/errors.js';
import { ETAG, ravdessZip, serveAndDrop, serveFull, serveRanges, startServer, tempDir } from './helpers.js';

const { zip: BODY } = ravdessZip();

test('parseContentRange', () => {
  assert.deepEqual(parseContentRange('bytes 10-99/100'), { start: 10, end: 99, total: 100 });
  assert.deepEqual(parseContentRange('bytes */100'), { start: undefined, end: undefined, total: 100 });
  assert.equal(parseContentRange('items 1-2/3'), undefined);
  assert.equal(parseContentRange(undefined), undefined);
});

test('full download: the part file equals the served bytes; state records ETag and size', async () => {
  const srv = await startServer((req, res) => serveRanges(req, res, BODY));
  const { dir, cleanup } = tempDir();
  try {
    const part = join(dir, 'a.part');
    const seen: number[] = [];
    const r = await downloadResumable({ url: srv.url(), partPath: part, onProgress: (n) => seen.push(n) });
    assert.deepEqual(readFileSync(part), BODY);
    assert.equal(r.bytes, BODY.length);
    assert.equal(r.total, BODY.length);
    assert.equal(r.resumed, false);
    assert.equal(r.requests, 1);
    assert.equal(seen[seen.length - 1], BODY.length);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], 'progress never goes back');
    const st = await readDownloadState(`${part}.json`);
    assert.equal(st?.etag, ETAG);
    assert.equal(st?.total, BODY.length);
    assert.equal(srv.requests[0].headers['accept-encoding'], 'identity');
  } finally {
    cleanup();
    await srv.close();
  }
});

test('interrupted mid-body, then resumed: the retry carries Range and If-Range, the server answers 206, the file is exact', async () => {
  const cut = Math.floor(BODY.length * 0.4);
  const srv = await startServer((req, res, i) => (i === 0 ? serveAndDrop(req, res, BODY, cut) : serveRanges(req, res, BODY)));
  const { dir, cleanup } = tempDir();
  try {
    const part = join(dir, 'a.part');
    const events: string[] = [];
    const r = await downloadResumable({ url: srv.url(), partPath: part, retryDelayMs: 5, onEvent: (e) => events.push(e.kind) });
    assert.equal(srv.requests.length, 2);
    assert.equal(srv.requests[0].headers.range, undefined);
    const m = /^bytes=(\d+)-$/.exec(String(srv.requests[1].headers.range));
    assert.ok(m, `second request has a Range header: ${srv.requests[1].headers.range}`);
    const from = Number(m[1]);
    assert.equal(from, cut, 'resumed exactly after the bytes sent');
    assert.equal(srv.requests[1].headers['if-range'], ETAG);
    assert.deepEqual(readFileSync(part), BODY);
    assert.equal(r.resumed, true);
    assert.equal(r.restarted, false);
    assert.deepEqual(events, ['start', 'retry', 'resume']);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('interrupted with no retries left: SerError says how many bytes are kept; the next call resumes from there', async () => {
  const cut = Math.floor(BODY.length * 0.5);
  const srv = await startServer((req, res) => serveAndDrop(req, res, BODY, cut));
  const { dir, cleanup } = tempDir();
  try {
    const part = join(dir, 'a.part');
    await assert.rejects(downloadResumable({ url: srv.url(), partPath: part, retries: 0 }), (err: unknown) => {
      assert.ok(err instanceof SerError && err.code === 'EIO');
      assert.match(err.message, /interrupted.*of \d+ bytes kept.*run the same command again to resume/);
      return true;
    });
    const kept = readFileSync(part);
    assert.ok(kept.length > 0 && kept.length <= cut);
    assert.deepEqual(kept, BODY.subarray(0, kept.length));
    srv.handle((req, res) => serveRanges(req, res, BODY));
    const r = await downloadResumable({ url: srv.url(), partPath: part, retries: 0 });
    assert.equal(srv.requests[1].headers.range, `bytes=${kept.length}-`);
    assert.deepEqual(readFileSync(part), BODY);
    assert.equal(r.resumed, true);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('server without Range support: the 200 answer restarts the file from zero, the result is exact', async () => {
  const cut = Math.floor(BODY.length * 0.6);
  const srv = await startServer((req, res, i) => (i === 0 ? serveAndDrop(req, res, BODY, cut) : serveFull(res, BODY)));
  const { dir, cleanup } = tempDir();
  try {
    const part = join(dir, 'a.part');
    const r = await downloadResumable({ url: srv.url(), partPath: part, retryDelayMs: 5 });
    assert.ok(srv.requests[1].headers.range, 'a resume was attempted');
    assert.deepEqual(readFileSync(part), BODY);
    assert.equal(r.restarted, true);
    assert.equal(r.resumed, false);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('file changed on the server (If-Range does not match): full 200, restart, exact new content', async () => {
  const v2 = Buffer.concat([BODY, Buffer.from('changed')]);
  const srv = await startServer((req, res, i) => (i === 0 ? serveAndDrop(req, res, BODY, 5000) : serveRanges(req, res, v2, '"v2"')));
  const { dir, cleanup } = tempDir();
  try {
    const part = join(dir, 'a.part');
    const r = await downloadResumable({ url: srv.url(), partPath: part, retryDelayMs: 5 });
    assert.equal(srv.requests[1].headers['if-range'], ETAG);
    assert.deepEqual(readFileSync(part), v2);
    assert.equal(r.restarted, true);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('416 for a part file that is already complete: accepted without a body', async () => {
  const srv = await startServer((req, res) => serveRanges(req, res, BODY));
  const { dir, cleanup } = tempDir();
  try {
    const part = join(dir, 'a.part');
    writeFileSync(part, BODY);
    // State without a total (as after a server that sent no length): the client must ask.
    writeFileSync(`${part}.json`, JSON.stringify({ version: 1, url: srv.url(), etag: ETAG }));
    const r = await downloadResumable({ url: srv.url(), partPath: part });
    assert.equal(srv.requests.length, 1);
    assert.equal(srv.requests[0].headers.range, `bytes=${BODY.length}-`);
    assert.equal(r.bytes, BODY.length);
    assert.deepEqual(readFileSync(part), BODY);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('a part file without state (or from another URL) is not trusted: discarded, full download', async () => {
  const srv = await startServer((req, res) => serveRanges(req, res, BODY));
  const { dir, cleanup } = tempDir();
  try {
    const part = join(dir, 'a.part');
    writeFileSync(part, Buffer.from('garbage from somewhere else'));
    const r = await downloadResumable({ url: srv.url(), partPath: part });
    assert.equal(srv.requests[0].headers.range, undefined);
    assert.deepEqual(readFileSync(part), BODY);
    assert.equal(r.restarted, true);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('HTTP errors: 404 fails at once with the status; 503 is retried then succeeds', async () => {
  const srv = await startServer((req, res, i) => {
    if (req.url === '/missing') {
      res.writeHead(404);
      res.end('no');
    } else if (i === 1) {
      res.writeHead(503);
      res.end();
    } else serveRanges(req, res, BODY);
  });
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(downloadResumable({ url: srv.url('/missing'), partPath: join(dir, 'm.part'), retryDelayMs: 5 }), (err: unknown) => {
      assert.ok(err instanceof SerError && err.code === 'EIO');
      assert.match(err.message, /HTTP 404/);
      return true;
    });
    assert.equal(srv.requests.length, 1, '404 is not retried');
    const r = await downloadResumable({ url: srv.url(), partPath: join(dir, 'a.part'), retryDelayMs: 5 });
    assert.equal(srv.requests.length, 3);
    assert.equal(r.bytes, BODY.length);
    assert.equal(existsSync(join(dir, 'm.part')), false);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('redirects are followed', async () => {
  const srv = await startServer((req, res) => {
    if (req.url === '/old') {
      res.writeHead(302, { location: '/Audio_Speech_Actors_01-24.zip' });
      res.end();
    } else serveRanges(req, res, BODY);
  });
  const { dir, cleanup } = tempDir();
  try {
    const r = await downloadResumable({ url: srv.url('/old'), partPath: join(dir, 'a.part') });
    assert.equal(r.bytes, BODY.length);
    assert.deepEqual(readFileSync(join(dir, 'a.part')), BODY);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('unreachable host (closed port): SerError says offline/unreachable and carries the manual hint; no retry loop', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const { dir, cleanup } = tempDir();
  try {
    const t0 = Date.now();
    await assert.rejects(
      downloadResumable({ url: `http://127.0.0.1:${port}/x.zip`, partPath: join(dir, 'a.part'), retryDelayMs: 2000, offlineHint: 'Download it by hand.' }),
      (err: unknown) => {
        assert.ok(err instanceof SerError && err.code === 'EIO');
        assert.match(err.message, /cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\).*offline.*Download it by hand\./);
        return true;
      },
    );
    assert.ok(Date.now() - t0 < 1500, 'no back-off for an unreachable host');
  } finally {
    cleanup();
  }
});

test('idle timeout: a server that stalls mid-body is abandoned, retried, resumed', async () => {
  const srv = await startServer((req, res, i) => {
    if (i === 0) {
      res.writeHead(200, { 'content-length': BODY.length, etag: ETAG });
      res.write(BODY.subarray(0, 1000)); // then nothing
    } else serveRanges(req, res, BODY);
  });
  const { dir, cleanup } = tempDir();
  try {
    const events: string[] = [];
    const r = await downloadResumable({ url: srv.url(), partPath: join(dir, 'a.part'), timeoutMs: 300, retryDelayMs: 5, onEvent: (e) => events.push(e.kind === 'retry' ? `retry:${e.reason}` : e.kind) });
    assert.deepEqual(readFileSync(join(dir, 'a.part')), BODY);
    assert.equal(r.resumed, true);
    assert.equal(srv.requests[1].headers.range, 'bytes=1000-');
    assert.ok(events.some((e) => e.startsWith('retry:')), events.join(','));
  } finally {
    cleanup();
    await srv.close();
  }
});
