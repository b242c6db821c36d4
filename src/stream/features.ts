/**
 * Incremental (streaming) feature extraction on a ring of frames. Browser-safe: typed arrays only.
 *
 * A stream of mono samples at the feature rate is cut into windows of `window_samples` samples
 * that start every `hop_frames · hop_length` samples (the window hop is a whole number of STFT
 * hops, so window m's STFT frame j is the stream's frame m·hop_frames + j). For every window the
 * feature matrix equals `extractFeatures(windowSamples, sr, config)` bit for bit (the same kernels
 * run on the same frames; test/stream/equivalence.test.ts).
 *
 * Everything that depends on one frame only is computed ONCE per stream frame and kept in a ring
 * of frame slots: the power row, its mel row and that row in dB before clipping
 * (10·log10(max(amin, mel))) with its minimum, spectral contrast's per-band peak and valley in dB
 * before clipping, and the piptrack peak candidates (pitch, magnitude). Per window only the
 * window-global parts remain, and each is reduced to cheap work on those cached rows:
 *
 * - power_to_db's top_db clip is max(row_dB, window_max_dB − top_db): a max over the cached dB rows
 *   and a clip. The MFCC (a DCT of the clipped row) is cached per frame together with the floor it
 *   was computed with; it is reused while the clipped row is unchanged (same floor, or neither
 *   floor clips anything in the row, i.e. both ≤ the row's minimum) and recomputed otherwise.
 * - spectral contrast's power_to_db(top_db=80) clips the peaks and the valleys relative to the
 *   window's maxima (peaks and valleys separately): again a max and a clip of cached dB values.
 * - the tuning estimate (median of the window's piptrack magnitudes, histogram of the kept
 *   pitches) from the cached peaks; the chroma row of a frame depends on its power row and that
 *   tuning only, so it is cached with the tuning and recomputed when the tuning changes.
 * - the deltas (a Savitzky–Golay filter across the window's MFCC rows, polynomial fit at the
 *   window's edges) are recomputed per window (a few thousand multiply-adds).
 * - the frames at both window edges, whose `center=True` zero padding differs from the stream's
 *   continuous frames, are recomputed from the window's own padded samples into extra slots.
 * - rms and zcr (cheap, not in the default config) are computed from the window's samples.
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { powerSpectrogram } from '../dsp/stft.js';
import { wasmContrastFinish, wasmContrastSums, wasmPowerToDb, wasmStftAvailable } from '../dsp/stft-wasm.js';
import {
  applyFilterbank,
  blockWidth,
  chromaStft,
  delta,
  extractFeatures,
  featureColumns,
  melFilterbankSparse,
  mfcc as mfccFromLogMel,
  normalizeFeatureConfig,
  piptrack,
  pitchTuning,
  rms as rmsFeature,
  zeroCrossingRate,
  bandExtremeSums,
  contrastBandLayout,
  float32Median,
  type ContrastBand,
  type FeatureConfig,
  type SparseFilterbank,
} from '../features/index.js';

/** power_to_db's amin, as extractFeatures uses it for the log-mel block. */
const AMIN = 1e-10;
/** spectral_contrast's power_to_db dynamic range (librosa's default, applied to the whole window). */
const CONTRAST_TOP_DB = 80;

/** One window's features. */
export interface StreamFeatureWindow {
  /** First sample of the window in the stream (at the feature rate). */
  start: number;
  /** Number of stream samples the window covers (window_samples, or fewer for a padded flush window). */
  length: number;
  /** Frame-major feature matrix, shape (n_frames, n_columns) — as extractFeatures. */
  features: Matrix;
  /** true when `options.skip` declined the window: `features` is then empty (0 rows). */
  skipped?: boolean;
  /** A copy of the window's samples (as given to the model; padded for a short flush window). */
  samples: Float32Array;
  /** true when the features were computed offline (flush windows), false when incremental. */
  offline: boolean;
}

export interface StreamFeatureOptions {
  /** Feature configuration (normalised with normalizeFeatureConfig; its sr is the stream's rate). */
  config?: Partial<FeatureConfig>;
  /** Window length in samples. */
  window_samples: number;
  /** Window hop in STFT frames (hop_length samples each), ≥ 1. */
  hop_frames: number;
  /**
   * What flush() does with audio the regular windows did not end on: 'last' (default) adds one
   * window ending at the stream's end (or, when no window was complete, the whole stream padded
   * by `pad`); 'none' drops it.
   */
  flush?: 'last' | 'none';
  /** How a stream shorter than one window is padded at flush: zeros at both sides ('both', default) or at the end. */
  pad?: 'both' | 'end';
  /**
   * Called with each window (start sample, length, samples) before its window-global features are
   * computed; returning true skips them (e.g. a voice-activity gate). The per-frame ring is still
   * kept up to date lazily, so later windows are unaffected.
   */
  skip?: (start: number, length: number, samples: Float32Array) => boolean;
  /**
   * Compute the next window's stream frames as soon as their samples have arrived, in batches of
   * this many frames (0: only when the window is complete). Spreads a window's frame work over the
   * pushes that precede it, so the push that completes a window does only the window-global work
   * (and the first window costs no more than the others). Default 4; windows are the same either way.
   */
  precompute_frames?: number;
}

