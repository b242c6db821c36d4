/**
 * `ser features FILE|DIR... [--sr N|native] [--json] [--out DIR] [--jobs N] [--config JSON]`
 *
 * - default: one summary line per file (duration, frames, feature shape) on stdout.
 * - `--json`: librosa-oriented JSON on stdout, as the fixtures in ../shared/fixtures/librosa-0.11:
 *   `{file, sr, n_fft, hop_length, frames, duration, features: {NAME: {shape: [rows, frames],
 *   data: [[...], ...]}}, tuning}` — one object for one file, a JSON array for several.
 *   Note the orientation: [rows, frames], the transpose of the project's frame-major matrices.
 * - `--out DIR`: per input `NAME.npy` (float32 (frames, n_features), C order) and `NAME.json`
 *   (FeatureSidecar) — see docs/formats.md. Directories given as inputs are walked; their files
 *   keep their relative sub-folders under DIR.
 * - `--jobs N` (default 1; 0 or 'auto' = cores): files are spread over N worker threads; output
 *   order and content do not depend on N. A progress bar is drawn on stderr when it is a TTY.
 * - A file that fails prints `ser: FILE: reason` on stderr; the others are still processed and the
 *   command exits 1 at the end. Outputs are written atomically (no partial files).
 */
import type { Command } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join, dirname, resolve } from 'node:path';
import { SerError } from '../../errors.js';
import { featureConfigHash, normalizeFeatureConfig, type FeatureConfig } from '../../features/index.js';
import { MIN_SAMPLE_RATE, MAX_SAMPLE_RATE } from '../../audio/index.js';
import { walkAudio } from '../../data/walk.js';
import { encodeNpy, type FeatureSidecar } from '../../io/featfile.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { createPool, resolvePoolSize, workerUrl, type MapResult } from '../../util/pool.js';
import { createProgress, type Progress } from '../../util/progress.js';
import { runFeatureTask, type FeatureTask, type FeatureResult, type BlocksResult, type MatrixResult } from '../../workers/feature-tasks.js';
import type { Matrix } from '../../dsp/matrix.js';
import { ensureDir } from '../../util/dirs.js';

export interface FeaturesOptions {
  sr?: string;
  json?: boolean;
  out?: string;
  jobs?: string;
  config?: string;
  progress?: boolean;
}

/** An input file and the output stem (relative path without extension) used under --out. */
interface Input {
  file: string;
  stem: string;
}

/** Parses `--sr`: a rate in Hz (MIN_SAMPLE_RATE..MAX_SAMPLE_RATE) or 'native'; default 22050. */
export function parseSr(value: string | undefined): number | 'native' {
  if (value === undefined) return 22050;
  if (value === 'native') return 'native';
  const n = Number(value);
  if (!Number.isFinite(n) || n < MIN_SAMPLE_RATE || n > MAX_SAMPLE_RATE) {
    throw new SerError('ERATE', `--sr must be a sample rate in Hz (${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE}) or 'native', got '${value}'`);
  }
  return n;
}

