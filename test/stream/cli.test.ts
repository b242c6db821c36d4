/** `ser stream` and `ser listen` end to end (spawned from source). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeWav } from '../../src/audio/wav-write.js';
import { disposeBundle } from '../../src/model/bundle.js';
import { REPO, LABELS, tinyBundle, tone } from './helpers.js';
import { main } from '../../src/cli/main.js';
import { SerError } from '../../src/errors.js';

const SR = 16000;
let modelDir = '';
let tmp = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ser(args: string[], opts: { stdin?: Uint8Array; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? new Uint8Array(0));
  });
}

function s16(y: Float32Array): Uint8Array {
  const b = new Uint8Array(y.length * 2);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < y.length; i++) dv.setInt16(2 * i, Math.max(-32768, Math.min(32767, Math.round(y[i] * 32768))), true);
  return b;
}

/** Parses JSON lines and checks each event's shape; returns them. */
function events(stdout: string): Record<string, unknown>[] {
  const lines = stdout.trim().split('\n').filter(Boolean);
  assert.ok(lines.length >= 1, 'at least one event line');
  return lines.map((l) => {
    const e = JSON.parse(l) as Record<string, unknown>;
    for (const k of ['t_start', 't_end', 'speech', 'label', 'probabilities']) assert.ok(k in e, `key ${k} in ${l}`);
    assert.ok((e.t_end as number) > (e.t_start as number));
    if (e.speech) {
      const p = e.probabilities as Record<string, number>;
      assert.deepEqual(Object.keys(p), LABELS);
      const sum = Object.values(p).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `probabilities sum to ${sum}`);
      assert.ok(LABELS.includes(e.label as string));
    } else {
      assert.equal(e.label, null);
      assert.equal(e.probabilities, null);
    }
    return e;
  });
}

// 0.6 s silence, then 2.4 s of a tone at 48 kHz (the engine resamples to the model's 16 kHz)
const y48 = new Float32Array(3 * 48000);
y48.set(tone(Math.round(2.4 * 48000), 330, 48000, 0.3), Math.round(0.6 * 48000));

