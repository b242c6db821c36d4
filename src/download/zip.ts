/**
 * Safe, verified, atomic zip extraction (Node only), built on yauzl (central directory first, one
 * member streamed at a time, so memory stays bounded whatever the archive size).
 *
 * - Every member name is checked before anything is written: absolute paths, drive letters,
 *   backslashes, `..` segments, NUL bytes and symbolic links are refused (zip-slip), and the
 *   resolved path must stay inside the destination.
 * - Every member's CRC-32 and uncompressed size are checked against the central directory while it
 *   is written; encrypted members and unknown compression methods are refused.
 * - {@link extractZipAtomic} unpacks into a hidden temporary folder beside the target, runs an
 *   optional verification on it, and only then renames it into place: on any failure the temporary
 *   tree is removed and the target is untouched (no partial tree is ever visible under its name).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Transform, type TransformCallback } from 'node:stream';
import yauzl from 'yauzl';
import { SerError } from '../errors.js';
import { ensureDir, pathExists } from '../util/dirs.js';
import { removeOrphans } from '../util/atomic.js';

export interface ExtractOptions {
  /**
   * Leading path segments to drop from every member: a number, or 'auto' (default 0): drop the one
   * top-level folder when every member lives under the same one and it is not itself an
   * `Actor_NN` folder (archives that wrap their content in a folder of their own name).
   */
  stripComponents?: number | 'auto';
  /** Members to leave out (default: macOS resource forks `__MACOSX/` and `.DS_Store`). */
  skip?: (name: string) => boolean;
  /** Called after each member with (members done, members total). */
  onEntry?: (done: number, total: number) => void;
}

export interface ExtractResult {
  /** Files written. */
  files: number;
  /** Uncompressed bytes written. */
  bytes: number;
  /** Members left out by `skip`. */
  skipped: number;
  /** Top-level segments removed (the resolved value of stripComponents). */
  stripped: number;
}

export interface AtomicExtractOptions extends ExtractOptions {
  /** Runs on the finished temporary tree before it is renamed into place; throw to reject it. */
  verify?: (tempDir: string) => Promise<void>;
}

const DEFAULT_SKIP = (name: string) => name.startsWith('__MACOSX/') || name.split('/').pop() === '.DS_Store';

/**
 * Checks a zip member name and returns its path segments. Throws SerError EFORMAT naming the
 * archive and the member for an unsafe name: absolute (`/x`, `C:\x`, `C:x`), with a backslash, a
 * NUL byte, an empty segment in the middle, or a `.`/`..` segment.
 */
export function safeEntrySegments(name: string, archive: string): string[] {
  const refuse = (why: string) => new SerError('EFORMAT', `unsafe member '${name}' refused (${why})`, { file: archive });
  if (name.length === 0) throw refuse('empty name');
  if (name.includes('\0')) throw refuse('NUL byte in the name');
  if (name.includes('\\')) throw refuse('backslash in the name');
  if (name.startsWith('/')) throw refuse('absolute path');
  if (/^[A-Za-z]:/.test(name)) throw refuse('drive-letter path');
  const parts = name.split('/');
  if (parts[parts.length - 1] === '') parts.pop(); // directory entry "a/b/"
  for (const p of parts) {
    if (p === '..') throw refuse('parent-directory segment, would write outside the destination');
    if (p === '.' || p === '') throw refuse('empty or "." segment');
  }
  return parts;
}

function isSymlink(entry: yauzl.Entry): boolean {
  const hostOs = entry.versionMadeBy >> 8;
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  return hostOs === 3 /* Unix */ && (mode & 0o170000) === 0o120000;
}

/** Maps a yauzl / stream error to a SerError naming the archive. */
function zipError(archive: string, err: unknown, member?: string): SerError {
  if (err instanceof SerError) return err;
  const msg = (err as Error)?.message ?? String(err);
  const where = member ? `member '${member}': ` : '';
  if (/absolute path|invalid relative path|invalid characters in fileName/i.test(msg)) {
    return new SerError('EFORMAT', `unsafe member refused (${msg})`, { file: archive, cause: err });
  }
  if (/end of central directory record signature not found|unexpected EOF|overflows file bounds|truncated|too few bytes|invalid local file header|invalid central directory|premature|unexpected end/i.test(msg)) {
    return new SerError('ETRUNC', `${where}truncated or not a zip archive (${msg})`, { file: archive, cause: err });
  }
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return new SerError('ENOENT', 'no such file', { file: archive, cause: err });
  if ((err as NodeJS.ErrnoException)?.code === 'ENOSPC') return new SerError('EIO', `no space left on the device while unpacking`, { file: archive, cause: err });
  return new SerError('EFORMAT', `${where}corrupt zip archive (${msg})`, { file: archive, cause: err });
}

/** Counts bytes and the CRC-32 of what passes through. */
class Crc32Counter extends Transform {
  crc = 0;
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/** Reads the central directory: every entry, in order. */
async function readEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  const entries: yauzl.Entry[] = [];
  for await (const e of zip.eachEntry()) entries.push(e);
  return entries;
}

function autoStrip(members: { segs: string[]; isDir: boolean }[]): number {
  if (members.length === 0) return 0;
  const first = members[0].segs[0];
  if (/^Actor_\d+$/i.test(first)) return 0;
  // Every member under the same folder (the folder's own entry aside), and no file at the top level.
  for (const { segs, isDir } of members) {
    if (segs[0] !== first) return 0;
    if (segs.length < 2 && !isDir) return 0;
  }
  return 1;
}

