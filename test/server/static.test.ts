/**
 * `ser serve --static DIR`: files with the right content types and COOP/COEP headers, and no way
 * out of DIR (encoded ../, absolute paths, backslashes, NUL, symlinks, dot-files).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer, type SerServer } from '../../src/server/app.js';
import type { Engine } from '../../src/server/engine.js';
import type { BundleMeta } from '../../src/model/bundle.js';
import { lookupStatic, contentTypeFor } from '../../src/server/static.js';
import { rawRequest } from './helpers.js';

const SECRET = 'TOP-SECRET-do-not-serve';
let tmp: string;
let root: string;
let srv: SerServer;
let port: number;
const wasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

// Static serving needs no model: a stub engine and minimal metadata.
const engine: Engine = { kind: 'inline', predict: () => Promise.reject(new Error('unused')), ready: async () => {}, close: async () => {} };
const meta = { labels: ['a', 'b'], sample_rate: 16000, clip_seconds: 1, window_hop_seconds: 0.5, input_shape: [10, 2], feature_config_hash: 'x' } as unknown as BundleMeta;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ser-static-'));
  root = join(tmp, 'web');
  await mkdir(join(root, 'assets'), { recursive: true });
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>ser</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'tfjs-backend-wasm-threaded-simd.wasm'), wasm);
  await writeFile(join(root, 'assets', 'style.css'), 'body{}');
  await writeFile(join(root, 'sub', 'index.html'), 'sub index');
  await writeFile(join(root, '.env'), SECRET);
  await writeFile(join(tmp, 'secret.txt'), SECRET);
  await writeFile(join(tmp, 'web-evil.txt'), SECRET); // a sibling whose name starts like the root
  await symlink(tmp, join(root, 'link-out'));
  await symlink(join(tmp, 'secret.txt'), join(root, 'leak.txt'));
  srv = await createServer({ engine, meta, modelSource: 'stub', staticDir: root });
  await srv.app.listen({ port: 0, host: '127.0.0.1' });
  port = (srv.app.server.address() as AddressInfo).port;
});

after(async () => {
  await srv.close();
  await rm(tmp, { recursive: true, force: true });
});

test('files: content types, bytes, index.html for folders, COOP/COEP on every response', async () => {
  const cases: [string, string, string | Uint8Array][] = [
    ['/', 'text/html; charset=utf-8', '<!doctype html><title>ser</title>'],
    ['/index.html', 'text/html; charset=utf-8', '<!doctype html><title>ser</title>'],
    ['/assets/app.js?v=3', 'text/javascript; charset=utf-8', 'console.log(1)'],
    ['/assets/style.css', 'text/css; charset=utf-8', 'body{}'],
    ['/assets/tfjs-backend-wasm-threaded-simd.wasm', 'application/wasm', wasm],
    ['/sub/', 'text/html; charset=utf-8', 'sub index'],
    ['/sub', 'text/html; charset=utf-8', 'sub index'],
    ['/%61ssets/app.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
  ];
  for (const [path, type, body] of cases) {
    const r = await rawRequest(port, 'GET', path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['content-type'], type, path);
    assert.deepEqual(new Uint8Array(r.body), typeof body === 'string' ? new TextEncoder().encode(body) : body, path);
    assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin', path);
    assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp', path);
    assert.equal(Number(r.headers['content-length']), r.body.length, path);
  }
  const head = await rawRequest(port, 'HEAD', '/assets/app.js');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  const missing = await rawRequest(port, 'GET', '/nope.js');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(missing.json().error.code, 'ENOTFOUND');
  // the API still answers next to the static files
  assert.equal((await rawRequest(port, 'GET', '/healthz')).status, 200);
});

test('traversal attempts never serve a file outside the folder', async () => {
  const attempts = [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/%252e%252e/secret.txt',
    `/${encodeURIComponent(join(tmp, 'secret.txt'))}`,
    `/${join(tmp, 'secret.txt')}`,
    `//${join(tmp, 'secret.txt')}`,
    '/%2F..%2F..%2Fsecret.txt',
    '/../web-evil.txt',
    '/link-out/secret.txt',
    '/leak.txt',
    '/.env',
    '/%2eenv',
    '/index.html%00.js',
    '/%',
    '/%zz',
    'http://127.0.0.1/../secret.txt',
  ];
  for (const path of attempts) {
    const r = await rawRequest(port, 'GET', path);
    assert.ok([400, 403, 404].includes(r.status), `${path} → ${r.status}`);
    assert.ok(!r.body.toString('latin1').includes(SECRET), `${path} leaked the secret`);
  }
});

test('lookupStatic and contentTypeFor directly (unit level)', async () => {
  const { realpath } = await import('node:fs/promises');
  const real = await realpath(root);
  const ok = await lookupStatic(real, '/assets/app.js');
  assert.ok(ok.ok && ok.path === join(real, 'assets', 'app.js'));
  for (const p of ['/../secret.txt', '/a/../../secret.txt', '/%2e%2e/x']) {
    const r = await lookupStatic(real, p);
    assert.ok(!r.ok && r.status === 403, p);
  }
  assert.equal(contentTypeFor('x.WASM'), 'application/wasm');
  assert.equal(contentTypeFor('x.mjs'), 'text/javascript; charset=utf-8');
  assert.equal(contentTypeFor('noext'), 'application/octet-stream');
});

test('--static with a missing folder is refused with a SerError naming it', async () => {
  await assert.rejects(createServer({ engine, meta, modelSource: 'stub', staticDir: join(tmp, 'missing') }), (e: Error) => e.name === 'SerError' && e.message.includes('missing'));
});
