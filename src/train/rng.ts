// A small seeded generator for data generation and shuffling, with a state that checkpoints can
// store and restore exactly (four u32 words).
//
// xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018,
// reference code at prng.di.unimi.it), seeded through splitmix32 so that nearby seeds give
// unrelated streams and the all-zero state cannot occur.
import { ValueError, assertInt } from "../core/errors.js";

export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    assertInt(seed, "seed", 0, 2 ** 32 - 1);
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32 (the 32-bit variant of Steele, Lea & Flood's SplitMix, constants from MurmurHash3's fmix32)
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
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
