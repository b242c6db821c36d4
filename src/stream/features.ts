/**
 * Incremental (streaming) feature extraction on a ring buffer. Browser-safe: typed arrays only.
 *
 * A stream of mono samples at the feature rate is cut into windows of `window_samples` samples
 * that start every `hop_frames · hop_length` samples (the window hop is a whole number of STFT
 * hops, so window m's STFT frame j is the stream's frame m·hop_frames + j). For every window the
 * feature matrix equals, to float tolerance, `extractFeatures(windowSamples, sr, config)`:
 *
 * - Per-frame quantities are computed ONCE per stream frame and kept in a ring of frames: the
 *   power spectrum row, its mel row and the piptrack peak candidates (pitch, magnitude) of the
 *   power row.
 * - Per window only the window-global parts are redone: the frames at both window edges whose
 *   `center=True` zero padding differs from the stream's continuous frames (recomputed from the
 *   window's own padded samples), power_to_db's top_db clip (window maximum) and the DCT after
 *   it, spectral contrast (its power_to_db(top_db=80) clips the peaks and the valleys relative to
 *   the whole window's maxima, so it is computed from the window's cached magnitude rows), the
 *   deltas, the tuning estimate (median of the window's piptrack magnitudes, histogram of
 *   the kept pitches) and the chroma projection whose filterbank depends on that tuning; rms and
 *   zcr (cheap) are computed from the window's samples.
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { powerSpectrogram } from '../dsp/stft.js';
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
  powerToDb,
  rms as rmsFeature,
  spectralContrast,
  zeroCrossingRate,
  type FeatureConfig,
  type SparseFilterbank,
} from '../features/index.js';

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
}

/** Per-frame cached quantities in rings indexed by stream frame number modulo capacity. */
interface FrameRing {
  cap: number;
  /** Stream frame number held in each slot (−1 = empty). */
  id: Float64Array;
  power: Float32Array;
  /** √power (spectral contrast's magnitude), computed once per frame. */
  mag: Float32Array;
  mel: Float32Array;
  /** piptrack candidates per slot: count, then pitches / magnitudes (≤ maxPeaks each). */
  nPeaks: Int32Array;
  peakPitch: Float32Array;
  peakMag: Float32Array;
}

