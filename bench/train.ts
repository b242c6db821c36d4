/**
 * Training-speed benchmark: the default CNN-LSTM (Conv1D 64 k5 + BN + ReLU + MaxPool 2; Conv1D 128
 * k5 + BN + ReLU + MaxPool 2; LSTM 128; Dense 64; Dense 6) on synthetic inputs of the default
 * shape (130 frames × 227 features, 6 classes, batch 32), trained with the project's engine
 * (wasm backend + extra kernels + fused LSTM + data-parallel worker), then PyTorch on the CPU
 * training the same shape (../shared/bench/torch_cnn_lstm.py) in the same run.
 *
 *   npm run bench:train [-- --samples 512 --epochs 4 --workers 2 --no-torch --no-breakdown]
 *
 * Prints ms per training sample (median of the epochs after the first), prediction ms per clip,
 * a per-part breakdown of one single-thread step (the LSTM also with its per-step tfjs ops, i.e.
 * without the recurrence kernels, for comparison), the latency of one streaming-engine call
 * (models/default, input [1, 130, 227]) with and without the recurrence kernels, which BLAS the
 * torch process loaded (a reference-BLAS torch is ~10× slower and makes the ratio meaningless),
 * torch with one thread against one whole single-thread step of the project (a load-robust
 * companion ratio), and as its LAST line `train_ratio_vs_torch R` (project ms/sample ÷ torch
 * ms/sample, both with two threads).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/model/backend.js';
import { loadBundle } from '../src/model/bundle-node.js';
import { setLstmKernelsEnabled } from '../src/model/layers/lstm.js';
import { buildModel } from '../src/model/build.js';
import { defaultModelConfig } from '../src/model/config.js';
import { createParallelTrainer } from '../src/model/parallel.js';
import { computeShard, seededUniform } from '../src/model/parallel-core.js';
import type { Batch } from '../src/model/train.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const has = (flag: string) => process.argv.includes(flag);

const FRAMES = arg('frames', 130);
const FEATURES = arg('features', 227);
const CLASSES = arg('classes', 6);
const SAMPLES = arg('samples', 512);
const BATCH = arg('batch', 32);
const EPOCHS = arg('epochs', 4);
const WORKERS = arg('workers', 2) as 1 | 2;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function gaussian(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

function makeBatch(x: Float32Array, labels: Int32Array, start: number, size: number): Batch {
  const per = FRAMES * FEATURES;
  const y = new Float32Array(size * CLASSES);
  const lab = labels.slice(start, start + size);
  lab.forEach((l, i) => (y[i * CLASSES + l] = 1));
  return { x: x.slice(start * per, (start + size) * per), shape: [size, FRAMES, FEATURES], yOneHot: y, sampleWeight: new Float32Array(size).fill(1), labels: lab };
}

/** Times the parts of one single-thread training step (forward, backward) by layer group. */
function breakdown(model: LayersModel, x: Float32Array, labels: Int32Array): void {
  const groups: { name: string; layers: LayersModel['layers'] }[] = [
    { name: 'conv blocks', layers: model.layers.filter((l) => /^(conv|bn|relu|pool)\d/.test(l.name)) },
    { name: 'lstm', layers: model.layers.filter((l) => /^lstm/.test(l.name)) },
    { name: 'dense head', layers: model.layers.filter((l) => /^(dropout|dense|classes)/.test(l.name)) },
  ];
  const b = makeBatch(x, labels, 0, BATCH);
  const inputs: tf.Tensor[] = [tf.tensor3d(b.x, b.shape)];
  const run = (ls: LayersModel['layers'], t: tf.Tensor) => ls.reduce((h, l) => l.apply(h, { training: true }) as tf.Tensor, t);
  // inputs of each group (forward once, kept)
  for (let g = 0; g < groups.length - 1; g++) inputs.push(tf.tidy(() => run(groups[g]!.layers, inputs[g]!)));
  const rows: string[] = [];
  let total = 0;
  let totalCpu = 0;
  const timeGroup = (g: (typeof groups)[number], gi: number) => {
    const vars = g.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    const xin = inputs[gi]!;
    const dy = tf.tidy(() => tf.randomNormal(run(g.layers, xin).shape, 0, 1, 'float32', 3));
    // read outside tidy: tidy walks a returned typed array element by element
    const fwd = () => {
      const out = tf.tidy(() => run(g.layers, xin));
      out.dataSync();
      out.dispose();
    };
    // one backward pass: gradients of the group's weights and (after the first group) of its input
    const xVar = gi === 0 ? null : tf.variable(xin, true);
    const fb = () => tf.tidy(() => {
      const f = () => tf.sum(tf.mul(run(g.layers, xVar ?? xin), dy)) as tf.Scalar;
      const r = tf.variableGrads(f, xVar ? [xVar, ...vars] : vars);
      for (const v of Object.values(r.grads)) v.dataSync();
    });
    fwd();
    fb();
    const n = 3;
    let t0 = performance.now();
    let c0 = cpuMs();
    for (let i = 0; i < n; i++) fwd();
    const f = (performance.now() - t0) / n;
    const fc = (cpuMs() - c0) / n;
    t0 = performance.now();
    c0 = cpuMs();
    for (let i = 0; i < n; i++) fb();
    const fbMs = (performance.now() - t0) / n - f;
    const fbc = (cpuMs() - c0) / n - fc;
    xVar?.dispose();
    dy.dispose();
    return { f, fc, fbMs, fbc };
  };
  const row = (name: string, r: { f: number; fc: number; fbMs: number; fbc: number }) =>
    `  ${name.padEnd(12)} forward ${r.f.toFixed(1).padStart(7)} ms (cpu ${r.fc.toFixed(1).padStart(6)})   backward ${r.fbMs.toFixed(1).padStart(7)} ms (cpu ${r.fbc.toFixed(1).padStart(6)})   per batch of ${BATCH}`;
  groups.forEach((g, gi) => {
    const r = timeGroup(g, gi);
    total += r.f + r.fbMs;
    totalCpu += r.fc + r.fbc;
    rows.push(row(g.name, r));
    if (g.name === 'lstm') {
      // the same layer with its per-step tfjs ops (no recurrence kernels), for comparison
      setLstmKernelsEnabled(false);
      try {
        rows.push(`${row('', timeGroup(g, gi))}   ← lstm with per-step tfjs ops (before the recurrence kernels; not in the total)`);
      } finally {
        setLstmKernelsEnabled(true);
      }
    }
  });
  // optimizer: Adam on all trainable weights with fixed gradients
  const opt = tf.train.adam(1e-4);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const grads: Record<string, tf.Tensor> = {};
  for (const v of vars) grads[v.name] = tf.randomNormal(v.shape, 0, 1e-3, 'float32', 5);
  opt.applyGradients(grads as never);
  const t0 = performance.now();
  const c0 = cpuMs();
  for (let i = 0; i < 5; i++) opt.applyGradients(grads as never);
  const o = (performance.now() - t0) / 5;
  const oc = (cpuMs() - c0) / 5;
  total += o;
  totalCpu += oc;
  rows.push(`  ${'optimizer'.padEnd(12)} Adam step ${o.toFixed(1).padStart(5)} ms (cpu ${oc.toFixed(1)})`);
  tf.dispose(Object.values(grads));
  opt.dispose();
  tf.dispose(inputs);
  console.log(`breakdown of one single-thread step (batch ${BATCH}; wall ${total.toFixed(0)} ms = ${(total / BATCH).toFixed(2)} ms/sample; process cpu ${totalCpu.toFixed(0)} ms = ${(totalCpu / BATCH).toFixed(2)} ms/sample):`);
  for (const r of rows) console.log(r);
}

