/**
 * The microphone web app: live emotion from the microphone and analysis of dropped recordings,
 * all computed in this tab with the project's streaming engine, which runs in a Web Worker
 * (./engine.worker.ts) so that the page stays smooth: the AudioWorklet's chunks are relayed to it,
 * its events come back and are drawn here.
 *
 * Machine-readable state for tests (and curious users), on #current:
 *   data-probabilities  JSON {label: p} of the latest speech window (smoothed, sums to 1), '' before any
 *   data-label          its argmax label; data-speech 'true' / 'false' for the latest window
 *   data-t-end          end time (s) of the latest window; data-events  number of windows so far
 * and on #status data-state: loading | ready | starting | listening | stopped | denied | nomic | error.
 */
import type { BackendInfo, StreamEvent } from './analysis.js';
import { modelUrlFromPage, decodeFile } from './page-io.js';
import type { WorkerMeta } from './engine.worker.js';
import { startCapture, MicError, type Capture } from './capture.js';
import { drawTimeline, labelColors } from './timeline.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const startBtn = $<HTMLButtonElement>('start');
const statusEl = $('status');
const liveBadge = $('live-badge');
const messageEl = $('message');
const currentEl = $('current');
const currentLabel = $('current-label');
const currentConf = $('current-conf');
const barsEl = $('bars');
const legendEl = $('legend');
const canvas = $<HTMLCanvasElement>('timeline');
const drop = $('drop');
const fileInput = $<HTMLInputElement>('file-input');
const fileStatus = $('file-status');
const fileResult = $('file-result');
const fileCanvas = $<HTMLCanvasElement>('file-timeline');
const fileSummary = $('file-summary');
const info = $('info');

const LIVE_SECONDS = 30;

/** Every event of this page (live: the last 2000), for inspection from the console or tests. */
const state: { liveEvents: StreamEvent[]; fileEvents: StreamEvent[] } = { liveEvents: [], fileEvents: [] };
(window as unknown as { serState: typeof state }).serState = state;

let meta: WorkerMeta | null = null;
let backend: BackendInfo | null = null;
let worker: Worker | null = null;
/** Live session number: events of an earlier session are ignored. */
let session = 0;
let liveStarted = false;
/** Samples sent to the worker in this session, and the rate they are at (backlog = sent − consumed). */
let sentSamples = 0;
let micRate = 0;
let liveWindow = { window_seconds: 0, hop_seconds: 0 };
let fileId = 0;
let fileDone: ((err: string | null) => void) | null = null;
let fileProgress: ((fraction: number) => void) | null = null;
let labels: string[] = [];
let colors: Record<string, string> = {};
let capture: Capture | null = null;
let pending: Float32Array[] = [];
let liveEvents: StreamEvent[] = [];
let eventCount = 0;
let drawQueued = false;
let fileEvents: StreamEvent[] = [];
let fileDuration = 0;
let busyFile = false;

function setStatus(state: string, text: string): void {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  // the red LIVE badge in the header is on exactly while the microphone is being analysed
  liveBadge.hidden = state !== 'listening';
}

function showMessage(text: string | null, kind = ''): void {
  messageEl.hidden = text === null;
  messageEl.textContent = text ?? '';
  messageEl.dataset.kind = kind;
}

function pct(p: number): string {
  return `${Math.round(p * 100)} %`;
}

function buildBars(): void {
  barsEl.replaceChildren(
    ...labels.map((l) => {
      const li = document.createElement('li');
      li.dataset.label = l;
      li.innerHTML = `<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct">–</span>`;
      (li.querySelector('.name') as HTMLElement).textContent = l;
      (li.querySelector('.fill') as HTMLElement).style.background = colors[l];
      return li;
    }),
  );
  legendEl.replaceChildren(
    ...labels.map((l) => {
      const li = document.createElement('li');
      li.innerHTML = `<i></i><span></span>`;
      (li.querySelector('i') as HTMLElement).style.background = colors[l];
      (li.querySelector('span') as HTMLElement).textContent = l;
      return li;
    }),
    Object.assign(document.createElement('li'), { className: 'silence', innerHTML: '<i></i><span>no speech</span>' }),
  );
}

