import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunDir } from '../../src/report/run-dir.js';
import { SerError } from '../../src/errors.js';
import { LABELS, PROTOCOL, metricsOf, syntheticConfusion, writeKFoldRunDir, writeRunDir } from './helpers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function ser(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ser-report-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('ser report RUN_DIR writes RUN_DIR/report/ and prints the protocol, metrics and fit readings', async () => {
  const run = await writeRunDir(join(dir, 'run1'));
  const r = await ser(['report', run]);
  assert.equal(r.code, 0, r.stderr);
  const names = (await readdir(join(run, 'report'))).sort();
  assert.deepEqual(names, ['confusion.png', 'confusion.svg', 'curves.png', 'curves.svg', 'per-class.png', 'per-class.svg', 'report.html', 'report.json']);
  assert.match(r.stdout, /^protocol: speaker-independent: test speakers ravdess:01, ravdess:02/);
  const m = metricsOf(syntheticConfusion(1));
  assert.ok(r.stdout.includes(`accuracy ${(100 * m.accuracy).toFixed(1)}%`), r.stdout);
  assert.match(r.stdout, /val loss: concave up, vertex at epoch 15\.0/);
  const j = JSON.parse(await readFile(join(run, 'report', 'report.json'), 'utf8'));
  assert.equal(j.run.command, 'ser train --data ../shared/data/ravdess --protocol speaker-independent --test-speakers 01,02');
  assert.deepEqual(j.run.config, { epochs: 30, batch_size: 32, learning_rate: 1e-3 });
  assert.equal(j.run.counts.train.files, 720);
  assert.equal(j.parts[0].best_epoch, 15);
  assert.equal(j.parts[0].stopped_by, 'early_stopping');
  const html = await readFile(join(run, 'report', 'report.html'), 'utf8');
  assert.ok(html.includes('Protocol: speaker-independent'));
});

test('loadRunDir reads a k-fold run (metrics.json folds + history.json folds)', async () => {
  const { dir: run, confusions } = await writeKFoldRunDir(join(dir, 'kfold'), 3);
  const s = await loadRunDir(run);
  assert.equal(s.parts.length, 3);
  assert.deepEqual(s.labels, LABELS);
  assert.equal(s.protocol!.name, 'speaker-kfold');
  assert.equal(s.protocol!.fold, undefined);
  assert.deepEqual(s.parts.map((p) => p.name), ['fold 1', 'fold 2', 'fold 3']);
  assert.equal(s.parts[1].protocol!.fold, 1);
  assert.deepEqual(s.parts.map((p) => p.history.length), [12, 13, 14]);
  assert.deepEqual(s.parts[2].test!.confusion, confusions[2]);
  assert.equal(s.parts[0].training!.bestEpoch, 8);
});

test('loadRunDir reads fold-N/ sub-folders and fills labels / protocol from bundle/bundle.json', async () => {
  const run = join(dir, 'folds');
  for (let i = 0; i < 2; i++) {
    const fd = join(run, `fold-${i + 1}`);
    await mkdir(fd, { recursive: true });
    const c = syntheticConfusion(i);
    // bare history array, metrics without labels / per_class (derived from the confusion matrix)
    await writeFile(join(fd, 'history.json'), JSON.stringify([{ epoch: 0, loss: 1, acc: 0.5, val_loss: 1.1, val_acc: 0.4, lr: 1e-3 }, { epoch: 1, loss: 0.9, acc: 0.6, val_loss: null, val_acc: null, lr: 1e-3 }]));
    await writeFile(join(fd, 'metrics.json'), JSON.stringify({ confusion: c }));
  }
  await mkdir(join(run, 'bundle'), { recursive: true });
  await writeFile(join(run, 'bundle', 'bundle.json'), JSON.stringify({ labels: LABELS, training: { protocol: PROTOCOL } }));
  const s = await loadRunDir(run);
  assert.equal(s.parts.length, 2);
  assert.deepEqual(s.labels, LABELS);
  assert.equal(s.protocol!.name, 'speaker-independent');
  assert.deepEqual(s.parts[1].test, metricsOf(syntheticConfusion(1)));
  assert.equal(s.parts[0].history[1].val_loss, null);
});

