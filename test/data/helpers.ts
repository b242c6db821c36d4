/**
 * Test helpers for the data tests: a minimal 16-bit PCM WAV writer, temporary folders, and
 * generated RAVDESS-style item lists.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_EMOTIONS, type DatasetItem } from '../../src/data/types.js';
import { ravdessAdapter } from '../../src/data/adapters/ravdess.js';
import { monoWav } from '../fixtures/wav.js';

/** Repo root and the shared folder beside it (CI clones the repo with shared/ next to it). */
export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const RAVDESS_DIR = join(SHARED, 'data', 'ravdess');
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A valid 16-bit PCM mono WAV of `samples` samples (a quiet ramp, so it is not empty). */
export function wavBytes(samples = 160, sr = 16000): Buffer {
  return monoWav(Int16Array.from({ length: samples }, (_, i) => ((i % 64) - 32) * 100), sr);
}

export function tempDir(prefix = 'ser-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes files (relative paths) under root: a WAV for audio names (or given bytes/text). */
export function writeTree(root: string, files: Record<string, Buffer | string | null>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content === null ? wavBytes() : content);
  }
}

/** All 60 RAVDESS speech file names of one actor: 8 emotions, neutral without strong intensity. */
export function ravdessNames(actor: number): string[] {
  const aa = String(actor).padStart(2, '0');
  const out: string[] = [];
  for (let e = 1; e <= 8; e++)
    for (let i = 1; i <= (e === 1 ? 1 : 2); i++)
      for (let s = 1; s <= 2; s++)
        for (let r = 1; r <= 2; r++) out.push(`03-01-0${e}-0${i}-0${s}-0${r}-${aa}.wav`);
  return out;
}

/** A realistic synthetic RAVDESS item list: `actors` actors × 60 files (parsed by the adapter). */
export function syntheticRavdess(actors = 20, root = '/data/ravdess'): DatasetItem[] {
  const items: DatasetItem[] = [];
  for (let a = 1; a <= actors; a++) {
    const aa = String(a).padStart(2, '0');
    for (const name of ravdessNames(a)) {
      const rel = `Actor_${aa}/${name}`;
      const p = ravdessAdapter.parse(rel);
      if ('error' in p) throw new Error(p.error);
      items.push({ path: `${root}/${rel}`, label: p.label, speaker: p.speaker, dataset: 'ravdess', meta: p.meta });
    }
  }
  return items;
}

export function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

export { ALL_EMOTIONS };