/** Counters of the work done so far (for tests and benchmarks). */
export interface StreamFeatureCounters {
  /** STFT frames computed: each stream frame once, plus each window's edge frames. */
  stftFrames: number;
  /** MFCC rows computed (the other window frames reused their cached row). */
  mfccFrames: number;
  /** Chroma rows computed (the others reused their cached row, same tuning). */
  chromaFrames: number;
  /** Windows whose features were computed incrementally. */
  windows: number;
}

/**
 * Incremental feature extractor. `push(samples)` returns the windows completed by these samples
 * (any chunk size); `flush()` returns the final partial window (see options.flush).
 */
export class StreamFeatureExtractor {
  readonly config: FeatureConfig;
  readonly windowSamples: number;
  readonly hopFrames: number;
  /** Window hop in samples = hop_frames · hop_length. */
  readonly hopSamples: number;
  /** Frames per window (1 + ⌊window_samples / hop_length⌋). */
  readonly nFrames: number;
  readonly nCols: number;
  readonly columns: string[];
  /** Work counters (see StreamFeatureCounters). */
  readonly counters: StreamFeatureCounters = { stftFrames: 0, mfccFrames: 0, chromaFrames: 0, windows: 0 };
  private readonly flushMode: 'last' | 'none';
  private readonly pad: 'both' | 'end';
  private readonly skip?: (start: number, length: number, samples: Float32Array) => boolean;
  private readonly batchFrames: number;
  /** Stream frames [.., frameEnd) of the current and next windows are cached (contiguously from the next window's first). */
  private frameEnd = 0;
  private readonly nBins: number;
  private readonly P: number;
  /** First / last window frame whose span lies inside the window (incremental when jLo ≤ jHi). */
  private readonly jLo: number;
  private readonly jHi: number;
  private readonly fb: SparseFilterbank;
  /** The configured blocks (a field, not a per-instance closure: see `has`). */
  private readonly blockSet: ReadonlySet<string>;
  private readonly needPower: boolean;
  private readonly needChroma: boolean;
  private readonly needContrast: boolean;
  private readonly needMel: boolean;
  private readonly needMfcc: boolean;
  private readonly bands: readonly ContrastBand[];
  /** Column where each block starts in the output. */
  private readonly colOf = new Map<string, number>();

  // ---- frame slots: 0 .. cap−1 hold stream frame k at k mod cap; cap .. cap+nEdge−1 the current window's edge frames
  private readonly cap: number;
  private readonly nEdge: number;
  private readonly slotId: Float64Array;
  private readonly sPower: Float32Array;
  private readonly sMel: Float32Array;
  private readonly sMelDb: Float32Array;
  private readonly sMelDbMin: Float64Array;
  private readonly sMelDbMax: Float64Array;
  private readonly sMfcc: Float32Array;
  /** The log-mel floor each cached MFCC row was computed with (NaN: none). */
  private readonly sMfccFloor: Float64Array;
  private readonly sPeakDb: Float64Array;
  private readonly sValleyDb: Float64Array;
  private readonly sNPeaks: Int32Array;
  private readonly sPeakPitch: Float32Array;
  private readonly sPeakMag: Float32Array;
  private readonly maxPeaks: number;
  private readonly sChroma: Float32Array;
  /** The tuning each cached chroma row was computed with (NaN: none). */
  private readonly sChromaTuning: Float64Array;

  // ---- per-window scratch (reused; never handed out)
  private readonly winSlots: Int32Array;
  private readonly todo: Int32Array;
  private readonly subMel: Float32Array;
  private readonly subMfcc: Float32Array;
  private readonly winMfcc: Float32Array;
  private readonly winDelta: Float32Array;
  private readonly sums = new Float64Array(2);
  /** Per hop: the contrast kernel's dB pairs (valley, peak) and its (unused) floored output. */
  private contrastDb = new Float64Array(0);
  private contrastOut = new Float32Array(0);
  private peakPitchBuf = new Float32Array(0);
  private peakMagBuf = new Float32Array(0);
  private selectBuf = new Float32Array(0);
  private dbBatch = new Float32Array(0);

  // sample buffer: buf[0] is stream sample `base`; `len` valid samples
  private buf: Float32Array;
  private base = 0;
  private len = 0;
  /** Samples before this stream index are no longer needed. */
  private keepFrom = 0;
  /** Next window index (window m starts at m·hopSamples). */
  private nextWindow = 0;
  /** Total samples pushed. */
  private total = 0;
  private flushed = false;