/** Median wall ms per sample of a whole single-thread training step (forward + backward, no
 * optimizer) on batches of BATCH, main thread only. */
function singleThreadStep(model: LayersModel, x: Float32Array, labels: Int32Array, n = 8): number {
  const b = makeBatch(x, labels, 0, BATCH);
  const shard = { x: b.x, shape: b.shape, yOneHot: b.yOneHot, sampleWeight: b.sampleWeight, totalBatch: BATCH, withPenalties: true };
  const rnd = seededUniform(7);
  for (let i = 0; i < 2; i++) computeShard(model, shard, rnd);
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    computeShard(model, shard, rnd);
    ts.push((performance.now() - t0) / BATCH);
  }
  return median(ts);
}

/** p50 / min of model.predict on one [1, frames, features] input (one streaming-engine call). */
function predictLatency(model: LayersModel, frames: number, features: number, n = 40): { p50: number; min: number } {
  const x = tf.tensor3d(gaussian(frames * features, 9), [1, frames, features]);
  const once = () => {
    const y = model.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
  };
  for (let i = 0; i < 5; i++) once();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    once();
    ts.push(performance.now() - t0);
  }
  x.dispose();
  ts.sort((a, b) => a - b);
  return { p50: median(ts), min: ts[0]! };
}

async function streamingLatency(): Promise<void> {
  const dir = fileURLToPath(new URL('../models/default', import.meta.url));
  if (!existsSync(dir)) {
    console.log('models/default: not found, no streaming-call latency');
    return;
  }
  const bundle = await loadBundle(dir);
  const [frames, features] = bundle.meta.input_shape;
  const on = predictLatency(bundle.model, frames, features);
  setLstmKernelsEnabled(false);
  let off: { p50: number; min: number };
  try {
    off = predictLatency(bundle.model, frames, features);
  } finally {
    setLstmKernelsEnabled(true);
  }
  bundle.model.dispose();
  console.log(`models/default model.predict [1,${frames},${features}] (one streaming-engine call): p50 ${on.p50.toFixed(2)} ms (min ${on.min.toFixed(2)}); with per-step LSTM ops instead of the recurrence kernels: p50 ${off.p50.toFixed(2)} ms (min ${off.min.toFixed(2)})`);
  console.log(`project_stream_predict_ms ${on.p50.toFixed(3)}`);
}

