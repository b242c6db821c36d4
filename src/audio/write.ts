/** Node edge: atomic WAV writing (temp name in the same directory, then rename). */
import { writeFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { SerError } from '../errors.js';
import { encodeWav, type EncodeWavOptions } from './wav-write.js';

/**
 * Writes `y` (mono, or one array per channel) to `path` as WAV. The bytes go to a temporary file
 * beside `path` that is renamed over it, so readers never see a partial file.
 */
export function writeWav(path: string, y: Float32Array | Float32Array[], sr: number, opts: EncodeWavOptions = {}): void {
  const bytes = encodeWav(y, sr, opts);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing to clean */
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SerError('ENOENT', 'cannot write: directory does not exist', { file: path, cause: err });
    if (code === 'EISDIR') throw new SerError('EISDIR', 'cannot write: is a directory', { file: path, cause: err });
    throw new SerError('EIO', `cannot write (${(err as Error).message})`, { file: path, cause: err });
  }
}
