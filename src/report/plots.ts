/**
 * Report plots as Vega-Lite specifications (pure data → spec, browser-safe) and their rendering
 * to SVG with vega (works in Node without a browser or canvas) and to PNG with @resvg/resvg-js
 * (Node only; loaded lazily so importing this module stays cheap).
 *
 * Palette: Okabe–Ito (colour-blind safe) for categories, each series also told apart by its
 * dash pattern / point shape; the confusion heatmap uses ColorBrewer's single-hue Blues ramp.
 */
import type { HistoryEntry } from '../model/train.js';
import type { TrainingInfo } from './types.js';

/** Okabe–Ito colours. */
export const PALETTE = {
  blue: '#0072B2',
  orange: '#E69F00',
  vermillion: '#D55E00',
  green: '#009E73',
  sky: '#56B4E9',
  purple: '#CC79A7',
  yellow: '#F0E442',
  grey: '#555555',
} as const;

const MARKER_COLORS = { lr: PALETTE.grey, best: PALETTE.green, stop: PALETTE.purple } as const;

export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type VlSpec = Record<string, any>;

const baseConfig = {
  font: FONT_FAMILY,
  background: 'white',
  padding: 12,
  view: { stroke: '#888' },
  title: { fontSize: 15, anchor: 'start', offset: 10, subtitleFontSize: 11, subtitleColor: '#444' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e4e4e4' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};

const fmtLr = (lr: number) => {
  const s = lr.toExponential(1).replace(/\.0e/, 'e').replace('e-', 'e−');
  return s;
};

/** Epochs (1-based) where the learning rate changed, with the new rate. */
export function learningRateDrops(history: readonly HistoryEntry[]): { epoch: number; lr: number; from: number }[] {
  const out: { epoch: number; lr: number; from: number }[] = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1].lr;
    const b = history[i].lr;
    if (Number.isFinite(a) && Number.isFinite(b) && a !== b) out.push({ epoch: history[i].epoch + 1, lr: b, from: a });
  }
  return out;
}

