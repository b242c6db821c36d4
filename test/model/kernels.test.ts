// The LSTM recurrence kernels (src/model/kernels/lstm.ts: WebAssembly SIMD and plain JS) against
// an independent float64 recurrence and its central differences; the layer's kernel path against
// its per-step tfjs ops; the wasm MaxPoolGrad replacement against the cpu backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend.js';
import { lstmBackward, lstmBackwardJs, lstmForward, lstmForwardJs, lstmWasmAvailable, setLstmWasmDisabled } from '../../src/model/kernels/lstm.js';
import { lstmSequence, setLstmKernelsEnabled } from '../../src/model/layers/lstm.js';
import { rand, maxAbsDiff } from './helpers.js';

/**
 * float64 recurrence from the pre-activations xp (B, T, 4H): returns the loss
 * Σ R ⊙ h (every step, R (B, T, H)) or Σ r ⊙ h_T (last step, r (B, H)), and h (B, T, H).
 */
function refLoss(xp: Float64Array, u: Float64Array, h0: Float64Array, c0: Float64Array, R: Float64Array, seq: boolean, B: number, T: number, H: number): { loss: number; h: Float64Array; c: Float64Array } {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const hs = new Float64Array(B * T * H);
  const cs = new Float64Array(B * T * H);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    let h = Array.from(h0.subarray(b * H, b * H + H));
    let c = Array.from(c0.subarray(b * H, b * H + H));
    for (let t = 0; t < T; t++) {
      const z = new Array<number>(4 * H);
      for (let j = 0; j < 4 * H; j++) {
        let s = xp[(b * T + t) * 4 * H + j]!;
        for (let k = 0; k < H; k++) s += h[k]! * u[k * 4 * H + j]!;
        z[j] = s;
      }
      const hn: number[] = [];
      const cn: number[] = [];
      for (let j = 0; j < H; j++) {
        cn.push(sig(z[H + j]!) * c[j]! + sig(z[j]!) * Math.tanh(z[2 * H + j]!));
        hn.push(sig(z[3 * H + j]!) * Math.tanh(cn[j]!));
      }
      h = hn;
      c = cn;
      for (let j = 0; j < H; j++) {
        hs[(b * T + t) * H + j] = h[j]!;
        cs[(b * T + t) * H + j] = c[j]!;
        if (seq) loss += R[(b * T + t) * H + j]! * h[j]!;
        else if (t === T - 1) loss += R[b * H + j]! * h[j]!;
      }
    }
  }
  return { loss, h: hs, c: cs };
}

const implementations = [
  { name: 'wasm', fwd: lstmForward, bwd: lstmBackward },
  { name: 'js', fwd: lstmForwardJs, bwd: lstmBackwardJs },
] as const;

// B = 5 and 3: a block of 4 rows plus single rows; H = 12: the backward product's last column
// panel is half full; H = 8: full panels.
const shapes: [number, number, number][] = [[5, 4, 8], [3, 3, 12], [1, 6, 4]];

test('the WebAssembly LSTM module loads here (SIMD)', () => {
  assert.equal(lstmWasmAvailable(), true);
});

