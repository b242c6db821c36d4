/**
 * Emotion timeline on a canvas: for each window, a stacked column of the emotions' smoothed
 * probabilities spanning the hop that the window ends (from the previous window's end to its own),
 * so the columns tile the time axis; grey where the voice-activity gate found no speech.
 */
import type { StreamEvent } from './analysis.js';

const KNOWN: Record<string, string> = {
  neutral: '#8d99ae',
  calm: '#2a9d8f',
  happy: '#f4b400',
  sad: '#3f7fd6',
  angry: '#e63946',
  fearful: '#8e44ad',
  fear: '#8e44ad',
  disgust: '#43a047',
  surprised: '#fb8c00',
  surprise: '#fb8c00',
};
const FALLBACK = ['#e76f51', '#264653', '#9c6644', '#ff66c4', '#00b4d8', '#6a994e', '#b5838d', '#5e548e'];

/** A colour for each label (fixed colours for the usual emotion names). */
export function labelColors(labels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let k = 0;
  for (const l of labels) out[l] = KNOWN[l.toLowerCase()] ?? FALLBACK[k++ % FALLBACK.length];
  return out;
}

export interface TimelineView {
  /** Seconds shown at the left and right edges. */
  from: number;
  to: number;
}

/** Draws `events` on `canvas` (sized to its CSS box × devicePixelRatio) for the time range `view`. */
export function drawTimeline(canvas: HTMLCanvasElement, labels: string[], events: readonly StreamEvent[], view: TimelineView): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = Math.max(50, canvas.clientWidth);
  const cssH = Math.max(50, canvas.clientHeight);
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cssW, cssH);
  const padL = 30, padR = 16, padT = 6, padB = 20;
  const W = cssW - padL - padR;
  const H = cssH - padT - padB;
  const span = Math.max(1e-6, view.to - view.from);
  const X = (t: number) => padL + ((t - view.from) / span) * W;
  const Y = (p: number) => padT + (1 - p) * H;
  const colors = labelColors(labels);

  // grid: probability 0 / 0.5 / 1 and a tick every few seconds
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#6b7280';
  g.strokeStyle = '#e5e7eb';
  g.lineWidth = 1;
  for (const p of [0, 0.5, 1]) {
    g.beginPath();
    g.moveTo(padL, Y(p) + 0.5);
    g.lineTo(padL + W, Y(p) + 0.5);
    g.stroke();
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    g.fillText(p === 0.5 ? '.5' : String(p), padL - 4, Y(p));
  }
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => span / s <= 8) ?? 1200;
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (let t = Math.ceil(view.from / step) * step; t <= view.to + 1e-9; t += step) {
    const x = X(t);
    g.beginPath();
    g.moveTo(x + 0.5, padT);
    g.lineTo(x + 0.5, padT + H);
    g.stroke();
    g.fillText(t >= 60 ? `${Math.floor(t / 60)}:${String(Math.round(t % 60)).padStart(2, '0')}` : `${Math.round(t)} s`, x, padT + H + 4);
  }

  g.save();
  g.beginPath();
  g.rect(padL, padT, W, H);
  g.clip();
  // each event fills the hop it ends: [previous event's end, its end] (the first: one hop back)
  const vis = events.filter((e) => e.t_end >= view.from && e.t_end - 10 <= view.to);
  for (let i = 0; i < vis.length; i++) {
    const e = vis[i];
    const prev = i > 0 ? vis[i - 1].t_end : e.t_end - (vis.length > 1 ? vis[1].t_end - vis[0].t_end : 0.5);
    const x0 = X(Math.max(prev, e.t_end - 2));
    const w = Math.max(1, X(e.t_end) - x0 + 0.5);
    if (e.speech && e.probabilities) {
      let acc = 0;
      for (const l of labels) {
        const p = e.probabilities[l] ?? 0;
        g.fillStyle = colors[l];
        g.fillRect(x0, Y(acc + p), w, Y(acc) - Y(acc + p) + 0.5);
        acc += p;
      }
    } else {
      g.fillStyle = '#eef0f3';
      g.fillRect(x0, padT, w, H);
    }
  }
  g.restore();
  g.strokeStyle = '#9ca3af';
  g.strokeRect(padL + 0.5, padT + 0.5, W - 1, H - 1);
  if (vis.length === 0) {
    g.fillStyle = '#9ca3af';
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.font = '13px system-ui, sans-serif';
    g.fillText('the timeline fills in as you speak', padL + W / 2, padT + H / 2);
  }
}