  constructor(o: StreamFeatureOptions) {
    const c = normalizeFeatureConfig(o.config ?? {});
    check(Number.isInteger(o.window_samples) && o.window_samples >= 1, `stream features: window_samples must be a positive integer, got ${o.window_samples}`);
    check(Number.isInteger(o.hop_frames) && o.hop_frames >= 1, `stream features: hop_frames must be a positive integer, got ${o.hop_frames}`);
    this.config = c;
    this.windowSamples = o.window_samples;
    this.hopFrames = o.hop_frames;
    this.hopSamples = o.hop_frames * c.hop_length;
    this.flushMode = o.flush ?? 'last';
    this.pad = o.pad ?? 'both';
    this.skip = o.skip;
    const pf = o.precompute_frames ?? 4;
    check(Number.isInteger(pf) && pf >= 0, `stream features: precompute_frames must be an integer ≥ 0, got ${pf}`);
    this.batchFrames = pf;
    const H = c.hop_length;
    const L = this.windowSamples;
    const F = (this.nFrames = 1 + Math.floor(L / H));
    const nb = (this.nBins = (c.n_fft >> 1) + 1);
    this.P = c.n_fft >> 1;
    this.jLo = Math.ceil(this.P / H);
    this.jHi = Math.floor((L - c.n_fft + this.P) / H);
    this.columns = featureColumns(c);
    let col = 0;
    for (const b of c.blocks) {
      this.colOf.set(b, col);
      col += blockWidth(b, c);
    }
    this.nCols = col;
    const blocks = c.blocks as string[];
    this.blockSet = new Set(blocks);
    this.needChroma = this.has('chroma_stft');
    this.needContrast = this.has('spectral_contrast');
    this.needMfcc = this.has('mfcc') || this.has('mfcc_delta') || this.has('mfcc_delta2');
    this.needMel = this.needMfcc || this.has('logmel_db') || this.has('mel_power');
    this.needPower = this.needChroma || this.needContrast || this.needMel;
    this.fb = melFilterbankSparse({ sr: c.sr, n_fft: c.n_fft, n_mels: c.n_mels, fmin: c.fmin, fmax: c.fmax ?? c.sr / 2, norm: 'slaney' });
    this.bands = this.needContrast ? contrastBandLayout(c.sr, c.n_fft, nb, c.contrast_fmin, c.n_bands, c.contrast_quantile) : [];

    const cap = (this.cap = F + this.hopFrames + 4);
    const nEdge = (this.nEdge = this.incremental ? this.jLo + (F - 1 - this.jHi) : 0);
    const n = cap + nEdge;
    const nm = c.n_mels;
    const nc = c.n_bands + 1;
    this.maxPeaks = Math.ceil(nb / 2) + 1;
    const sized = (on: boolean, w: number): number => (on ? n * w : 0);
    this.slotId = new Float64Array(n).fill(-1);
    this.sPower = new Float32Array(sized(this.needChroma, nb));
    this.sMel = new Float32Array(sized(this.needMel, nm));
    this.sMelDb = new Float32Array(sized(this.needMel, nm));
    this.sMelDbMin = new Float64Array(n);
    this.sMelDbMax = new Float64Array(n);
    this.sMfcc = new Float32Array(sized(this.needMfcc, c.n_mfcc));
    this.sMfccFloor = new Float64Array(n).fill(NaN);
    this.sPeakDb = new Float64Array(sized(this.needContrast, nc));
    this.sValleyDb = new Float64Array(sized(this.needContrast, nc));
    this.sNPeaks = new Int32Array(n);
    this.sPeakPitch = new Float32Array(sized(this.needChroma, this.maxPeaks));
    this.sPeakMag = new Float32Array(sized(this.needChroma, this.maxPeaks));
    this.sChroma = new Float32Array(sized(this.needChroma, c.n_chroma));
    this.sChromaTuning = new Float64Array(n).fill(NaN);

    this.winSlots = new Int32Array(F);
    this.todo = new Int32Array(F);
    this.subMel = new Float32Array(this.needMfcc ? F * nm : 0);
    this.subMfcc = new Float32Array(this.needMfcc ? F * c.n_mfcc : 0);
    this.winMfcc = new Float32Array(this.needMfcc ? F * c.n_mfcc : 0);
    this.winDelta = new Float32Array(this.needMfcc ? F * c.n_mfcc : 0);
    this.buf = new Float32Array(Math.max(1 << 14, 2 * (L + this.hopSamples)));
  }

