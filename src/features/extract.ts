/**
 * The project's feature matrix: librosa-exact blocks computed from ONE short-time Fourier
 * transform and stacked side by side, frame-major.
 *
 *   power spectrogram |STFT|² ─┬─ mel filterbank → mel_power → power_to_db → logmel_db → DCT → mfcc → Savitzky–Golay → mfcc_delta(2)
 *                             ├─ estimate_tuning → chroma_stft
 *                             └─ spectral_contrast (band order statistics of the power, √ of the selected bins only)
 *
 * Browser-safe: typed arrays only.
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { transientPowerSpectrogram } from '../dsp/stft.js';
import { applyFilterbank, melFilterbankSparse } from './mel.js';
import { powerToDb } from './db.js';
import { mfcc as mfccFromLogMel } from './mfcc.js';
import { delta } from './delta.js';
import { rms as rmsFeature } from './rms.js';
import { zeroCrossingRate } from './zcr.js';
import { chromaStft } from './chroma.js';
import { estimateTuning } from './tuning.js';
import { spectralContrastFromPower } from './contrast.js';

/** Blocks that can be stacked into the feature matrix. */
export const FEATURE_BLOCKS = [
  'mfcc',
  'mfcc_delta',
  'mfcc_delta2',
  'chroma_stft',
  'spectral_contrast',
  'logmel_db',
  'mel_power',
  'rms',
  'zcr',
] as const;
export type FeatureBlock = (typeof FEATURE_BLOCKS)[number];

/**
 * Everything that determines the feature values. librosa's parameter names and defaults, except
 * n_mfcc (40 here, 20 in librosa).
 */
export interface FeatureConfig {
  /** Sample rate the features are computed at (Hz). Default 22050. */
  sr: number;
  /** FFT size (a power of two is fast). Default 2048. */
  n_fft: number;
  /** Hop between frames in samples. Default 512. */
  hop_length: number;
  /** Mel bands. Default 128. */
  n_mels: number;
  /** MFCC coefficients, ≤ n_mels. Default 40. */
  n_mfcc: number;
  /** Savitzky–Golay window of the deltas (odd, ≥ 3; mode 'interp'). Default 9. */
  delta_width: number;
  /** Blocks, in column order. Default mfcc, mfcc_delta, chroma_stft, spectral_contrast, logmel_db (227 columns). */
  blocks: FeatureBlock[];
  /** Lowest mel frequency (Hz). Default 0. */
  fmin: number;
  /** Highest mel frequency (Hz); null means sr / 2. Default null. */
  fmax: number | null;
  /** power_to_db dynamic range (dB below the clip's maximum); null disables clipping. Default 80. */
  top_db: number | null;
  /** Chroma bins. Default 12. */
  n_chroma: number;
  /** Spectral-contrast octave bands (the block has n_bands + 1 columns). Default 6. */
  n_bands: number;
  /** Upper edge of spectral contrast's first band (Hz). Default 200. */
  contrast_fmin: number;
  /** Spectral contrast's peak/valley quantile. Default 0.02. */
  contrast_quantile: number;
}

/** The default configuration: 40 + 40 + 12 + 7 + 128 = 227 columns at 22050 Hz. */
export const defaultFeatureConfig: Readonly<FeatureConfig> = Object.freeze({
  sr: 22050,
  n_fft: 2048,
  hop_length: 512,
  n_mels: 128,
  n_mfcc: 40,
  delta_width: 9,
  blocks: ['mfcc', 'mfcc_delta', 'chroma_stft', 'spectral_contrast', 'logmel_db'] as FeatureBlock[],
  fmin: 0,
  fmax: null,
  top_db: 80,
  n_chroma: 12,
  n_bands: 6,
  contrast_fmin: 200,
  contrast_quantile: 0.02,
});

/**
 * Version of the feature algorithms. It is part of {@link featureConfigHash}: bump it when a change
 * alters feature values, so that caches and model bundles made before are detected as stale.
 */
export const FEATURE_VERSION = 1;

const KEYS = Object.keys(defaultFeatureConfig) as (keyof FeatureConfig)[];

function isPosInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/**
 * Defaults filled in, every field validated (SerError 'EPARAM' naming the field), keys in a fixed
 * order. Unknown keys are rejected (a typo would otherwise silently fall back to a default).
 */
export function normalizeFeatureConfig(config: Partial<FeatureConfig> = {}): FeatureConfig {
  check(config !== null && typeof config === 'object' && !Array.isArray(config), 'feature config must be an object');
  for (const k of Object.keys(config)) {
    check((KEYS as string[]).includes(k), `unknown feature config key '${k}' (known: ${KEYS.join(', ')})`);
  }
  const merged = { ...defaultFeatureConfig, ...config } as Record<string, unknown>;
  for (const k of KEYS) if (merged[k] === undefined) merged[k] = (defaultFeatureConfig as unknown as Record<string, unknown>)[k];
  const c = merged as unknown as FeatureConfig;
  check(typeof c.sr === 'number' && Number.isFinite(c.sr) && c.sr > 0, `feature config: sr must be a positive number, got ${c.sr}`);
  check(isPosInt(c.n_fft) && c.n_fft >= 16, `feature config: n_fft must be an integer ≥ 16, got ${c.n_fft}`);
  check(isPosInt(c.hop_length), `feature config: hop_length must be a positive integer, got ${c.hop_length}`);
  check(isPosInt(c.n_mels), `feature config: n_mels must be a positive integer, got ${c.n_mels}`);
  check(isPosInt(c.n_mfcc) && c.n_mfcc <= c.n_mels, `feature config: n_mfcc must be an integer in 1..n_mels (${c.n_mels}), got ${c.n_mfcc}`);
  check(
    isPosInt(c.delta_width) && c.delta_width >= 3 && c.delta_width % 2 === 1,
    `feature config: delta_width must be an odd integer ≥ 3, got ${c.delta_width}`,
  );
  check(Array.isArray(c.blocks) && c.blocks.length > 0, 'feature config: blocks must be a non-empty list');
  for (const b of c.blocks) check((FEATURE_BLOCKS as readonly string[]).includes(b), `feature config: unknown block '${b}' (known: ${FEATURE_BLOCKS.join(', ')})`);
  check(new Set(c.blocks).size === c.blocks.length, `feature config: blocks list a block twice (${c.blocks.join(', ')})`);
  check(typeof c.fmin === 'number' && Number.isFinite(c.fmin) && c.fmin >= 0, `feature config: fmin must be ≥ 0, got ${c.fmin}`);
  const fmax = c.fmax ?? c.sr / 2;
  check(typeof fmax === 'number' && Number.isFinite(fmax) && fmax > c.fmin, `feature config: fmax (${c.fmax}) must be greater than fmin (${c.fmin})`);
  check(c.top_db === null || (typeof c.top_db === 'number' && c.top_db >= 0), `feature config: top_db must be ≥ 0 or null, got ${c.top_db}`);
  check(isPosInt(c.n_chroma), `feature config: n_chroma must be a positive integer, got ${c.n_chroma}`);
  check(isPosInt(c.n_bands), `feature config: n_bands must be a positive integer, got ${c.n_bands}`);
  check(typeof c.contrast_fmin === 'number' && c.contrast_fmin > 0, `feature config: contrast_fmin must be > 0, got ${c.contrast_fmin}`);
  check(
    typeof c.contrast_quantile === 'number' && c.contrast_quantile > 0 && c.contrast_quantile < 1,
    `feature config: contrast_quantile must be in (0, 1), got ${c.contrast_quantile}`,
  );
  const out = {} as Record<string, unknown>;
  for (const k of KEYS) out[k] = k === 'blocks' ? [...c.blocks] : merged[k];
  return out as unknown as FeatureConfig;
}

/** Number of columns each block contributes under `config`. */
export function blockWidth(block: FeatureBlock, config: FeatureConfig): number {
  switch (block) {
    case 'mfcc':
    case 'mfcc_delta':
    case 'mfcc_delta2':
      return config.n_mfcc;
    case 'chroma_stft':
      return config.n_chroma;
    case 'spectral_contrast':
      return config.n_bands + 1;
    case 'logmel_db':
    case 'mel_power':
      return config.n_mels;
    case 'rms':
    case 'zcr':
      return 1;
  }
}