/** Which BLAS library the torch process loads (from its /proc/self/maps), e.g. 'openblas'. */
function torchBlas(python: string): { kind: string; libs: string[] } | null {
  const code = [
    'import os',
    "os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')",
    'import torch',
    'a = torch.ones(64, 64); (a @ a).sum()',
    "libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if len(l.split()) > 5 and any(k in l.split()[-1].lower() for k in ('blas', 'lapack', 'mkl', 'blis'))})",
    "print('\\n'.join(libs))",
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return null;
  const libs = `${r.stdout ?? ''}`.trim().split('\n').filter(Boolean);
  const has = (re: RegExp) => libs.some((l) => re.test(l));
  const kind = has(/openblas/i) ? 'openblas' : has(/mkl/i) ? 'mkl' : has(/blis/i) ? 'blis' : has(/\/blas\/libblas|libblas\.so/i) ? 'reference' : 'none';
  return { kind, libs };
}

async function main(): Promise<void> {
  const backend = await initBackend('wasm');
  console.log(`project: tfjs ${backend} backend, ${WORKERS} replica(s), ${SAMPLES} samples × ${FRAMES} frames × ${FEATURES} features, ${CLASSES} classes, batch ${BATCH}, ${EPOCHS} epochs`);
  const x = gaussian(SAMPLES * FRAMES * FEATURES, 1);
  const labels = Int32Array.from({ length: SAMPLES }, (_, i) => (i * 7919) % CLASSES);
  const model = buildModel(defaultModelConfig, [FRAMES, FEATURES], CLASSES, 0);
  const trainer = await createParallelTrainer({ model, workers: WORKERS, learningRate: 1e-4 });
  const per: number[] = [];
  const perCpu: number[] = [];
  try {
    for (let e = 0; e < EPOCHS; e++) {
      const t0 = performance.now();
      const c0 = cpuMs();
      let loss = 0;
      let nb = 0;
      for (let s = 0; s < SAMPLES; s += BATCH) {
        const r = await trainer.trainBatch(makeBatch(x, labels, s, Math.min(BATCH, SAMPLES - s)));
        loss += r.loss;
        nb++;
      }
      const ms = (performance.now() - t0) / SAMPLES;
      per.push(ms);
      perCpu.push((cpuMs() - c0) / SAMPLES);
      console.log(`epoch ${e}: ${ms.toFixed(3)} ms/sample (process cpu ${perCpu[e]!.toFixed(2)} ms/sample), loss ${(loss / nb).toFixed(4)}`);
    }
    await trainer.syncToModel?.();
  } finally {
    trainer.dispose();
  }
  const trainMs = median(per.slice(1).length ? per.slice(1) : per);
  // prediction: inference mode, batches of BATCH, single thread
  tf.tidy(() => (model.predict(tf.tensor3d(x.subarray(0, BATCH * FRAMES * FEATURES), [BATCH, FRAMES, FEATURES])) as tf.Tensor).dataSync());
  const tp = performance.now();
  for (let s = 0; s < SAMPLES; s += BATCH) {
    const n = Math.min(BATCH, SAMPLES - s);
    tf.tidy(() => (model.predict(tf.tensor3d(x.subarray(s * FRAMES * FEATURES, (s + n) * FRAMES * FEATURES), [n, FRAMES, FEATURES])) as tf.Tensor).dataSync());
  }
  const predictMs = (performance.now() - tp) / SAMPLES;
  const oneThreadMs = singleThreadStep(model, x, labels);
  if (!has('--no-breakdown')) breakdown(model, x, labels);
  await streamingLatency();
  console.log(`project_predict_ms_per_sample ${predictMs.toFixed(3)}`);
  console.log(`project_train_1thread_ms_per_sample ${oneThreadMs.toFixed(3)} (one whole step, forward + backward, main thread only)`);
  console.log(`project_train_ms_per_sample ${trainMs.toFixed(3)}`);
  model.dispose();

  // PyTorch, same shape, same run.
  const script = fileURLToPath(new URL('../../shared/bench/torch_cnn_lstm.py', import.meta.url));
  const python = '/usr/bin/python3';
  if (has('--no-torch')) {
    console.log('torch: skipped (--no-torch); no ratio');
    return;
  }
  if (!existsSync(script) || !existsSync(python)) {
    console.log(`torch: ${!existsSync(script) ? script : python} not found — skipping the PyTorch run; no ratio`);
    return;
  }
  const blas = torchBlas(python);
  if (blas === null) console.log('torch_blas unknown (could not import torch to inspect it)');
  else {
    console.log(`torch_blas ${blas.kind}${blas.libs.length ? ` (${blas.libs.join(', ')})` : ''}`);
    if (blas.kind === 'reference') {
      console.log('WARNING: torch is using the REFERENCE (netlib) BLAS, ~10× slower than an optimised one: the ratio below is meaningless.');
      console.log('         Fix: apt-get install -y libopenblas0-pthread   (Debian switches the libblas.so.3 alternative to OpenBLAS)');
    }
  }
  const args = [script, '--frames', String(FRAMES), '--features', String(FEATURES), '--classes', String(CLASSES), '--samples', String(SAMPLES), '--batch', String(BATCH), '--epochs', String(EPOCHS)];
  console.log(`torch: ${python} ${args.map((a) => a.replace(/^.*\/shared\//, '../shared/')).join(' ')}`);
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 30 * 60 * 1000 });
  const out = `${r.stdout ?? ''}`;
  for (const line of out.trim().split('\n')) if (line) console.log(`  ${line}`);
  const m = /torch_train_ms_per_sample\s+([\d.]+)/.exec(out);
  if (r.status !== 0 || m === null) {
    const err = `${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    console.log(`torch: not available (${/No module named .?torch/.test(err) ? 'python3-torch is not installed: apt-get install -y python3-torch' : err || `exit ${r.status}`}) — no ratio`);
    return;
  }
  const torchMs = Number(m[1]);
  // Single thread against single thread as well: torch's 2-thread run collapses (10×+) as soon as
  // another process takes the second core, which makes the 2-thread ratio swing with the load.
  const r1 = spawnSync(python, [...args, '--threads', '1'], { encoding: 'utf8', timeout: 30 * 60 * 1000 });
  const m1 = /torch_train_ms_per_sample\s+([\d.]+)/.exec(`${r1.stdout ?? ''}`);
  if (r1.status === 0 && m1 !== null) {
    console.log(`torch_train_1thread_ms_per_sample ${m1[1]}`);
    console.log(`train_ratio_vs_torch_1thread ${(oneThreadMs / Number(m1[1])).toFixed(3)} (project one thread ÷ torch --threads 1)`);
  }
  console.log(`train_ratio_vs_torch ${(trainMs / torchMs).toFixed(3)}`);
}

await main();
