/**
 * Feature-cache throughput (`node --import tsx bench/cache.ts [--limit N]`, default 120 files).
 *
 * Builds a fresh cache for the first N RAVDESS files (whole clips, 22050 Hz, default features, no
 * augmentation) with 1 and with 2 workers, printing entries/s, then a resume pass (everything
 * present: the cost of hashing + validating). Writes into a temporary directory it deletes.
 */
import { readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildFeatureCache, createFeaturePool } from '../src/data/cache.js';
import type { DatasetItem, Emotion } from '../src/data/types.js';
import { ALL_EMOTIONS } from '../src/data/types.js';

const args = process.argv.slice(2);
const li = args.indexOf('--limit');
const limit = li >= 0 ? Number(args[li + 1]) : 120;
const root = fileURLToPath(new URL('../../shared/data/ravdess/', import.meta.url));
if (!existsSync(root)) {
  console.error(`bench:cache: ${root} not found`);
  process.exit(1);
}
const items: DatasetItem[] = [];
for (const actor of readdirSync(root).sort()) {
  if (!actor.startsWith('Actor_')) continue;
  for (const f of readdirSync(join(root, actor)).sort()) {
    if (!f.endsWith('.flac')) continue;
    const parts = basename(f, '.flac').split('-');
    items.push({ path: join(root, actor, f), label: ALL_EMOTIONS[Number(parts[2]) - 1] as Emotion, speaker: `ravdess:${parts[6]}`, dataset: 'ravdess', meta: {} });
  }
}
// spread over actors: every k-th file
const step = Math.max(1, Math.floor(items.length / limit));
const sel = items.filter((_, i) => i % step === 0).slice(0, limit);
const dir = mkdtempSync(join(tmpdir(), 'ser-bench-cache-'));
console.log(`bench:cache — ${sel.length} RAVDESS files, whole clips, 22050 Hz, default features`);
try {
  for (const jobs of [1, 2]) {
    const cacheDir = join(dir, `jobs${jobs}`);
    // workers are started (and warmed up on one file each) before the clock starts
    const pool = jobs > 1 ? createFeaturePool(jobs) : undefined;
    if (pool) {
      await pool.ready();
      await buildFeatureCache({ items: sel.slice(-jobs), cacheDir: join(dir, 'warm'), pool });
    } else await buildFeatureCache({ items: sel.slice(-1), cacheDir: join(dir, 'warm') });
    const t = performance.now();
    const r = await buildFeatureCache({ items: sel, cacheDir, jobs, pool });
    const s = (performance.now() - t) / 1000;
    await pool?.close();
    console.log(`  ${jobs} worker${jobs > 1 ? 's' : ' '}: built ${r.built} entries in ${s.toFixed(2)} s → ${(r.built / s).toFixed(1)} entries/s (failed ${r.failed.length}; hashing, validation, fsync'd atomic writes included)`);
    if (jobs === 2) {
      const t2 = performance.now();
      const again = await buildFeatureCache({ items: sel, cacheDir, jobs: 1 });
      const s2 = (performance.now() - t2) / 1000;
      console.log(`  resume pass (all ${again.existing} present): ${s2.toFixed(2)} s → ${(again.existing / s2).toFixed(0)} entries/s checked`);
    }
  }
  const la = (await import('node:os')).loadavg();
  console.log(`load average: ${la.map((x) => x.toFixed(1)).join(' ')} (2 cores: entries/s drop when it exceeds the core count)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