/**
 * Extracts every member of `zipPath` into `destDir` (created if missing), verifying names, sizes
 * and CRC-32s. On an error the files written so far stay (use {@link extractZipAtomic} for
 * all-or-nothing). Throws SerError: ENOENT (no archive), ETRUNC (truncated or not a zip), EFORMAT
 * (unsafe member, CRC mismatch, encrypted or unsupported member), EIO (cannot write).
 */
export async function extractZip(zipPath: string, destDir: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const skip = options.skip ?? DEFAULT_SKIP;
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    throw zipError(zipPath, err);
  }
  try {
    let entries: yauzl.Entry[];
    try {
      entries = await readEntries(zip);
    } catch (err) {
      throw zipError(zipPath, err);
    }
    // Check every name (and refuse links, encryption) before writing anything.
    const kept: { entry: yauzl.Entry; segs: string[]; isDir: boolean }[] = [];
    let skipped = 0;
    for (const entry of entries) {
      const name = entry.fileName;
      const segs = safeEntrySegments(name, zipPath);
      if (skip(name)) {
        skipped++;
        continue;
      }
      if (isSymlink(entry)) throw new SerError('EFORMAT', `unsafe member '${name}' refused (symbolic link)`, { file: zipPath });
      if (entry.isEncrypted()) throw new SerError('EFORMAT', `member '${name}' is encrypted`, { file: zipPath });
      const isDir = name.endsWith('/');
      if (!isDir && entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        throw new SerError('EFORMAT', `member '${name}' uses compression method ${entry.compressionMethod} (only stored and deflate are supported)`, { file: zipPath });
      }
      kept.push({ entry, segs, isDir });
    }
    const strip = options.stripComponents === undefined ? 0 : options.stripComponents === 'auto' ? autoStrip(kept) : options.stripComponents;

    const root = resolve(destDir);
    await ensureDir(root);
    const made = new Set<string>([root]);
    const result: ExtractResult = { files: 0, bytes: 0, skipped, stripped: strip };
    const seen = new Set<string>();
    let done = 0;
    for (const { entry, segs, isDir } of kept) {
      const rel = segs.slice(strip);
      done++;
      if (rel.length === 0) {
        options.onEntry?.(done, kept.length);
        continue;
      }
      const target = resolve(root, ...rel);
      if (target !== root && !target.startsWith(root + sep)) {
        throw new SerError('EFORMAT', `unsafe member '${entry.fileName}' refused (resolves outside the destination)`, { file: zipPath });
      }
      if (isDir) {
        if (!made.has(target)) {
          await ensureDir(target);
          made.add(target);
        }
        options.onEntry?.(done, kept.length);
        continue;
      }
      const key = target.toLowerCase();
      if (seen.has(key)) throw new SerError('EFORMAT', `member '${entry.fileName}' appears twice`, { file: zipPath });
      seen.add(key);
      const parent = dirname(target);
      if (!made.has(parent)) {
        await ensureDir(parent);
        made.add(parent);
      }
      const counter = new Crc32Counter();
      try {
        const input = await zip.openReadStreamPromise(entry);
        await pipeline(input, counter, createWriteStream(target, { flags: 'wx' }));
      } catch (err) {
        throw zipError(zipPath, err, entry.fileName);
      }
      if (counter.bytes !== entry.uncompressedSize) {
        throw new SerError('ETRUNC', `member '${entry.fileName}': ${counter.bytes} bytes unpacked, the directory says ${entry.uncompressedSize}`, { file: zipPath });
      }
      if (counter.crc >>> 0 !== entry.crc32 >>> 0) {
        throw new SerError(
          'EFORMAT',
          `member '${entry.fileName}': CRC-32 mismatch (expected ${hex8(entry.crc32)}, got ${hex8(counter.crc)}): the archive is corrupt`,
          { file: zipPath },
        );
      }
      result.files++;
      result.bytes += counter.bytes;
      options.onEntry?.(done, kept.length);
    }
    return result;
  } finally {
    zip.close();
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The hidden temporary folder name used beside `target`: `.tmp-<basename>-<pid>-<random>`. */
export function tempDirFor(target: string): string {
  return join(dirname(target), `.tmp-${basename(target)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Extracts `zipPath` into the folder `target` atomically: into `tempDirFor(target)` first (same
 * parent, so the final rename is atomic), then `verify(tempDir)`, then one rename to `target`. On
 * any failure the temporary tree is deleted and `target` is not created. Throws SerError EPARAM
 * when `target` already exists, plus the errors of {@link extractZip} and of `verify`.
 */
export async function extractZipAtomic(zipPath: string, target: string, options: AtomicExtractOptions = {}): Promise<ExtractResult> {
  if (await pathExists(target)) throw new SerError('EPARAM', 'already exists: remove it first or choose another folder', { file: target });
  await ensureDir(dirname(target));
  const tmp = tempDirFor(target);
  try {
    await mkdir(tmp);
    const result = await extractZip(zipPath, tmp, options);
    if (options.verify) await options.verify(tmp);
    try {
      await rename(tmp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new SerError('EPARAM', 'already exists: remove it first or choose another folder', { file: target, cause: err });
      throw new SerError('EIO', `cannot move the unpacked tree into place (${(err as Error).message})`, { file: target, cause: err });
    }
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (err instanceof SerError) throw err;
    throw new SerError('EIO', `cannot unpack (${(err as Error).message})`, { file: zipPath, cause: err });
  }
}

/**
 * Removes temporary extraction folders (`.tmp-*-PID-*`) left in `dir` by processes that no longer
 * run (a killed unpack). Returns how many were removed.
 */
export function removeStaleExtractions(dir: string): Promise<number> {
  return removeOrphans(dir, (name) => {
    const m = /^\.tmp-.+-(\d+)-[0-9a-f]{8}$/.exec(name);
    return m ? Number(m[1]) : null;
  }, (p) => rm(p, { recursive: true, force: true }));
}
