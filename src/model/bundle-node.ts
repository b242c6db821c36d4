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
import { writeFileAtomic } from '../util/atomic.js';
import { ensureDir, pathExists } from '../util/dirs.js';
import { BUNDLE_FILES, createBundleFiles, parseBundle, type BundleFiles, type CreateBundleInput, type ModelBundle } from './bundle.js';
import { historyToJson, type TrainResult, type WeightSnapshot } from './train.js';

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
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
    await ensureDir(parent);
    await mkdir(tmp);
    for (const [name, data] of Object.entries(files)) {
      if (data !== undefined) await writeSynced(join(tmp, name), data);
    }
    const st = await stat(target).catch(() => null);
    if (st && !st.isDirectory()) throw new SerError('EMODEL', 'exists and is not a folder; refusing to replace it with a model bundle', { file: dir });
    if (st) {
      if (!(await pathExists(join(target, BUNDLE_FILES.bundle)))) {
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

// ---------------------------------------------------------------------------------------------
// training checkpoints: the weights of the best epoch so far, one file, written atomically
// ---------------------------------------------------------------------------------------------

const CKPT_MAGIC = 'SERCKPT1';

/**
 * Writes a weight snapshot (from the training loop's `checkpoint` callback) to `path` atomically:
 * `SERCKPT1`, uint32 LE header length, JSON header {epoch, names, shapes, meta}, then the float32
 * weights (little-endian) in order. A run killed at any instant leaves the previous checkpoint intact.
 */
export async function writeCheckpoint(path: string, epoch: number, weights: WeightSnapshot, meta: unknown = null): Promise<void> {
  const header = Buffer.from(JSON.stringify({ epoch, names: weights.names, shapes: weights.shapes, meta }), 'utf8');
  const pre = Buffer.alloc(12);
  pre.write(CKPT_MAGIC, 0, 'latin1');
  pre.writeUInt32LE(header.length, 8);
  const pad = Buffer.alloc((4 - ((12 + header.length) % 4)) % 4, 0x20);
  const parts: Uint8Array[] = [pre, header, pad];
  for (const d of weights.data) parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  await writeFileAtomic(path, parts, { mkdir: true });
}

/** The checkpoint callback for {@link train}: writes each new best epoch's weights to `path`. */
export function checkpointTo(path: string, meta: unknown = null): (epoch: number, weights: WeightSnapshot) => Promise<void> {
  return (epoch, weights) => writeCheckpoint(path, epoch, weights, meta);
}

/** Reads a checkpoint written by {@link writeCheckpoint}. Throws SerError('EMODEL') naming the file when it is not one or is truncated. */
export async function readCheckpoint(path: string): Promise<{ epoch: number; weights: WeightSnapshot; meta: unknown }> {
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SerError(code === 'ENOENT' ? 'ENOENT' : 'EIO', `cannot read the checkpoint: ${(e as Error).message}`, { file: path });
  }
  const bad = (why: string): never => {
    throw new SerError('EMODEL', `not a valid training checkpoint: ${why}`, { file: path });
  };
  if (b.length < 12 || b.toString('latin1', 0, 8) !== CKPT_MAGIC) bad('wrong magic bytes');
  const hl = b.readUInt32LE(8);
  if (12 + hl > b.length) bad('truncated header');
  let h: { epoch: number; names: string[]; shapes: number[][]; meta: unknown };
  try {
    h = JSON.parse(b.toString('utf8', 12, 12 + hl));
  } catch {
    return bad('corrupt header');
  }
  if (!Array.isArray(h.names) || !Array.isArray(h.shapes) || h.names.length !== h.shapes.length) bad('corrupt header');
  let off = 12 + hl;
  off += (4 - (off % 4)) % 4;
  const data: Float32Array[] = [];
  for (const shape of h.shapes) {
    const n = shape.reduce((a, c) => a * c, 1);
    if (off + 4 * n > b.length) bad(`truncated weights (${b.length} bytes)`);
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = b.readFloatLE(off + 4 * i);
    data.push(d);
    off += 4 * n;
  }
  if (off !== b.length) bad(`${b.length - off} unexpected trailing bytes`);
  return { epoch: h.epoch, weights: { names: h.names, shapes: h.shapes, data }, meta: h.meta };
}

/** Writes the training result (history per epoch, how training ended) as JSON to `path`, atomically. */
export async function writeHistory(path: string, result: TrainResult): Promise<void> {
  await writeFileAtomic(path, historyToJson(result), { mkdir: true });
}