const COLUMN_PREFIX: Record<FeatureBlock, string> = {
  mfcc: 'mfcc',
  mfcc_delta: 'mfcc_delta',
  mfcc_delta2: 'mfcc_delta2',
  chroma_stft: 'chroma',
  spectral_contrast: 'contrast',
  logmel_db: 'logmel',
  mel_power: 'mel',
  rms: 'rms',
  zcr: 'zcr',
};

/**
 * Column names in order, e.g. mfcc_0..mfcc_39, mfcc_delta_0.., chroma_0..chroma_11,
 * contrast_0..contrast_6, logmel_0..logmel_127 for the default config; 'rms' and 'zcr' for those
 * one-column blocks.
 */
export function featureColumns(config: Partial<FeatureConfig> = {}): string[] {
  const c = normalizeFeatureConfig(config);
  const key = canonicalJson(c);
  let cols = columnCache.get(key);
  if (!cols) {
    cols = buildColumns(c);
    if (columnCache.size > 32) columnCache.clear();
    columnCache.set(key, cols);
  }
  return [...cols];
}

const columnCache = new Map<string, string[]>();

function buildColumns(c: FeatureConfig): string[] {
  const cols: string[] = [];
  for (const b of c.blocks) {
    const w = blockWidth(b, c);
    if (w === 1 && (b === 'rms' || b === 'zcr')) cols.push(COLUMN_PREFIX[b]);
    else for (let i = 0; i < w; i++) cols.push(`${COLUMN_PREFIX[b]}_${i}`);
  }
  return cols;
}

/** Canonical JSON of a normalised config (fixed key order). */
function canonicalJson(c: FeatureConfig): string {
  const o: Record<string, unknown> = {};
  for (const k of KEYS) o[k] = c[k];
  return JSON.stringify(o);
}

/** 64-bit FNV-1a of a string's UTF-8 bytes, as 16 hex digits. */
function fnv1a64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (const byte of bytes) h = ((h ^ BigInt(byte)) * prime) & mask;
  return h.toString(16).padStart(16, '0');
}

/**
 * A short stable identifier of the feature computation: `f<FEATURE_VERSION>-<16 hex digits>`, a
 * 64-bit FNV-1a hash of the normalised config. Equal for configs that differ only by omitted
 * defaults; changes when any value, the block order or FEATURE_VERSION changes. Model bundles and
 * feature caches store it to detect mismatches.
 */
export function featureConfigHash(config: Partial<FeatureConfig> = {}): string {
  return `f${FEATURE_VERSION}-${fnv1a64(canonicalJson(normalizeFeatureConfig(config)))}`;
}

/** A frame-major feature matrix (n_frames, n_columns) with its column names and config. */
export interface FeatureMatrix extends Matrix {
  columns: string[];
  config: FeatureConfig;
}

function resolveConfig(sr: number, config: Partial<FeatureConfig> | undefined): { c: FeatureConfig; columns: string[] } {
  check(typeof sr === 'number' && Number.isFinite(sr) && sr > 0, `sample rate must be a positive number, got ${sr}`);
  if (config && config.sr !== undefined && config.sr !== sr) {
    throw new SerError('ERATE', `the samples are at ${sr} Hz but the feature config expects ${config.sr} Hz; resample them first`);
  }
  // Normalising (and validating) a config costs more than a small feature block: remember the
  // result per distinct (sr, config) — keyed by value, so a config object mutated between calls is
  // seen as the new config it is. Callers get their own copy.
  let key: string | undefined;
  try {
    key = `${sr}|${JSON.stringify(config ?? {}, tagValues)}`;
  } catch {
    key = undefined; // not serialisable: normalise (and report) it directly
  }
  let e = key === undefined ? undefined : resolvedCache.get(key);
  if (!e) {
    const c = normalizeFeatureConfig({ ...(config ?? {}), sr });
    e = { c, columns: buildColumns(c) };
    if (key !== undefined) {
      if (resolvedCache.size > 64) resolvedCache.clear();
      resolvedCache.set(key, e);
    }
  }
  return { c: { ...e.c, blocks: [...e.c.blocks] }, columns: e.columns.slice() };
}

