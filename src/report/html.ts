/**
 * The self-contained HTML page of a training report: no external resource (no script, no
 * stylesheet link, no remote image); plots are embedded as PNG data: URIs. Browser-safe.
 */
import type { EvaluationMetrics } from '../model/metrics.js';
import type { Protocol } from '../data/splits.js';
import type { QuadraticFit } from './fit.js';
import type { PartReport, TrainingReport } from './build.js';
import type { DatasetCounts } from './types.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);
const pp = (v: number) => `${(100 * v).toFixed(1)}`;

function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(3) : v.toPrecision(digits);
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'unknown';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${m} min ${r} s` : m > 0 ? `${m} min ${r} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** "name — description" of a protocol, or a clear 'not recorded'. */
export function protocolLine(p: Protocol | null): string {
  if (!p) return 'protocol not recorded';
  if (!p.description) return p.name;
  // Descriptions usually start with the name ("speaker-independent: test speakers …"): no repeat.
  return p.description.startsWith(p.name) ? p.description : `${p.name} — ${p.description}`;
}

function countsTable(c: DatasetCounts | null | undefined): string {
  if (!c || (!c.train && !c.val && !c.test)) return '<p class="muted">Dataset counts not recorded.</p>';
  const rows = (['train', 'val', 'test'] as const)
    .filter((k) => c[k])
    .map((k) => {
      const p = c[k]!;
      const labels = p.labels ? Object.entries(p.labels).map(([l, n]) => `${escapeHtml(l)} ${n}`).join(', ') : '–';
      return `<tr><th>${k}</th><td class="n">${p.files}</td><td class="n">${p.recordings ?? '–'}</td><td class="n">${p.augmented ?? '–'}</td><td class="n">${p.speakers ? p.speakers.length : '–'}</td><td>${labels}</td></tr>`;
    });
  return `<table><thead><tr><th>partition</th><th>files</th><th>recordings</th><th>augmented</th><th>speakers</th><th>per label</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function metricsRow(name: string, m: EvaluationMetrics, protocol: Protocol | null): string {
  return `<tr><th>${escapeHtml(name)}</th><td class="n">${m.n}</td><td class="n">${pct(m.accuracy)}</td><td class="n">${pct(m.uar)}</td><td class="n">${pct(m.macro_f1)}</td><td class="small">${escapeHtml(protocolLine(protocol))}</td></tr>`;
}

function metricsTable(r: TrainingReport): string {
  const tested = r.parts.filter((p) => p.test);
  if (tested.length === 0) {
    const validated = r.parts.filter((p) => p.val);
    const note = '<p><strong>No test set:</strong> this run has no test metrics (e.g. a final model trained on every speaker). There is no held-out result to report.</p>';
    if (validated.length === 0) return note;
    return `${note}<p class="muted">Validation metrics (the validation set chose the best epoch, so they are optimistic — not a test result):</p><table><thead><tr><th></th><th>n</th><th>accuracy</th><th>UAR</th><th>macro-F1</th><th>protocol</th></tr></thead><tbody>${validated.map((p) => metricsRow(`${p.name} (validation)`, p.val!, p.protocol)).join('')}</tbody></table>`;
  }
  const head = '<thead><tr><th></th><th>n</th><th>accuracy</th><th>UAR</th><th>macro-F1</th><th>protocol</th></tr></thead>';
  const rows = tested.map((p) => metricsRow(p.name, p.test!, p.protocol));
  if (r.aggregate) {
    const a = r.aggregate;
    rows.push(
      `<tr class="agg"><th>mean ± std (${a.k} folds)</th><td class="n">${a.pooled.n}</td><td class="n">${pp(a.mean.accuracy)} ± ${pp(a.std.accuracy)}%</td><td class="n">${pp(a.mean.uar)} ± ${pp(a.std.uar)}%</td><td class="n">${pp(a.mean.macro_f1)} ± ${pp(a.std.macro_f1)}%</td><td class="small">${escapeHtml(protocolLine(r.run.protocol))}</td></tr>`,
    );
    rows.push(metricsRow('pooled (all folds)', a.pooled, r.run.protocol));
  }
  return `<table>${head}<tbody>${rows.join('')}</tbody></table>`;
}

function perClassTable(labels: string[], m: EvaluationMetrics): string {
  const rows = labels.map((l) => {
    const c = m.per_class[l];
    if (!c) return '';
    return `<tr><th>${escapeHtml(l)}</th><td class="n">${pct(c.precision)}</td><td class="n">${pct(c.recall)}</td><td class="n">${pct(c.f1)}</td><td class="n">${c.support}</td></tr>`;
  });
  return `<table><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function fitsTable(p: PartReport): string {
  const fits: QuadraticFit[] = [p.fits.train_loss, p.fits.val_loss, p.fits.train_acc, p.fits.val_acc];
  const rows = fits.map((f) => {
    const vertex = f.vertexEpoch !== null ? `${f.vertexEpoch.toFixed(1)}${f.vertexInRange ? '' : ' (outside)'}` : '–';
    const isAcc = f.goal === 'maximise';
    const val = (v: number | null) => (isAcc ? pct(v) : fmtNum(v));
    return `<tr><th>${escapeHtml(f.name)}</th><td class="n">${f.n}</td><td class="n">${fmtNum(f.a)}</td><td class="n">${fmtNum(f.b)}</td><td class="n">${fmtNum(f.c)}</td><td class="n">${fmtNum(f.r2, 3)}</td><td>${f.concavity ?? '–'}</td><td class="n">${vertex}</td><td class="n">${val(f.vertexValue)}</td><td class="n">${val(f.initial)}${f.initialEpoch !== null ? ` <span class="muted">(ep. ${f.initialEpoch})</span>` : ''}</td></tr>`;
  });
  const readings = fits.map((f) => `<li>${escapeHtml(f.reading)}</li>`).join('');
  return (
    `<table><thead><tr><th>curve</th><th>epochs</th><th>a</th><th>b</th><th>c</th><th>R²</th><th>concavity</th><th>vertex epoch</th><th>value at vertex</th><th>initial (fit)</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<ul class="readings">${readings}</ul>`
  );
}

function trainingLine(p: PartReport): string {
  const bits = [`${p.epochs} epoch${p.epochs === 1 ? '' : 's'}`];
  if (p.best_epoch !== null) bits.push(`best epoch ${p.best_epoch}${p.monitor ? ` (${escapeHtml(p.monitor)} ${fmtNum(p.best_value)})` : ''}`);
  if (p.stopped_by) bits.push(`stopped by ${escapeHtml(p.stopped_by.replace('_', ' '))}`);
  if (p.restored_best_weights) bits.push('best weights restored');
  if (p.lr_drops.length) bits.push(`learning rate ${p.lr_drops.map((d) => `→ ${d.lr.toExponential(1)} at epoch ${d.epoch}`).join(', ')}`);
  if (p.training_ms !== null) bits.push(`training time ${formatDuration(p.training_ms)}`);
  return bits.join(' · ');
}

export interface HtmlImages {
  /** Figure name → PNG bytes as base64. */
  [figure: string]: { base64: string; alt: string; width: number };
}

const CSS = `
body{font-family:"DejaVu Sans",system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#111;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}h3{font-size:1.05rem}
.protocol{background:#eef5fb;border-left:4px solid #0072B2;padding:.5rem .8rem;margin:1rem 0}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
thead th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr.agg{background:#fdf6e3;font-weight:bold}
.small{font-size:.82rem}.muted{color:#666}pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:.82rem;white-space:pre-wrap;word-break:break-all}
figure{margin:1rem 0}img{max-width:100%;height:auto;border:1px solid #eee}ul.readings li{margin:.2rem 0}
`;

/** The report page. `images` maps figure names (as in `report.figures`) to PNG data. */
export function renderHtml(r: TrainingReport, images: HtmlImages): string {
  const title = `Training report — ${r.run.name}`;
  const fig = (name: string) => {
    const im = images[name];
    if (!im) return '';
    return `<figure><img src="data:image/png;base64,${im.base64}" alt="${escapeHtml(im.alt)}" width="${im.width}"><figcaption class="muted small">${escapeHtml(im.alt)}</figcaption></figure>`;
  };
  const protocolBox = `<div class="protocol"><strong>Protocol: ${escapeHtml(r.run.protocol?.name ?? 'not recorded')}</strong><br>${escapeHtml(r.run.protocol?.description ?? 'The run folder does not say how the data were split; treat these numbers with care.')}</div>`;
  const summaryRows = [
    ['run', escapeHtml(r.run.name) + (r.run.source ? ` <span class="muted">(${escapeHtml(r.run.source)})</span>` : '')],
    ['protocol', escapeHtml(protocolLine(r.run.protocol))],
    ['seed', escapeHtml(String(r.run.protocol?.seed ?? '–'))],
    ['classes', escapeHtml(r.labels.join(', '))],
    ['wall time', `${formatDuration(r.run.wall_time_ms)}${r.run.wall_time_source === 'training' ? ' <span class="muted">(sum of training time; total not recorded)</span>' : ''}`],
    ['generated', escapeHtml(r.generated)],
  ]
    .map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`)
    .join('');
  const overall = r.overall;
  const perClass = overall
    ? `<h2>Per-class results${r.aggregate ? ' (pooled over folds)' : ''}</h2>${perClassTable(r.labels, overall)}${fig('per_class')}`
    : '';
  const confusion = overall ? `<h2>Confusion matrix${r.aggregate ? ' (summed over folds)' : ''}</h2>${fig('confusion')}` : '';
  const partsHtml = r.parts
    .map((p, i) => {
      const name = r.parts.length > 1 ? escapeHtml(p.name) : 'Training';
      const counts = r.parts.length > 1 && p.counts ? `<h3>Dataset counts</h3>${countsTable(p.counts)}` : '';
      const proto = r.parts.length > 1 ? `<p class="small">${escapeHtml(protocolLine(p.protocol))}</p>` : '';
      return `<section><h2>${name}: curves and fits</h2>${proto}<p>${trainingLine(p)}</p>${fig(`curves_${i}`)}${counts}<h3>Quadratic fits y = a·x² + b·x + c (x = epoch, 1-based)</h3>${fitsTable(p)}</section>`;
    })
    .join('');
  const config = r.run.config !== null && r.run.config !== undefined ? `<details><summary>configuration (config.json)</summary><pre>${escapeHtml(JSON.stringify(r.run.config, null, 2))}</pre></details>` : '<p class="muted">Configuration not recorded.</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${protocolBox}
${r.run.interrupted ? '<p class="protocol" style="border-color:#D55E00;background:#fdf0e8"><strong>Interrupted run:</strong> training was stopped early by the user; the numbers below are of a shortened run.</p>' : ''}
<h2>Run summary</h2>
<table><tbody>${summaryRows}</tbody></table>
<h3>Command</h3>
${r.run.command ? `<pre>${escapeHtml(r.run.command)}</pre>` : '<p class="muted">Command not recorded.</p>'}
<h3>Dataset counts</h3>
${countsTable(r.run.counts)}
<h3>Configuration</h3>
${config}
<h2>Test metrics</h2>
${metricsTable(r)}
${perClass}
${confusion}
${partsHtml}
<p class="muted small">All numbers are also in report.json. Epochs are counted from 1. UAR = unweighted average recall (mean recall over the classes present in the test set).${r.aggregate ? ' ± is the standard deviation over folds (population, n in the denominator).' : ''}</p>
</body></html>
`;
}
