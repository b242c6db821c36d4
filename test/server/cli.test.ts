/**
 * `ser serve` as a process (spawned from source): worker-thread engine, a prediction, and graceful
 * shutdown on SIGTERM finishing the in-flight request; a bad --model fails before listening.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../../src/model/bundle-node.js';
import { predictClip } from '../../src/model/predict.js';
import { LABELS, SR, makeTinyBundle, rawRequest, sine, wavBytes } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let modelDir: string;

before(async () => {
  modelDir = await makeTinyBundle();
});

function startCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const listening = new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no 'listening' line within 50 s; stderr: ${stderr}`)), 50000);
    const onData = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', () => {
      clearTimeout(t);
      reject(new Error(`exited before listening; stderr: ${stderr}`));
    });
  });
  listening.catch(() => {});
  return { child, exited, listening, out: () => stdout, err: () => stderr };
}

test('serve (worker engine): healthz, predict equal to the library, SIGTERM finishes the in-flight request and exits 0', { timeout: 90000 }, async () => {
  const s = startCli(['--port', '0', '--model', modelDir, '--engine', 'workers', '--concurrency', '1', '--queue', '2', '--debug-delay-ms', '1500']);
  try {
    const port = await s.listening;
    const h = await rawRequest(port, 'GET', '/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.json().engine, 'workers');
    assert.deepEqual(h.json().model.labels, LABELS);
    const y = sine(0.7, 350, SR, 0.5);
    const inflight = rawRequest(port, 'POST', '/v1/predict', wavBytes(y, SR, 'f32'), { 'content-type': 'audio/wav' });
    // SIGTERM once the server reports the prediction running (the hidden delay holds it ~1.5 s)
    for (let i = 0; ; i++) {
      const q = (await rawRequest(port, 'GET', '/healthz')).json().queue;
      if (q.running === 1) break;
      assert.ok(i < 500, 'the prediction never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    s.child.kill('SIGTERM');
    const r = await inflight;
    assert.equal(r.status, 200, r.body.toString());
    const code = await s.exited;
    assert.equal(code, 0, s.err());
    assert.match(s.out(), /stopped/);
    // same prediction as the library in this process (same backend)
    const b = await loadBundle(modelDir);
    const p = predictClip(b, y, SR);
    const j = r.json();
    assert.equal(j.label, p.label);
    for (const l of LABELS) assert.ok(Math.abs(j.probabilities[l] - p.probabilities[l]) < 1e-4, l);
    b.model.dispose();
  } finally {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  }
});

test('serve with a missing model: one error line, exit 1, nothing listens', { timeout: 40000 }, async () => {
  const bad = startCli(['--port', '0', '--model', '/nonexistent/model-dir']);
  assert.equal(await bad.exited, 1);
  assert.match(bad.err(), /^ser: .*nonexistent\/model-dir/m);
  assert.doesNotMatch(bad.out(), /listening/);
});