for (const impl of implementations) {
  for (const [B, T, H] of shapes) {
    for (const seq of [true, false]) {
      test(`LSTM kernels (${impl.name}, B=${B} T=${T} H=${H}, ${seq ? 'every step' : 'last step'}): forward = float64 recurrence, gradients = central differences`, () => {
        const G4 = 4 * H;
        const xp = rand(B * T * G4, 11 + H, 3);
        const u = rand(H * G4, 12 + H, 1.2);
        const h0 = rand(B * H, 13, 1);
        const c0 = rand(B * H, 14, 2);
        const R = rand(seq ? B * T * H : B * H, 15, 2);
        const d = (a: Float32Array) => Float64Array.from(a);
        const ref = refLoss(d(xp), d(u), d(h0), d(c0), d(R), seq, B, T, H);
        const f = impl.fwd(xp, u, h0, c0, B, T, H);
        assert.ok(maxAbsDiff(f.h, ref.h) < 2e-6, `h differs by ${maxAbsDiff(f.h, ref.h)}`);
        assert.ok(maxAbsDiff(f.c, ref.c) < 4e-6, `c differs by ${maxAbsDiff(f.c, ref.c)}`);
        const g = impl.bwd(f.gates, f.c, c0, u, R, seq, B, T, H);
        // dL/dxp = dz (z = xp + h·U), dL/dh0, dL/dc0 by central differences of the float64 recurrence
        const eps = 1e-5;
        const check = (name: string, base: Float32Array, got: Float32Array, which: 0 | 1 | 2) => {
          let worst = 0;
          for (let i = 0; i < base.length; i++) {
            const p = d(base);
            const m = d(base);
            p[i]! += eps;
            m[i]! -= eps;
            const args = (v: Float64Array) => [which === 0 ? v : d(xp), d(u), which === 1 ? v : d(h0), which === 2 ? v : d(c0)] as const;
            const [a1, a2, a3, a4] = args(p);
            const [b1, b2, b3, b4] = args(m);
            const num = (refLoss(a1, a2, a3, a4, d(R), seq, B, T, H).loss - refLoss(b1, b2, b3, b4, d(R), seq, B, T, H).loss) / (2 * eps);
            worst = Math.max(worst, Math.abs(num - got[i]!));
          }
          assert.ok(worst < 2e-5, `${name}: worst difference to central differences ${worst}`);
        };
        check('dz', xp, g.dz, 0);
        check('dh0', h0, g.dh0, 1);
        check('dc0', c0, g.dc0, 2);
      });
    }
  }
}

test('wasm and JS LSTM kernels agree on a training-sized case (B=16, T=32, H=128)', () => {
  const [B, T, H] = [16, 32, 128];
  const xp = rand(B * T * 4 * H, 21, 2);
  const u = rand(H * 4 * H, 22, 0.2);
  const h0 = new Float32Array(B * H);
  const c0 = new Float32Array(B * H);
  const dy = rand(B * T * H, 23);
  const a = lstmForward(xp, u, h0, c0, B, T, H);
  const b = lstmForwardJs(xp, u, h0, c0, B, T, H);
  assert.ok(maxAbsDiff(a.h, b.h) < 1e-5, `h: ${maxAbsDiff(a.h, b.h)}`);
  assert.ok(maxAbsDiff(a.gates, b.gates) < 1e-5, `gates: ${maxAbsDiff(a.gates, b.gates)}`);
  const ga = lstmBackward(a.gates, a.c, c0, u, dy, true, B, T, H);
  const gb = lstmBackwardJs(b.gates, b.c, c0, u, dy, true, B, T, H);
  assert.ok(maxAbsDiff(ga.dz, gb.dz) < 1e-4, `dz: ${maxAbsDiff(ga.dz, gb.dz)}`);
  assert.ok(maxAbsDiff(ga.dh0, gb.dh0) < 1e-4, `dh0: ${maxAbsDiff(ga.dh0, gb.dh0)}`);
});

test('setLstmWasmDisabled(true) routes to the plain-JS kernels (identical to calling them)', () => {
  const [B, T, H] = [2, 3, 4];
  const xp = rand(B * T * 4 * H, 31, 2);
  const u = rand(H * 4 * H, 32, 1);
  const z = new Float32Array(B * H);
  setLstmWasmDisabled(true);
  try {
    assert.deepEqual(lstmForward(xp, u, z, z, B, T, H).h, lstmForwardJs(xp, u, z, z, B, T, H).h);
  } finally {
    setLstmWasmDisabled(false);
  }
});