  /**
   * Whether `b` is a configured block. A prototype method on purpose: the per-hop code must not call
   * per-instance closures, whose call sites V8 optimises for one target and deoptimises for the
   * next extractor's (measured: every new engine's first hops ran de-optimised).
   */
  private has(b: string): boolean {
    return this.blockSet.has(b);
  }

  /** True when windows are computed incrementally (the window holds at least one interior frame). */
  get incremental(): boolean {
    return this.jLo <= this.jHi;
  }

  /** Samples pushed so far. */
  get samplesPushed(): number {
    return this.total;
  }

  /** STFT frames computed so far (stream frames once each, plus each window's edge frames). */
  get stftFrames(): number {
    return this.counters.stftFrames;
  }

  /** Appends samples (any length) and returns the windows they complete, in order. */
  push(chunk: Float32Array): StreamFeatureWindow[] {
    check(chunk instanceof Float32Array, 'stream features: push() takes a Float32Array');
    if (this.flushed) throw new SerError('EPARAM', 'stream features: push() after flush()');
    for (let i = 0; i < chunk.length; i++) {
      const v = chunk[i];
      if (v - v !== 0) throw new SerError('ENONFINITE', `audio sample ${this.total + i} is ${v}; features need finite samples`);
    }
    const out: StreamFeatureWindow[] = [];
    let off = 0;
    // Append in pieces so a huge chunk never needs a buffer larger than ~2 windows + the piece.
    while (off < chunk.length) {
      const room = Math.max(this.hopSamples, this.windowSamples);
      const piece = chunk.subarray(off, off + room);
      off += piece.length;
      this.append(piece);
      for (;;) {
        const start = this.nextWindow * this.hopSamples;
        if (start + this.windowSamples > this.total) break;
        out.push(this.window(start));
        this.nextWindow++;
        this.discardBefore(start); // the flush window may reach back to the last window's start
      }
    }
    this.precompute();
    return out;
  }

  /**
   * Computes the next window's interior stream frames whose samples have all arrived, once at
   * least `precompute_frames` of them are pending (see StreamFeatureOptions.precompute_frames).
   */
  private precompute(): void {
    if (this.batchFrames === 0 || !this.needPower || !this.incremental) return;
    const c = this.config;
    const k0 = this.nextWindow * this.hopFrames;
    const a = Math.max(k0 + this.jLo, this.frameEnd);
    // last frame whose n_fft samples (from k·H − P) are all in: k·H − P + n_fft ≤ total
    const hi = Math.min(k0 + this.jHi, Math.floor((this.total - c.n_fft + this.P) / c.hop_length));
    if (hi + 1 - a >= this.batchFrames) this.ensureFrames(a, hi + 1);
  }

  /**
   * Ends the stream. Returns at most one more window (computed offline with extractFeatures):
   * with flush 'last', the window of window_samples ending at the last sample when regular
   * windows left samples uncovered, or the whole stream padded to window_samples when it was
   * shorter than one window. An empty stream gives nothing.
   */
  flush(): StreamFeatureWindow[] {
    if (this.flushed) return [];
    this.flushed = true;
    if (this.flushMode === 'none' || this.total === 0) return [];
    const L = this.windowSamples;
    const c = this.config;
    if (this.nextWindow === 0) {
      // shorter than one window: the whole stream padded like a short clip
      const y = this.view(0, this.total);
      const w = new Float32Array(L);
      w.set(y, this.pad === 'both' ? Math.floor((L - y.length) / 2) : 0);
      if (this.skip?.(0, this.total, w)) return [this.skipped(0, this.total, w, true)];
      const f = extractFeatures(w, c.sr, c);
      return [{ start: 0, length: this.total, features: { rows: f.rows, cols: f.cols, data: f.data }, samples: w, offline: true }];
    }
    const lastEnd = (this.nextWindow - 1) * this.hopSamples + L;
    if (lastEnd >= this.total) return [];
    const start = this.total - L;
    const y = this.view(start, this.total).slice();
    if (this.skip?.(start, L, y)) return [this.skipped(start, L, y, true)];
    const f = extractFeatures(y, c.sr, c);
    return [{ start, length: L, features: { rows: f.rows, cols: f.cols, data: f.data }, samples: y, offline: true }];
  }

  // ------------------------------------------------------------------------------------------
  // sample buffer

  private append(x: Float32Array): void {
    if (this.len + x.length > this.buf.length) {
      const drop = Math.min(this.keepFrom - this.base, this.len);
      if (drop > 0) {
        this.buf.copyWithin(0, drop, this.len);
        this.len -= drop;
        this.base += drop;
      }
    }
    if (this.len + x.length > this.buf.length) {
      const nb = new Float32Array(Math.max(2 * this.buf.length, this.len + x.length));
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
    }
    this.buf.set(x, this.len);
    this.len += x.length;
    this.total += x.length;
  }

