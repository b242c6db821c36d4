import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReport, type RenderResult } from '../../src/report/render.js';
import { buildReport } from '../../src/report/build.js';
import { svgToPng, FONT_FILES } from '../../src/report/plots.js';
import { fitHistory } from '../../src/report/fit.js';
import { decodePng, pixelStats } from './png.js';
import { LABELS, PROTOCOL, singleSummary, syntheticConfusion, metricsOf, syntheticHistory } from './helpers.js';
import type { RunSummary } from '../../src/report/types.js';

let dir: string;
let out: string;
let result: RenderResult;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ser-report-'));
  out = join(dir, 'report');
  result = await renderReport(singleSummary(), out, { now: new Date('2026-01-02T03:04:05Z') });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const count = (s: string, needle: string) => s.split(needle).length - 1;

test('writes the plots (SVG + PNG), report.html and report.json, and no temp files', async () => {
  const names = (await readdir(out)).sort();
  assert.deepEqual(names, ['confusion.png', 'confusion.svg', 'curves.png', 'curves.svg', 'per-class.png', 'per-class.svg', 'report.html', 'report.json']);
  assert.equal(result.files.length, 8);
});

test('PNG files are valid, large enough and not blank', async () => {
  for (const name of ['curves.png', 'confusion.png', 'per-class.png']) {
    const png = decodePng(new Uint8Array(await readFile(join(out, name))));
    assert.ok(png.width > 200 && png.height > 200, `${name}: ${png.width}×${png.height}`);
    assert.deepEqual([png.chunks[0], png.chunks.at(-1)], ['IHDR', 'IEND']);
    const s = pixelStats(png);
    assert.ok(s.distinct > 20, `${name}: only ${s.distinct} distinct pixel values`);
    assert.ok(s.nonWhite > 0.02 && s.nonWhite < 0.95, `${name}: ${(100 * s.nonWhite).toFixed(1)}% non-white`);
  }
});