/** Splits `text` into lines of at most `width` characters at spaces (a longer word stays whole). */
export function wrapText(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

export interface CurvesOptions {
  title?: string;
  /** Subtitle; long text is wrapped onto several lines. */
  subtitle?: string;
  training?: TrainingInfo | null;
  /** Panel size in px (default 380 × 260). */
  width?: number;
  height?: number;
}

/**
 * Training curves: two panels (loss; accuracy), train vs validation per 1-based epoch, with
 * vertical rules at learning-rate drops (labelled with the new rate) and at the best epoch
 * (and the early-stopping epoch when training stopped early).
 */
export function curvesSpec(history: readonly HistoryEntry[], options: CurvesOptions = {}): VlSpec {
  const width = options.width ?? 380;
  const height = options.height ?? 260;
  const rows: { epoch: number; metric: string; series: string; value: number }[] = [];
  for (const h of history) {
    const e = h.epoch + 1;
    const push = (metric: string, series: string, v: number | null | undefined) => {
      if (v !== null && v !== undefined && Number.isFinite(v)) rows.push({ epoch: e, metric, series, value: v });
    };
    push('loss', 'train', h.loss);
    push('loss', 'validation', h.val_loss);
    push('accuracy', 'train', h.acc);
    push('accuracy', 'validation', h.val_acc);
  }
  const markers: { epoch: number; label: string; kind: string }[] = [];
  for (const d of learningRateDrops(history)) markers.push({ epoch: d.epoch, label: `lr → ${fmtLr(d.lr)}`, kind: 'lr' });
  const t = options.training;
  if (t && t.bestEpoch !== null && t.bestEpoch !== undefined && history.length > 0) {
    markers.push({ epoch: t.bestEpoch + 1, label: `best epoch ${t.bestEpoch + 1}`, kind: 'best' });
  }
  if (t && t.stoppedBy === 'early_stopping' && history.length > 0) {
    const last = history[history.length - 1].epoch + 1;
    markers.push({ epoch: last, label: `early stop (epoch ${last})`, kind: 'stop' });
  }
  const maxEpoch = history.length ? Math.max(...history.map((h) => h.epoch + 1)) : 1;
  const minEpoch = history.length ? Math.min(...history.map((h) => h.epoch + 1)) : 1;
  const seriesScale = {
    domain: ['train', 'validation'],
    range: [PALETTE.blue, PALETTE.vermillion],
  };
  const panel = (metric: 'loss' | 'accuracy') => {
    const isAcc = metric === 'accuracy';
    const layers: VlSpec[] = [
      {
        data: { values: rows.filter((r) => r.metric === metric) },
        mark: { type: 'line', point: { size: 28, filled: true }, strokeWidth: 2 },
        encoding: {
          x: {
            field: 'epoch', type: 'quantitative', title: 'epoch',
            scale: { domain: [minEpoch, Math.max(maxEpoch, minEpoch + 1)], nice: false },
            axis: { tickMinStep: 1, format: 'd' },
          },
          y: {
            field: 'value', type: 'quantitative', title: isAcc ? 'accuracy' : 'loss (cross-entropy)',
            scale: { zero: false },
            axis: isAcc ? { format: '.0%' } : {},
          },
          color: { field: 'series', type: 'nominal', title: 'data', scale: seriesScale, legend: { orient: 'bottom' } },
          strokeDash: {
            field: 'series', type: 'nominal', title: 'data',
            scale: { domain: ['train', 'validation'], range: [[1, 0], [6, 3]] }, legend: { orient: 'bottom' },
          },
          shape: { field: 'series', type: 'nominal', title: 'data', scale: { domain: ['train', 'validation'], range: ['circle', 'square'] }, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'epoch' }, { field: 'series' }, { field: 'value', format: isAcc ? '.1%' : '.4f' }],
        },
      },
    ];
    for (const kind of ['lr', 'best', 'stop'] as const) {
      const ms = markers.filter((m) => m.kind === kind);
      if (!ms.length) continue;
      const color = MARKER_COLORS[kind];
      layers.push({
        data: { values: ms },
        mark: { type: 'rule', strokeWidth: 1.5, strokeDash: kind === 'lr' ? [2, 3] : [5, 3], color },
        encoding: { x: { field: 'epoch', type: 'quantitative' } },
      });
      layers.push({
        data: { values: ms },
        // Labels run along the rule, in the part of the panel curves usually leave empty late in
        // training: the top of the loss panel, the bottom of the accuracy panel.
        mark: isAcc
          ? { type: 'text', angle: 270, align: 'left', baseline: 'bottom', dx: 4, dy: -2, fontSize: 10, color }
          : { type: 'text', angle: 270, align: 'right', baseline: 'bottom', dx: -4, dy: -2, fontSize: 10, color },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { value: isAcc ? height - 4 : 4 }, text: { field: 'label' } },
      });
    }
    return {
      width, height,
      title: { text: isAcc ? 'Accuracy' : 'Loss', fontSize: 13 },
      layer: layers,
    };
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title ?? 'Training curves', subtitle: wrapText(options.subtitle ?? '', 110) },
    config: baseConfig,
    hconcat: [panel('loss'), panel('accuracy')],
    resolve: { legend: { color: 'shared' } },
  };
}

export interface HeatmapOptions {
  title?: string;
  subtitle?: string;
}

/**
 * Confusion-matrix heatmap (rows: true label, columns: predicted). The colour is the row-normalised
 * share (recall of the row's class on the diagonal); each cell shows the count and the share.
 */