  /** Marks samples before stream index `s` as no longer needed; moves the rest to the front when that frees a quarter of the buffer. */
  private discardBefore(s: number): void {
    this.keepFrom = Math.max(this.keepFrom, s);
    const drop = Math.min(this.keepFrom - this.base, this.len);
    if (drop <= 0 || drop < this.buf.length / 4) return;
    this.buf.copyWithin(0, drop, this.len);
    this.len -= drop;
    this.base += drop;
  }

  /** Samples [a, b) of the stream (a view into the buffer). */
  private view(a: number, b: number): Float32Array {
    if (a < this.base || b > this.base + this.len) throw new Error(`internal: stream samples [${a}, ${b}) not buffered`);
    return this.buf.subarray(a - this.base, b - this.base);
  }

  // ------------------------------------------------------------------------------------------
  // per-frame quantities

  private slot(k: number): number {
    return k % this.cap;
  }

  /**
   * Fills the per-frame quantities of the rows of `power` (frame-major, nBins wide) into slots
   * first, first+1, … (stream frames) or the edge slots: power row, mel row, its dB and minimum,
   * contrast peak / valley dB per band, piptrack peaks; cached MFCC / chroma rows are invalidated.
   */
  private deriveInto(power: Matrix, slotOf: (i: number) => number): void {
    const c = this.config;
    const nb = this.nBins;
    const nm = c.n_mels;
    const rows = power.rows;
    const pd = power.data;
    const mel = this.needMel ? applyFilterbank(power, this.fb).data : null;
    // the same piptrack call estimateTuning makes (defaults fmin 150, fmax 4000, threshold 0.1 · frame max)
    const pip = this.needChroma ? piptrack({ S: power, sr: c.sr, n_fft: c.n_fft }) : null;
    const nc = this.bands.length;
    // 10·log10(max(amin, mel)) as float32 (power_to_db with ref 1 before its clip): the features'
    // WebAssembly kernel when available (what powerToDb runs), else Math.log10
    let db: Float32Array | null = null;
    if (mel) {
      if (this.dbBatch.length < mel.length) this.dbBatch = new Float32Array(mel.length);
      db = this.dbBatch.subarray(0, mel.length);
      if (mel.length < 64 || wasmPowerToDb(mel, AMIN, 0, db) === null) {
        for (let i = 0; i < mel.length; i++) db[i] = 10 * Math.log10(mel[i] > AMIN ? mel[i] : AMIN);
      }
    }
    // spectral contrast's per-band sums, selected on the power (√ of the selected bins), by the
    // features' WebAssembly kernel when available, else here
    const sums = this.needContrast ? wasmContrastSums(pd, rows, nb, this.bands, true) : null;
    // their dB values (before the window's top_db floor) from the kernel that finishes offline
    // contrast, so both round alike; the JS formula below where the kernel declines (NaN, no room)
    let pairDb: Float64Array | null = null;
    if (sums) {
      const n = rows * nc;
      if (this.contrastDb.length < 2 * n) {
        this.contrastDb = new Float64Array(4 * n);
        this.contrastOut = new Float32Array(2 * n);
      }
      if (wasmContrastFinish(sums, rows, this.bands, false, this.contrastOut, this.contrastDb) === -1) pairDb = this.contrastDb;
    }
    for (let i = 0; i < rows; i++) {
      const s = slotOf(i);
      this.sMfccFloor[s] = NaN;
      this.sChromaTuning[s] = NaN;
      if (mel && db) {
        const o = s * nm;
        this.sMel.set(mel.subarray(i * nm, (i + 1) * nm), o);
        this.sMelDb.set(db.subarray(i * nm, (i + 1) * nm), o);
        let mn = Infinity;
        let mx = -Infinity;
        for (let b = i * nm; b < (i + 1) * nm; b++) {
          const v = db[b];
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        this.sMelDbMin[s] = mn;
        this.sMelDbMax[s] = mx;
      }
      if (this.needChroma) this.sPower.set(pd.subarray(i * nb, (i + 1) * nb), s * nb);
      if (this.needContrast) {
        for (let k = 0; k < nc; k++) {
          if (pairDb) {
            this.sValleyDb[s * nc + k] = pairDb[2 * (i * nc + k)];
            this.sPeakDb[s * nc + k] = pairDb[2 * (i * nc + k) + 1];
            continue;
          }
          const band = this.bands[k];
          let lo: number;
          let hi: number;
          if (sums) {
            lo = sums[2 * (i * nc + k)];
            hi = sums[2 * (i * nc + k) + 1];
          } else {
            bandExtremeSums(pd, i * nb + band.lo, band.len, band.q, this.sums, true);
            lo = this.sums[0];
            hi = this.sums[1];
          }
          const valley = Math.fround(lo / band.q);
          const peak = Math.fround(hi / band.q);
          this.sValleyDb[s * nc + k] = 10 * Math.log10(Math.max(1e-10, valley));
          this.sPeakDb[s * nc + k] = 10 * Math.log10(Math.max(1e-10, peak));
        }
      }
      if (pip) {
        const mp = this.maxPeaks;
        let n = 0;
        const pp = pip.pitches.data;
        const pm = pip.magnitudes.data;
        for (let k = 0; k < nb; k++) {
          const f = pp[i * nb + k];
          if (f > 0) {
            this.sPeakPitch[s * mp + n] = f;
            this.sPeakMag[s * mp + n] = pm[i * nb + k];
            n++;
          }
        }
        this.sNPeaks[s] = n;
      }
    }
  }

  /** Computes and caches stream frames [k0, k1) not yet in the ring (all inside the buffer). */
  private ensureFrames(k0: number, k1: number): void {
    let a = k0;
    while (a < k1 && this.slotId[this.slot(a)] === a) a++;
    if (a >= k1) return;
    // frames already cached are a prefix (windows move forward), so compute [a, k1) in one batch
    const c = this.config;
    const H = c.hop_length;
    const s0 = a * H - this.P;
    const s1 = (k1 - 1) * H - this.P + c.n_fft;
    const power = powerSpectrogram(this.view(s0, s1), { n_fft: c.n_fft, hop_length: H, window: 'hann', center: false, power: 2 });
    this.counters.stftFrames += power.rows;
    this.deriveInto(power, (i) => this.slot(a + i));
    for (let k = a; k < k1; k++) this.slotId[this.slot(k)] = k;
    if (k1 > this.frameEnd) this.frameEnd = k1;
  }

  /** Edge frames of the window `y` (zero padded as center=True pads the whole window) into the edge slots. */
  private deriveEdges(y: Float32Array): void {
    const c = this.config;
    const H = c.hop_length;
    const L = this.windowSamples;
    const headN = this.jLo;
    const tailN = this.nFrames - 1 - this.jHi;
    const opts = { n_fft: c.n_fft, hop_length: H, window: 'hann', center: false, power: 2 } as const;
    if (headN > 0) {
      const seg = new Float32Array((headN - 1) * H + c.n_fft);
      seg.set(y.subarray(0, seg.length - this.P), this.P);
      const power = powerSpectrogram(seg, opts);
      this.counters.stftFrames += power.rows;
      this.deriveInto(power, (i) => this.cap + i);
    }
    if (tailN > 0) {
      const a = (this.jHi + 1) * H - this.P;
      const seg = new Float32Array((tailN - 1) * H + c.n_fft);
      seg.set(y.subarray(a, L));
      const power = powerSpectrogram(seg, opts);
      this.counters.stftFrames += power.rows;
      this.deriveInto(power, (i) => this.cap + headN + i);
    }
  }

  // ------------------------------------------------------------------------------------------
  // one window

  private skipped(start: number, length: number, samples: Float32Array, offline: boolean): StreamFeatureWindow {
    return { start, length, features: { rows: 0, cols: this.nCols, data: new Float32Array(0) }, samples, offline, skipped: true };
  }

  private window(start: number): StreamFeatureWindow {
    const c = this.config;
    const L = this.windowSamples;
    const y = this.view(start, start + L).slice();
    if (this.skip?.(start, L, y)) return this.skipped(start, L, y, !this.incremental);
    if (!this.incremental) {
      // a window shorter than one FFT frame has no interior frame: nothing to share
      const f = extractFeatures(y, c.sr, c);
      return { start, length: L, features: { rows: f.rows, cols: f.cols, data: f.data }, samples: y, offline: true };
    }
    const H = c.hop_length;
    const F = this.nFrames;
    const k0 = start / H; // integer: start is a multiple of hopSamples
    if (this.needPower) {
      this.ensureFrames(k0 + this.jLo, k0 + this.jHi + 1);
      this.deriveEdges(y);
    }
    const slots = this.winSlots;
    for (let j = 0; j < F; j++) {
      slots[j] = j < this.jLo ? this.cap + j : j > this.jHi ? this.cap + this.jLo + (j - this.jHi - 1) : this.slot(k0 + j);
    }
    const out = new Float32Array(F * this.nCols);
    if (this.needMel) this.melBlocks(out);
    if (this.needContrast) this.contrastBlock(out);
    if (this.needChroma) this.chromaBlock(out);
    if (this.has('rms')) {
      this.put(out, 'rms', rmsFeature({ y, frame_length: c.n_fft, hop_length: H, center: true, pad_mode: 'constant' }));
    }
    if (this.has('zcr')) this.put(out, 'zcr', zeroCrossingRate(y, { frame_length: c.n_fft, hop_length: H, center: true }));
    this.counters.windows++;
    return { start, length: L, features: { rows: F, cols: this.nCols, data: out }, samples: y, offline: false };
  }

  /** Writes a (F, w) block matrix into the output at the block's columns. */
  private put(out: Float32Array, block: string, m: Matrix): void {
    const c0 = this.colOf.get(block)!;
    const w = m.cols;
    if (m.rows !== this.nFrames) throw new Error(`internal: stream block ${block} has ${m.rows} rows, expected ${this.nFrames}`);
    const src = m.data;
    const nCols = this.nCols;
    for (let t = 0; t < m.rows; t++) {
      const d = t * nCols + c0;
      const o = t * w;
      for (let j = 0; j < w; j++) out[d + j] = src[o + j];
    }
  }

  /** mel_power, logmel_db, mfcc and its deltas of the window (slots in winSlots). */
  private melBlocks(out: Float32Array): void {
    const c = this.config;
    const F = this.nFrames;
    const nm = c.n_mels;
    const nCols = this.nCols;
    const slots = this.winSlots;
    const db = this.sMelDb;
    // power_to_db's top_db floor: (window maximum of the float32 dB values) − top_db
    let floor = -Infinity;
    if (c.top_db !== null) {
      let mx = -Infinity;
      for (let j = 0; j < F; j++) if (this.sMelDbMax[slots[j]] > mx) mx = this.sMelDbMax[slots[j]];
      floor = mx - c.top_db;
    }
    const cMel = this.colOf.get('mel_power');
    if (cMel !== undefined) {
      for (let j = 0; j < F; j++) out.set(this.sMel.subarray(slots[j] * nm, (slots[j] + 1) * nm), j * nCols + cMel);
    }
    const cLog = this.colOf.get('logmel_db');
    if (cLog !== undefined) {
      for (let j = 0; j < F; j++) {
        const o = slots[j] * nm;
        const d = j * nCols + cLog;
        for (let b = 0; b < nm; b++) {
          const v = db[o + b];
          out[d + b] = v < floor ? floor : v;
        }
      }
    }
    if (!this.needMfcc) return;
    // MFCC rows: reuse a frame's cached row when its clipped log-mel row is unchanged
    const nk = c.n_mfcc;
    let nTodo = 0;
    for (let j = 0; j < F; j++) {
      const s = slots[j];
      const f0 = this.sMfccFloor[s];
      const mn = this.sMelDbMin[s];
      if (f0 === floor || (f0 <= mn && floor <= mn)) continue;
      const o = s * nm;
      const d = nTodo * nm;
      for (let b = 0; b < nm; b++) {
        const v = db[o + b];
        this.subMel[d + b] = v < floor ? floor : v;
      }
      this.todo[nTodo++] = s;
    }
    if (nTodo > 0) {
      const sub = mfccFromLogMel(
        { S: { rows: nTodo, cols: nm, data: this.subMel.subarray(0, nTodo * nm) }, n_mfcc: nk, dct_type: 2, norm: 'ortho' },
        { rows: nTodo, cols: nk, data: this.subMfcc.subarray(0, nTodo * nk) },
      );
      for (let i = 0; i < nTodo; i++) {
        const s = this.todo[i];
        this.sMfcc.set(sub.data.subarray(i * nk, (i + 1) * nk), s * nk);
        this.sMfccFloor[s] = floor;
      }
      this.counters.mfccFrames += nTodo;
    }
    const m: Matrix = { rows: F, cols: nk, data: this.winMfcc };
    const wm = m.data;
    const sm = this.sMfcc;
    for (let j = 0; j < F; j++) {
      const o = slots[j] * nk;
      const d = j * nk;
      for (let k = 0; k < nk; k++) wm[d + k] = sm[o + k];
    }
    if (this.has('mfcc')) this.put(out, 'mfcc', m);
    for (const order of [1, 2] as const) {
      const name = order === 1 ? 'mfcc_delta' : 'mfcc_delta2';
      if (!this.has(name)) continue;
      if (F < c.delta_width) {
        throw new SerError('EPARAM', `stream window of ${this.windowSamples} samples has ${F} frames, fewer than delta_width=${c.delta_width}`);
      }
      this.put(out, name, delta(m, { width: c.delta_width, order, mode: 'interp' }, { rows: F, cols: nk, data: this.winDelta }));
    }
  }

  /**
   * spectral_contrast: power_to_db(peak) − power_to_db(valley), each clipped at its own window
   * maximum − 80 dB (librosa clips the whole (bands, frames) array of peaks, and of valleys).
   */
  private contrastBlock(out: Float32Array): void {
    const F = this.nFrames;
    const nc = this.bands.length;
    const slots = this.winSlots;
    let mp = -Infinity;
    let mv = -Infinity;
    for (let j = 0; j < F; j++) {
      const o = slots[j] * nc;
      for (let k = 0; k < nc; k++) {
        if (this.sPeakDb[o + k] > mp) mp = this.sPeakDb[o + k];
        if (this.sValleyDb[o + k] > mv) mv = this.sValleyDb[o + k];
      }
    }
    const fp = mp - CONTRAST_TOP_DB;
    const fv = mv - CONTRAST_TOP_DB;
    const c0 = this.colOf.get('spectral_contrast')!;
    for (let j = 0; j < F; j++) {
      const o = slots[j] * nc;
      const d = j * this.nCols + c0;
      for (let k = 0; k < nc; k++) {
        const p = this.sPeakDb[o + k];
        const v = this.sValleyDb[o + k];
        out[d + k] = (p < fp ? fp : p) - (v < fv ? fv : v);
      }
    }
  }

  /** chroma_stft with the tuning estimated from the window's cached piptrack peaks. */
  private chromaBlock(out: Float32Array): void {
    const c = this.config;
    const F = this.nFrames;
    const nb = this.nBins;
    const slots = this.winSlots;
    const mp = this.maxPeaks;
    let n = 0;
    for (let j = 0; j < F; j++) n += this.sNPeaks[slots[j]];
    if (this.peakPitchBuf.length < n) {
      this.peakPitchBuf = new Float32Array(2 * n);
      this.peakMagBuf = new Float32Array(2 * n);
    }
    const pitches = this.peakPitchBuf.subarray(0, n);
    const mags = this.peakMagBuf.subarray(0, n);
    n = 0;
    for (let j = 0; j < F; j++) {
      const s = slots[j];
      const m = this.sNPeaks[s];
      pitches.set(this.sPeakPitch.subarray(s * mp, s * mp + m), n);
      mags.set(this.sPeakMag.subarray(s * mp, s * mp + m), n);
      n += m;
    }
    if (this.selectBuf.length < n) this.selectBuf = new Float32Array(2 * n);
    const tuning = tuningFromPeaks(pitches, mags, c.n_chroma, this.selectBuf);
    // chroma rows depend on the frame's power row and the tuning only: recompute the stale ones,
    // run by run of consecutive slots (the power rows are projected where they lie, no copy)
    const ncr = c.n_chroma;
    for (let j = 0; j < F; ) {
      const s0 = slots[j];
      if (this.sChromaTuning[s0] === tuning) {
        j++;
        continue;
      }
      let n = 1;
      while (j + n < F && slots[j + n] === s0 + n && this.sChromaTuning[s0 + n] !== tuning) n++;
      const S: Matrix = { rows: n, cols: nb, data: this.sPower.subarray(s0 * nb, (s0 + n) * nb) };
      this.sChroma.set(this.chromaRows(S, tuning).subarray(0, n * ncr), s0 * ncr);
      this.sChromaTuning.fill(tuning, s0, s0 + n);
      this.counters.chromaFrames += n;
      j += n;
    }
    const c0 = this.colOf.get('chroma_stft')!;
    const sc = this.sChroma;
    for (let j = 0; j < F; j++) {
      const o = slots[j] * ncr;
      const d = j * this.nCols + c0;
      for (let k = 0; k < ncr; k++) out[d + k] = sc[o + k];
    }
  }

  /**
   * chroma_stft rows (norm ∞) of the power rows S with this tuning, shape (S.rows, n_chroma): the
   * offline chroma_stft itself (its SIMD projection and its cache of one filterbank per tuning),
   * so streamed and offline chroma are the same numbers.
   */
  private chromaRows(S: Matrix, tuning: number): Float32Array {
    const c = this.config;
    return chromaStft({ S, sr: c.sr, n_fft: c.n_fft, tuning, n_chroma: c.n_chroma, norm: Infinity }).data;
  }
}

/**
 * The tuning chroma_stft estimates (librosa.estimate_tuning on the power spectrogram) from the
 * window's piptrack peaks: keep the peaks whose magnitude is ≥ their float32 median, and return
 * pitch_tuning of their frequencies (resolution 0.01, bins_per_octave = n_chroma); 0 without peaks.
 * `scratch` (optional, ≥ n floats) avoids an allocation.
 */
export function tuningFromPeaks(pitches: Float32Array, mags: Float32Array, binsPerOctave: number, scratch?: Float32Array): number {
  const n = mags.length;
  if (n === 0) return 0;
  const a = scratch && scratch.length >= n ? scratch : new Float32Array(n);
  a.set(mags);
  const threshold = float32Median(a, n);
  let m = 0;
  for (let i = 0; i < n; i++) if (mags[i] >= threshold) a[m++] = pitches[i];
  if (m === 0) return 0;
  return pitchTuning(a.subarray(0, m), { resolution: 0.01, bins_per_octave: binsPerOctave });
}
