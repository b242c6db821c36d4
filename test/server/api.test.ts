/**
 * `ser serve`'s HTTP API over real HTTP on loopback (port 0), with a tiny random-weight bundle and
 * the main-thread engine (the worker engine and the CLI are tested in cli.test.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { loadBundle } from '../../src/model/bundle-node.js';
import { disposeBundle, type ModelBundle } from '../../src/model/bundle.js';
import { predictClip } from '../../src/model/predict.js';
import { decodeAudio } from '../../src/audio/decode.js';
import { toMono } from '../../src/audio/load.js';
import { createServer, type SerServer, type ServerLimits } from '../../src/server/app.js';
import { createInlineEngine } from '../../src/server/engine.js';
import { FIXTURES, LABELS, SR, makeTinyBundle, rawRequest, sine, wavBytes } from './helpers.js';
import { flacFixture } from '../fixtures/audio/flac-fixtures.js';

let modelDir: string;
let bundle: ModelBundle;
let srv: SerServer;
let base: string;
let port: number;

async function start(limits: Partial<ServerLimits>, beforePredict?: () => Promise<void>): Promise<{ srv: SerServer; port: number; base: string }> {
  const s = await createServer({ engine: createInlineEngine(bundle, { beforePredict }), meta: bundle.meta, modelSource: modelDir, limits });
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  const p = (s.app.server.address() as AddressInfo).port;
  return { srv: s, port: p, base: `http://127.0.0.1:${p}` };
}

function post(url: string, body: Uint8Array | FormData | string, type?: string): Promise<Response> {
  return fetch(url, { method: 'POST', body: body as BodyInit, headers: type ? { 'content-type': type } : {} });
}

async function errorOf(r: Response): Promise<{ code: string; message: string }> {
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const j = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(typeof j.error?.code, 'string');
  assert.equal(typeof j.error?.message, 'string');
  return j.error;
}

function assertClose(a: Record<string, number>, b: Record<string, number>, tol: number): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) assert.ok(Math.abs(a[k] - b[k]) <= tol, `${k}: ${a[k]} vs ${b[k]}`);
}

before(async () => {
  modelDir = await makeTinyBundle();
  bundle = await loadBundle(modelDir);
  ({ srv, port, base } = await start({ maxBodyBytes: 256 * 1024, maxDurationS: 3, concurrency: 1, queue: 4, timeoutMs: 20000 }));
});

after(async () => {
  await srv.close();
  disposeBundle(bundle);
});

test('GET /healthz: status, model labels and rate, queue and limits; COOP/COEP headers', async () => {
  const r = await fetch(`${base}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
  const j = (await r.json()) as any;
  assert.equal(j.status, 'ok');
  assert.deepEqual(j.model.labels, LABELS);
  assert.equal(j.model.sample_rate, SR);
  assert.equal(j.queue.concurrency, 1);
  assert.equal(j.queue.max_queue, 4);
  assert.equal(j.queue.running, 0);
  assert.equal(j.limits.max_duration_s, 3);
  const m = (await (await fetch(`${base}/v1/model`)).json()) as any;
  assert.deepEqual(m.labels, LABELS);
  assert.equal(m.feature_config.sr, SR);
  assert.equal(m.normalization.mean, undefined, 'no normalisation arrays in /v1/model');
});

test('POST /v1/predict WAV (16-bit, 22.05 kHz, longer than a clip): same answer as predictClip on the decoded samples', async () => {
  const y = sine(1.3, 300, 22050, 0.4);
  const bytes = wavBytes(y, 22050, 'i16');
  const r = await post(`${base}/v1/predict`, bytes, 'audio/wav');
  assert.equal(r.status, 200);
  const j = (await r.json()) as any;
  assert.deepEqual(Object.keys(j).sort(), ['duration', 'label', 'probabilities', 'windows']);
  assert.ok(LABELS.includes(j.label));
  const sum = Object.values(j.probabilities as Record<string, number>).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, `probabilities sum to ${sum}`);
  assert.ok(Math.abs(j.duration - 1.3) < 1e-3, `duration ${j.duration}`);
  assert.ok(j.windows.length > 1, 'a 1.3 s clip gives several 0.5 s windows');
  // Reference: the library on the same samples (16-bit values decoded independently: v / 32768).
  const ref = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) ref[i] = Math.round(y[i] * 32767) / 32768;
  const p = predictClip(bundle, ref, 22050);
  assert.equal(j.label, p.label);
  assertClose(j.probabilities, p.probabilities, 1e-6);
  assert.equal(j.windows.length, p.windows.length);
  // the label is the arg-max of the probabilities
  const best = Object.entries(j.probabilities as Record<string, number>).sort((a, b) => b[1] - a[1])[0][0];
  assert.equal(j.label, best);
});

test('POST /v1/predict FLAC and the bit-identical WAV give the same prediction; raw and multipart agree', async () => {
  const flac = await readFile(flacFixture('s16-stereo'));
  const wav = await readFile(FIXTURES + 's16-stereo.wav');
  const rf = await post(`${base}/v1/predict`, flac, 'audio/flac');
  const rw = await post(`${base}/v1/predict`, wav, 'application/octet-stream');
  assert.equal(rf.status, 200);
  assert.equal(rw.status, 200);
  const jf = (await rf.json()) as any;
  const jw = (await rw.json()) as any;
  assert.deepEqual(jf, jw);
  const a = await decodeAudio(new Uint8Array(flac));
  const p = predictClip(bundle, toMono(a.channels), a.sr);
  assertClose(jf.probabilities, p.probabilities, 1e-6);

  const form = new FormData();
  form.append('note', 'ignored field');
  form.append('file', new Blob([flac], { type: 'audio/flac' }), 'clip.flac');
  const rm = await post(`${base}/v1/predict`, form);
  assert.equal(rm.status, 200);
  assert.deepEqual(await rm.json(), jf);
});

test('POST /v1/predict MP3 and Ogg Vorbis: same answer as predictClip on the decoded samples', async () => {
  for (const [file, type] of [['sine440.mp3', 'audio/mpeg'], ['sine440.ogg', 'audio/ogg']]) {
    const bytes = await readFile(FIXTURES + file);
    const r = await post(`${base}/v1/predict`, bytes, type);
    assert.equal(r.status, 200, file);
    const j = (await r.json()) as any;
    const a = await decodeAudio(new Uint8Array(bytes));
    const p = predictClip(bundle, toMono(a.channels), a.sr);
    assert.equal(j.label, p.label, file);
    assertClose(j.probabilities, p.probabilities, 1e-6);
  }
});

test('bad bodies: 400 / 413 / 415 / 422 with JSON {error: {code, message}}', async () => {
  const url = `${base}/v1/predict`;
  const good = wavBytes(sine(0.4, 440, SR), SR);
  // 400 empty body (with and without a content type)
  let r = await post(url, new Uint8Array(0), 'audio/wav');
  assert.equal(r.status, 400);
  assert.equal((await errorOf(r)).code, 'EEMPTY');
  r = await fetch(url, { method: 'POST' });
  assert.equal(r.status, 400);
  assert.equal((await errorOf(r)).code, 'EEMPTY');
  // 400 truncated WAV (data chunk cut short)
  r = await post(url, good.subarray(0, 200), 'audio/wav');
  assert.equal(r.status, 400);
  let e = await errorOf(r);
  assert.equal(e.code, 'ETRUNC');
  assert.match(e.message, /request body.*truncated/);
  // 415 random bytes
  const rnd = new Uint8Array(4096);
  let s = 12345;
  for (let i = 0; i < rnd.length; i++) rnd[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  rnd[0] = 0x13; // not a sync byte or a magic
  r = await post(url, rnd, 'application/octet-stream');
  assert.equal(r.status, 415);
  assert.equal((await errorOf(r)).code, 'EFORMAT');
  // 415 wrong content types
  for (const type of ['text/plain', 'application/json', 'image/png']) {
    r = await post(url, good, type);
    assert.equal(r.status, 415, type);
    assert.equal((await errorOf(r)).code, 'EMEDIATYPE');
  }
  // 413 too large (limit 256 KiB)
  r = await post(url, new Uint8Array(300 * 1024), 'audio/wav');
  assert.equal(r.status, 413);
  assert.equal((await errorOf(r)).code, 'ETOOLARGE');
  // 422 too long (limit 3 s): the message names the limit
  r = await post(url, wavBytes(sine(3.5, 440, 8000), 8000), 'audio/wav');
  assert.equal(r.status, 422);
  e = await errorOf(r);
  assert.equal(e.code, 'EDURATION');
  assert.match(e.message, /3 s/);
  // 422 zero-length audio, NaN samples, absurd rate
  r = await post(url, wavBytes(new Float32Array(0), SR), 'audio/wav');
  assert.equal(r.status, 422);
  assert.equal((await errorOf(r)).code, 'EEMPTY');
  const nan = sine(0.2, 440, SR);
  nan[100] = NaN;
  r = await post(url, wavBytes(nan, SR, 'f32'), 'audio/wav');
  assert.equal(r.status, 422);
  assert.equal((await errorOf(r)).code, 'ENONFINITE');
  r = await post(url, wavBytes(sine(0.2, 10, 100), 100), 'audio/wav');
  assert.equal(r.status, 422);
  assert.equal((await errorOf(r)).code, 'ERATE');
  // multipart: no field named 'file' → 400; malformed (cut before the closing boundary) → 400; too large → 413
  const form = new FormData();
  form.append('audio', new Blob([good]), 'a.wav');
  r = await post(url, form);
  assert.equal(r.status, 400);
  assert.equal((await errorOf(r)).code, 'EMULTIPART');
  const broken = `--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n` + 'RIFF1234WAVEfmt ';
  r = await post(url, broken, 'multipart/form-data; boundary=XYZ');
  assert.equal(r.status, 400);
  assert.equal((await errorOf(r)).code, 'EMULTIPART');
  const big = new FormData();
  big.append('file', new Blob([new Uint8Array(300 * 1024)]), 'big.wav');
  r = await post(url, big);
  assert.equal(r.status, 413);
  assert.equal((await errorOf(r)).code, 'ETOOLARGE');
  // wrong method / unknown route → JSON too
  r = await fetch(url);
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'POST');
  r = await fetch(`${base}/nope`);
  assert.equal(r.status, 404);
  assert.equal((await errorOf(r)).code, 'ENOTFOUND');
  // the server still works afterwards
  for (const type of ['audio/x-wav', 'audio/wav; codecs=1', 'Audio/WAV']) {
    r = await post(url, good, type);
    assert.equal(r.status, 200, type);
    await r.arrayBuffer();
  }
  const h = (await (await fetch(`${base}/healthz`)).json()) as any;
  assert.equal(h.queue.running + h.queue.waiting, 0);
});

/** A gate: predictions wait until `open()`; `entered` counts predictions that reached it. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  const g = { entered: 0, open: () => release(), hook: async () => { g.entered++; await opened; } };
  return g;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('queue: concurrency 1 + queue 1 → the third request gets 503 + Retry-After at once; the others finish; healthz answers meanwhile', async () => {
  const g = gate();
  const s = await start({ concurrency: 1, queue: 1, timeoutMs: 20000 }, g.hook);
  try {
    const body = wavBytes(sine(0.3, 440, SR), SR);
    const first = post(`${s.base}/v1/predict`, body, 'audio/wav');
    await until(() => g.entered === 1);
    const second = post(`${s.base}/v1/predict`, body, 'audio/wav');
    await until(() => s.srv.queue.stats().waiting === 1);
    const t0 = Date.now();
    const third = await post(`${s.base}/v1/predict`, body, 'audio/wav');
    assert.equal(third.status, 503);
    assert.ok(Date.now() - t0 < 2000, 'refused without waiting');
    const ra = Number(third.headers.get('retry-after'));
    assert.ok(Number.isInteger(ra) && ra >= 1, `Retry-After ${third.headers.get('retry-after')}`);
    assert.equal((await errorOf(third)).code, 'EBUSY');
    const h = (await (await fetch(`${s.base}/healthz`)).json()) as any;
    assert.equal(h.queue.running, 1);
    assert.equal(h.queue.waiting, 1);
    assert.equal(h.queue.rejected_full, 1);
    g.open();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
  } finally {
    g.open();
    await s.srv.close();
  }
});

test('a client that disconnects while queued leaves the queue; its prediction never runs', async () => {
  const g = gate();
  const s = await start({ concurrency: 1, queue: 2, timeoutMs: 20000 }, g.hook);
  try {
    const body = wavBytes(sine(0.3, 440, SR), SR);
    const first = post(`${s.base}/v1/predict`, body, 'audio/wav');
    await until(() => g.entered === 1);
    const ac = new AbortController();
    const second = fetch(`${s.base}/v1/predict`, { method: 'POST', body, headers: { 'content-type': 'audio/wav' }, signal: ac.signal });
    await until(() => s.srv.queue.stats().waiting === 1);
    ac.abort();
    await assert.rejects(second);
    await until(() => s.srv.queue.stats().waiting === 0);
    assert.equal(s.srv.queue.stats().dropped_gone, 1);
    g.open();
    assert.equal((await first).status, 200);
    await s.srv.queue.idle();
    assert.equal(g.entered, 1, 'the abandoned request was never predicted');
  } finally {
    g.open();
    await s.srv.close();
  }
});

test('timeout: a running prediction past --timeout-ms → 504, one still queued → 503 ETIMEOUT', async () => {
  const g = gate();
  const s = await start({ concurrency: 1, queue: 2, timeoutMs: 300 }, g.hook);
  try {
    const body = wavBytes(sine(0.3, 440, SR), SR);
    const first = post(`${s.base}/v1/predict`, body, 'audio/wav');
    await until(() => g.entered === 1);
    const second = post(`${s.base}/v1/predict`, body, 'audio/wav');
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 504);
    assert.equal((await errorOf(a)).code, 'ETIMEOUT');
    assert.equal(b.status, 503);
    assert.ok(Number(b.headers.get('retry-after')) >= 1);
    assert.equal((await errorOf(b)).code, 'ETIMEOUT');
  } finally {
    g.open();
    await s.srv.close();
  }
});

test('graceful close: an in-flight prediction finishes with 200, then new connections are refused', async () => {
  const g = gate();
  const s = await start({ concurrency: 1, queue: 2 }, g.hook);
  const body = wavBytes(sine(0.3, 440, SR), SR);
  const inflight = rawRequest(s.port, 'POST', '/v1/predict', body, { 'content-type': 'audio/wav' });
  await until(() => g.entered === 1);
  let closed = false;
  const closing = s.srv.close().then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(closed, false, 'close waits for the in-flight request');
  g.open();
  const r = await inflight;
  assert.equal(r.status, 200);
  assert.ok(LABELS.includes(r.json().label));
  await closing;
  await assert.rejects(fetch(`${s.base}/healthz`));
});

test('while closing, a request pipelined on an open connection gets 503 ESHUTDOWN (JSON) after the in-flight one gets 200', async () => {
  const g = gate();
  const s = await start({ concurrency: 1, queue: 2 }, g.hook);
  const body = wavBytes(sine(0.3, 440, SR), SR);
  const { connect } = await import('node:net');
  const sock = connect(s.port, '127.0.0.1');
  let text = '';
  sock.on('data', (d) => (text += d.toString('latin1')));
  const ended = new Promise<void>((r) => sock.on('close', () => r()));
  await new Promise<void>((r) => sock.on('connect', () => r()));
  sock.write(`POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: ${body.length}\r\n\r\n`);
  sock.write(body);
  await until(() => g.entered === 1);
  const closing = s.srv.close();
  await new Promise((r) => setTimeout(r, 50));
  sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 50));
  g.open();
  await closing;
  await ended;
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [200, 503], text.slice(0, 300));
  assert.match(text, /"code":"ESHUTDOWN"/);
});