test('loadRunDir: clear SerErrors naming the file', async () => {
  const run = await writeRunDir(join(dir, 'broken'));
  await assert.rejects(loadRunDir(join(dir, 'no-such-run')), (e: unknown) => e instanceof SerError && e.code === 'ENOENT' && /no-such-run/.test(e.message));
  await writeFile(join(run, 'history.json'), '{"history": [');
  await assert.rejects(loadRunDir(run), (e: unknown) => e instanceof SerError && e.code === 'EFORMAT' && /history\.json: not valid JSON/.test(e.message));
  await writeFile(join(run, 'history.json'), JSON.stringify({ history: [{ epoch: 0, loss: 'x' }] }));
  await assert.rejects(loadRunDir(run), (e: unknown) => e instanceof SerError && /history\.json: history\.history\[0\]\.loss/.test(e.message));
  await writeFile(join(run, 'history.json'), JSON.stringify({ history: [] }));
  const met = JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8'));
  await writeFile(join(run, 'metrics.json'), JSON.stringify({ ...met, confusion: [[1, 2], [3, 4]] }));
  await assert.rejects(loadRunDir(run), (e: unknown) => e instanceof SerError && e.code === 'EFORMAT' && /metrics\.json: metrics\.confusion is 2×2 but there are 6 labels/.test(e.message));
});

test('ser report: a missing metrics.json is one clear error line, exit 1', async () => {
  const run = await writeRunDir(join(dir, 'nometrics'));
  await unlink(join(run, 'metrics.json'));
  const r = await ser(['report', run, '--out', join(dir, 'out')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ser: .*nometrics\/metrics\.json: missing the test metrics \(metrics\.json\)\n$/);
  assert.equal(r.stdout, '');
});

test('loadRunDir reads the layout src/pipeline/run.ts writes (numeric counts, test + val, bundle counts) and a run without a test set', async () => {
  const { buildReport } = await import('../../src/report/build.js');
  const { renderHtml } = await import('../../src/report/html.js');
  const run = join(dir, 'pipeline');
  await mkdir(join(run, 'bundle'), { recursive: true });
  const test = metricsOf(syntheticConfusion(1));
  const val = metricsOf(syntheticConfusion(2, 5));
  const history = { history: [{ epoch: 0, loss: 1.5, acc: 0.4, uar: 0.4, val_loss: 1.6, val_acc: 0.35, val_uar: 0.3, lr: 1e-4, ms: 900 }], bestEpoch: 0, stoppedBy: 'epochs' };
  await writeFile(join(run, 'history.json'), JSON.stringify(history));
  const counts = { train: 900, trainOriginals: 300, val: 60, test: 120 };
  await writeFile(join(run, 'metrics.json'), JSON.stringify({ protocol: PROTOCOL, labels: LABELS, normalize: 'global', ...test, test, val, counts, interrupted: false, wall_time_ms: 5000 }));
  let s = await loadRunDir(run);
  assert.deepEqual(s.parts[0].test, test);
  assert.deepEqual(s.parts[0].val, val);
  assert.deepEqual(s.counts, { train: { files: 900, recordings: 300, augmented: 600 }, val: { files: 60 }, test: { files: 120 } });
  assert.equal(s.wallTimeMs, 5000);
  // the bundle's SplitSummary, when present, is the richer source of counts
  const split = { protocol: PROTOCOL, train: { files: 900, recordings: 300, augmented: 600, speakers: ['ravdess:04', 'ravdess:05'], labels: { neutral: 150 } }, val: { files: 60, recordings: 60, augmented: 0, speakers: ['ravdess:03'], labels: {} }, test: { files: 120, recordings: 120, augmented: 0, speakers: ['ravdess:01', 'ravdess:02'], labels: {} } };
  await writeFile(join(run, 'bundle', 'bundle.json'), JSON.stringify({ labels: LABELS, training: { protocol: PROTOCOL, data: { counts: split } } }));
  s = await loadRunDir(run);
  assert.deepEqual(s.counts!.train!.speakers, ['ravdess:04', 'ravdess:05']);
  // final model: no test set → test null, validation shown as such, never as a test result
  await writeFile(join(run, 'metrics.json'), JSON.stringify({ protocol: { name: 'all', seed: null, description: 'all speakers' }, labels: LABELS, test: null, val, counts, interrupted: true, wall_time_ms: 5000 }));
  s = await loadRunDir(run);
  assert.equal(s.parts[0].test, null);
  assert.equal(s.interrupted, true);
  const r = buildReport(s);
  assert.equal(r.overall, null);
  const html = renderHtml(r, {});
  assert.match(html, /No test set/);
  assert.match(html, /\(validation\)/);
  assert.match(html, /Interrupted run/);
});
