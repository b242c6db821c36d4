/** Uniform white noise in [−1, 1) from a 32-bit LCG: the same `seed` gives the same samples. Shape (n,). */
export function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    y[i] = s / 2 ** 31 - 1;
  }
  return y;
}

/** SNR (dB) of a against the reference b; Infinity when identical. */
export function snr(a: Float32Array, b: Float32Array): number {
  let e = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    e += (a[i] - b[i]) ** 2;
    s += b[i] ** 2;
  }
  return e === 0 ? Infinity : 10 * Math.log10(s / e);
}

/**
 * Runs f with a kernel path switched off through its `set…Disabled(off)` hook and switches it back
 * on afterwards, also when f throws; returns f's result.
 */
export function withDisabled<T>(setDisabled: (off: boolean) => void, f: () => T): T {
  setDisabled(true);
  try {
    return f();
  } finally {
    setDisabled(false);
  }
}
