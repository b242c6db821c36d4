/**
 * `ser download ravdess DIR`: fetches the public RAVDESS speech archive from its official Zenodo
 * record (resumable), verifies it, and unpacks it atomically to `DIR/Audio_Speech_Actors_01-24/`
 * (`Actor_01/ … Actor_24/`, 1440 WAV files), ready for `ser train --data DIR` (Node only).
 *
 * Steps: (1) download to `DIR/.Audio_Speech_Actors_01-24.zip.part` (+ `.part.json` state) with
 * HTTP Range resume, or take a local archive (`from`); (2) check the whole-file checksum — by
 * default Zenodo's published md5 — ; (3) extract into a hidden `DIR/.tmp-…` folder, checking every
 * member's name (zip-slip), size and CRC-32, count the RAVDESS recordings, then rename the folder
 * into place; (4) delete the part file, or keep it as `DIR/Audio_Speech_Actors_01-24.zip`.
 * A folder that a previous run finished (it holds the marker `.ser-download.json`) is left as is.
 */
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SerError } from '../errors.js';
import { createProgress, type Progress, type ProgressOptions } from '../util/progress.js';
import { walkAudio } from '../data/walk.js';
import { parseRavdessName } from '../data/adapters/ravdess.js';
import { verifyChecksum, type Checksum } from './checksum.js';
import { downloadResumable, defaultStatePath, type DownloadEvent, type ResumableDownloadResult } from './http.js';
import { extractZipAtomic, removeStaleExtractions } from './zip.js';
import { ensureDir, pathExists } from '../util/dirs.js';

/**
 * The speech part of RAVDESS (Livingstone & Russo 2018, CC BY-NC-SA 4.0) on Zenodo, record 1188976.
 * `md5` is the checksum Zenodo publishes for the file (also confirmed, with the byte size, by
 * independent projects that verified their downloads); `sha256` is the same file's SHA-256 as
 * recorded by such projects.
 */
export const RAVDESS_SPEECH = {
  record: 'https://zenodo.org/records/1188976',
  url: 'https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip',
  fileName: 'Audio_Speech_Actors_01-24.zip',
  folder: 'Audio_Speech_Actors_01-24',
  md5: 'bc696df654c87fed845eb13823edef8a',
  sha256: '5d208e01632cc3e5242106fa2af3273e6dc5239fb8143131979ac74c4aa40657',
  bytes: 208468073,
  recordings: 1440,
  actors: 24,
  license: 'CC BY-NC-SA 4.0',
} as const;

/** Name of the marker written into a finished folder. */
export const DONE_MARKER = '.ser-download.json';

export interface RavdessDownloadOptions {
  /** Download from this URL instead of Zenodo (a mirror, or a local server in tests). */
  url?: string;
  /** Unpack this already-downloaded archive instead of downloading (same verification). */
  from?: string;
  /**
   * Expected whole-archive checksum. Default: Zenodo's md5 of the official archive. `null` skips
   * it (the members' CRC-32s are still checked).
   */
  checksum?: Checksum | null;
  /** Keep the downloaded archive as `DIR/Audio_Speech_Actors_01-24.zip` (default: delete it). */
  keepArchive?: boolean;
  /** Retries after dropped connections / timeouts / 5xx (default 4). */
  retries?: number;
  /** First back-off delay in ms (default 1000). */
  retryDelayMs?: number;
  /** Socket idle timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Progress bars: where and how (default stderr, TTY-detected); `quiet` turns them off. */
  progress?: Pick<ProgressOptions, 'stream' | 'tty' | 'quiet'>;
  /** Log lines (resume, restart, retry, steps); default: nothing. */
  log?: (line: string) => void;
}

export interface RavdessDownloadResult {
  /** The folder holding Actor_NN/ (DIR/Audio_Speech_Actors_01-24). */
  dataDir: string;
  /** True when a previous run had already finished: nothing was done. */
  alreadyPresent: boolean;
  /** Files unpacked. */
  files: number;
  /** RAVDESS-named audio files found in the unpacked tree. */
  recordings: number;
  /** Distinct actors among them. */
  actors: number;
  /** Where the archive is kept (keepArchive), if anywhere. */
  archive?: string;
  /** The checksum verified, if any. */
  checksum?: Checksum;
  /** Transfer details when a download happened. */
  download?: ResumableDownloadResult;
}

/** The official md5 as a Checksum. */
export const OFFICIAL_CHECKSUM: Checksum = { algorithm: 'md5', hex: RAVDESS_SPEECH.md5 };