function showEvent(e: StreamEvent): void {
  eventCount++;
  currentEl.dataset.events = String(eventCount);
  currentEl.dataset.tEnd = e.t_end.toFixed(3);
  currentEl.dataset.speech = String(e.speech);
  if (e.speech && e.probabilities && e.label) {
    currentEl.dataset.label = e.label;
    currentEl.dataset.probabilities = JSON.stringify(e.probabilities);
    currentLabel.textContent = e.label;
    currentLabel.style.color = colors[e.label] ?? '';
    currentEl.style.borderColor = colors[e.label] ?? '';
    currentConf.textContent = `${pct(e.probabilities[e.label])} · ${e.t_end.toFixed(1)} s`;
    for (const li of Array.from(barsEl.children) as HTMLElement[]) {
      const p = e.probabilities[li.dataset.label ?? ''] ?? 0;
      (li.querySelector('.fill') as HTMLElement).style.width = `${(p * 100).toFixed(1)}%`;
      (li.querySelector('.pct') as HTMLElement).textContent = pct(p);
    }
  } else {
    currentLabel.textContent = '…';
    currentLabel.style.color = '#9ca3af';
    currentEl.style.borderColor = '';
    currentConf.textContent = `no speech (${e.rms_db.toFixed(0)} dBFS)`;
  }
}

function scheduleDraw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    const now = liveEvents.length ? liveEvents[liveEvents.length - 1].t_end : 0;
    drawTimeline(canvas, labels, liveEvents, { from: Math.max(0, now - LIVE_SECONDS), to: Math.max(LIVE_SECONDS, now) });
    if (fileEvents.length) drawTimeline(fileCanvas, labels, fileEvents, { from: 0, to: Math.max(1, fileDuration) });
  });
}

function onEvents(events: StreamEvent[]): void {
  if (events.length === 0) return;
  for (const e of events) {
    liveEvents.push(e);
    state.liveEvents.push(e);
    showEvent(e);
  }
  const now = liveEvents[liveEvents.length - 1].t_end;
  if (state.liveEvents.length > 2000) state.liveEvents.splice(0, 1000);
  if (liveEvents.length > 400) liveEvents = liveEvents.filter((e) => e.t_end >= now - 2 * LIVE_SECONDS);
  scheduleDraw();
}

function processChunk(chunk: Float32Array): void {
  if (!worker || !liveStarted) {
    pending.push(chunk);
    return;
  }
  sentSamples += chunk.length;
  worker.postMessage({ type: 'chunk', session, samples: chunk }, [chunk.buffer]);
}

function onWorkerMessage(e: MessageEvent): void {
  const m = e.data as { type: string; [k: string]: unknown };
  if (m.type === 'live-events' && m.session === session) {
    onEvents(m.events as StreamEvent[]);
    if (typeof m.consumed === 'number' && micRate > 0 && statusEl.dataset.state === 'listening') {
      // a device too slow for the model: audio queues up in the worker
      const lag = (sentSamples - m.consumed) / micRate;
      statusEl.dataset.lag = lag.toFixed(2);
      if (lag > 2) statusEl.textContent = `Listening — this device is ${lag.toFixed(1)} s behind the microphone`;
    }
  }
  else if (m.type === 'live-error' && m.session === session) {
    void stop();
    setStatus('error', 'Stopped');
    showMessage(`The analysis failed: ${m.message as string}`, 'error');
  } else if (m.type === 'file-events' && m.id === fileId) {
    fileEvents = fileEvents.concat(m.events as StreamEvent[]);
    fileProgress?.(m.fraction as number);
    if (m.done) fileDone?.(null);
  } else if (m.type === 'file-error' && m.id === fileId) fileDone?.(m.message as string);
}

