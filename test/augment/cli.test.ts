import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFloatWav, zeroCrossingFreq } from './helpers.js';
import { applyAugmentation } from '../../src/augment/index.js';
import { monoWav } from '../fixtures/wav.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'augment', ...args], { cwd: ROOT, timeout: 60000 }, (err, stdout, stderr) => {
      const code: unknown = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** A minimal 32-bit float mono WAV (test/fixtures/wav.ts, independent of the project's writer). */
const floatWav = (y: Float32Array, sr: number): Buffer => monoWav(y, sr);

const dir = mkdtempSync(join(tmpdir(), 'ser-augment-cli-'));
const SR = 16000;
const tone = new Float32Array(2 * SR).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 220 * i) / SR));
const input = join(dir, 'tone220.wav');
writeFileSync(input, floatWav(tone, SR));

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('ser augment writes a float WAV at the native rate, operations in the documented order', async () => {
  // (Each spawn costs ~2 s of CPU for tsx start-up: one run exercises every operation; option
  // parsing in detail is tested in-process in augment.test.ts.) Given out of order on purpose:
  // applied as stretch → pitch → gain → noise.
  const out = join(dir, 'chain.wav');
  const r = await runCli([input, '--noise-snr=30', '--stretch', '1.25', '--gain', '-6', '--pitch', '2', '--seed', '1', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /stretch:1\.25,pitch:\+2,gain:-6dB,noise:30dB/);
  const { y, sr } = readFloatWav(out);
  assert.equal(sr, SR);
  assert.equal(y.length, 25600); // 32000 / 1.25
  // bit-identical to the same chain in this process (same seed → same noise)
  assert.deepEqual(y, applyAugmentation(tone, SR, 'stretch:1.25,pitch:+2,gain:-6dB,noise:30dB', 1));
  assert.notDeepEqual(y, applyAugmentation(tone, SR, 'stretch:1.25,pitch:+2,gain:-6dB,noise:30dB', 2));
  // the noise is 30 dB below the shifted tone, which is at 246.94 Hz
  const clean = applyAugmentation(tone, SR, 'stretch:1.25,pitch:+2,gain:-6dB');
  let ps = 0;
  let pn = 0;
  for (let i = 0; i < y.length; i++) {
    ps += clean[i] * clean[i];
    pn += (y[i] - clean[i]) ** 2;
  }
  assert.ok(Math.abs(10 * Math.log10(ps / pn) - 30) < 0.1);
  const f = zeroCrossingFreq(clean, SR, 6400, 19200);
  assert.ok(Math.abs(f / 246.94 - 1) < 0.005, `${f} Hz`);
});

test('ser augment refuses bad input with one clear message and writes nothing', async () => {
  const out = join(dir, 'bad.wav');
  const cases: [string[], RegExp][] = [
    [[input, '--stretch', '0', '--out', out], /--stretch rate must be > 0/],
    [[input, '--pitch', '-3'], /missing --out/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((r, i) => {
    assert.equal(r.code, 1, `${cases[i][0].join(' ')}: exit ${r.code}, ${r.stderr}`);
    assert.match(r.stderr, /^ser: /);
    assert.match(r.stderr, cases[i][1]);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/);
  });
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});
