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
