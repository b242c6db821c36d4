/**
 * The recipe's quadratic curve fits: least squares y = a·x² + b·x + c of a training curve against
 * the epoch number, with R², concavity, vertex and a one-line plain-English reading.
 *
 * Conventions:
 * - x is the 1-based epoch number (the first epoch is epoch 1, as the CLI prints it; the training
 *   history stores 0-based `epoch`, so callers pass `entry.epoch + 1`).
 * - Solved in float64 by Householder QR of the design matrix [t², t, 1] with the epochs centred
 *   and scaled (t = (x − mean) / half-range), then mapped back to a, b, c: no normal equations,
 *   so long histories stay well conditioned.
 * - Points whose y is null or not finite are left out (a run without validation has no val curve).
 * - Fewer than 3 distinct epochs: 2 → the straight line through them (a = 0, `degree` 1); 1 → a
 *   constant (a = b = 0, `degree` 0); 0 → `degree` −1 with every coefficient null. Never NaN.
 * - R² = 1 − SS_res / SS_tot; when SS_tot = 0 (a constant curve) R² is 1 if the fit is exact, else 0.
 * - Concavity: 'linear' when the quadratic term moves the curve by less than `linearTolerance`
 *   (default 1 %) of the observed range of y over the fitted epochs (|a|·(x_max − x_min)² ≤ tol ·
 *   range), else 'concave up' (a > 0) / 'concave down' (a < 0). With degree < 2 it is 'linear'.
 * - Vertex (−b / 2a and the fitted value there) only when the concavity is not 'linear'.
 * - `initial` is the fitted value at the first fitted epoch (`initialEpoch`, normally epoch 1).
 *
 * Browser-safe: no Node imports.
 */

export type Concavity = 'concave up' | 'concave down' | 'linear';

/** Whether lower values are better (a loss) or higher are (an accuracy). */
export type CurveGoal = 'minimise' | 'maximise';

export interface QuadraticFit {
  /** Human name of the curve, e.g. "val loss". */
  name: string;
  goal: CurveGoal;
  /** Points used. */
  n: number;
  /** 2 = quadratic, 1 = straight line (2 epochs), 0 = constant (1 epoch), −1 = no points. */
  degree: 2 | 1 | 0 | -1;
  a: number | null;
  b: number | null;
  c: number | null;
  r2: number | null;
  concavity: Concavity | null;
  /** Epoch of the vertex (−b / 2a); null when linear. */
  vertexEpoch: number | null;
  /** Fitted value at the vertex; null when linear. */
  vertexValue: number | null;
  /** Whether the vertex lies within the fitted epochs. */
  vertexInRange: boolean | null;
  /** First and last fitted epoch. */
  firstEpoch: number | null;
  lastEpoch: number | null;
  /** Epoch at which `initial` is read: the first fitted epoch. */
  initialEpoch: number | null;
  /** Fitted value at `initialEpoch`. */
  initial: number | null;
  /** Fitted value at the last epoch. */
  final: number | null;
  /** One-line plain-English reading. */
  reading: string;
}

export interface FitOptions {
  /** Relative curvature below which a curve is called 'linear' (default 0.01, see module doc). */
  linearTolerance?: number;
}

/** Least-squares solution of `A·p = y` by Householder QR (A is m×k row-major, m ≥ k, full rank). */
function lstsqQR(A: Float64Array, y: Float64Array, m: number, k: number): Float64Array | null {
  const R = Float64Array.from(A);
  const q = Float64Array.from(y);
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = j; i < m; i++) norm += R[i * k + j] * R[i * k + j];
    norm = Math.sqrt(norm);
    if (norm === 0) return null;
    const alpha = R[j * k + j] > 0 ? -norm : norm;
    // v = x − alpha·e1, stored in a temp
    const v = new Float64Array(m - j);
    for (let i = j; i < m; i++) v[i - j] = R[i * k + j];
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let col = j; col < k; col++) {
      let d = 0;
      for (let i = j; i < m; i++) d += v[i - j] * R[i * k + col];
      const f = (2 * d) / vv;
      for (let i = j; i < m; i++) R[i * k + col] -= f * v[i - j];
    }
    let d = 0;
    for (let i = j; i < m; i++) d += v[i - j] * q[i];
    const f = (2 * d) / vv;
    for (let i = j; i < m; i++) q[i] -= f * v[i - j];
  }
  // back substitution on the k×k upper triangle
  const p = new Float64Array(k);
  let maxDiag = 0;
  for (let j = 0; j < k; j++) maxDiag = Math.max(maxDiag, Math.abs(R[j * k + j]));
  for (let j = k - 1; j >= 0; j--) {
    const rjj = R[j * k + j];
    if (Math.abs(rjj) <= 1e-12 * maxDiag) return null;
    let s = q[j];
    for (let col = j + 1; col < k; col++) s -= R[j * k + col] * p[col];
    p[j] = s / rjj;
  }
  return p;
}

/**
 * Least-squares polynomial of degree `deg` (0, 1 or 2) through (x, y): returns [a, b, c] of
 * a·x² + b·x + c (a = 0 below degree 2, b = 0 at degree 0). Computed on centred, scaled x.
 */