async function start(): Promise<void> {
  if (!meta || !worker || capture) return;
  startBtn.disabled = true;
  showMessage(null);
  setStatus('starting', 'Asking for the microphone…');
  try {
    pending = [];
    capture = await startCapture(processChunk);
  } catch (e) {
    capture = null;
    const m = e instanceof MicError ? e : new MicError('other', String(e));
    setStatus(m.kind === 'denied' ? 'denied' : m.kind === 'nomic' ? 'nomic' : 'error', m.kind === 'denied' ? 'Microphone blocked' : m.kind === 'nomic' ? 'No microphone' : 'Microphone error');
    showMessage(m.message, m.kind);
    startBtn.disabled = false;
    return;
  }
  session++;
  sentSamples = 0;
  micRate = capture.sampleRate;
  liveEvents = [];
  eventCount = 0;
  const started = new Promise<{ ok: boolean; message?: string }>((resolve) => {
    const w = worker as Worker;
    const on = (e: MessageEvent) => {
      if (e.data?.session !== session || (e.data.type !== 'live-started' && e.data.type !== 'live-error')) return;
      w.removeEventListener('message', on);
      if (e.data.type === 'live-started') liveWindow = { window_seconds: e.data.window_seconds, hop_seconds: e.data.hop_seconds };
      resolve(e.data.type === 'live-started' ? { ok: true } : { ok: false, message: e.data.message });
    };
    w.addEventListener('message', on);
  });
  worker.postMessage({ type: 'live-start', session, sr_in: capture.sampleRate });
  liveStarted = true;
  const queued = pending;
  pending = [];
  for (const c of queued) processChunk(c);
  const r = await started;
  if (!r.ok) {
    await stop();
    setStatus('error', 'Microphone error');
    showMessage(`The analysis could not start: ${r.message}`, 'error');
    return;
  }
  startBtn.textContent = 'Stop';
  startBtn.classList.add('stop');
  startBtn.disabled = false;
  setStatus('listening', `Listening — first result after ${liveWindow.window_seconds.toFixed(1)} s, then every ${liveWindow.hop_seconds.toFixed(2)} s`);
  updateInfo();
  scheduleDraw();
}

async function stop(): Promise<void> {
  const c = capture;
  capture = null;
  startBtn.textContent = 'Start listening';
  startBtn.classList.remove('stop');
  if (c) await c.stop().catch(() => undefined);
  if (liveStarted) worker?.postMessage({ type: 'live-stop', session });
  liveStarted = false;
  pending = [];
  if (statusEl.dataset.state === 'listening') setStatus('stopped', 'Stopped');
}

function updateInfo(): void {
  if (!meta || !backend) return;
  const m = meta;
  const parts = [
    `Model ${m.labels.length} emotions · ${m.sample_rate} Hz · ${m.clip_seconds} s windows` +
      (m.normalization === 'speaker' ? ' · adapts to the voice (speaker normalisation)' : m.normalization === 'utterance' ? ' · per-window normalisation' : ''),
    `TensorFlow.js ${backend.name}${backend.name === 'wasm' ? ` (${backend.simd ? 'SIMD, ' : ''}${backend.threads} thread${backend.threads === 1 ? '' : 's'}${backend.crossOriginIsolated ? '' : ', page not cross-origin isolated'})` : ''}`,
  ];
  if (capture) parts.push(`microphone ${capture.sampleRate} Hz → ${m.sample_rate} Hz${capture.deviceLabel ? ` (${capture.deviceLabel})` : ''}`);
  parts.push(`source ${m.source}`);
  info.textContent = parts.join(' · ');
  info.dataset.backend = backend.name;
  info.dataset.threads = String(backend.threads);
  info.dataset.isolated = String(backend.crossOriginIsolated);
  info.dataset.multithread = String(backend.multithread);
  if (capture) info.dataset.micRate = String(capture.sampleRate);
}

