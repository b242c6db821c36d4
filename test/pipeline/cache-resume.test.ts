import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeToneDataset } from './helpers.js';
import { buildFeatureCache, readFeatureCache, verifyFeatureCache } from '../../src/data/cache.js';
import type { DatasetItem } from '../../src/data/types.js';

const SR = 22050;
const N = 16;
const CHILD = fileURLToPath(new URL('./fixtures/cache-build.ts', import.meta.url));
let dir: string;
let audioDir: string;
let items: DatasetItem[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ser-cache-'));
  ({ audioDir, items } = makeToneDataset(dir, N, SR));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a build killed with SIGKILL leaves only valid entries; the next run builds exactly the missing ones', async () => {
  const cacheDir = join(dir, 'killed');
  // Run the build in a child process (2 workers) and SIGKILL it once a few entries exist.
  const killedAfter = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, audioDir, cacheDir, '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = 0;
    let err = '';
    let finished = false;
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const line of d.split('\n')) {
        const m = /^progress (\d+) (\d+)/.exec(line);
        if (m) seen = Number(m[1]);
        if (/^result /.test(line)) finished = true;
      }
      if (seen >= 3 && !child.killed) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => {
      if (finished || signal !== 'SIGKILL') reject(new Error(`child was not killed mid-run (code ${code}, signal ${signal}): ${err}`));
      else resolve(seen);
    });
  });
  assert.ok(killedAfter >= 3);

  const v1 = await verifyFeatureCache(cacheDir);
  assert.deepEqual(v1.invalid, [], 'no corrupt or partial entry under a final name');
  const k = v1.valid.length;
  assert.ok(k >= 3 && k < N, `killed run left ${k} of ${N} entries`);

  // Also plant a partial entry under a final name (as a non-atomic writer would leave) and a
  // leftover temp file of a dead process: the next run must rebuild / remove them.
  const victim = v1.valid[0];
  const bytes = readFileSync(victim);
  writeFileSync(victim, bytes.subarray(0, Math.floor(bytes.length / 2)));
  writeFileSync(join(cacheDir, `.deadbeef.serf.999999.0.abcd1234.tmp`), bytes.subarray(0, 100));

  let lastProgress: { done: number; toBuild: number; etaSeconds: number } | undefined;
  const res = await buildFeatureCache({ items, cacheDir, jobs: 2, onProgress: (p) => (lastProgress = p) });
  assert.equal(res.total, N);
  assert.equal(res.existing, k - 1, 'valid entries are kept');
  assert.equal(res.built, N - k + 1, 'only the missing (and the truncated) entries are extracted');
  assert.deepEqual(res.failed, []);
  assert.equal(res.staleTempsRemoved, 1 + v1.temps.length);
  assert.equal(lastProgress?.done, N - k + 1);
  assert.equal(lastProgress?.toBuild, N - k + 1);

  const v2 = await verifyFeatureCache(cacheDir);
  assert.equal(v2.valid.length, N);
  assert.deepEqual(v2.invalid, []);
  assert.deepEqual(v2.temps, []);

  // A third run has nothing to do.
  const again = await buildFeatureCache({ items, cacheDir, jobs: 1 });
  assert.equal(again.existing, N);
  assert.equal(again.built, 0);

  // Reading back: in item order, labels and frame counts as expected.
  let i = 0;
  for await (const e of readFeatureCache({ cacheDir, entries: res.entries })) {
    const item = items[e.ref!.itemIndex];
    assert.equal(e.ref!.itemIndex, i);
    assert.equal(e.header.label, item.label);
    assert.equal(e.header.file, item.path);
    const seconds = 1 + (i % 3) * 0.5;
    assert.equal(e.features.rows, 1 + Math.floor((seconds * SR) / 512));
    assert.equal(e.features.cols, (e.header.columns as string[]).length);
    i++;
  }
  assert.equal(i, N);
});
