import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgress, formatDuration, estimateEta } from '../../src/util/progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const s = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  s.isTTY = isTTY;
  s.columns = 200;
  return { s, text: () => chunks.join(''), chunks };
}

test('formatDuration and estimateEta', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(75), '1:15');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(NaN), '--:--');
  // 10 of 40 done in 5 s → 30 left at 2/s = 15 s
  assert.equal(estimateEta(10, 40, 5000), 15);
  assert.ok(Number.isNaN(estimateEta(0, 40, 5000)));
});

test('non-TTY: plain lines, one per 10 % step plus a final line, with counts, rate and ETA', () => {
  let now = 0;
  const { s, text } = sink(false);
  const p = createProgress({ total: 100, label: 'features', stream: s, now: () => now });
  for (let i = 0; i < 100; i++) {
    now += 50; // 20 items/s
    p.tick(1, i === 42 ? 1 : 0);
  }
  p.stop();
  p.stop();
  const lines = text().trimEnd().split('\n');
  assert.equal(lines.length, 10, lines.join('\n')); // 10 %, 20 %, ... 90 %, final
  assert.ok(lines.every((l) => l.startsWith('features ') && !l.includes('\r')));
  assert.match(lines[0], /10% 10\/100 +20\.0 files\/s +ETA 0:05/);
  assert.match(lines[4], /\(1 failed\)/);
  assert.match(lines[9], /100% 100\/100 .*done in 0:05 +\(1 failed\)/);
});

test('TTY: one line redrawn in place with a bar, throttled, newline at the end', () => {
  let now = 0;
  const { s, chunks, text } = sink(true);
  const p = createProgress({ total: 1000, stream: s, now: () => now });
  for (let i = 0; i < 1000; i++) {
    now += 1; // 1000 ticks over 1 s → ~10 redraws at 100 ms
    p.tick();
  }
  p.stop();
  assert.ok(chunks.length <= 14, `${chunks.length} redraws`);
  assert.ok(chunks.every((c) => c.startsWith('\r\x1b[K')));
  assert.equal(text().split('\n').length, 2);
  assert.match(chunks[chunks.length - 1], /\[#{20}\] 100% 1000\/1000/);
});