export function polyfit(x: ArrayLike<number>, y: ArrayLike<number>, deg: 0 | 1 | 2): [number, number, number] {
  const m = x.length;
  let mean = 0;
  for (let i = 0; i < m; i++) mean += x[i];
  mean /= m;
  let half = 0;
  for (let i = 0; i < m; i++) half = Math.max(half, Math.abs(x[i] - mean));
  const s = half > 0 ? half : 1;
  const k = deg + 1;
  const A = new Float64Array(m * k);
  const Y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const t = (x[i] - mean) / s;
    // columns: t^deg … t^0
    for (let j = 0; j < k; j++) A[i * k + j] = t ** (deg - j);
    Y[i] = y[i];
  }
  const p = lstsqQR(A, Y, m, k);
  if (!p) {
    // Degenerate design (should not happen with distinct x): fall back to the mean.
    return [0, 0, Y.reduce((u, v) => u + v, 0) / m];
  }
  const alpha = deg === 2 ? p[0] : 0;
  const beta = deg === 2 ? p[1] : deg === 1 ? p[0] : 0;
  const gamma = p[k - 1];
  // y = α t² + β t + γ with t = (x − μ)/s
  const a = alpha / (s * s);
  const b = beta / s - (2 * alpha * mean) / (s * s);
  const c = (alpha * mean * mean) / (s * s) - (beta * mean) / s + gamma;
  return [a, b, c];
}

const fmtEpoch = (e: number) => (Math.abs(e - Math.round(e)) < 0.05 ? String(Math.round(e)) : e.toFixed(1));

function fmtVal(v: number, goal: CurveGoal, isRate: boolean): string {
  if (isRate) return `${(100 * v).toFixed(1)}%`;
  void goal;
  return Math.abs(v) >= 100 || Math.abs(v) < 0.01 ? v.toPrecision(3) : v.toFixed(3);
}

/**
 * Fits y = a·x² + b·x + c to one curve. `epochs` are 1-based epoch numbers; `values` may contain
 * null / non-finite entries (left out). `goal` says whether the curve is a loss ('minimise') or an
 * accuracy ('maximise'): it only changes the wording of the reading.
 */
export function fitCurve(
  name: string,
  epochs: ArrayLike<number>,
  values: ArrayLike<number | null>,
  goal: CurveGoal,
  options: FitOptions = {},
): QuadraticFit {
  const tol = options.linearTolerance ?? 0.01;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < Math.min(epochs.length, values.length); i++) {
    const v = values[i];
    const e = epochs[i];
    if (v === null || v === undefined || !Number.isFinite(v) || !Number.isFinite(e)) continue;
    xs.push(e);
    ys.push(v);
  }
  const n = xs.length;
  const isRate = goal === 'maximise';
  const empty: QuadraticFit = {
    name, goal, n, degree: -1, a: null, b: null, c: null, r2: null, concavity: null,
    vertexEpoch: null, vertexValue: null, vertexInRange: null, firstEpoch: null, lastEpoch: null,
    initialEpoch: null, initial: null, final: null,
    reading: `${name}: no data (no epoch recorded a value)`,
  };
  if (n === 0) return empty;
  const distinct = new Set(xs).size;
  const degree: 0 | 1 | 2 = distinct >= 3 ? 2 : distinct === 2 ? 1 : 0;
  const [a, b, c] = polyfit(xs, ys, degree);
  const f = (x: number) => a * x * x + b * x + c;
  let yMean = 0;
  for (const v of ys) yMean += v;
  yMean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (ys[i] - f(xs[i])) ** 2;
    ssTot += (ys[i] - yMean) ** 2;
  }
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const v of ys) {
    yMin = Math.min(yMin, v);
    yMax = Math.max(yMax, v);
  }
  const range = yMax - yMin;
  const scale = Math.max(range, 1e-12 * Math.max(Math.abs(yMax), Math.abs(yMin)), 1e-300);
  const r2 = ssTot > 0 ? 1 - ssRes / ssTot : ssRes <= 1e-24 * Math.max(1, yMean * yMean) * n ? 1 : 0;
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const span = x1 - x0;
  const curvatureEffect = Math.abs(a) * span * span;
  const concavity: Concavity = degree < 2 || curvatureEffect <= tol * scale ? 'linear' : a > 0 ? 'concave up' : 'concave down';
  const out: QuadraticFit = {
    name, goal, n, degree, a, b, c, r2, concavity,
    vertexEpoch: null, vertexValue: null, vertexInRange: null,
    firstEpoch: x0, lastEpoch: x1, initialEpoch: x0, initial: f(x0), final: f(x1), reading: '',
  };
  if (concavity !== 'linear') {
    const v = -b / (2 * a);
    out.vertexEpoch = v;
    out.vertexValue = c - (b * b) / (4 * a);
    out.vertexInRange = v >= x0 && v <= x1;
  }
  out.reading = readFit(out, isRate, degree < 2 ? n : undefined);
  return out;
}