test('curves SVG: axis titles, legend, LR-drop and best-epoch markers, one point per epoch and series', async () => {
  const svg = await readFile(join(out, 'curves.svg'), 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal(count(svg, '<svg'), count(svg, '</svg>'));
  for (const text of ['Training curves', '>epoch<', '>loss (cross-entropy)<', '>accuracy<', '>train<', '>validation<', 'best epoch 15', 'lr → 5e−4', 'lr → 2.5e−4', 'early stop (epoch 30)']) {
    assert.ok(svg.includes(text), `curves.svg lacks ${text}`);
  }
  assert.ok(svg.includes(PROTOCOL.description.slice(0, 40)), 'subtitle names the protocol');
  // 30 epochs × 2 series × 2 panels point marks
  assert.equal(count(svg, 'aria-roledescription="point"'), 120);
  assert.equal(count(svg, 'aria-roledescription="line mark"'), 4);
});

test('confusion SVG: every label, one cell per pair with its count and row share', async () => {
  const svg = await readFile(join(out, 'confusion.svg'), 'utf8');
  const k = LABELS.length;
  assert.equal(count(svg, 'aria-roledescription="rect mark"'), k * k);
  assert.equal(count(svg, 'aria-roledescription="text mark"'), k * k);
  for (const l of LABELS) assert.ok(svg.includes(`>${l}<`), `label ${l}`);
  for (const t of ['true label', 'predicted label', 'row share']) assert.ok(svg.includes(t), t);
  const conf = syntheticConfusion(1);
  const row0 = conf[0].reduce((u, v) => u + v, 0);
  assert.ok(svg.includes(`<tspan>${conf[0][0]}</tspan><tspan x="0" dy="14">${Math.round((100 * conf[0][0]) / row0)}%</tspan>`), 'cell (0,0) shows count and share');
});

test('per-class SVG: precision and recall bars per class', async () => {
  const svg = await readFile(join(out, 'per-class.svg'), 'utf8');
  assert.equal(count(svg, 'aria-roledescription="bar"'), 2 * LABELS.length);
  for (const t of ['>precision<', '>recall<', '>class<', '>score<']) assert.ok(svg.includes(t), t);
});

test('report.html is self-contained: inline PNGs, protocol name, metrics, fits and readings', async () => {
  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.equal(count(html, 'src="data:image/png;base64,'), 3);
  assert.doesNotMatch(html, /<script|<link|src="(?!data:)|url\(/i, 'no external resource');
  assert.ok(html.includes('Protocol: speaker-independent'));
  assert.ok(html.includes('test speakers ravdess:01, ravdess:02'));
  const m = metricsOf(syntheticConfusion(1));
  for (const v of [m.accuracy, m.uar, m.macro_f1]) assert.ok(html.includes(`${(100 * v).toFixed(1)}%`), `metric ${v}`);
  assert.ok(html.includes('ser train --data'), 'command');
  assert.ok(html.includes('1 min 1 s'), 'wall time 61 s');
  for (const r of ['train loss: concave up', 'val loss: concave up, vertex at epoch 15.0', 'train accuracy: concave down, vertex at epoch 40.0']) {
    assert.ok(html.includes(r), r);
  }
  // each embedded image decodes
  for (const b64 of html.match(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)!) {
    const png = decodePng(new Uint8Array(Buffer.from(b64.split(',')[1], 'base64')));
    assert.ok(png.width > 200);
  }
});

test('report.json holds every number: protocol, metrics, fits, markers', async () => {
  const j = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  assert.equal(j.format, 'ser-training-report');
  assert.equal(j.epoch_base, 1);
  assert.equal(j.run.protocol.name, 'speaker-independent');
  assert.equal(j.run.wall_time_ms, 61000);
  assert.deepEqual(j.labels, LABELS);
  const p = j.parts[0];
  assert.equal(p.best_epoch, 15);
  assert.equal(p.epochs, 30);
  assert.deepEqual(p.lr_drops, [{ epoch: 11, lr: 5e-4, from: 1e-3 }, { epoch: 21, lr: 2.5e-4, from: 5e-4 }]);
  assert.deepEqual(p.test, metricsOf(syntheticConfusion(1)));
  assert.deepEqual(p.fits, JSON.parse(JSON.stringify(fitHistory(syntheticHistory(30)))));
  assert.deepEqual(j.figures.confusion, { svg: 'confusion.svg', png: 'confusion.png' });
  assert.equal(j.aggregate, null);
});

test('k-fold: mean ± population std over folds and the pooled confusion matrix', () => {
  const confs = [syntheticConfusion(0, 10), syntheticConfusion(1, 15), syntheticConfusion(2, 30)];
  const summary: RunSummary = {
    name: 'kfold',
    protocol: { name: 'speaker-kfold', seed: null, description: 'speaker k-fold, k = 3', k: 3 },
    labels: LABELS,
    parts: confs.map((c, i) => ({ name: `fold ${i + 1}`, protocol: null, history: syntheticHistory(5 + i), training: null, test: metricsOf(c) })),
  };
  const r = buildReport(summary);
  assert.equal(r.aggregate!.k, 3);
  // accuracies by hand: trace / sum
  const accs = confs.map((c) => c.reduce((u, row, i) => u + row[i], 0) / c.flat().reduce((u, v) => u + v, 0));
  const mean = (accs[0] + accs[1] + accs[2]) / 3;
  const std = Math.sqrt(accs.reduce((u, a) => u + (a - mean) ** 2, 0) / 3); // population std, as ser train prints
  assert.ok(Math.abs(r.aggregate!.mean.accuracy - mean) < 1e-12);
  assert.ok(Math.abs(r.aggregate!.std.accuracy - std) < 1e-12);
  const pooled = confs[0].map((row, i) => row.map((v, j) => v + confs[1][i][j] + confs[2][i][j]));
  assert.deepEqual(r.aggregate!.pooled.confusion, pooled);
  assert.equal(r.aggregate!.pooled.n, pooled.flat().reduce((u, v) => u + v, 0));
  assert.equal(r.overall, r.aggregate!.pooled);
  assert.equal(r.parts[2].fits.val_loss.n, 7);
});

test('text renders to pixels with the available fonts', { skip: !FONT_FILES.some((f) => existsSync(f)) && 'no DejaVu font installed (apt-get install fonts-dejavu-core)' }, async () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60"><text x="10" y="40" font-family="DejaVu Sans" font-size="28">epoch 12</text></svg>';
  const s = pixelStats(decodePng(await svgToPng(svg, 1)));
  assert.ok(s.nonWhite > 0.01, `text left ${(100 * s.nonWhite).toFixed(2)}% non-white pixels`);
  const blank = pixelStats(decodePng(await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60"></svg>', 1)));
  assert.equal(blank.nonWhite, 0);
});

test('a run with no parts is refused with a SerError', async () => {
  await assert.rejects(renderReport({ name: 'x', protocol: null, labels: [], parts: [] }, join(dir, 'empty')), { name: 'SerError', code: 'EPARAM' });
});

test('an output folder that cannot be created is one SerError naming it (no hang)', async () => {
  const { writeFile } = await import('node:fs/promises');
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  await assert.rejects(renderReport(singleSummary(), join(file, 'report')), (e: unknown) => (e as Error).name === 'SerError' && (e as { code: string }).code === 'EIO' && (e as Error).message.includes('a-file/report: cannot create the report folder'));
});