const resolvedCache = new Map<string, { c: FeatureConfig; columns: string[] }>();

/** JSON replacer keeping values JSON would conflate apart (NaN/±Infinity vs null, strings vs those tags). */
function tagValues(_k: string, v: unknown): unknown {
  if (typeof v === 'string') return `s:${v}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return `n:${v}`;
  if (v === undefined) return 'u:';
  return v;
}

function checkSamples(samples: Float32Array, finite: boolean | null = null): void {
  check(samples instanceof Float32Array, 'samples must be a Float32Array');
  if (samples.length === 0) throw new SerError('EEMPTY', 'no audio samples to extract features from');
  if (finite === true) return; // checked by the STFT kernel
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    if (v - v !== 0) throw new SerError('ENONFINITE', `audio sample ${i} is ${v}; features need finite samples`);
  }
}

/** Reused block buffers of extractFeatures (see Pipeline's scratchBlocks). */
const blockPool = new Map<string, Float32Array>();

/**
 * Everything computed from the shared spectrogram; blocks are created lazily. The power
 * spectrogram may be a view of the WebAssembly kernels' memory (transientPowerSpectrogram): a
 * Pipeline must be used synchronously and dropped before any other STFT runs.
 */
class Pipeline {
  private readonly memo = new Map<string, Matrix | number>();
  readonly power: Matrix;
  private readonly rowMax: Float32Array | null;
  /**
   * @param scratchBlocks true when the blocks are only read before the next extraction (extractFeatures
   *   copies them into its output): mel, log-mel, MFCC and delta blocks then live in reused module
   *   buffers instead of fresh arrays (large typed arrays are costly to allocate).
   */
  constructor(
    readonly y: Float32Array,
    readonly c: FeatureConfig,
    private readonly scratchBlocks = false,
  ) {
    check(y instanceof Float32Array, 'samples must be a Float32Array');
    if (y.length === 0) throw new SerError('EEMPTY', 'no audio samples to extract features from');
    const r = transientPowerSpectrogram(y, { n_fft: c.n_fft, hop_length: c.hop_length, window: 'hann', center: true, pad_mode: 'constant' });
    checkSamples(y, r.finite);
    this.power = r.power;
    this.rowMax = r.rowMax;
  }
  private get<T extends Matrix | number>(key: string, f: () => T): T {
    let v = this.memo.get(key) as T | undefined;
    if (v === undefined) this.memo.set(key, (v = f()));
    return v;
  }
  get nFrames(): number {
    return this.power.rows;
  }
  /** A (nFrames, cols) output matrix for a block: a reused buffer when scratchBlocks, else undefined (fresh). */
  private out(key: string, cols: number): Matrix | undefined {
    if (!this.scratchBlocks) return undefined;
    const n = this.nFrames * cols;
    let a = blockPool.get(key);
    if (!a || a.length < n) blockPool.set(key, (a = new Float32Array(Math.max(n, 2 * (a?.length ?? 0)))));
    return { rows: this.nFrames, cols, data: a.subarray(0, n) };
  }
  melPower(): Matrix {
    return this.get('mel_power', () =>
      applyFilterbank(
        this.power,
        melFilterbankSparse({ sr: this.c.sr, n_fft: this.c.n_fft, n_mels: this.c.n_mels, fmin: this.c.fmin, fmax: this.c.fmax ?? this.c.sr / 2, norm: 'slaney' }),
        this.out('mel_power', this.c.n_mels),
      ),
    );
  }
  logMel(): Matrix {
    return this.get('logmel_db', () => powerToDb(this.melPower(), { ref: 1, amin: 1e-10, top_db: this.c.top_db }, this.out('logmel_db', this.c.n_mels)));
  }
  mfcc(): Matrix {
    return this.get('mfcc', () => mfccFromLogMel({ S: this.logMel(), n_mfcc: this.c.n_mfcc, dct_type: 2, norm: 'ortho' }, this.out('mfcc', this.c.n_mfcc)));
  }
  private checkDeltaFrames(): void {
    const n = this.nFrames;
    if (n < this.c.delta_width) {
      const minSamples = (this.c.delta_width - 1) * this.c.hop_length;
      throw new SerError(
        'EPARAM',
        `audio too short for delta features: ${n} frames (${this.y.length} samples) but delta_width=${this.c.delta_width} needs at least ` +
          `${this.c.delta_width} frames (${minSamples} samples, ${(minSamples / this.c.sr).toFixed(3)} s at ${this.c.sr} Hz)`,
      );
    }
  }
  mfccDelta(order: 1 | 2): Matrix {
    return this.get(`mfcc_delta${order}`, () => {
      this.checkDeltaFrames();
      return delta(this.mfcc(), { width: this.c.delta_width, order, mode: 'interp' }, this.out(`mfcc_delta${order}`, this.c.n_mfcc));
    });
  }
  /** The tuning chroma_stft estimates internally: piptrack on the POWER spectrogram. */
  tuning(): number {
    return this.get('tuning', () =>
      estimateTuning({ S: this.power, sr: this.c.sr, n_fft: this.c.n_fft, bins_per_octave: this.c.n_chroma, resolution: 0.01, rowMax: this.rowMax ?? undefined }),
    );
  }
  /** librosa.estimate_tuning(y=y, sr=sr): piptrack on the MAGNITUDE spectrogram. */
  tuningFromMagnitude(): number {
    return this.get('tuning_y', () => estimateTuning({ S: this.magnitude(), sr: this.c.sr, n_fft: this.c.n_fft, bins_per_octave: 12, resolution: 0.01 }));
  }
  magnitude(): Matrix {
    return this.get('magnitude', () => {
      const mag = new Float32Array(this.power.data.length);
      const p = this.power.data;
      for (let i = 0; i < p.length; i++) mag[i] = Math.sqrt(p[i]);
      return { rows: this.power.rows, cols: this.power.cols, data: mag };
    });
  }
  chroma(): Matrix {
    return this.get('chroma_stft', () =>
      chromaStft({ S: this.power, sr: this.c.sr, n_fft: this.c.n_fft, tuning: this.tuning(), n_chroma: this.c.n_chroma, norm: Infinity }),
    );
  }
  contrast(): Matrix {
    return this.get('spectral_contrast', () => {
      // from the power spectrogram: only the selected bins are square-rooted (same values as on |S|)
      return spectralContrastFromPower({
        S: this.power,
        sr: this.c.sr,
        n_fft: this.c.n_fft,
        fmin: this.c.contrast_fmin,
        n_bands: this.c.n_bands,
        quantile: this.c.contrast_quantile,
        linear: false,
      });
    });
  }
  rms(): Matrix {
    return this.get('rms', () => rmsFeature({ y: this.y, frame_length: this.c.n_fft, hop_length: this.c.hop_length, center: true, pad_mode: 'constant' }));
  }
  zcr(): Matrix {
    return this.get('zcr', () => zeroCrossingRate(this.y, { frame_length: this.c.n_fft, hop_length: this.c.hop_length, center: true }));
  }
  block(b: FeatureBlock): Matrix {
    switch (b) {
      case 'mfcc':
        return this.mfcc();
      case 'mfcc_delta':
        return this.mfccDelta(1);
      case 'mfcc_delta2':
        return this.mfccDelta(2);
      case 'chroma_stft':
        return this.chroma();
      case 'spectral_contrast':
        return this.contrast();
      case 'logmel_db':
        return this.logMel();
      case 'mel_power':
        return this.melPower();
      case 'rms':
        return this.rms();
      case 'zcr':
        return this.zcr();
    }
  }
}

/**
 * The feature matrix of one mono clip: the configured blocks side by side, frame-major, shape
 * (n_frames, n_columns) with n_frames = 1 + ⌊len(samples) / hop_length⌋ (centred frames) and
 * n_columns = Σ block widths (227 for the default config). One STFT serves every block.
 *
 * `sr` is the sample rate of `samples`; the config's sr defaults to it, and a config that names a
 * different sr is an error (SerError 'ERATE': resample first). Empty input → 'EEMPTY'; NaN/Inf
 * samples → 'ENONFINITE'; a clip with fewer than delta_width frames (under 0.186 s at the defaults)
 * when a delta block is requested → 'EPARAM'.
 */
export function extractFeatures(samples: Float32Array, sr: number, config?: Partial<FeatureConfig>): FeatureMatrix {
  const { c, columns } = resolveConfig(sr, config);
  const p = new Pipeline(samples, c, true);
  const mats = c.blocks.map((b) => p.block(b));
  const nFrames = p.nFrames;
  const nCols = mats.reduce((s, m) => s + m.cols, 0);
  const out = new Float32Array(nFrames * nCols);
  let col0 = 0;
  for (const m of mats) {
    if (m.rows !== nFrames) throw new Error(`internal: feature block has ${m.rows} frames, expected ${nFrames}`);
    const w = m.cols;
    const src = m.data;
    if (w >= 32) {
      for (let t = 0; t < nFrames; t++) out.set(src.subarray(t * w, t * w + w), t * nCols + col0);
    } else {
      for (let t = 0; t < nFrames; t++) {
        const o = t * nCols + col0;
        const s = t * w;
        for (let j = 0; j < w; j++) out[o + j] = src[s + j];
      }
    }
    col0 += w;
  }
  return { rows: nFrames, cols: nCols, data: out, columns, config: c };
}

/** Every block computed separately (librosa's names), for inspection and the CLI's --json output. */
export interface AllFeatures {
  /** (n_frames, n_mels) */
  mel_power: Matrix;
  /** (n_frames, n_mels) */
  logmel_db: Matrix;
  /** (n_frames, n_mfcc) */
  mfcc: Matrix;
  /** (n_frames, n_mfcc); null when the clip has fewer than delta_width frames (reason in `errors`). */
  mfcc_delta: Matrix | null;
  /** (n_frames, n_mfcc); null when the clip has fewer than delta_width frames. */
  mfcc_delta2: Matrix | null;
  /** (n_frames, n_chroma) */
  chroma_stft: Matrix;
  /** (n_frames, n_bands + 1) */
  spectral_contrast: Matrix;
  /** (n_frames, 1) */
  rms: Matrix;
  /** (n_frames, 1) */
  zcr: Matrix;
  /**
   * librosa.estimate_tuning(y=y, sr=sr) (piptrack on the magnitude spectrogram): the clip's tuning
   * deviation in fractions of a semitone, in [−0.5, 0.5). Note that chroma_stft, exactly like
   * librosa's, uses its own estimate from the POWER spectrogram, which can differ (e.g. −0.25 vs
   * −0.38 on a synthetic sentence).
   */
  tuning: number;
  /** Blocks that could not be computed for this input, with the reason. */
  errors: Partial<Record<FeatureBlock, string>>;
}

/**
 * Every named block of one clip (independent of config.blocks), all from one STFT. Unlike
 * {@link extractFeatures}, a clip too short for the deltas is not an error: mfcc_delta and
 * mfcc_delta2 are null and `errors` says why (librosa raises ParameterError there).
 */
export function extractAllFeatures(samples: Float32Array, sr: number, config?: Partial<FeatureConfig>): AllFeatures {
  const { c } = resolveConfig(sr, config);
  const p = new Pipeline(samples, c);
  const errors: Partial<Record<FeatureBlock, string>> = {};
  const tryDelta = (order: 1 | 2, name: FeatureBlock): Matrix | null => {
    try {
      return p.mfccDelta(order);
    } catch (e) {
      if (e instanceof SerError && e.code === 'EPARAM') {
        errors[name] = e.message;
        return null;
      }
      throw e;
    }
  };
  return {
    mel_power: p.melPower(),
    logmel_db: p.logMel(),
    mfcc: p.mfcc(),
    mfcc_delta: tryDelta(1, 'mfcc_delta'),
    mfcc_delta2: tryDelta(2, 'mfcc_delta2'),
    chroma_stft: p.chroma(),
    spectral_contrast: p.contrast(),
    rms: p.rms(),
    zcr: p.zcr(),
    tuning: p.tuningFromMagnitude(),
    errors,
  };
}
