/**
 * The page's analysis thread (a module Web Worker): it owns the model and the streaming engines,
 * so that feature extraction and inference never block the page's rendering.
 *
 * In:  {type: 'init', modelUrl, wasmBase}            → {type: 'ready', meta, backend} | {type: 'init-error', message}
 *      {type: 'live-start', session, sr_in}          → {type: 'live-started', session, window_seconds, hop_seconds}
 *      {type: 'chunk', session, samples}             → {type: 'live-events', session, events, consumed} (when a window completes;
 *                                                       consumed = samples pushed so far, to measure the backlog)
 *      {type: 'live-stop', session}                  → {type: 'live-events', session, events, final: true}
 *      {type: 'file', id, y, sr}                     → {type: 'file-events', id, events, fraction, done}
 * Errors of a live session or a file: {type: 'live-error', session, message} / {type: 'file-error', id, message}.
 */
import { startBackend, loadModel, newStream, warmUp, type ModelBundle, type EmotionStream, type StreamEvent } from './analysis.js';

export interface WorkerMeta {
  labels: string[];
  sample_rate: number;
  clip_seconds: number;
  source: string;
  /** The model's normalisation mode ('global', 'utterance', 'speaker'). */
  normalization: string;
}

let bundle: ModelBundle | null = null;
let live: EmotionStream | null = null;
let session = -1;
/** Speaker-normalised models: the microphone speaker's running statistics, kept across live
 * sessions of this page (files are analysed with a fresh estimate each: another speaker, maybe). */
let liveSpeaker: EmotionStream['speaker'] = null;
/** Samples (at sr_in) pushed in the current live session: the page compares it with what it sent. */
let consumed = 0;

const post = (msg: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

function strip(events: StreamEvent[]): StreamEvent[] {
  // raw (unsmoothed) probabilities are not shown: keep the messages small
  return events.map((e) => ({ t_start: e.t_start, t_end: e.t_end, speech: e.speech, label: e.label, probabilities: e.probabilities, rms_db: e.rms_db }));
}

async function analyseFile(id: number, y: Float32Array, sr: number): Promise<void> {
  if (!bundle) throw new Error('the model is not loaded');
  const s = newStream(bundle, sr);
  const step = Math.max(1, Math.round(sr));
  for (let i = 0; i < y.length; i += step) {
    const ev = s.push(y.subarray(i, Math.min(y.length, i + step)));
    post({ type: 'file-events', id, events: strip(ev), fraction: Math.min(1, (i + step) / y.length), done: false });
    // let a 'chunk' message of a live session in between
    await new Promise((r) => setTimeout(r, 0));
  }
  post({ type: 'file-events', id, events: strip(s.flush()), fraction: 1, done: true });
}

self.onmessage = async (e: MessageEvent) => {
  const m = e.data as { type: string; [k: string]: unknown };
  switch (m.type) {
    case 'init':
      try {
        const backend = await startBackend(m.wasmBase as string);
        bundle = await loadModel(m.modelUrl as string);
        // before 'ready': the first hops of the first live session are then as fast as the later ones
        warmUp(bundle);
        const meta: WorkerMeta = { labels: bundle.meta.labels, sample_rate: bundle.meta.sample_rate, clip_seconds: bundle.meta.clip_seconds, source: bundle.source, normalization: bundle.meta.normalization.mode };
        post({ type: 'ready', meta, backend });
      } catch (err) {
        post({ type: 'init-error', message: (err as Error).message });
      }
      return;
    case 'live-start':
      try {
        if (!bundle) throw new Error('the model is not loaded');
        session = m.session as number;
        live = newStream(bundle, m.sr_in as number, liveSpeaker);
        liveSpeaker = live.speaker;
        consumed = 0;
        post({ type: 'live-started', session, window_seconds: live.window_seconds, hop_seconds: live.hop_seconds });
      } catch (err) {
        post({ type: 'live-error', session: m.session, message: (err as Error).message });
      }
      return;
    case 'chunk':
      if (!live || m.session !== session) return;
      try {
        const samples = m.samples as Float32Array;
        const ev = live.push(samples);
        consumed += samples.length;
        if (ev.length) post({ type: 'live-events', session, events: strip(ev), consumed });
      } catch (err) {
        live = null;
        post({ type: 'live-error', session, message: (err as Error).message });
      }
      return;
    case 'live-stop':
      if (!live || m.session !== session) return;
      try {
        post({ type: 'live-events', session, events: strip(live.flush()), final: true });
      } catch (err) {
        post({ type: 'live-error', session, message: (err as Error).message });
      }
      live = null;
      return;
    case 'file':
      try {
        await analyseFile(m.id as number, m.y as Float32Array, m.sr as number);
      } catch (err) {
        post({ type: 'file-error', id: m.id, message: (err as Error).message });
      }
      return;
  }
};
