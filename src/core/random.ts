// The project's seeded generators, in one place:
// - `Rng`: data generation and shuffling, with a state that checkpoints can store and restore
//   exactly (four u32 words);
// - `SplitMix32`: the stream that draws initial weights (a model's seed → its weights);
// - `mulberry32`: a one-word stream for test operands and benchmark inputs (reproducible numbers,
//   no state to save).
//
// Rng is xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018,
// reference code at prng.di.unimi.it), seeded through splitmix32 so that nearby seeds give
// unrelated streams and the all-zero state cannot occur.
import { ValueError, assertInt } from "./errors.js";

export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    assertInt(seed, "seed", 0, 2 ** 32 - 1);
    this.s = new Uint32Array(4);
    const sm = new SplitMix32(seed);
    for (let i = 0; i < 4; i++) this.s[i] = sm.nextU32();
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** A generator continuing from a saved `state()`. */
  static fromState(state: ArrayLike<number>): Rng {
    if (state.length !== 4) throw new ValueError(`rng state must have 4 words, got ${state.length}`);
    const r = new Rng(0);
    for (let i = 0; i < 4; i++) {
      const w = state[i];
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new ValueError(`rng state word ${i} must be a u32, got ${String(w)}`);
      r.s[i] = w;
    }
    if ((r.s[0] | r.s[1] | r.s[2] | r.s[3]) === 0) throw new ValueError("rng state must not be all zero");
    return r;
  }

  /** A copy of the four state words. */
  state(): number[] {
    return Array.from(this.s);
  }

  /** Next u32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n), unbiased (rejection of the top partial range). */
  int(n: number): number {
    if (!(n >= 1 && n <= 2 ** 32 && Number.isInteger(n))) throw new ValueError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let v: number;
    do v = this.nextU32();
    while (v >= limit);
    return v % n;
  }

  /** Fisher–Yates shuffle of `a` in place. */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * splitmix32: the 32-bit variant of Steele, Lea & Flood's SplitMix (golden-ratio increment, output
 * mixed with MurmurHash3's fmix32 constants). Draws initial weights and seeds `Rng`.
 */
export class SplitMix32 {
  #x: number;
  constructor(seed: number) {
    this.#x = seed >>> 0;
  }
  /** Next u32. */
  nextU32(): number {
    this.#x = (this.#x + 0x9e3779b9) >>> 0;
    let z = this.#x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
}

/**
 * mulberry32 (Tommy Ettinger, 2017): a uniform stream in [0, 1) from one u32 of state. Test operands
 * and benchmark inputs come from it, so a failure or a figure can be reproduced from its seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 mapped to [-1, 1) (exactly 2u − 1). */
export function mulberry32Signed(seed: number): () => number {
  const next = mulberry32(seed);
  return () => 2 * next() - 1;
}