function readFit(fit: QuadraticFit, isRate: boolean, fewPoints?: number): string {
  const { name, goal } = fit;
  const good = (dir: 'up' | 'down') => (goal === 'maximise' ? dir === 'up' : dir === 'down');
  // Accuracy-like curves are described as improving / getting worse, losses as decreasing / increasing.
  const verb = (dir: 'up' | 'down') =>
    goal === 'maximise' ? (dir === 'up' ? 'improving' : 'getting worse') : dir === 'down' ? 'decreasing' : 'increasing';
  const v = (x: number) => fmtVal(x, goal, isRate);
  if (fewPoints !== undefined) {
    if (fewPoints === 1) return `${name}: only 1 epoch (${v(fit.c!)}) — not enough epochs for a trend`;
    const dir = fit.b! > 0 ? 'up' : 'down';
    return `${name}: only ${fewPoints} epochs — straight line, ${fit.b === 0 ? 'flat' : verb(dir)} (${v(fit.initial!)} → ${v(fit.final!)}); not enough epochs to estimate curvature`;
  }
  const x0 = fit.firstEpoch!;
  const x1 = fit.lastEpoch!;
  const a = fit.a!;
  const b = fit.b!;
  if (fit.concavity === 'linear') {
    const slope = 2 * a * ((x0 + x1) / 2) + b;
    const change = slope * (x1 - x0);
    const flat = Math.abs(change) < 1e-3 * Math.max(Math.abs(fit.initial!), 1e-12) || slope === 0;
    if (flat) return `${name}: linear, flat at about ${v(fit.initial!)}`;
    const dir = slope > 0 ? 'up' : 'down';
    const per = isRate ? `${(100 * slope).toFixed(2)} points` : slope.toPrecision(2);
    return `${name}: linear — ${verb(dir)} steadily (${per} per epoch), ${v(fit.initial!)} → ${v(fit.final!)}, no sign of levelling off`;
  }
  const ve = fit.vertexEpoch!;
  const vv = fit.vertexValue!;
  const head = `${name}: ${fit.concavity}, vertex at epoch ${ve.toFixed(1)}`;
  const up = a > 0; // concave up: the vertex is a minimum
  if (fit.vertexInRange) {
    // The curve turns inside the run.
    const first: 'up' | 'down' = up ? 'down' : 'up';
    const second: 'up' | 'down' = up ? 'up' : 'down';
    const turn = up ? 'bottoming out' : 'peaking';
    const nearEnd = x1 - ve <= 0.15 * (x1 - x0);
    const lead = `${verb(first)} at a slowing rate, ${turn} near epoch ${fmtEpoch(ve)} (${v(vv)})`;
    if (nearEnd) {
      return `${head} — ${lead}${good(first) ? '; little left to gain from more epochs' : ''}`;
    }
    let tail = `, then ${verb(second)} until epoch ${fmtEpoch(x1)}`;
    if (!good(second) && /^val/.test(name)) tail += ' — the model got worse on validation after that (overfitting)';
    else if (!good(second)) tail += ` — ${name} got worse in the last epochs`;
    return `${head} — ${lead}${tail}`;
  }
  // Monotonic over the run: direction from the slope in the middle.
  const slope = 2 * a * ((x0 + x1) / 2) + b;
  const dir: 'up' | 'down' = slope > 0 ? 'up' : 'down';
  // Increasing & concave down, or decreasing & concave up → slowing; otherwise accelerating.
  const slowing = (dir === 'up' && !up) || (dir === 'down' && up);
  const phrase = goal === 'minimise' && dir === 'up' ? 'increasing (getting worse)' : verb(dir);
  if (slowing) {
    const where = up ? 'bottom out' : 'level off';
    return `${head} — ${phrase} at a slowing rate; the fit would ${where} near epoch ${fmtEpoch(ve)}, after the last epoch (${fmtEpoch(x1)}): more epochs may still help${good(dir) ? '' : ' — or hurt'}`;
  }
  return `${head} — ${phrase} at a growing rate over epochs ${fmtEpoch(x0)}–${fmtEpoch(x1)}`;
}

/** One history entry's fields used by {@link fitHistory}. */
export interface CurvePoint {
  /** 0-based epoch index as stored in the history. */
  epoch: number;
  loss: number | null;
  acc: number | null;
  val_loss: number | null;
  val_acc: number | null;
}

export interface HistoryFits {
  train_loss: QuadraticFit;
  val_loss: QuadraticFit;
  train_acc: QuadraticFit;
  val_acc: QuadraticFit;
}

/** The four recipe fits of a history (x = epoch + 1, i.e. 1-based). */
export function fitHistory(history: readonly CurvePoint[], options: FitOptions = {}): HistoryFits {
  const x = history.map((h) => h.epoch + 1);
  return {
    train_loss: fitCurve('train loss', x, history.map((h) => h.loss), 'minimise', options),
    val_loss: fitCurve('val loss', x, history.map((h) => h.val_loss), 'minimise', options),
    train_acc: fitCurve('train accuracy', x, history.map((h) => h.acc), 'maximise', options),
    val_acc: fitCurve('val accuracy', x, history.map((h) => h.val_acc), 'maximise', options),
  };
}