export function confusionSpec(labels: readonly string[], confusion: readonly (readonly number[])[], options: HeatmapOptions = {}): VlSpec {
  const k = labels.length;
  const cells: { true: string; predicted: string; count: number; share: number; text: string[]; dark: boolean }[] = [];
  for (let i = 0; i < k; i++) {
    const row = confusion[i] ?? [];
    const tot = row.reduce((u, v) => u + v, 0);
    for (let j = 0; j < k; j++) {
      const c = row[j] ?? 0;
      const share = tot > 0 ? c / tot : 0;
      cells.push({ true: labels[i], predicted: labels[j], count: c, share, text: [String(c), `${(100 * share).toFixed(0)}%`], dark: share > 0.6 });
    }
  }
  const size = Math.max(240, Math.min(560, 62 * k));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title ?? 'Confusion matrix', subtitle: options.subtitle ?? 'cell: count and share of the true class (row-normalised); colour: row share' },
    config: { ...baseConfig, axis: { ...baseConfig.axis, grid: false, domain: false, ticks: false, labelPadding: 6 } },
    width: size, height: size,
    data: { values: cells },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: [...labels], title: 'predicted label', axis: { labelAngle: -35, orient: 'bottom' } },
      y: { field: 'true', type: 'ordinal', sort: [...labels], title: 'true label' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#d4d4d4', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'share', type: 'quantitative', title: 'row share',
            // ColorBrewer Blues from near-white (0 %) to dark blue (100 %): single hue, colour-blind safe.
            scale: { domain: [0, 0.25, 0.5, 0.75, 1], range: ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'] },
            legend: { format: '.0%', gradientLength: Math.min(size, 200) },
          },
          tooltip: [{ field: 'true' }, { field: 'predicted' }, { field: 'count' }, { field: 'share', format: '.1%' }],
        },
      },
      {
        mark: { type: 'text', fontSize: k > 8 ? 10 : 12, lineHeight: 14, baseline: 'middle' },
        encoding: {
          text: { field: 'text' },
          color: { condition: { test: 'datum.dark', value: 'white' }, value: '#111' },
        },
      },
    ],
  };
}

/** Per-class precision and recall as grouped bars (values labelled above the bars). */
export function perClassSpec(
  labels: readonly string[],
  perClass: Readonly<Record<string, { precision: number; recall: number; f1?: number; support?: number }>>,
  options: HeatmapOptions = {},
): VlSpec {
  const rows: { label: string; measure: string; value: number; text: string }[] = [];
  for (const l of labels) {
    const c = perClass[l];
    if (!c) continue;
    rows.push({ label: l, measure: 'precision', value: c.precision, text: `${Math.round(100 * c.precision)}` });
    rows.push({ label: l, measure: 'recall', value: c.recall, text: `${Math.round(100 * c.recall)}` });
  }
  const width = Math.max(320, 70 * labels.length);
  const measures = { domain: ['precision', 'recall'], range: [PALETTE.blue, PALETTE.orange] };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title ?? 'Per-class precision and recall', subtitle: options.subtitle ?? 'numbers above the bars: %' },
    config: baseConfig,
    width, height: 260,
    data: { values: rows },
    encoding: {
      x: { field: 'label', type: 'nominal', sort: [...labels], title: 'class', axis: { labelAngle: -30 } },
      xOffset: { field: 'measure', type: 'nominal', sort: ['precision', 'recall'] },
      y: { field: 'value', type: 'quantitative', title: 'score', scale: { domain: [0, 1.08] }, axis: { format: '.0%', values: [0, 0.2, 0.4, 0.6, 0.8, 1] } },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          color: { field: 'measure', type: 'nominal', title: 'measure', scale: measures, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'label' }, { field: 'measure' }, { field: 'value', format: '.1%' }],
        },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 9, color: '#222' },
        encoding: { text: { field: 'text' } },
      },
    ],
  };
}

/** Vega-Lite spec → SVG text (vega's headless SVG renderer; no canvas, no browser). */
export async function specToSvg(spec: VlSpec): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(spec as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Font files resvg loads besides the system fonts (DejaVu Sans where Debian installs it). */
export const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

/**
 * SVG text → PNG bytes with resvg, at `scale` × the SVG's size (default 2, for sharp text).
 * Uses the system fonts plus {@link FONT_FILES} that exist; on a machine with no fonts at all the
 * shapes still render and the text is left out (the SVG keeps it).
 */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const { existsSync } = await import('node:fs');
  const fontFiles = FONT_FILES.filter((f) => existsSync(f));
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, fontFiles, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return new Uint8Array(r.render().asPng());
}
