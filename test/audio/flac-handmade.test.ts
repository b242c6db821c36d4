/**
 * A FLAC stream built bit by bit in the test (an independent, minimal encoder following RFC 9639):
 * variable block sizes (blocking-strategy bit set, coded *sample* numbers including the 7-byte
 * form), 12-bit samples, independent and left/side stereo, CONSTANT / VERBATIM / FIXED(1, 2)
 * subframes with Rice-coded residuals and an escaped partition, a one-sample block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFlac } from '../../src/audio/index.js';
import { SerError } from '../../src/errors.js';

class BitWriter {
  bits: number[] = [];
  put(v: number, n: number) {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
  }
  signed(v: number, n: number) {
    this.put(v < 0 ? v + 2 ** n : v, n);
  }
  align() {
    while (this.bits.length % 8) this.bits.push(0);
  }
  bytes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.bits.length; i += 8) out.push(parseInt(this.bits.slice(i, i + 8).join(''), 2));
    return out;
  }
}

function crc(bytes: number[], poly: number, width: number): number {
  let c = 0;
  const top = 1 << (width - 1);
  const mask = (1 << width) - 1;
  for (const b of bytes) {
    c ^= b << (width - 8);
    for (let k = 0; k < 8; k++) c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask;
  }
  return c;
}

function utf8Number(w: BitWriter, v: number) {
  if (v < 0x80) return w.put(v, 8);
  const n = v < 0x800 ? 2 : v < 0x10000 ? 3 : v < 0x200000 ? 4 : v < 0x4000000 ? 5 : v < 0x80000000 ? 6 : 7;
  const cont = n - 1;
  const lead = n === 7 ? 0xfe : (0xff << (8 - n)) & 0xff;
  w.put(lead + Math.floor(v / 2 ** (6 * cont)), 8);
  for (let i = cont - 1; i >= 0; i--) w.put(0x80 + (Math.floor(v / 2 ** (6 * i)) % 64), 8);
}

type Sub =
  | { kind: 'constant'; v: number }
  | { kind: 'verbatim'; x: number[] }
  | { kind: 'fixed'; order: 1 | 2; x: number[]; k: number; escapeBits?: number };

function subframe(w: BitWriter, s: Sub, bps: number) {
  w.put(0, 1);
  if (s.kind === 'constant') {
    w.put(0, 6);
    w.put(0, 1);
    w.signed(s.v, bps);
  } else if (s.kind === 'verbatim') {
    w.put(1, 6);
    w.put(0, 1);
    for (const v of s.x) w.signed(v, bps);
  } else {
    w.put(8 + s.order, 6);
    w.put(0, 1);
    const x = s.x;
    for (let i = 0; i < s.order; i++) w.signed(x[i], bps);
    w.put(0, 2); // Rice, 4-bit parameters
    w.put(0, 4); // partition order 0
    const res: number[] = [];
    for (let i = s.order; i < x.length; i++) res.push(s.order === 1 ? x[i] - x[i - 1] : x[i] - 2 * x[i - 1] + x[i - 2]);
    if (s.escapeBits !== undefined) {
      w.put(15, 4);
      w.put(s.escapeBits, 5);
      for (const r of res) w.signed(r, s.escapeBits);
      return;
    }
    w.put(s.k, 4);
    for (const r of res) {
      const u = r >= 0 ? 2 * r : -2 * r - 1;
      const q = Math.floor(u / 2 ** s.k);
      for (let i = 0; i < q; i++) w.put(0, 1);
      w.put(1, 1);
      w.put(u % 2 ** s.k, s.k);
    }
  }
}

function frame(sampleNumber: number, blockSize: number, chanAssign: number, subs: Sub[], bps: number): number[] {
  const w = new BitWriter();
  w.put(0b11111111111110, 14);
  w.put(0, 1);
  w.put(1, 1); // variable block size
  w.put(7, 4); // block size: 16-bit (n-1) follows
  w.put(0, 4); // sample rate from STREAMINFO
  w.put(chanAssign, 4);
  w.put(2, 3); // 12 bits per sample
  w.put(0, 1);
  utf8Number(w, sampleNumber);
  w.put(blockSize - 1, 16);
  const head = w.bytes();
  w.put(crc(head, 0x07, 8), 8);
  subs.forEach((s, c) => subframe(w, s, bps + (chanAssign === 8 && c === 1 ? 1 : 0)));
  w.align();
  const body = w.bytes();
  const c16 = crc(body, 0x8005, 16);
  return [...body, c16 >> 8, c16 & 0xff];
}

function streamInfo(sr: number, channels: number, bps: number, total: number): number[] {
  const w = new BitWriter();
  w.put(1, 1); // last metadata block
  w.put(0, 7);
  w.put(34, 24);
  w.put(1, 16);
  w.put(1000, 16);
  w.put(0, 24);
  w.put(0, 24);
  w.put(sr, 20);
  w.put(channels - 1, 3);
  w.put(bps - 1, 5);
  w.put(total, 36);
  for (let i = 0; i < 16; i++) w.put(0, 8);
  return [0x66, 0x4c, 0x61, 0x43, ...w.bytes()];
}

test('hand-built variable-block-size 12-bit stereo FLAC decodes to the samples it encodes', () => {
  const L: number[] = [];
  const R: number[] = [];
  const frames: number[][] = [];
  let pos = 0;
  const add = (l: number[], r: number[], assign: number, subs: Sub[], sampleNumber = pos) => {
    frames.push(frame(sampleNumber, l.length, assign, subs, 12));
    L.push(...l);
    R.push(...r);
    pos += l.length;
  };
  const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => Math.max(-2048, Math.min(2047, Math.round(f(i)))) + 0);
  // 1. independent, VERBATIM both (extreme values included)
  const l1 = ramp(100, (i) => (i === 0 ? -2048 : i === 1 ? 2047 : 1500 * Math.sin(i / 5)));
  const r1 = ramp(100, (i) => -900 * Math.cos(i / 3));
  add(l1, r1, 1, [{ kind: 'verbatim', x: l1 }, { kind: 'verbatim', x: r1 }]);
  // 2. left/side: CONSTANT left, VERBATIM side (13 bits: side = left - right spans ±4095)
  const l2 = new Array(37).fill(-2000);
  const r2 = ramp(37, (i) => 2047 - 50 * i);
  add(l2, r2, 8, [{ kind: 'constant', v: -2000 }, { kind: 'verbatim', x: l2.map((v, i) => v - r2[i]) }]);
  // 3. independent, FIXED order 2 (Rice k=4) and FIXED order 1 with an escaped partition;
  //    the coded sample number uses the 7-byte form (the decoder parses but does not need it).
  const l3 = ramp(1000, (i) => 1800 * Math.sin(i / 40) + 30 * Math.sin(i));
  const r3 = ramp(1000, (i) => 600 * Math.sin(i / 17 + 1));
  add(l3, r3, 1, [{ kind: 'fixed', order: 2, x: l3, k: 4 }, { kind: 'fixed', order: 1, x: r3, k: 0, escapeBits: 9 }], 2 ** 33 + 5);
  // 4. a one-sample block
  add([7], [-7], 1, [{ kind: 'verbatim', x: [7] }, { kind: 'verbatim', x: [-7] }]);

  const bytes = new Uint8Array([...streamInfo(11025, 2, 12, L.length), ...frames.flat()]);
  const d = decodeFlac(bytes, 'hand.flac');
  assert.equal(d.sr, 11025);
  assert.equal(d.channels.length, 2);
  assert.deepEqual(Array.from(d.channels[0], (v) => v * 2048), L);
  assert.deepEqual(Array.from(d.channels[1], (v) => v * 2048), R);

  // Changing one residual bit breaks the frame CRC.
  const bad = bytes.slice();
  bad[bytes.length - 40] ^= 0x04;
  assert.throws(() => decodeFlac(bad, 'hand.flac'), (e: unknown) => e instanceof SerError && e.code === 'EFORMAT');
});
