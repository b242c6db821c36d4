/**
 * `renderReport(summary, outDir)`: writes the training report of a run into `outDir`:
 *   curves.svg/.png            training curves (single run), or curves-fold-N.svg/.png per fold
 *   confusion.svg/.png         confusion heatmap (k-fold: summed over folds)
 *   per-class.svg/.png         per-class precision / recall bars (k-fold: pooled)
 *   report.html                self-contained page (PNG figures inlined as data: URIs)
 *   report.json                every number (see build.ts)
 * Each file is written atomically (temp file + rename). Node only.
 */
import { ensureDir } from '../util/dirs.js';
import { join } from 'node:path';
import { SerError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { buildReport, type TrainingReport } from './build.js';
import { renderHtml, protocolLine, type HtmlImages } from './html.js';
import { confusionSpec, curvesSpec, perClassSpec, specToSvg, svgToPng, type VlSpec } from './plots.js';
import type { RunSummary } from './types.js';

export interface RenderOptions {
  /** PNG scale factor relative to the SVG size (default 2). */
  pngScale?: number;
  /** Fixed generation time (tests). */
  now?: Date;
}

export interface RenderResult {
  report: TrainingReport;
  /** Absolute or outDir-joined paths of every file written. */
  files: string[];
}

function pngSize(png: Uint8Array): { width: number; height: number } {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/** Renders every plot and writes report.html + report.json into `outDir` (created if missing). */
export async function renderReport(summary: RunSummary, outDir: string, options: RenderOptions = {}): Promise<RenderResult> {
  if (summary.parts.length === 0) throw new SerError('EPARAM', 'renderReport: the run has no training history or test results to report');
  try {
    await ensureDir(outDir);
  } catch (e) {
    throw new SerError('EIO', `cannot create the report folder: ${(e as Error).message}`, { file: outDir, cause: e });
  }
  const report = buildReport(summary, { now: options.now });
  const scale = options.pngScale ?? 2;
  const files: string[] = [];
  const images: HtmlImages = {};

  const figure = async (key: string, base: string, spec: VlSpec, alt: string) => {
    const svg = await specToSvg(spec);
    const png = await svgToPng(svg, scale);
    await writeFileAtomic(join(outDir, `${base}.svg`), svg);
    await writeFileAtomic(join(outDir, `${base}.png`), png);
    files.push(join(outDir, `${base}.svg`), join(outDir, `${base}.png`));
    report.figures[key] = { svg: `${base}.svg`, png: `${base}.png` };
    images[key] = { base64: Buffer.from(png).toString('base64'), alt, width: Math.round(pngSize(png).width / scale) };
  };

  const multi = report.parts.length > 1;
  for (let i = 0; i < report.parts.length; i++) {
    const p = report.parts[i];
    const part = summary.parts[i];
    if (part.history.length === 0) continue;
    const sub = protocolLine(p.protocol);
    await figure(
      `curves_${i}`,
      multi ? `curves-${p.name.replace(/[^A-Za-z0-9]+/g, '-')}` : 'curves',
      curvesSpec(part.history, { title: multi ? `Training curves — ${p.name}` : 'Training curves', subtitle: sub, training: part.training }),
      `Training curves${multi ? ` of ${p.name}` : ''}: loss and accuracy per epoch, train vs validation`,
    );
  }
  if (report.overall && summary.labels.length > 0) {
    const k = report.aggregate?.k;
    const sub = k ? `summed over ${k} folds · cell: count and row share; colour: row share` : undefined;
    await figure('confusion', 'confusion', confusionSpec(summary.labels, report.overall.confusion, { subtitle: sub }), 'Confusion matrix of the test set (rows: true label, columns: predicted)');
    await figure(
      'per_class',
      'per-class',
      perClassSpec(summary.labels, report.overall.per_class, { subtitle: k ? `pooled over ${k} folds · numbers above the bars: %` : undefined }),
      'Per-class precision and recall on the test set',
    );
  }
  const html = renderHtml(report, images);
  await writeFileAtomic(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(join(outDir, 'report.html'), html);
  files.push(join(outDir, 'report.json'), join(outDir, 'report.html'));
  return { report, files };
}
