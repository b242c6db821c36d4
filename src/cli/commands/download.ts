/**
 * `ser download ravdess DIR [--url URL] [--md5 HEX | --sha256 HEX | --no-checksum] [--keep-archive]
 *  [--from FILE.zip] [--retries N] [--timeout S] [--quiet] [--json]`
 *
 * Fetches the RAVDESS speech archive (Audio_Speech_Actors_01-24.zip) from its Zenodo record,
 * resuming an interrupted download, checks Zenodo's md5 (or the checksum given), and unpacks it
 * atomically into DIR/Audio_Speech_Actors_01-24/ (Actor_01 … Actor_24). `--from FILE.zip` unpacks
 * an archive downloaded by hand, with the same checks. Afterwards `ser train --data DIR` works.
 * Progress bars go to stderr; the summary (or `--json`) to stdout. The download code is imported
 * lazily, in the action.
 */
import { Option, type Command } from 'commander';
import { SerError } from '../../errors.js';

export interface DownloadCliOptions {
  url?: string;
  md5?: string;
  sha256?: string;
  checksum?: boolean;
  keepArchive?: boolean;
  from?: string;
  retries?: string;
  timeout?: string;
  retryDelayMs?: string;
  quiet?: boolean;
  json?: boolean;
}

function parseIntOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(v) || !Number.isFinite(n) || n < min || n > max) {
    throw new SerError('EPARAM', `${name} must be a number from ${min} to ${max}; got '${v}'`);
  }
  return n;
}

export function register(program: Command): void {
  const download = program.command('download').description('download a public dataset (resumable, verified, unpacked atomically)');
  download
    .command('ravdess')
    .description('fetch the RAVDESS speech archive (Zenodo record 1188976, 208 MB), verify it and unpack it into DIR/Audio_Speech_Actors_01-24')
    .argument('<dir>', 'folder to download and unpack into (created if missing)')
    .option('--url <url>', 'download from this address instead of Zenodo (a mirror)')
    .option('--md5 <hex>', "expected md5 of the archive (default: Zenodo's published md5)")
    .option('--sha256 <hex>', 'expected SHA-256 of the archive instead of the md5')
    .option('--no-checksum', 'skip the whole-archive checksum (member CRC-32s are still checked)')
    .option('--keep-archive', 'keep the zip as DIR/Audio_Speech_Actors_01-24.zip')
    .option('--from <file.zip>', 'unpack this already-downloaded archive instead of downloading')
    .option('--retries <n>', 'retries after a dropped connection or timeout', '4')
    .option('--timeout <s>', 'give up an attempt after this many seconds without data', '60')
    .addOption(new Option('--retry-delay-ms <ms>', 'first retry delay (tests)').hideHelp())
    .option('--quiet', 'no progress bars or log lines')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: DownloadCliOptions) => {
      await runDownloadRavdess(dir, opts);
    });
}

export async function runDownloadRavdess(dir: string, opts: DownloadCliOptions, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const { parseChecksum, downloadRavdess, RAVDESS_SPEECH } = await import('../../download/index.js');
  if (opts.md5 !== undefined && opts.sha256 !== undefined) throw new SerError('EPARAM', 'give either --md5 or --sha256, not both');
  if (opts.checksum === false && (opts.md5 !== undefined || opts.sha256 !== undefined)) {
    throw new SerError('EPARAM', '--no-checksum contradicts --md5/--sha256');
  }
  if (opts.from !== undefined && opts.url !== undefined) throw new SerError('EPARAM', 'give either --from (local archive) or --url, not both');
  if (opts.url !== undefined && !/^https?:\/\//i.test(opts.url)) throw new SerError('EPARAM', `--url must be an http:// or https:// address; got '${opts.url}'`);
  const checksum =
    opts.checksum === false ? null : opts.md5 !== undefined ? parseChecksum('md5', opts.md5) : opts.sha256 !== undefined ? parseChecksum('sha256', opts.sha256) : undefined;
  const retries = parseIntOption('--retries', opts.retries, 0, 100);
  const timeoutS = parseIntOption('--timeout', opts.timeout, 1, 3600);
  const retryDelayMs = parseIntOption('--retry-delay-ms', opts.retryDelayMs, 0, 600000);
  const log = opts.quiet ? undefined : (line: string) => process.stderr.write(`ser: ${line}\n`);

  const r = await downloadRavdess(dir, {
    url: opts.url,
    from: opts.from,
    checksum,
    keepArchive: opts.keepArchive,
    retries,
    retryDelayMs,
    timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : undefined,
    progress: { quiet: opts.quiet },
    log,
  });
  if (opts.json) {
    out(
      JSON.stringify(
        {
          dataDir: r.dataDir,
          alreadyPresent: r.alreadyPresent,
          files: r.files,
          recordings: r.recordings,
          actors: r.actors,
          archive: r.archive ?? null,
          checksum: r.checksum ? `${r.checksum.algorithm}:${r.checksum.hex}` : null,
          download: r.download ?? null,
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const lines: string[] = [];
  if (r.alreadyPresent) lines.push(`${r.dataDir}: already downloaded (${r.recordings} RAVDESS recordings of ${r.actors} actors); nothing to do`);
  else {
    lines.push(`RAVDESS speech: ${r.recordings} recordings of ${r.actors} actors unpacked into ${r.dataDir}`);
    lines.push(r.checksum ? `archive ${r.checksum.algorithm} verified: ${r.checksum.hex}; every member's CRC-32 checked` : 'archive checksum not checked (--no-checksum); every member\'s CRC-32 checked');
    if (r.download) {
      const how = r.download.resumed ? ', resumed' : r.download.restarted ? ', restarted' : '';
      lines.push(`downloaded ${r.download.bytes} bytes in ${r.download.requests} request(s)${how}`);
    }
    if (r.archive) lines.push(`archive kept: ${r.archive}`);
  }
  lines.push(`license: ${RAVDESS_SPEECH.license} (non-commercial; cite Livingstone & Russo 2018, PLoS ONE 13(5): e0196391)`);
  lines.push(`train with: ser train --data ${dir}`);
  out(lines.join('\n') + '\n');
}
