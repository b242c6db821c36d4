/**
 * Model bundle folder I/O for Node (the format and parsing are in ./bundle.ts, browser-safe).
 *
 * `saveBundle(dir, input)` writes the files into a fresh sibling folder `DIR.tmp-XXXXXXXX`, fsyncs
 * them, then renames it to `dir` (an existing bundle at `dir` is moved aside first and deleted
 * after), so a reader never sees a half-written bundle. `loadBundle(dir)` reads and validates one.
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SerError } from '../errors.js';
import { BUNDLE_FILES, createBundleFiles, parseBundle, type BundleFiles, type CreateBundleInput, type ModelBundle } from './bundle.js';

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes already-serialised bundle files into `dir` atomically (see the module comment). */
export async function writeBundleFiles(dir: string, files: BundleFiles): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  const tag = randomBytes(4).toString('hex');
  const tmp = join(parent, `${basename(target)}.tmp-${tag}`);
  const old = join(parent, `${basename(target)}.old-${tag}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(tmp);
    for (const [name, data] of Object.entries(files)) {
      if (data !== undefined) await writeSynced(join(tmp, name), data);
    }
    const st = await stat(target).catch(() => null);
    if (st && !st.isDirectory()) throw new SerError('EMODEL', 'exists and is not a folder; refusing to replace it with a model bundle', { file: dir });
    if (st) {
      if (!(await exists(join(target, BUNDLE_FILES.bundle)))) {
        throw new SerError('EMODEL', 'exists and is not a model bundle (no bundle.json); refusing to overwrite it', { file: dir });
      }
      await rename(target, old);
    }
    await rename(tmp, target);
    if (st) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (err instanceof SerError) throw err;
    throw new SerError('EIO', `cannot write the model bundle: ${(err as Error).message}`, { file: dir, cause: err });
  }
}

/** Serialises `input` and writes the bundle folder `dir` atomically. */
export async function saveBundle(dir: string, input: CreateBundleInput): Promise<void> {
  await writeBundleFiles(dir, await createBundleFiles(input));
}

/**
 * Loads a bundle from a folder, or from files already in memory (e.g. fetched bytes).
 * Throws SerError('EMODEL') naming the folder: missing folder or files, corrupt or truncated
 * files, unknown format_version, feature-config mismatch.
 */
export async function loadBundle(
  dirOrFiles: string | { 'bundle.json'?: string; 'model.json'?: string; 'weights.bin'?: Uint8Array | ArrayBuffer },
  source = 'model bundle',
): Promise<ModelBundle> {
  if (typeof dirOrFiles !== 'string') return parseBundle(dirOrFiles, source);
  const dir = dirOrFiles;
  const st = await stat(dir).catch(() => null);
  if (!st) throw new SerError('EMODEL', 'model bundle folder not found (train a model with `ser train`, or pass --model DIR)', { file: dir });
  if (!st.isDirectory()) throw new SerError('EMODEL', 'not a model bundle folder (expected a folder with bundle.json, model.json, weights.bin)', { file: dir });
  const read = async (name: string, text: boolean): Promise<string | Uint8Array | undefined> => {
    try {
      const b = await readFile(join(dir, name));
      return text ? b.toString('utf8') : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SerError('EMODEL', `cannot read ${name}: ${(e as Error).message}`, { file: dir });
    }
  };
  const [b, m, w] = await Promise.all([read(BUNDLE_FILES.bundle, true), read(BUNDLE_FILES.model, true), read(BUNDLE_FILES.weights, false)]);
  return parseBundle({ 'bundle.json': b as string | undefined, 'model.json': m as string | undefined, 'weights.bin': w as Uint8Array | undefined }, dir);
}
