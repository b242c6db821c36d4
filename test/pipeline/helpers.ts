/** Helpers for the pipeline tests: synthetic WAV files and running the CLI from source. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetItem } from '../../src/data/types.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monoWav, toInt16 } from '../fixtures/wav.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Sum of sines (freq Hz, amplitude) of `seconds` at `sr`. */
export function tones(sr: number, seconds: number, parts: [number, number][]): Float32Array {
  const n = Math.round(sr * seconds);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const [f, a] of parts) v += a * Math.sin((2 * Math.PI * f * i) / sr);
    y[i] = v;
  }
  return y;
}

/** Writes a mono 16-bit PCM WAV (samples clipped to [-1, 1), scaled by 32768 as librosa reads them). */
export function writeWav16(path: string, y: Float32Array, sr: number): void {
  writeFileSync(path, monoWav(toInt16(y, 32768), sr));
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx src/cli/main.ts ...args` and collects its output. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: options.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Writes n short two-tone 16-bit WAVs (1–2 s, distinct frequencies) into DIR/audio and returns
 * them as dataset items (labels alternate happy/sad, three speakers).
 */
export function makeToneDataset(dir: string, n: number, sr: number): { audioDir: string; items: DatasetItem[] } {
  const audioDir = join(dir, 'audio');
  mkdirSync(audioDir);
  const items: DatasetItem[] = [];
  for (let i = 0; i < n; i++) {
    const p = join(audioDir, `u${String(i).padStart(2, '0')}.wav`);
    writeWav16(p, tones(sr, 1 + (i % 3) * 0.5, [[150 + 37 * i, 0.3], [900 + 11 * i, 0.1]]), sr);
    items.push({ path: p, label: i % 2 ? 'sad' : 'happy', speaker: `test:${i % 3}`, dataset: 'folder', meta: {} });
  }
  return { audioDir, items };
}
