/**
 * `mkdir -p` that cannot hang. Node 20's `fs.mkdir(path, {recursive: true})` loops forever on
 * some paths (e.g. under /proc, where mkdir answers ENOENT although the parent exists), so every
 * output folder in the project is created through `ensureDir`, which walks up one level at a time
 * and treats a second ENOENT (parent present) as final.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SerError } from '../errors.js';

/** True when something (file or folder) exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function make(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!(await stat(dir)).isDirectory()) throw new SerError('EIO', 'exists and is not a folder', { file: dir });
      return;
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
  }
  await make(dirname(dir));
  try {
    await mkdir(dir); // a second ENOENT here (the parent exists now) is final: no loop
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * Creates `dir` and any missing parents (like `mkdir -p`); an existing folder is fine.
 * Throws SerError naming the folder when it cannot be created (a file in the way, no permission,
 * a path the kernel refuses). Never hangs.
 */
export async function ensureDir(dir: string): Promise<void> {
  const abs = resolve(dir);
  try {
    await make(abs);
  } catch (e) {
    if (e instanceof SerError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new SerError(err.code === 'ENOENT' ? 'ENOENT' : 'EIO', `cannot create the folder: ${err.code ?? err.message}`, { file: dir, cause: e });
  }
}