/** Parses `--config`: inline JSON (starting with '{') or the path of a JSON file. */
export async function parseConfigOption(value: string | undefined): Promise<Partial<FeatureConfig> | undefined> {
  if (value === undefined) return undefined;
  let text = value;
  let file: string | undefined;
  if (!value.trimStart().startsWith('{')) {
    file = value;
    try {
      text = await readFile(value, 'utf8');
    } catch (err) {
      throw new SerError('ENOENT', 'cannot read --config file', { file: value, cause: err });
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SerError('EPARAM', `--config is not valid JSON (${(err as Error).message})`, file ? { file } : {});
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SerError('EPARAM', '--config must be a JSON object', file ? { file } : {});
  return parsed as Partial<FeatureConfig>;
}

async function expandInputs(args: string[]): Promise<Input[]> {
  const out: Input[] = [];
  for (const a of args) {
    let isDir = false;
    try {
      isDir = (await stat(a)).isDirectory();
    } catch {
      /* a missing file is reported per file later */
    }
    if (isDir) {
      const w = await walkAudio(a);
      if (w.audio.length === 0) throw new SerError('EDATA', 'no audio files in directory', { file: a });
      for (const rel of w.audio) out.push({ file: join(a, rel), stem: rel.slice(0, rel.length - extname(rel).length) });
    } else {
      out.push({ file: a, stem: basename(a, extname(a)) });
    }
  }
  return out;
}

/** JSON number for a float32: 9 significant digits round-trip float32 exactly; non-finite → null. */
function num(x: number): number | null {
  return Number.isFinite(x) ? Number(x.toPrecision(9)) : null;
}

/** Frame-major (frames × rows) → librosa's nested [rows][frames]. */
function librosaNested(m: Matrix): (number | null)[][] {
  const out: (number | null)[][] = [];
  for (let c = 0; c < m.cols; c++) {
    const row: (number | null)[] = new Array(m.rows);
    for (let r = 0; r < m.rows; r++) row[r] = num(m.data[r * m.cols + c]);
    out.push(row);
  }
  return out;
}

/** The `--json` object for one file (librosa orientation). */
export function featuresJson(r: BlocksResult, config: FeatureConfig): Record<string, unknown> {
  const features: Record<string, unknown> = {};
  let frames = 0;
  for (const [name, m] of Object.entries(r.blocks)) {
    if (m === null) {
      features[name] = { error: r.errors[name] ?? 'not computable for this input' };
      continue;
    }
    features[name] = { shape: [m.cols, m.rows], data: librosaNested(m) };
    frames = Math.max(frames, m.rows);
  }
  return {
    file: r.file,
    sr: r.sr,
    n_fft: config.n_fft,
    hop_length: config.hop_length,
    frames,
    duration: r.duration,
    features,
    tuning: num(r.tuning),
  };
}

function errorLine(file: string, err: Error): string {
  if (err instanceof SerError) return err.file !== undefined ? err.message : `${file}: ${err.message}`;
  return `${file}: internal error: ${err.message}`;
}

/** Where runFeatures writes (default: the process's stdout / stderr). */
export interface FeaturesIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/**
 * Runs `ser features` on `files` (files or directories). Per-file errors are printed to `io.stderr`
 * as `ser: FILE: reason` and counted; returns the number of failed files. Option errors throw.
 */
export async function runFeatures(files: string[], opts: FeaturesOptions, io: FeaturesIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const jobs = resolvePoolSize(opts.jobs, 1);
  const parsedConfig = await parseConfigOption(opts.config);
  // The rate: --sr, else the config's sr, else 22050. A config naming another rate is an error.
  const sr = opts.sr !== undefined ? parseSr(opts.sr) : parsedConfig?.sr ?? 22050;
  if (parsedConfig?.sr !== undefined && opts.sr !== undefined && parsedConfig.sr !== sr) {
    throw new SerError('EPARAM', `--sr ${opts.sr} contradicts the feature config's sr ${parsedConfig.sr}`);
  }
  // Features run at the audio's rate; the config's other fields are validated once, up front.
  const { sr: _ignored, ...userConfig } = parsedConfig ?? {};
  void _ignored;
  const config: FeatureConfig = normalizeFeatureConfig({ ...userConfig, sr: sr === 'native' ? 22050 : sr });
  const inputs = await expandInputs(files);

  let outDir: string | undefined;
  if (opts.out !== undefined) {
    outDir = resolve(opts.out);
    const seen = new Map<string, string>();
    for (const i of inputs) {
      const prev = seen.get(i.stem);
      if (prev !== undefined) throw new SerError('EPARAM', `two inputs would write the same output ${i.stem}.npy: ${prev} and ${i.file}`);
      seen.set(i.stem, i.file);
    }
    try {
      await ensureDir(outDir);
    } catch (err) {
      throw new SerError('EIO', `cannot create output directory (${(err as Error).message})`, { file: opts.out, cause: err });
    }
  }

  const kind: 'blocks' | 'matrix' = opts.json ? 'blocks' : 'matrix';
  const tasks: FeatureTask[] = inputs.map((i) => ({ kind, file: i.file, sr, config: userConfig as Partial<FeatureConfig> }));
  const { stderr, stdout } = io;
  const showProgress = opts.progress ?? (Boolean(stderr.isTTY) && inputs.length > 1);
  const progress: Progress | undefined = showProgress ? createProgress({ total: inputs.length, label: 'features', stream: stderr }) : undefined;

  // --out with --json: the .npy needs the default matrix, computed in a second task per file.
  const needMatrixToo = opts.json && outDir !== undefined;

  let failed = 0;
  let first = true;
  const multiJson = opts.json && inputs.length !== 1;
  if (multiJson) stdout.write('[');

  const handle = async (index: number, r: MapResult<FeatureTask, FeatureResult>, matrix?: MatrixResult | Error) => {
    const input = inputs[index];
    if (!r.ok) {
      failed++;
      progress?.tick(1, 1);
      if (progress) stderr.write('\r\x1b[K');
      stderr.write(`ser: ${errorLine(input.file, (r as { error: Error }).error)}\n`);
      return;
    }
    const v = r.value;
    try {
      if (v.kind === 'blocks') {
        const text = JSON.stringify(featuresJson(v, { ...config, sr: v.sr }));
        stdout.write(multiJson ? `${first ? '' : ','}\n${text}` : `${text}\n`);
        first = false;
      }
      if (matrix instanceof Error) throw matrix;
      const m = v.kind === 'matrix' ? v : matrix;
      if (outDir !== undefined && m) {
        const base = join(outDir, input.stem);
        await ensureDir(dirname(base));
        const sidecar: FeatureSidecar = {
          format: 'ser-features/1',
          file: input.file,
          sr: m.sr,
          n_fft: m.config.n_fft,
          hop_length: m.config.hop_length,
          frames: m.features.rows,
          duration: m.duration,
          columns: m.columns,
          feature_config_hash: featureConfigHash(m.config),
          feature_config: m.config,
        };
        // .npy first, sidecar last: a present sidecar means a complete pair.
        await writeFileAtomic(`${base}.npy`, encodeNpy(m.features), { fsync: false });
        await writeFileAtomic(`${base}.json`, JSON.stringify(sidecar, null, 1) + '\n', { fsync: false });
      }
      if (!opts.json && outDir === undefined && v.kind === 'matrix') {
        if (progress) stderr.write('\r\x1b[K');
        stdout.write(
          `${input.file}: ${v.duration.toFixed(3)} s at ${v.sr} Hz` +
            `${v.nativeSr !== v.sr ? ` (from ${v.nativeSr} Hz)` : ''}, ${v.features.rows} frames x ${v.features.cols} features` +
            ` (hop ${config.hop_length}), shape (${v.features.rows}, ${v.features.cols})\n`,
        );
      }
      progress?.tick(1, 0);
    } catch (err) {
      failed++;
      progress?.tick(1, 1);
      stderr.write(`ser: ${errorLine(input.file, err as Error)}\n`);
    }
  };

  if (jobs <= 1) {
    for (let i = 0; i < tasks.length; i++) {
      let r: MapResult<FeatureTask, FeatureResult>;
      try {
        r = { index: i, task: tasks[i], ok: true, value: await runFeatureTask(tasks[i]) };
      } catch (error) {
        r = { index: i, task: tasks[i], ok: false, error: error as Error };
      }
      let m: MatrixResult | Error | undefined;
      if (r.ok && needMatrixToo) m = await runFeatureTask({ ...tasks[i], kind: 'matrix' }).then((x) => x as MatrixResult, (e: Error) => e);
      await handle(i, r, m);
    }
  } else {
    const pool = createPool<FeatureTask, FeatureResult>({ workerUrl: workerUrl(import.meta.url, '../../workers/features.worker'), size: Math.min(jobs, Math.max(1, tasks.length)) });
    try {
      if (needMatrixToo) {
        // pairs of tasks (blocks, matrix) per file, still in order
        const paired: FeatureTask[] = tasks.flatMap((t) => [t, { ...t, kind: 'matrix' as const }]);
        let pendingBlocks: MapResult<FeatureTask, FeatureResult> | undefined;
        for await (const r of pool.map(paired)) {
          if (r.index % 2 === 0) {
            pendingBlocks = r;
            continue;
          }
          const b = pendingBlocks!;
          await handle(b.index / 2, b, r.ok ? (r.value as MatrixResult) : r.error);
        }
      } else {
        for await (const r of pool.map(tasks)) await handle(r.index, r);
      }
    } finally {
      await pool.close();
    }
  }
  if (multiJson) stdout.write('\n]\n');
  progress?.stop();
  if (failed > 0) stderr.write(`ser: ${failed} of ${inputs.length} file${inputs.length === 1 ? '' : 's'} failed\n`);
  return failed;
}

export function register(program: Command): void {
  program
    .command('features')
    .description('extract librosa-compatible features from audio files')
    .argument('<files...>', 'audio files (WAV, FLAC, MP3, OGG) or directories to walk')
    .option('--sr <rate>', "resample to this rate in Hz, or 'native' (default 22050)")
    .option('--json', 'print every feature block as JSON in librosa orientation [rows, frames]')
    .option('--out <dir>', 'write NAME.npy (frames x features, float32) + NAME.json per input')
    .option('--jobs <n>', "worker threads (default 1; 0 or 'auto' = number of cores)")
    .option('--config <json>', 'feature configuration overrides: inline JSON or a JSON file')
    .option('--progress', 'always report progress on stderr (default: only on a TTY)')
    .option('--no-progress', 'never report progress')
    .action(async (files: string[], opts: FeaturesOptions) => {
      const failed = await runFeatures(files, opts);
      if (failed > 0) process.exitCode = 1;
    });
}