before(async () => {
  const { dir, bundle } = await tinyBundle(SR, 1);
  disposeBundle(bundle);
  modelDir = dir;
  tmp = dirname(dir);
  writeFileSync(join(tmp, 'clip.wav'), encodeWav(y48, 48000));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs main() in this process with stdout captured (for commands that need no stdin). */
async function inProcess(args: string[]): Promise<string> {
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await main(['node', 'ser', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('ser stream FILE.wav (without and with --warmup) and the same audio as raw s16le stereo on stdin (3 spawns in parallel); ser listen through an injected recorder', async () => {
  const fake = join(tmp, 'fake-rec.mjs');
  // writes 2.5 s of a tone as raw s16le at 16 kHz in 20 ms pieces, like a microphone
  writeFileSync(
    fake,
    `const sr = 16000; const n = 2.5 * sr; const b = Buffer.alloc(n * 2);
     for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(9000 * Math.sin(2 * Math.PI * 300 * i / sr)), 2 * i);
     let o = 0; const t = setInterval(() => { if (o >= b.length) { clearInterval(t); return; } process.stdout.write(b.subarray(o, o + 640)); o += 640; }, 1);`,
  );
  const listening = (async () => {
    const rec = process.env.SER_RECORDER;
    process.env.SER_RECORDER = `"${process.execPath}" "${fake}"`;
    try {
      // --no-warmup: its warm-up is the raw input's (openEngine with live = true), run by the spawn below
      return await inProcess(['listen', '--model', modelDir, '--duration', '2', '--backend', 'cpu', '--no-warmup']);
    } finally {
      if (rec === undefined) delete process.env.SER_RECORDER;
      else process.env.SER_RECORDER = rec;
    }
  })();
  const [wav, raw, pipedOut, warmed] = await Promise.all([
    ser(['stream', '--model', modelDir, join(tmp, 'clip.wav')]),
    (() => {
      // stereo: left = signal, right = signal → the channel mean is the signal
      const mono = s16(y48);
      const st = new Uint8Array(mono.length * 2);
      for (let i = 0; i < y48.length; i++) {
        st.set(mono.subarray(2 * i, 2 * i + 2), 4 * i);
        st.set(mono.subarray(2 * i, 2 * i + 2), 4 * i + 2);
      }
      return ser(['stream', '--model', modelDir, '--raw', '--rate', '48000', '--channels', '2', '--hop', '0.25', '-'], { stdin: st });
    })(),
    // the pipe path of `ser listen` (in this process): the recorder command comes from SER_RECORDER
    listening,
    // the engine warm-up (default for raw input, off for a decoded file) changes no output
    ser(['stream', '--model', modelDir, '--warmup', join(tmp, 'clip.wav')]),
  ]);
  assert.equal(wav.code, 0, wav.stderr);
  const a = events(wav.stdout);
  // 3 s at 16 kHz, 1 s windows every 15 hops of 512 = 0.48 s: windows start at 0, 0.48, ..., 1.92 + a last one ending at 3 s
  assert.deepEqual(a.map((e) => e.t_start), [0, 0.48, 0.96, 1.44, 1.92, 2]);
  assert.equal(a[0].speech, true); // 0.4 s of tone in the first second
  assert.ok(a.slice(1).every((e) => e.speech));
  assert.equal(raw.code, 0, raw.stderr);
  const b = events(raw.stdout);
  assert.equal(b[1].t_start, 0.224); // --hop 0.25 → 7 hops = 0.224 s
  assert.equal(b.at(-1)!.t_end, 3);
  const ev = events(pipedOut);
  assert.ok(ev.every((e) => e.speech));
  assert.equal(ev.at(-1)!.t_end, 2); // --duration 2 stops after 2 s of audio
  assert.equal(warmed.code, 0, warmed.stderr);
  assert.equal(warmed.stdout, wav.stdout);
});

test('ser stream / ser listen errors (in-process main(): each is one SerError with a clear message)', async () => {
  const run = (args: string[]) => main(['node', 'ser', ...args]);
  const cases: [string[], RegExp][] = [
    [['stream', '--model', modelDir, join(tmp, 'missing.wav')], /missing\.wav: no such file/],
    [['stream', '--model', modelDir, tmp], /is a directory/],
    [['stream', '--model', modelDir, '--raw', '-'], /--raw needs --rate/],
    [['stream', '--model', modelDir, '--raw', '--rate', '16000', '--format', 'u8', '-'], /--format must be 's16le' or 'f32le'/],
    [['stream', '--model', modelDir, '--raw', '--rate', '5', '-'], /--rate 5 Hz is outside/],
    [['stream', '--model', modelDir, '--smoothing', '3', join(tmp, 'clip.wav')], /--smoothing must be a number in \(0, 1\]/],
    [['stream', '--model', modelDir, '--hop', 'x', join(tmp, 'clip.wav')], /--hop must be a positive number/],
    [['stream', '--model', modelDir, '--window', '2', join(tmp, 'clip.wav')], /model expects 32 \(/],
    [['stream', '--model', join(tmp, 'nope'), join(tmp, 'clip.wav')], /model bundle folder not found/],
    [['listen', '--model', modelDir, '--recorder', 'echo "arecord: main:830: audio open error: No such file or directory" >&2; exit 1', '--backend', 'cpu'], /^no capture device: .*audio open error/],
    [['listen', '--model', modelDir, '--recorder', 'exit 0', '--backend', 'cpu'], /produced no audio \(exit code 0\)/],
  ];
  for (const [args, re] of cases) {
    await assert.rejects(run(args), (e: unknown) => e instanceof SerError && re.test(e.message), args.join(' '));
  }
  const path = process.env.PATH;
  const rec = process.env.SER_RECORDER;
  try {
    process.env.PATH = '';
    delete process.env.SER_RECORDER;
    await assert.rejects(run(['listen', '--model', modelDir]), (e: unknown) => e instanceof SerError && /^no audio capture program found: install alsa-utils \(arecord\) or sox \(rec\)/.test(e.message));
  } finally {
    process.env.PATH = path;
    if (rec !== undefined) process.env.SER_RECORDER = rec;
  }
});