for (const backend of ['wasm', 'cpu'] as const) {
  for (const H of [8, 6]) {
    test(`lstmSequence (${backend}, H=${H}): recurrence kernels = per-step tfjs ops, value and all six gradients`, async () => {
      await initBackend(backend);
      const [B, T, F] = [3, 5, H === 8 ? 13 : 7]; // F = 13: a partial second column panel in dx
      const args = [
        tf.tensor3d(rand(B * T * F, 41, 2), [B, T, F]),
        tf.tensor2d(rand(F * 4 * H, 42, 1), [F, 4 * H]),
        tf.tensor2d(rand(H * 4 * H, 43, 1), [H, 4 * H]),
        tf.tensor1d(rand(4 * H, 44, 1)),
        tf.tensor2d(rand(B * H, 45, 1), [B, H]),
        tf.tensor2d(rand(B * H, 46, 1), [B, H]),
      ] as const;
      for (const seq of [true, false]) {
        const R = tf.tensor(rand(seq ? B * T * H : B * H, 47), seq ? [B, T, H] : [B, H]);
        const run = () => {
          const f = (...a: tf.Tensor[]) => tf.sum(tf.mul(lstmSequence(a[0] as tf.Tensor3D, a[1] as tf.Tensor2D, a[2] as tf.Tensor2D, a[3] as tf.Tensor1D, a[4] as tf.Tensor2D, a[5] as tf.Tensor2D, seq), R));
          const { value, grads } = tf.valueAndGrads(f)([...args]);
          const out = [value.dataSync()[0]!, ...grads.map((g) => Array.from(g.dataSync()))];
          tf.dispose([value, ...grads]);
          return out as [number, ...number[][]];
        };
        const k = run();
        setLstmKernelsEnabled(false);
        let o: ReturnType<typeof run>;
        try {
          o = run();
        } finally {
          setLstmKernelsEnabled(true);
        }
        assert.ok(Math.abs(k[0] - o[0]) < 1e-4, `loss ${k[0]} vs ${o[0]}`);
        for (let i = 1; i < 7; i++) assert.ok(maxAbsDiff(k[i] as number[], o[i] as number[]) < 1e-4, `gradient ${i - 1}: ${maxAbsDiff(k[i] as number[], o[i] as number[])}`);
        R.dispose();
      }
      tf.dispose([...args]);
    });
  }
}

for (const jsLoops of [false, true]) {
test(`wasm MaxPoolGrad = cpu MaxPoolGrad (1-D pool 2, 2-D 3×3 stride 2 same, ties)${jsLoops ? ', JS loops' : ''}`, async () => {
  setLstmWasmDisabled(jsLoops);
  const cases: { x: [number, number, number, number]; f: [number, number]; s: [number, number]; pad: 'valid' | 'same'; ties?: boolean }[] = [
    { x: [2, 9, 1, 5], f: [2, 1], s: [2, 1], pad: 'valid' },
    { x: [2, 7, 6, 3], f: [3, 3], s: [2, 2], pad: 'same' },
    { x: [1, 6, 1, 4], f: [2, 1], s: [2, 1], pad: 'valid', ties: true },
    { x: [1, 8, 5, 2], f: [3, 2], s: [1, 2], pad: 'valid' },
  ];
  for (const c of cases) {
    const n = c.x.reduce((a, b) => a * b, 1);
    const xv = c.ties ? Float32Array.from({ length: n }, (_, i) => Math.floor(i / 8) % 2) : rand(n, 51 + n);
    const grad = async (backend: 'wasm' | 'cpu') => {
      await initBackend(backend);
      const x = tf.tensor4d(xv, c.x);
      const y = tf.maxPool(x, c.f, c.s, c.pad);
      const dy = tf.tensor(rand(y.size, 52), y.shape);
      const g = tf.grad((t: tf.Tensor4D) => tf.sum(tf.mul(tf.maxPool(t, c.f, c.s, c.pad), dy)))(x);
      const out = g.dataSync().slice();
      tf.dispose([x, y, dy, g]);
      return out;
    };
    const w = await grad('wasm');
    const p = await grad('cpu');
    assert.ok(maxAbsDiff(w, p) < 1e-6, `${JSON.stringify(c)}: ${maxAbsDiff(w, p)}`);
  }
  setLstmWasmDisabled(false);
  await initBackend('wasm');
});

test(`wasm Sum / Mean over leading axes = float64 sums${jsLoops ? ', JS loops' : ''}`, async () => {
  setLstmWasmDisabled(jsLoops);
  try {
    await initBackend('wasm');
    for (const [shape, axes] of [[[1, 6, 13, 7], [0, 1, 2]], [[5, 9, 6], [0, 1]], [[11, 4], [0]]] as [number[], number[]][]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = rand(n, 61 + n, 10);
      const inner = shape.slice(axes.length).reduce((a, b) => a * b, 1);
      const rows = n / inner;
      const ref = new Float64Array(inner);
      for (let i = 0; i < n; i++) ref[i % inner]! += v[i]!;
      const t = tf.tensor(v, shape);
      const s = tf.sum(t, axes);
      const m = tf.mean(t, axes);
      assert.ok(maxAbsDiff(s.dataSync(), ref) < 1e-5, `sum ${shape}: ${maxAbsDiff(s.dataSync(), ref)}`);
      assert.ok(maxAbsDiff(m.dataSync(), ref.map((x) => x / rows)) < 1e-6, `mean ${shape}`);
      tf.dispose([t, s, m]);
    }
  } finally {
    setLstmWasmDisabled(false);
  }
});
}

