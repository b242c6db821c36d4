import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFloatWav } from './helpers.js';
import { applyAugmentation } from '../../src/augment/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'augment', ...args], { cwd: ROOT, timeout: 60000 }, (err, stdout, stderr) => {
      const code: unknown = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** A minimal 32-bit float mono WAV (written here so the test does not depend on the project's writer). */
function floatWav(y: Float32Array, sr: number): Buffer {
  const b = Buffer.alloc(44 + 4 * y.length);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + 4 * y.length, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(3, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(sr, 24);
  b.writeUInt32LE(4 * sr, 28);
  b.writeUInt16LE(4, 32);
  b.writeUInt16LE(32, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(4 * y.length, 40);
  for (let i = 0; i < y.length; i++) b.writeFloatLE(y[i], 44 + 4 * i);
  return b;
}

function zeroCrossingFreq(y: Float32Array, sr: number, a: number, b: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = Math.max(1, a); i < b; i++) {
    if (y[i - 1] < 0 && y[i] >= 0) {
      const x = i - 1 + y[i - 1] / (y[i - 1] - y[i]);
      if (first < 0) first = x;
      else count++;
      last = x;
    }
  }
  return (count * sr) / (last - first);
}

const dir = mkdtempSync(join(tmpdir(), 'ser-augment-cli-'));
const SR = 16000;
const tone = new Float32Array(2 * SR).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 220 * i) / SR));
const input = join(dir, 'tone220.wav');
writeFileSync(input, floatWav(tone, SR));

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('ser augment --pitch / --noise-snr / several operations: float WAVs at the native rate', async () => {
  // (Each spawn costs ~2 s of CPU for tsx start-up: keep their number small. Option parsing in
  // detail is tested in-process in augment.test.ts.)
  const [pitch, n1, chain] = await Promise.all([
    runCli([input, '--pitch', '2', '--out', join(dir, 'p.wav')]),
    runCli([input, '--noise-snr=10', '--seed', '3', '-o', join(dir, 'n1.wav')]),
    // given out of order on purpose: applied as stretch → gain → noise
    runCli([input, '--noise-snr', '30', '--stretch', '1.25', '--gain', '-6', '--seed', '1', '--out', join(dir, 'chain.wav')]),
  ]);
  for (const r of [pitch, n1, chain]) assert.equal(r.code, 0, r.stderr);

  const p = readFloatWav(join(dir, 'p.wav'));
  assert.equal(p.sr, SR);
  assert.equal(p.y.length, tone.length);
  const f = zeroCrossingFreq(p.y, SR, 8000, 24000);
  assert.ok(Math.abs(f / 246.94 - 1) < 0.005, `${f} Hz`);
  assert.deepEqual(p.y, applyAugmentation(tone, SR, { kind: 'pitch', steps: 2 }));
  assert.match(pitch.stdout, /pitch:\+2/);

  const a = readFloatWav(join(dir, 'n1.wav')).y;
  // same seed in another process → bit-identical samples
  assert.deepEqual(a, applyAugmentation(tone, SR, 'noise:10dB', 3));
  assert.notDeepEqual(a, applyAugmentation(tone, SR, 'noise:10dB', 4), 'the seed reaches the noise');
  let ps = 0;
  let pn = 0;
  for (let i = 0; i < tone.length; i++) {
    ps += tone[i] * tone[i];
    pn += (a[i] - tone[i]) ** 2;
  }
  assert.ok(Math.abs(10 * Math.log10(ps / pn) - 10) < 0.1);

  assert.match(chain.stdout, /stretch:1\.25,gain:-6dB,noise:30dB/);
  const y = readFloatWav(join(dir, 'chain.wav'));
  assert.equal(y.sr, SR);
  assert.equal(y.y.length, 25600); // 32000 / 1.25
  assert.deepEqual(y.y, applyAugmentation(tone, SR, 'stretch:1.25,gain:-6dB,noise:30dB', 1));
});

test('ser augment refuses bad input with one clear message and writes nothing', async () => {
  const out = join(dir, 'bad.wav');
  const cases: [string[], RegExp][] = [
    [[input, '--stretch', '0', '--out', out], /--stretch rate must be > 0/],
    [[input, '--stretch', '0.9'], /missing --out/],
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
