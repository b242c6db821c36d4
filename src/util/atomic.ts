/**
 * Atomic file writes: the data goes to a temporary file in the destination's own directory
 * (same file system, so rename is atomic), is flushed with fsync, then renamed over the final
 * name. A reader — or a run killed at any instant — therefore sees either the old file, no file,
 * or the complete new file, never a partial one. Temporary names start with `.` and end with
 * `.tmp`; `removeStaleTemps` cleans those left behind by killed processes.
 */
import { open, rename, unlink, readdir } from 'node:fs/promises';
import { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { SerError } from '../errors.js';
import { ensureDir } from './dirs.js';

export type AtomicData = string | Uint8Array | readonly Uint8Array[];

export interface AtomicWriteOptions {
  /** fsync the file before the rename (default true). */
  fsync?: boolean;
  /** Create the destination directory if missing (default false). */
  mkdir?: boolean;
}

const TEMP_RE = /^\.(.+)\.(\d+)\.(\d+)\.([0-9a-f]+)\.tmp$/;

/** The temporary name used for `path`: `.BASENAME.PID.THREAD.RANDOM.tmp` in the same directory. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${threadId}.${randomBytes(4).toString('hex')}.tmp`);
}

function chunks(data: AtomicData): Uint8Array[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  if (data instanceof Uint8Array) return [data];
  return [...data];
}

function ioError(path: string, err: unknown): SerError {
  const e = err as NodeJS.ErrnoException;
  if (e instanceof SerError) return e;
  const code = e?.code === 'ENOENT' ? 'ENOENT' : e?.code === 'EISDIR' ? 'EISDIR' : 'EIO';
  return new SerError(code, `cannot write: ${e?.message ?? String(err)}`, { file: path, cause: err });
}

/** Writes `data` to `path` atomically (temp file + fsync + rename). Throws SerError('EIO'|...) naming `path`. */
export async function writeFileAtomic(path: string, data: AtomicData, options: AtomicWriteOptions = {}): Promise<void> {
  if (options.mkdir) await ensureDir(dirname(path));
  const tmp = tempPathFor(path);
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(tmp, 'wx');
    for (const c of chunks(data)) {
      let off = 0;
      while (off < c.length) {
        const { bytesWritten } = await fh.write(c, off, c.length - off);
        off += bytesWritten;
      }
    }
    if (options.fsync !== false) await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw ioError(path, err);
  }
}

/** Synchronous variant of {@link writeFileAtomic}. */
export function writeFileAtomicSync(path: string, data: AtomicData, options: AtomicWriteOptions = {}): void {
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (const c of chunks(data)) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    if (options.fsync !== false) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* ignore */ }
    try { unlinkSync(tmp); } catch { /* ignore */ }
    throw ioError(path, err);
  }
}

/** True when `name` is a temporary file name made by {@link tempPathFor}. */
export function isTempName(name: string): boolean {
  return TEMP_RE.test(name);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries of `dir` that `pidOf` recognises as temporaries (it returns their creator's
 * pid, else null) and whose process no longer runs; `remove` deletes one. Returns how many went.
 */
export async function removeOrphans(dir: string, pidOf: (name: string) => number | null, remove: (path: string) => Promise<void>): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = pidOf(name);
    if (pid === null || processAlive(pid)) continue;
    try {
      await remove(join(dir, name));
      removed++;
    } catch { /* raced with someone else */ }
  }
  return removed;
}

/**
 * Deletes temporary files in `dir` left by processes that no longer run (a killed run).
 * Temp files of live processes (another run in progress) are kept. Returns the number removed.
 */
export function removeStaleTemps(dir: string): Promise<number> {
  return removeOrphans(dir, (name) => {
    const m = TEMP_RE.exec(name);
    return m ? Number(m[2]) : null;
  }, (p) => unlink(p));
}
