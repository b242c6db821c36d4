/**
 * A small, fast, seeded pseudo-random number generator for reproducible experiments
 * (data splits, shuffling, augmentation noise, weight init). Browser-safe: no Node APIs.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna), 128-bit state, period 2^128 − 1, with the state
 * filled from the seed by splitmix32. The same seed always gives the same sequence on every
 * platform (only 32-bit integer arithmetic via Math.imul / >>> 0 is used); it is NOT
 * cryptographically secure.
 *
 * Usage:
 * ```ts
 * import { Rng } from '../util/random.js';
 * const rng = new Rng(42);
 * rng.uniform();        // float in [0, 1), 53-bit resolution
 * rng.normal();         // standard normal N(0, 1) (Box–Muller)
 * rng.int(10);          // integer in [0, 10), unbiased
 * rng.shuffle(array);   // in-place Fisher–Yates, returns the same array
 * const child = rng.fork('augment');  // independent stream derived from this one + a label
 * ```
 */

/** splitmix32 step: returns [next state, output]. Used to expand a seed into the xoshiro state. */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

/** 32-bit FNV-1a hash of a string (used to turn labels / string seeds into integers). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /**
   * @param seed an integer (any JS number; only its low 32 bits and, for |seed| ≥ 2^32, its high
   *   bits are mixed in) or a string (hashed). Default 0.
   */
  constructor(seed: number | string = 0) {
    let lo: number;
    let hi: number;
    if (typeof seed === 'string') {
      lo = hashString(seed);
      hi = hashString('#' + seed);
    } else {
      if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be finite, got ${seed}`);
      const s = Math.trunc(seed);
      lo = s >>> 0;
      hi = Math.floor(s / 4294967296) >>> 0;
    }
    let st = lo ^ Math.imul(hi, 0x27d4eb2d);
    let out: number;
    [st, out] = splitmix32(st);
    this.s0 = out;
    [st, out] = splitmix32(st ^ hi);
    this.s1 = out;
    [st, out] = splitmix32(st);
    this.s2 = out;
    [st, out] = splitmix32(st);
    this.s3 = out;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is forbidden
  }

  /**
   * A generator with the given raw xoshiro128** state (four 32-bit words, not all zero); for
   * checking against the reference implementation's published output.
   */
  static fromState(state: readonly [number, number, number, number]): Rng {
    if ((state[0] | state[1] | state[2] | state[3]) === 0) throw new RangeError('Rng.fromState: the all-zero state is invalid');
    const r = new Rng(0);
    r.s0 = state[0] | 0;
    r.s1 = state[1] | 0;
    r.s2 = state[2] | 0;
    r.s3 = state[3] | 0;
    return r;
  }

  /** Next raw 32-bit unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.s0 = n0 | 0;
    this.s1 = n1 | 0;
    this.s2 = n2 | 0;
    this.s3 = n3 | 0;
    return r;
  }

  /** Uniform float in [0, 1) with 53 bits of resolution. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal deviate N(0, 1) (Box–Muller; the second value of each pair is cached). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * v;
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). n must be an integer in 1..2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new RangeError(`Rng.int: n must be an integer in 1..2^32, got ${n}`);
    if (n === 4294967296) return this.nextUint32();
    const limit = 4294967296 - (4294967296 % n); // largest multiple of n ≤ 2^32
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T, A extends { length: number; [i: number]: T }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }

  /** Fills `out` with N(mean, std²) deviates and returns it. */
  fillNormal<A extends Float32Array | Float64Array>(out: A, mean = 0, std = 1): A {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /**
   * An independent generator derived from this one's next output and a label, so that e.g.
   * `rng.fork('noise')` and `rng.fork('split')` draw from unrelated streams. Advances this generator.
   */
  fork(label: string | number = ''): Rng {
    const a = this.nextUint32();
    const b = this.nextUint32();
    return new Rng(`${a}:${b}:${label}`);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Convenience: `new Rng(seed)`. */
export function createRng(seed: number | string = 0): Rng {
  return new Rng(seed);
}