/** The derived rows of a batch of power-spectrum rows. */
interface Derived {
  mel: Float32Array;
  peaks: { n: number; pitch: Float32Array; mag: Float32Array }[];
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
  private readonly flushMode: 'last' | 'none';
  private readonly pad: 'both' | 'end';
  private readonly skip?: (start: number, length: number, samples: Float32Array) => boolean;
  private readonly nBins: number;
  private readonly P: number;
  /** First / last window frame whose span lies inside the window (incremental when jLo ≤ jHi). */
  private readonly jLo: number;
  private readonly jHi: number;
  private readonly fb: SparseFilterbank;
  private readonly needPower: boolean;
  private readonly needChroma: boolean;
  private readonly needContrast: boolean;
  private readonly needMel: boolean;
  private readonly ring: FrameRing;
  private readonly maxPeaks: number;
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
  /** STFT frames computed so far (stream frames once each, plus each window's edge frames). */
  stftFrames = 0;

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
    const H = c.hop_length;
    const L = this.windowSamples;
    this.nFrames = 1 + Math.floor(L / H);
    this.nBins = (c.n_fft >> 1) + 1;
    this.P = c.n_fft >> 1;
    this.jLo = Math.ceil(this.P / H);
    this.jHi = Math.floor((L - c.n_fft + this.P) / H);
    this.columns = featureColumns(c);
    this.nCols = c.blocks.reduce((s, b) => s + blockWidth(b, c), 0);
    const has = (b: string): boolean => (c.blocks as string[]).includes(b);
    this.needChroma = has('chroma_stft');
    this.needContrast = has('spectral_contrast');
    this.needMel = has('mfcc') || has('mfcc_delta') || has('mfcc_delta2') || has('logmel_db') || has('mel_power');
    this.needPower = this.needChroma || this.needContrast || this.needMel;
    this.fb = melFilterbankSparse({ sr: c.sr, n_fft: c.n_fft, n_mels: c.n_mels, fmin: c.fmin, fmax: c.fmax ?? c.sr / 2, norm: 'slaney' });
    const cap = this.nFrames + this.hopFrames + 4;
    const nb = this.nBins;
    this.maxPeaks = Math.ceil(nb / 2) + 1;
    this.ring = {
      cap,
      id: new Float64Array(cap).fill(-1),
      power: new Float32Array(this.needChroma ? cap * nb : 0),
      mag: new Float32Array(this.needContrast ? cap * nb : 0),
      mel: new Float32Array(this.needMel ? cap * c.n_mels : 0),
      nPeaks: new Int32Array(cap),
      peakPitch: new Float32Array(this.needChroma ? cap * this.maxPeaks : 0),
      peakMag: new Float32Array(this.needChroma ? cap * this.maxPeaks : 0),
    };
    this.buf = new Float32Array(Math.max(1 << 14, 2 * (L + this.hopSamples)));
  }

  /** True when windows are computed incrementally (the window holds at least one interior frame). */
  get incremental(): boolean {
    return this.jLo <= this.jHi;
  }

  /** Samples pushed so far. */
  get samplesPushed(): number {
    return this.total;
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
    return out;
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

  /** mel / contrast rows and piptrack peaks of `rows` power-spectrum rows. */
  private derive(power: Matrix): Derived {
    const c = this.config;
    const res: Derived = { mel: new Float32Array(0), peaks: [] };
    if (this.needMel) res.mel = applyFilterbank(power, this.fb).data;
    if (this.needChroma) {
      // the same piptrack call estimateTuning makes (defaults fmin 150, fmax 4000, threshold 0.1 · frame max)
      const p = piptrack({ S: power, sr: c.sr, n_fft: c.n_fft });
      const nb = power.cols;
      for (let t = 0; t < power.rows; t++) {
        const pitch = new Float32Array(this.maxPeaks);
        const mag = new Float32Array(this.maxPeaks);
        let n = 0;
        for (let k = 0; k < nb; k++) {
          const f = p.pitches.data[t * nb + k];
          if (f > 0) {
            pitch[n] = f;
            mag[n] = p.magnitudes.data[t * nb + k];
            n++;
          }
        }
        res.peaks.push({ n, pitch, mag });
      }
    }
    return res;
  }

  private readonly scratchBufs = new Map<string, Float32Array>();
  /** A reused buffer of n floats (window assembly; its contents never leave the extractor). */
  private scratch(name: string, n: number): Float32Array {
    let b = this.scratchBufs.get(name);
    if (!b || b.length !== n) this.scratchBufs.set(name, (b = new Float32Array(n)));
    return b;
  }

  private slot(k: number): number {
    return k % this.ring.cap;
  }

  /** Computes and caches stream frames [k0, k1) not yet in the ring (all inside the buffer). */
  private ensureFrames(k0: number, k1: number): void {
    const r = this.ring;
    let a = k0;
    while (a < k1 && r.id[this.slot(a)] === a) a++;
    if (a >= k1) return;
    // frames already cached are a prefix (windows move forward), so compute [a, k1) in one batch
    const c = this.config;
    const H = c.hop_length;
    const s0 = a * H - this.P;
    const s1 = (k1 - 1) * H - this.P + c.n_fft;
    const power = powerSpectrogram(this.view(s0, s1), { n_fft: c.n_fft, hop_length: H, window: 'hann', center: false, power: 2 });
    this.stftFrames += power.rows;
    const d = this.derive(power);
    const nb = this.nBins;
    const nm = c.n_mels;
    for (let i = 0; i < power.rows; i++) {
      const k = a + i;
      const s = this.slot(k);
      r.id[s] = k;
      if (this.needChroma) r.power.set(power.data.subarray(i * nb, (i + 1) * nb), s * nb);
      if (this.needContrast) sqrtInto(power.data, i * nb, nb, r.mag, s * nb);
      if (this.needChroma) {
        const pk = d.peaks[i];
        r.nPeaks[s] = pk.n;
        r.peakPitch.set(pk.pitch.subarray(0, pk.n), s * this.maxPeaks);
        r.peakMag.set(pk.mag.subarray(0, pk.n), s * this.maxPeaks);
      }
      if (this.needMel) r.mel.set(d.mel.subarray(i * nm, (i + 1) * nm), s * nm);
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
    const nb = this.nBins;
    const nm = c.n_mels;
    const k0 = start / H; // integer: start is a multiple of hopSamples
    if (this.needPower) this.ensureFrames(k0 + this.jLo, k0 + this.jHi + 1);
    // edge frames from the window's own zero-padded samples
    const headN = this.jLo;
    const tailN = F - 1 - this.jHi;
    let head: { power: Matrix; d: Derived } | null = null;
    let tail: { power: Matrix; d: Derived } | null = null;
    if (this.needPower && headN > 0) {
      const seg = new Float32Array((headN - 1) * H + c.n_fft);
      seg.set(y.subarray(0, seg.length - this.P), this.P);
      const power = powerSpectrogram(seg, { n_fft: c.n_fft, hop_length: H, window: 'hann', center: false, power: 2 });
      head = { power, d: this.derive(power) };
      this.stftFrames += power.rows;
    }
    if (this.needPower && tailN > 0) {
      const a = (this.jHi + 1) * H - this.P;
      const seg = new Float32Array((tailN - 1) * H + c.n_fft);
      seg.set(y.subarray(a, L));
      const power = powerSpectrogram(seg, { n_fft: c.n_fft, hop_length: H, window: 'hann', center: false, power: 2 });
      tail = { power, d: this.derive(power) };
      this.stftFrames += power.rows;
    }
    const r = this.ring;
    // where frame j's rows live: [source array, row index]
    const edge = (j: number): { e: { power: Matrix; d: Derived }; i: number } | null => {
      if (j < this.jLo) return { e: head!, i: j };
      if (j > this.jHi) return { e: tail!, i: j - this.jHi - 1 };
      return null;
    };
    const blocks = new Map<string, Matrix>();
    let mel: Matrix | null = null;
    if (this.needMel) {
      mel = { rows: F, cols: nm, data: this.scratch('mel', F * nm) };
      for (let j = 0; j < F; j++) {
        const e = edge(j);
        if (e) mel.data.set(e.e.d.mel.subarray(e.i * nm, (e.i + 1) * nm), j * nm);
        else mel.data.set(r.mel.subarray(this.slot(k0 + j) * nm, (this.slot(k0 + j) + 1) * nm), j * nm);
      }
      blocks.set('mel_power', mel);
      const logmel = powerToDb(mel, { ref: 1, amin: 1e-10, top_db: c.top_db });
      blocks.set('logmel_db', logmel);
      const has = (b: string): boolean => (c.blocks as string[]).includes(b);
      if (has('mfcc') || has('mfcc_delta') || has('mfcc_delta2')) {
        const m = mfccFromLogMel({ S: logmel, n_mfcc: c.n_mfcc, dct_type: 2, norm: 'ortho' });
        blocks.set('mfcc', m);
        if (has('mfcc_delta') || has('mfcc_delta2')) {
          if (F < c.delta_width) {
            throw new SerError('EPARAM', `stream window of ${L} samples has ${F} frames, fewer than delta_width=${c.delta_width}`);
          }
          if (has('mfcc_delta')) blocks.set('mfcc_delta', delta(m, { width: c.delta_width, order: 1, mode: 'interp' }));
          if (has('mfcc_delta2')) blocks.set('mfcc_delta2', delta(m, { width: c.delta_width, order: 2, mode: 'interp' }));
        }
      }
    }
    // window matrices assembled from ring rows (interior) and edge rows, in reused scratch buffers
    let power: Matrix | null = null;
    if (this.needChroma) {
      power = { rows: F, cols: nb, data: this.scratch('power', F * nb) };
      for (let j = 0; j < F; j++) {
        const e = edge(j);
        if (e) power.data.set(e.e.power.data.subarray(e.i * nb, (e.i + 1) * nb), j * nb);
        else power.data.set(r.power.subarray(this.slot(k0 + j) * nb, (this.slot(k0 + j) + 1) * nb), j * nb);
      }
    }
    if (this.needContrast) {
      // spectral_contrast's power_to_db(top_db=80) clips the peaks and the valleys relative to
      // the whole window's maxima, so the window's contrast is computed from its magnitude rows
      const mag: Matrix = { rows: F, cols: nb, data: this.scratch('mag', F * nb) };
      for (let j = 0; j < F; j++) {
        const e = edge(j);
        if (e) sqrtInto(e.e.power.data, e.i * nb, nb, mag.data, j * nb);
        else mag.data.set(r.mag.subarray(this.slot(k0 + j) * nb, (this.slot(k0 + j) + 1) * nb), j * nb);
      }
      blocks.set(
        'spectral_contrast',
        spectralContrast({ S: mag, sr: c.sr, n_fft: c.n_fft, fmin: c.contrast_fmin, n_bands: c.n_bands, quantile: c.contrast_quantile, linear: false }),
      );
    }
    if (this.needChroma) {
      let nPeaks = 0;
      for (let j = 0; j < F; j++) {
        const e = edge(j);
        nPeaks += e ? e.e.d.peaks[e.i].n : r.nPeaks[this.slot(k0 + j)];
      }
      const pitches = new Float32Array(nPeaks);
      const mags = new Float32Array(nPeaks);
      let n = 0;
      for (let j = 0; j < F; j++) {
        const e = edge(j);
        if (e) {
          const pk = e.e.d.peaks[e.i];
          pitches.set(pk.pitch.subarray(0, pk.n), n);
          mags.set(pk.mag.subarray(0, pk.n), n);
          n += pk.n;
        } else {
          const s = this.slot(k0 + j);
          const m = r.nPeaks[s];
          pitches.set(r.peakPitch.subarray(s * this.maxPeaks, s * this.maxPeaks + m), n);
          mags.set(r.peakMag.subarray(s * this.maxPeaks, s * this.maxPeaks + m), n);
          n += m;
        }
      }
      const tuning = tuningFromPeaks(pitches, mags, c.n_chroma);
      blocks.set('chroma_stft', chromaStft({ S: power!, sr: c.sr, n_fft: c.n_fft, tuning, n_chroma: c.n_chroma, norm: Infinity }));
    }
    if ((c.blocks as string[]).includes('rms')) {
      blocks.set('rms', rmsFeature({ y, frame_length: c.n_fft, hop_length: H, center: true, pad_mode: 'constant' }));
    }
    if ((c.blocks as string[]).includes('zcr')) {
      blocks.set('zcr', zeroCrossingRate(y, { frame_length: c.n_fft, hop_length: H, center: true }));
    }
    const out = new Float32Array(F * this.nCols);
    let col0 = 0;
    for (const b of c.blocks) {
      const m = blocks.get(b);
      if (!m || m.rows !== F) throw new Error(`internal: stream block ${b} missing or of wrong length`);
      const w = m.cols;
      for (let t = 0; t < F; t++) out.set(m.data.subarray(t * w, (t + 1) * w), t * this.nCols + col0);
      col0 += w;
    }
    return { start, length: L, features: { rows: F, cols: this.nCols, data: out }, samples: y, offline: false };
  }
}

/** dst[d + i] = √src[s + i] for i < n. */
function sqrtInto(src: Float32Array, s: number, n: number, dst: Float32Array, d: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = Math.sqrt(src[s + i]);
}

/**
 * The tuning chroma_stft estimates (librosa.estimate_tuning on the power spectrogram) from the
 * window's piptrack peaks: keep the peaks whose magnitude is ≥ their float32 median, and return
 * pitch_tuning of their frequencies (resolution 0.01, bins_per_octave = n_chroma); 0 without peaks.
 */
export function tuningFromPeaks(pitches: Float32Array, mags: Float32Array, binsPerOctave: number): number {
  const n = mags.length;
  if (n === 0) return 0;
  const sorted = Float32Array.from(mags).sort();
  const h = n >> 1;
  const fr = Math.fround;
  const threshold = n & 1 ? sorted[h] : fr(fr(sorted[h - 1] + sorted[h]) / 2);
  const kept = new Float32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (mags[i] >= threshold) kept[m++] = pitches[i];
  if (m === 0) return 0;
  return pitchTuning(kept.subarray(0, m), { resolution: 0.01, bins_per_octave: binsPerOctave });
}