/** How to get the archive without this command (appended to network errors). */
export function manualDownloadHint(dir: string): string {
  return (
    `Download it by hand: open ${RAVDESS_SPEECH.record}, save ${RAVDESS_SPEECH.fileName} ` +
    `(${(RAVDESS_SPEECH.bytes / 1e6).toFixed(0)} MB, md5 ${RAVDESS_SPEECH.md5}), then run ` +
    `'ser download ravdess ${dir} --from ${RAVDESS_SPEECH.fileName}'.`
  );
}

/** Counts RAVDESS-named audio files and distinct actors under `root`. */
export async function countRavdess(root: string): Promise<{ recordings: number; actors: number; files: number }> {
  const { audio, other } = await walkAudio(root);
  const actors = new Set<number>();
  let recordings = 0;
  for (const rel of audio) {
    const f = parseRavdessName(rel);
    if ('error' in f) continue;
    recordings++;
    actors.add(f.actor);
  }
  return { recordings, actors: actors.size, files: audio.length + other.length };
}

/** A byte-count progress bar in kB or MB (the shared bar counts whole units). */
function byteProgress(label: string, opts: RavdessDownloadOptions['progress']) {
  let bar: Progress | undefined;
  let scale = 1e6;
  let unit = 'MB';
  return {
    update(received: number, total: number | undefined) {
      if (total === undefined || total <= 0) return;
      if (!bar) {
        if (total < 10e6) [scale, unit] = [1e3, 'kB'];
        bar = createProgress({ total: Math.ceil(total / scale), label, unit, ...opts });
      }
      bar.update(received >= total ? Math.ceil(total / scale) : Math.floor(received / scale));
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function describeEvent(e: DownloadEvent): string | undefined {
  switch (e.kind) {
    case 'resume':
      return `resuming the download at byte ${e.offset}${e.total !== undefined ? ` of ${e.total}` : ''}`;
    case 'restart':
      return `discarding the partial download: ${e.reason}`;
    case 'retry':
      return `download interrupted (${e.reason}); retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s`;
    default:
      return undefined;
  }
}

/**
 * Downloads (or takes `options.from`), verifies and unpacks the RAVDESS speech archive into
 * `DIR/Audio_Speech_Actors_01-24/`. See the module comment for the steps. Throws SerError:
 * EIO (network: unreachable host with a manual-download hint, HTTP status, interrupted download —
 * the partial file is kept for the next run), EFORMAT (checksum mismatch: a downloaded archive is
 * deleted; unsafe or corrupt member), ETRUNC (truncated archive), EDATA (no RAVDESS recordings
 * inside), EPARAM (the target folder exists but is not a finished download), ENOENT (`from`
 * missing). Any failure leaves no partial tree under the target name.
 */
export async function downloadRavdess(dir: string, options: RavdessDownloadOptions = {}): Promise<RavdessDownloadResult> {
  const log = options.log ?? (() => {});
  const root = resolve(dir);
  const target = join(root, RAVDESS_SPEECH.folder);
  const shownTarget = join(dir, RAVDESS_SPEECH.folder);
  try {
    await ensureDir(root);
  } catch (err) {
    throw new SerError('EIO', `cannot create the folder (${(err as Error).message})`, { file: dir, cause: err });
  }
  if ((await stat(root)).isDirectory() === false) throw new SerError('EPARAM', 'not a directory', { file: dir });
  await removeStaleExtractions(root);

  if (await pathExists(target)) {
    if (await pathExists(join(target, DONE_MARKER))) {
      const c = await countRavdess(target);
      log(`${shownTarget} is already complete; nothing to do`);
      let checksum: Checksum | undefined;
      try {
        const m = /^(md5|sha256):([0-9a-f]+)$/.exec(JSON.parse(await readFile(join(target, DONE_MARKER), 'utf8')).checksum ?? '');
        if (m) checksum = { algorithm: m[1] as Checksum['algorithm'], hex: m[2] };
      } catch { /* an unreadable marker only loses this detail */ }
      return { dataDir: target, alreadyPresent: true, files: c.files, recordings: c.recordings, actors: c.actors, checksum };
    }
    throw new SerError('EPARAM', 'already exists but was not completed by ser download: remove it (or move it away) and run again', { file: shownTarget });
  }

  const checksum = options.checksum === undefined ? OFFICIAL_CHECKSUM : options.checksum ?? undefined;
  const keptArchive = join(root, RAVDESS_SPEECH.fileName);
  const partPath = join(root, `.${RAVDESS_SPEECH.fileName}.part`);
  const statePath = defaultStatePath(partPath);
  let archive: string;
  let downloaded = false;
  let download: ResumableDownloadResult | undefined;

  if (options.from !== undefined) {
    archive = resolve(options.from);
    let st;
    try {
      st = await stat(archive);
    } catch (err) {
      throw new SerError('ENOENT', 'no such file', { file: options.from, cause: err });
    }
    if (!st.isFile()) throw new SerError('EISDIR', 'is a folder, not a zip archive', { file: options.from });
    if (st.size === 0) throw new SerError('EEMPTY', 'empty file, not a zip archive', { file: options.from });
  } else if (options.url === undefined && (await pathExists(keptArchive))) {
    archive = keptArchive;
    log(`using the archive already in ${dir}: ${RAVDESS_SPEECH.fileName}`);
  } else {
    const url = options.url ?? RAVDESS_SPEECH.url;
    log(`downloading ${url}`);
    const bar = byteProgress('download', options.progress);
    try {
      download = await downloadResumable({
        url,
        partPath,
        statePath,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
        timeoutMs: options.timeoutMs,
        onProgress: (r, t) => bar.update(r, t),
        onEvent: (e) => {
          const line = describeEvent(e);
          if (line) log(line);
        },
        offlineHint: manualDownloadHint(dir),
      });
    } finally {
      bar.stop();
    }
    archive = partPath;
    downloaded = true;
  }

  // A bad archive that we downloaded is useless for a resume: delete it so the next run starts over.
  const dropDownload = async () => {
    if (!downloaded) return;
    await unlink(partPath).catch(() => {});
    await unlink(statePath).catch(() => {});
  };
  const shownArchive = downloaded ? RAVDESS_SPEECH.fileName + ' (downloaded)' : options.from ?? archive;

  if (checksum) {
    log(`checking the ${checksum.algorithm} checksum`);
    try {
      await verifyChecksum(archive, checksum);
    } catch (err) {
      if (err instanceof SerError && err.code === 'EFORMAT') {
        await dropDownload();
        const tail = downloaded ? '; the download was deleted, run the command again to fetch it afresh' : '';
        throw new SerError('EFORMAT', err.message.replace(`${archive}: `, '') + tail, { file: shownArchive, cause: err });
      }
      throw err;
    }
  }

  log(`unpacking into ${shownTarget}`);
  let files = 0;
  let counted = { recordings: 0, actors: 0, files: 0 };
  let bar: Progress | undefined;
  try {
    const result = await extractZipAtomic(archive, target, {
      stripComponents: 'auto',
      onEntry: (done, total) => {
        bar ??= createProgress({ total, label: 'unpack', unit: 'files', ...options.progress });
        bar.update(done);
      },
      verify: async (tmp) => {
        counted = await countRavdess(tmp);
        if (counted.recordings === 0) {
          throw new SerError('EDATA', `holds no RAVDESS recordings (expected Actor_NN/03-01-EE-II-SS-RR-NN.wav files)`, { file: shownArchive });
        }
        await writeFile(
          join(tmp, DONE_MARKER),
          JSON.stringify(
            {
              dataset: 'ravdess-speech',
              source: options.from !== undefined ? resolve(options.from) : options.url ?? RAVDESS_SPEECH.url,
              checksum: checksum ? `${checksum.algorithm}:${checksum.hex}` : null,
              files: counted.files,
              recordings: counted.recordings,
              actors: counted.actors,
              license: RAVDESS_SPEECH.license,
              finished: new Date().toISOString(),
            },
            null,
            2,
          ) + '\n',
        );
      },
    });
    files = result.files;
  } catch (err) {
    if (err instanceof SerError && (err.code === 'EFORMAT' || err.code === 'ETRUNC' || err.code === 'EDATA')) {
      await dropDownload();
      const msg = err.message.startsWith(`${archive}: `) ? err.message.slice(archive.length + 2) : err.message.startsWith(`${shownArchive}: `) ? err.message.slice(shownArchive.length + 2) : err.message;
      const tail = downloaded ? '; the download was deleted, run the command again to fetch it afresh' : '';
      throw new SerError(err.code, msg + tail, { file: shownArchive, cause: err });
    }
    throw err;
  } finally {
    bar?.stop();
  }

  let kept: string | undefined;
  if (downloaded) {
    if (options.keepArchive) {
      await rename(partPath, keptArchive);
      kept = keptArchive;
    } else {
      await unlink(partPath).catch(() => {});
    }
    await unlink(statePath).catch(() => {});
  } else if (archive === keptArchive) {
    kept = keptArchive;
  }
  return { dataDir: target, alreadyPresent: false, files, recordings: counted.recordings, actors: counted.actors, archive: kept, checksum, download };
}