async function analyseFile(file: File): Promise<void> {
  if (!meta || !worker || busyFile) return;
  busyFile = true;
  fileStatus.classList.remove('error');
  fileStatus.textContent = `Decoding ${file.name}…`;
  fileResult.dataset.state = 'working';
  try {
    const { y, sr } = await decodeFile(file);
    fileDuration = y.length / sr;
    fileEvents = [];
    fileResult.hidden = false;
    const t0 = performance.now();
    fileId++;
    const err = await new Promise<string | null>((resolve) => {
      fileDone = resolve;
      fileProgress = (f) => {
        fileStatus.textContent = `Analysing ${file.name}… ${Math.round(f * 100)} %`;
        scheduleDraw();
      };
      (worker as Worker).postMessage({ type: 'file', id: fileId, y, sr }, [y.buffer]);
    });
    fileDone = null;
    fileProgress = null;
    if (err !== null) throw new Error(err);
    const events = fileEvents;
    state.fileEvents = events;
    const secs = (performance.now() - t0) / 1000;
    const speech = events.filter((e) => e.speech && e.label);
    const counts: Record<string, number> = {};
    for (const e of speech) counts[e.label as string] = (counts[e.label as string] ?? 0) + 1;
    const ranked = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    fileResult.dataset.events = String(events.length);
    fileResult.dataset.duration = fileDuration.toFixed(3);
    fileResult.dataset.labels = JSON.stringify(counts);
    fileStatus.textContent = `${file.name}: ${fileDuration.toFixed(1)} s at ${sr} Hz, analysed in ${secs.toFixed(1)} s`;
    fileSummary.textContent =
      speech.length === 0
        ? `No speech found in ${events.length} window${events.length === 1 ? '' : 's'}.`
        : `${events.length} windows, ${speech.length} with speech. Mostly ${ranked
            .slice(0, 3)
            .map(([l, n]) => `${l} (${pct(n / speech.length)})`)
            .join(', then ')}.`;
    fileResult.dataset.state = 'done';
    scheduleDraw();
  } catch (e) {
    fileStatus.classList.add('error');
    fileStatus.textContent = (e as Error).message;
    fileResult.dataset.state = 'error';
  } finally {
    busyFile = false;
    fileInput.value = '';
  }
}

function wireFileDrop(): void {
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void analyseFile(f);
  });
  for (const ev of ['dragenter', 'dragover'] as const) {
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  for (const ev of ['dragleave', 'drop'] as const) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files?.[0];
    if (f) void analyseFile(f);
  });
  // a file dropped anywhere else on the page must not navigate away
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

async function init(): Promise<void> {
  startBtn.addEventListener('click', () => void (capture ? stop() : start()));
  wireFileDrop();
  window.addEventListener('resize', scheduleDraw);
  const url = modelUrlFromPage();
  try {
    worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'ser-engine' });
    const w = worker;
    const ready = await new Promise<{ meta: WorkerMeta; backend: BackendInfo }>((resolve, reject) => {
      w.onmessage = (e: MessageEvent) => {
        if (e.data?.type === 'ready') resolve(e.data);
        else if (e.data?.type === 'init-error') reject(new Error(e.data.message));
      };
      w.onerror = (e) => reject(new Error(`the analysis worker failed to start (${e.message || 'script error'})`));
      w.postMessage({ type: 'init', modelUrl: url, wasmBase: new URL('tfjs/', document.baseURI).href });
    });
    w.onmessage = onWorkerMessage;
    meta = ready.meta;
    backend = ready.backend;
  } catch (e) {
    setStatus('error', 'The model could not be loaded');
    showMessage((e as Error).message, 'model');
    drop.classList.add('disabled');
    fileInput.disabled = true;
    return;
  }
  labels = meta.labels;
  colors = labelColors(labels);
  buildBars();
  updateInfo();
  scheduleDraw();
  startBtn.disabled = false;
  setStatus('ready', 'Ready — press Start and speak. The first result comes after one window of audio.');
}

void init();
