import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, decodeNpy, decodeNpyMatrix, encodeFeatureEntry, decodeFeatureEntry, crc32 } from '../../src/io/featfile.js';
import { SerError } from '../../src/errors.js';

function hasNumpy(): boolean {
  const r = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  return r.status === 0;
}

const sample = () => {
  const rows = 5;
  const cols = 3;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (i - 7) * 0.125 + (i === 4 ? 1e-30 : 0);
  data[2] = -Infinity;
  return { rows, cols, data };
};

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('.npy: header is a 64-byte-aligned v1.0 dict and the round trip is exact', () => {
  const m = sample();
  const bytes = encodeNpy(m);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const hlen = bytes[8] | (bytes[9] << 8);
  assert.equal((10 + hlen) % 64, 0);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + hlen));
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(5, 3\), \} *\n$/);
  assert.equal(bytes.length, 10 + hlen + 15 * 4);
  const back = decodeNpyMatrix(bytes);
  assert.equal(back.rows, 5);
  assert.equal(back.cols, 3);
  assert.deepEqual(Array.from(back.data), Array.from(m.data));
});

test('.npy: malformed files give SerError naming the file', () => {
  const bytes = encodeNpy(sample());
  assert.throws(() => decodeNpy(bytes.subarray(0, bytes.length - 3), 'x.npy'), (e: unknown) => e instanceof SerError && e.code === 'ETRUNC' && /^x\.npy: /.test(e.message));
  assert.throws(() => decodeNpy(new Uint8Array(20), 'y.npy'), (e: unknown) => e instanceof SerError && e.code === 'EFORMAT' && /^y\.npy: /.test(e.message));
});

test('.npy interoperates with numpy (both directions)', (t) => {
  if (!hasNumpy()) {
    t.skip('python3 with numpy not available');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ser-npy-'));
  try {
    const m = sample();
    writeFileSync(join(dir, 'ours.npy'), encodeNpy(m));
    // numpy reads ours, and writes float64 C-order + float32 Fortran-order arrays for us to read.
    const py = [
      'import numpy as np, sys, json',
      `d = ${JSON.stringify(dir)}`,
      "a = np.load(d + '/ours.npy')",
      "print(json.dumps({'dtype': str(a.dtype), 'shape': list(a.shape), 'c': bool(a.flags['C_CONTIGUOUS']), 'v': [None if not np.isfinite(x) else float(x) for x in a.ravel()]}))",
      'b = np.arange(12, dtype=np.float64).reshape(3, 4) / 8 - 0.5',
      "np.save(d + '/f8.npy', b)",
      "np.save(d + '/fortran.npy', np.asfortranarray(b.astype(np.float32)))",
    ].join('\n');
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.equal(got.dtype, 'float32');
    assert.deepEqual(got.shape, [5, 3]);
    assert.equal(got.c, true);
    assert.deepEqual(got.v, Array.from(m.data, (x) => (Number.isFinite(x) ? x : null)));
    const expected = Array.from({ length: 12 }, (_, i) => i / 8 - 0.5);
    for (const name of ['f8.npy', 'fortran.npy']) {
      const a = decodeNpyMatrix(readFileSync(join(dir, name)), name);
      assert.deepEqual([a.rows, a.cols], [3, 4]);
      assert.deepEqual(Array.from(a.data), expected, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.serf cache entry: round trip; truncation and corruption are detected', () => {
  const m = sample();
  const bytes = encodeFeatureEntry({ key: 'abc', label: 'sad', sr: 22050 }, m);
  const { header, features } = decodeFeatureEntry(bytes, 'e.serf');
  assert.equal(header.key, 'abc');
  assert.equal(header.label, 'sad');
  assert.deepEqual([features.rows, features.cols], [5, 3]);
  assert.deepEqual(Array.from(features.data), Array.from(m.data));
  for (let cut = 0; cut < bytes.length; cut += 7) {
    assert.throws(() => decodeFeatureEntry(bytes.subarray(0, cut), 'e.serf'), SerError, `cut at ${cut}`);
  }
  const flipped = bytes.slice();
  flipped[bytes.length - 10] ^= 0x01;
  assert.throws(() => decodeFeatureEntry(flipped, 'e.serf'), /checksum/);
});