test('Conv1D filter gradient on wasm: SIMD-module path, both per-tap paths (module off) and cpu agree', async () => {
  // [B, W, Ci] input, [KW, Ci, Co] filter, 'same' and 'valid'; Ci > Co and Ci < Co (the two per-tap routes)
  const cases: { x: [number, number, number]; k: number; co: number; pad: 'same' | 'valid' }[] = [
    { x: [3, 11, 7], k: 5, co: 4, pad: 'same' },
    { x: [2, 9, 3], k: 3, co: 6, pad: 'valid' },
    { x: [2, 8, 5], k: 4, co: 9, pad: 'same' },
  ];
  for (const c of cases) {
    const [B, W, Ci] = c.x;
    const xv = rand(B * W * Ci, 71 + W);
    const wv = rand(c.k * Ci * c.co, 72 + W);
    const grad = async (backend: 'wasm' | 'cpu') => {
      await initBackend(backend);
      const x = tf.tensor3d(xv, c.x);
      const w = tf.tensor3d(wv, [c.k, Ci, c.co]);
      const y = tf.conv1d(x, w, 1, c.pad);
      const dy = tf.tensor(rand(y.size, 73), y.shape);
      const g = tf.grad((f: tf.Tensor3D) => tf.sum(tf.mul(tf.conv1d(x, f, 1, c.pad), dy)))(w);
      const out = g.dataSync().slice();
      tf.dispose([x, w, y, dy, g]);
      return out;
    };
    const ref = await grad('cpu');
    const mod = await grad('wasm');
    setLstmWasmDisabled(true);
    let taps: Float32Array;
    try {
      taps = await grad('wasm');
    } finally {
      setLstmWasmDisabled(false);
    }
    assert.ok(maxAbsDiff(mod, ref) < 1e-5, `${JSON.stringify(c)} module: ${maxAbsDiff(mod, ref)}`);
    assert.ok(maxAbsDiff(taps, ref) < 1e-5, `${JSON.stringify(c)} per-tap: ${maxAbsDiff(taps, ref)}`);
  }
  await initBackend('wasm');
});

test('Mean gradient (registered by initBackend): d/dx Σ r ⊙ mean(x, axes) = r / N broadcast over the reduced axes', async () => {
  await initBackend('wasm');
  for (const [shape, axes, keep] of [[[4, 5, 3], [0, 1], false], [[2, 3, 4], [1], true], [[6], [0], false]] as [number[], number[], boolean][]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(rand(n, 81), shape);
    const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d)).filter((_, i) => keep || !axes.includes(i));
    const r = tf.tensor(rand(outShape.reduce((a, b) => a * b, 1), 82, 4), outShape);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axes, keep), r)))(x);
    const N = axes.reduce((p, a) => p * shape[a]!, 1);
    const rv = r.dataSync();
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const keptStrides = (() => {
      const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return kept.map((_, i) => kept.slice(i + 1).reduce((a, b) => a * b, 1));
    })();
    const want = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let ri = 0;
      shape.forEach((_, a) => {
        const idx = Math.floor(i / strides[a]!) % shape[a]!;
        if (!axes.includes(a)) ri += idx * keptStrides[a]!;
      });
      want[i] = rv[ri]! / N;
    }
    assert.ok(maxAbsDiff(g.dataSync(), want) < 1e-6, `${JSON.stringify([shape, axes, keep])}`);
    tf.dispose([x, r, g]);
  }
});
