/**
 * The microphone web app in a real browser: Debian's headless Chromium (playwright-core) with a
 * fake microphone that plays a RAVDESS recording, the app built by Vite and served with COOP/COEP.
 *
 * Checks: live probabilities appear, sum to 1 and update; the microphone's rate (44.1 kHz) is not
 * the model's (16 kHz), so the in-page resampling is exercised; a dropped file gives the same
 * events as the Node streaming engine on the same file (same code, independent run); permission
 * denial and a missing microphone each show a clear message. Saves test-output/web-app.png
 * (phone size, 390×844) and test-output/web-app-desktop.png.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`): without it the test fails when CI is
 * set and is skipped (with a message) otherwise.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, REPO, webBuild, serveStatic, launchChromium, fakeMicFlags, randomBundle } from './harness.js';
import { initBackend } from '../../src/model/backend.js';
import { loadBundle } from '../../src/model/bundle-node.js';
import { decodeAudio } from '../../src/audio/decode.js';
import { createEmotionStream, type StreamEvent } from '../../src/stream/index.js';

const WAV = join(REPO, 'samples/03-01-03-01-01-01-01.wav');
const OUT = join(REPO, 'test-output');
const haveChromium = existsSync(CHROMIUM);
const skipReason = haveChromium ? false : `${CHROMIUM} is missing: apt-get install -y chromium (CI must have it)`;

let base = '';
let server: Server | null = null;
let modelDir = '';
let distDir = '';
const browsers: Browser[] = [];

before(async () => {
  if (!haveChromium) return;
  distDir = webBuild();
  modelDir = await randomBundle('tiny');
  const s = await serveStatic(distDir, { '/models/tiny/': modelDir });
  server = s.server;
  base = s.url;
});

after(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  server?.close();
  // temp folders: the model's parent, and the build unless it is dist-web/
  if (modelDir) rmSync(dirname(modelDir), { recursive: true, force: true });
  if (distDir && distDir !== join(REPO, 'dist-web')) rmSync(distDir, { recursive: true, force: true });
});

test('chromium is installed (required in CI)', { skip: !haveChromium && !process.env.CI ? skipReason : false }, () => {
  assert.ok(haveChromium, `${CHROMIUM} is missing: CI must install Debian's chromium package`);
});

async function openApp(flags: string[], viewport = { width: 390, height: 844 }): Promise<Page> {
  const browser = await launchChromium(flags);
  browsers.push(browser);
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}?model=/models/tiny/`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('status')?.dataset.state ?? ''), null, { timeout: 30000 });
  const state = await page.$eval('#status', (e) => (e as HTMLElement).dataset.state);
  assert.equal(state, 'ready', `the app did not load the model: ${await page.$eval('#message', (e) => e.textContent)} ${errors.join('; ')}`);
  return page;
}

interface LiveReading {
  probabilities: Record<string, number>;
  tEnd: number;
  events: number;
}

async function readLive(page: Page, after = -1): Promise<LiveReading> {
  await page.waitForFunction(
    (t) => {
      const d = (document.getElementById('current') as HTMLElement).dataset;
      return d.probabilities !== '' && d.speech === 'true' && Number(d.tEnd) > t;
    },
    after,
    { timeout: 20000 },
  );
  return page.$eval('#current', (e) => {
    const d = (e as HTMLElement).dataset;
    return { probabilities: JSON.parse(d.probabilities as string), tEnd: Number(d.tEnd), events: Number(d.events) };
  });
}

function assertDistribution(p: Record<string, number>, labels: string[]): void {
  assert.deepEqual(Object.keys(p).sort(), [...labels].sort());
  const sum = Object.values(p).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
  for (const v of Object.values(p)) assert.ok(v >= 0 && v <= 1, `probability ${v} outside [0, 1]`);
}

test('live microphone: updating probabilities, in-page resampling, screenshot; dropped file = Node engine', { skip: skipReason, timeout: 90000 }, async (t) => {
  const labels = JSON.parse(readFileSync(join(modelDir, 'bundle.json'), 'utf8')).labels as string[];
  const page = await openApp(fakeMicFlags(WAV));
  await page.click('#start');
  const first = await readLive(page);
  assertDistribution(first.probabilities, labels);
  await page.waitForTimeout(3000);
  const second = await readLive(page, first.tEnd + 1);
  assertDistribution(second.probabilities, labels);
  assert.ok(second.events > first.events, 'no new windows after 3 s');
  assert.notDeepEqual(second.probabilities, first.probabilities, 'the probabilities did not change between windows of different audio');
  // the label shown big is the argmax of the probabilities shown
  const shown = await page.$eval('#current', (e) => (e as HTMLElement).dataset);
  const p = JSON.parse(shown.probabilities as string) as Record<string, number>;
  assert.equal(shown.label, Object.keys(p).reduce((a, b) => (p[b] > p[a] ? b : a)));
  const info = await page.$eval('#info', (e) => ({ ...(e as HTMLElement).dataset, text: e.textContent }));
  assert.equal(info.backend, 'wasm');
  assert.equal(info.isolated, 'true', 'the page is not cross-origin isolated (COOP/COEP)');
  assert.ok(Number(info.micRate) >= 8000 && Number(info.micRate) !== 16000, `microphone rate ${info.micRate}: expected the device's rate, not the model's 16000 Hz`);
  // one event per hop of audio: events ≈ 1 + (t_end − window) / hop
  const hop = await page.evaluate(() => {
    const ev = (window as unknown as { serState: { liveEvents: { t_end: number }[] } }).serState.liveEvents;
    return ev.slice(1).map((e, i) => e.t_end - ev[i].t_end);
  });
  for (const h of hop) assert.ok(Math.abs(h - 0.48) < 1e-6, `hop ${h} s, expected 7680 / 16000 = 0.48 s`);
  // the analysis worker keeps up with the microphone (backlog of sent, unprocessed audio)
  const lag = Number(await page.$eval('#status', (e) => (e as HTMLElement).dataset.lag));
  assert.ok(lag >= 0 && lag < 2, `the analysis is ${lag} s behind the microphone`);

  // the LIVE badge shows exactly while listening
  assert.equal(await page.$eval('#live-badge', (e) => (e as HTMLElement).hidden), false, 'LIVE badge hidden while listening');

  // a dropped file: same events as the Node streaming engine on the same file
  await page.click('#start'); // stop
  assert.equal(await page.$eval('#live-badge', (e) => (e as HTMLElement).hidden), true, 'LIVE badge still shown after stopping');
  await page.setInputFiles('#file-input', WAV);
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('file-result')?.dataset.state ?? ''), null, { timeout: 30000 });
  assert.equal(await page.$eval('#file-result', (e) => (e as HTMLElement).dataset.state), 'done', await page.$eval('#file-status', (e) => e.textContent ?? ''));
  const browserEvents = (await page.evaluate(() => (window as unknown as { serState: { fileEvents: unknown[] } }).serState.fileEvents)) as StreamEvent[];
  await initBackend('wasm');
  const bundle = await loadBundle(modelDir);
  const a = await decodeAudio(readFileSync(WAV), WAV);
  const stream = createEmotionStream({ bundle, sr_in: a.sr, hop_seconds: 0.5, smoothing: { type: 'ema', alpha: 0.5 } });
  const y = a.channels[0];
  const nodeEvents = [...stream.push(y.subarray(0, 12345)), ...stream.push(y.subarray(12345)), ...stream.flush()];
  bundle.model.dispose();
  assert.equal(browserEvents.length, nodeEvents.length);
  assert.ok(nodeEvents.some((e) => e.speech), 'the recording has speech');
  let worst = 0;
  nodeEvents.forEach((e, i) => {
    const b = browserEvents[i];
    assert.ok(Math.abs(b.t_end - e.t_end) < 1e-9);
    assert.equal(b.speech, e.speech);
    for (const l of labels) worst = Math.max(worst, Math.abs((b.probabilities?.[l] ?? 0) - (e.probabilities?.[l] ?? 0)));
  });
  assert.ok(worst < 1e-4, `browser vs Node probabilities differ by up to ${worst}`);
  t.diagnostic(`browser vs Node: ${nodeEvents.length} events, worst probability difference ${worst.toExponential(2)}`);
  // phone and desktop screenshots with both timelines drawn
  mkdirSync(OUT, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, 'web-app.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, 'web-app-desktop.png'), fullPage: true });
});

test('permission denied: a clear message, no crash', { skip: skipReason, timeout: 60000 }, async () => {
  const page = await openApp(fakeMicFlags(WAV, { deny: true }));
  await page.click('#start');
  await page.waitForFunction(() => !(document.getElementById('message') as HTMLElement).hidden, null, { timeout: 15000 });
  assert.equal(await page.$eval('#status', (e) => (e as HTMLElement).dataset.state), 'denied');
  assert.match((await page.$eval('#message', (e) => e.textContent)) ?? '', /denied/i);
  assert.equal(await page.$eval('#start', (e) => (e as HTMLButtonElement).disabled), false, 'Start must stay usable after a denial');
});

test('no microphone: a clear message', { skip: skipReason, timeout: 60000 }, async () => {
  // no fake capture device: this headless machine has no audio input
  const page = await openApp(['--use-fake-ui-for-media-stream']);
  await page.click('#start');
  await page.waitForFunction(() => !(document.getElementById('message') as HTMLElement).hidden, null, { timeout: 15000 });
  const state = await page.$eval('#status', (e) => (e as HTMLElement).dataset.state);
  const msg = (await page.$eval('#message', (e) => e.textContent)) ?? '';
  assert.equal(state, 'nomic', `expected the no-microphone message, got state ${state}: ${msg}`);
  assert.match(msg, /no microphone/i);
  // and a page whose model URL has no model says so (and offers no Start button)
  await page.goto(`${base}?model=/models/none/`);
  await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'error', null, { timeout: 20000 });
  assert.match((await page.$eval('#message', (e) => e.textContent)) ?? '', /models\/none.*No model is published at this address/s);
  assert.equal(await page.$eval('#start', (e) => (e as HTMLButtonElement).disabled), true);
});
