// Counter-based random numbers: Philox4x32-10 (J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11, doi:10.1145/2063384.2063405; constants and
// round schedule as in Random123's philox.h, checked against its kat_vectors in the tests).
//
// Stream layout. A stream is the key (seed, stream). Variate number k (a 64-bit index) is computed
// from word k mod 4 of the Philox block with counter (k div 4 as two 32-bit words, 0, 0):
//   uniform: U = (w >>> 8)·2⁻²⁴ ∈ [0, 1), then lo + (hi − lo)·U;
//   gaussian (Box–Muller, G. E. P. Box, M. E. Muller, Ann. Math. Statist. 29(2), 1958): the words
//   pair up as (w0, w1) → variates 4b, 4b+1 and (w2, w3) → 4b+2, 4b+3, with
//     u = w_even·2⁻³² + 2⁻³³ ∈ (0, 1],  R = √(−2 ln u),
//     θ = (π/2)·(q + f), q = top 2 bits of w_odd, f = next 24 bits · 2⁻²⁴,
//     variates R cos θ and R sin θ.
//   The quadrant is taken from the bits and cos/sin evaluated on [0, π/2) by Taylor polynomials
//   (truncation < 7·10⁻¹⁰), so no inexact range reduction is involved. |z| ≤ √(66 ln 2) ≈ 6.77
//   (u ≥ 2⁻³³), a truncation of the normal tail at probability ≈ 1.3·10⁻¹¹.
// A tensor element (r, c) receives variate (counter + r·cols + c), so consecutive calls with the
// counter advanced by rows·cols continue one stream, and any block can be recomputed on its own.
//
// Only integer ops and correctly rounded f32 ops (+, −, ×, ÷, √, conversions; no fused multiply-add)
// are used, in the same order in the SIMD kernel and its scalar twin: the stream is bit-identical in
// both builds, in Node and in browsers.
import { logS, logV } from "./vmath";
import { parallelRows } from "./pool";
import { EW_GAUSSIAN } from "../../src/core/pool-layout";

const M0: u32 = 0xd2511f53;
const M1: u32 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;
const ROUNDS = 10;

const TWO_M32: f32 = 2.3283064365386963e-10; // 2⁻³²
const TWO_M33: f32 = 1.1641532182693481e-10; // 2⁻³³
const TWO_M24: f32 = 5.9604644775390625e-8; // 2⁻²⁴
const HALF_PI: f32 = 1.5707963267948966;
// Taylor coefficients of sin a / a and cos a in a².
const S1: f32 = -1.0 / 6.0;
const S2: f32 = 1.0 / 120.0;
const S3: f32 = -1.0 / 5040.0;
const S4: f32 = 1.0 / 362880.0;
const S5: f32 = -1.0 / 39916800.0;
const S6: f32 = 1.0 / 6227020800.0;
const K1: f32 = -1.0 / 2.0;
const K2: f32 = 1.0 / 24.0;
const K3: f32 = -1.0 / 720.0;
const K4: f32 = 1.0 / 40320.0;
const K5: f32 = -1.0 / 3628800.0;
const K6: f32 = 1.0 / 479001600.0;
const K7: f32 = -1.0 / 87178291200.0;

// Words of up to eight consecutive blocks (struct of arrays: word 0 of four blocks, word 1, …) and
// the Box–Muller outputs before their transpose.
const SCRATCH: usize = memory.data(256, 16);

// ------------------------------------------------------------------------------------------------
// Philox4x32-10

/** Philox4x32-10 of one block; writes the 4 output words to dst. */
@inline function philoxS(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32, dst: usize): void {
  let x0 = c0, x1 = c1, x2 = c2, x3 = c3;
  let ka = k0, kb = k1;
  for (let r = 0; r < ROUNDS; r++) {
    const p0 = <u64>M0 * <u64>x0;
    const p1 = <u64>M1 * <u64>x2;
    const y0 = (<u32>(p1 >> 32)) ^ x1 ^ ka;
    const y2 = (<u32>(p0 >> 32)) ^ x3 ^ kb;
    x1 = <u32>p1;
    x3 = <u32>p0;
    x0 = y0;
    x2 = y2;
    ka += W0;
    kb += W1;
  }
  store<u32>(dst, x0);
  store<u32>(dst, x1, 4);
  store<u32>(dst, x2, 8);
  store<u32>(dst, x3, 12);
}

/** Philox4x32-10 of blocks b, b+1, b+2, b+3 (counter (b_lo, b_hi, 0, 0)); writes words SoA to dst. */
@inline function philoxV(dst: usize, b: u64, k0: u32, k1: u32): void {
  const blo = i32x4.splat(<u32>b);
  let x0 = i32x4.add(blo, i32x4(0, 1, 2, 3));
  let x1 = i32x4.sub(i32x4.splat(<u32>(b >> 32)), i32x4.lt_u(x0, blo)); // carry into the high word
  let x2 = i32x4.splat(0);
  let x3 = i32x4.splat(0);
  const m0 = i32x4.splat(M0);
  const m1 = i32x4.splat(M1);
  let ka = k0, kb = k1;
  for (let r = 0; r < ROUNDS; r++) {
    const hi0 = i32x4.shuffle(i64x2.extmul_low_i32x4_u(x0, m0), i64x2.extmul_high_i32x4_u(x0, m0), 1, 3, 5, 7);
    const hi1 = i32x4.shuffle(i64x2.extmul_low_i32x4_u(x2, m1), i64x2.extmul_high_i32x4_u(x2, m1), 1, 3, 5, 7);
    const lo0 = i32x4.mul(x0, m0);
    const lo1 = i32x4.mul(x2, m1);
    x0 = v128.xor(v128.xor(hi1, x1), i32x4.splat(ka));
    x2 = v128.xor(v128.xor(hi0, x3), i32x4.splat(kb));
    x1 = lo1;
    x3 = lo0;
    ka += W0;
    kb += W1;
  }
  v128.store(dst, x0);
  v128.store(dst, x1, 16);
  v128.store(dst, x2, 32);
  v128.store(dst, x3, 48);
}

/** Philox4x32-10 of blocks b … b+7: two independent sets of four, interleaved round by round so
 *  the two multiply chains overlap; words SoA to dst (blocks b…b+3) and dst + 64 (b+4…b+7). */
@inline function philoxV8(dst: usize, b: u64, k0: u32, k1: u32): void {
  const blo = i32x4.splat(<u32>b);
  const bhi = i32x4.splat(<u32>(b >> 32));
  let x0 = i32x4.add(blo, i32x4(0, 1, 2, 3));
  let x1 = i32x4.sub(bhi, i32x4.lt_u(x0, blo));
  let y0 = i32x4.add(blo, i32x4(4, 5, 6, 7));
  let y1 = i32x4.sub(bhi, i32x4.lt_u(y0, blo));
  let x2 = i32x4.splat(0), x3 = i32x4.splat(0), y2 = i32x4.splat(0), y3 = i32x4.splat(0);
  const m0 = i32x4.splat(M0);
  const m1 = i32x4.splat(M1);
  let ka = k0, kb = k1;
  for (let r = 0; r < ROUNDS; r++) {
    const kav = i32x4.splat(ka), kbv = i32x4.splat(kb);
    const hx0 = i32x4.shuffle(i64x2.extmul_low_i32x4_u(x0, m0), i64x2.extmul_high_i32x4_u(x0, m0), 1, 3, 5, 7);
    const hy0 = i32x4.shuffle(i64x2.extmul_low_i32x4_u(y0, m0), i64x2.extmul_high_i32x4_u(y0, m0), 1, 3, 5, 7);
    const hx1 = i32x4.shuffle(i64x2.extmul_low_i32x4_u(x2, m1), i64x2.extmul_high_i32x4_u(x2, m1), 1, 3, 5, 7);
    const hy1 = i32x4.shuffle(i64x2.extmul_low_i32x4_u(y2, m1), i64x2.extmul_high_i32x4_u(y2, m1), 1, 3, 5, 7);
    const lx0 = i32x4.mul(x0, m0), ly0 = i32x4.mul(y0, m0);
    const lx1 = i32x4.mul(x2, m1), ly1 = i32x4.mul(y2, m1);
    x0 = v128.xor(v128.xor(hx1, x1), kav);
    y0 = v128.xor(v128.xor(hy1, y1), kav);
    x2 = v128.xor(v128.xor(hx0, x3), kbv);
    y2 = v128.xor(v128.xor(hy0, y3), kbv);
    x1 = lx1;
    y1 = ly1;
    x3 = lx0;
    y3 = ly0;
    ka += W0;
    kb += W1;
  }
  v128.store(dst, x0);
  v128.store(dst, x1, 16);
  v128.store(dst, x2, 32);
  v128.store(dst, x3, 48);
  v128.store(dst, y0, 64);
  v128.store(dst, y1, 80);
  v128.store(dst, y2, 96);
  v128.store(dst, y3, 112);
}

/** Known-answer hook: Philox4x32-10 of counter (c0..c3) under key (k0, k1); 4 words to out. */
export function philox4x32(out: usize, c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  philoxS(c0, c1, c2, c3, k0, k1, out);
}

// ------------------------------------------------------------------------------------------------
// Words → variates

@inline function radiusV(w: v128): v128 {
  const u = f32x4.add(f32x4.mul(f32x4.convert_i32x4_u(w), f32x4.splat(TWO_M32)), f32x4.splat(TWO_M33));
  return f32x4.sqrt(f32x4.mul(f32x4.splat(-2.0), logV(u)));
}
@inline function radiusS(w: u32): f32 {
  const u = <f32>w * TWO_M32 + TWO_M33;
  return sqrt<f32>(<f32>-2.0 * logS(u));
}

/** Box–Muller pair from words (wr, wa): R cos θ to dc, R sin θ to ds. */
@inline function pairV(wr: v128, wa: v128, dc: usize, ds: usize): void {
  const r = radiusV(wr);
  const a = f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(v128.and(i32x4.shr_u(wa, 6), i32x4.splat(0xffffff))), f32x4.splat(TWO_M24)), f32x4.splat(HALF_PI));
  const a2 = f32x4.mul(a, a);
  let ps = f32x4.add(f32x4.mul(f32x4.splat(S6), a2), f32x4.splat(S5));
  ps = f32x4.add(f32x4.mul(ps, a2), f32x4.splat(S4));
  ps = f32x4.add(f32x4.mul(ps, a2), f32x4.splat(S3));
  ps = f32x4.add(f32x4.mul(ps, a2), f32x4.splat(S2));
  ps = f32x4.add(f32x4.mul(ps, a2), f32x4.splat(S1));
  const s = f32x4.add(f32x4.mul(f32x4.mul(ps, a2), a), a);
  let pc = f32x4.add(f32x4.mul(f32x4.splat(K7), a2), f32x4.splat(K6));
  pc = f32x4.add(f32x4.mul(pc, a2), f32x4.splat(K5));
  pc = f32x4.add(f32x4.mul(pc, a2), f32x4.splat(K4));
  pc = f32x4.add(f32x4.mul(pc, a2), f32x4.splat(K3));
  pc = f32x4.add(f32x4.mul(pc, a2), f32x4.splat(K2));
  pc = f32x4.add(f32x4.mul(pc, a2), f32x4.splat(K1));
  const c = f32x4.add(f32x4.mul(pc, a2), f32x4.splat(1.0));
  // quadrant q = top two bits: cos θ = (c, −s, −c, s)[q], sin θ = (s, c, −s, −c)[q]
  const swap = i32x4.shr_s(i32x4.shl(wa, 1), 31);
  const sign = i32x4.splat(0x80000000);
  const cosT = v128.xor(v128.bitselect(s, c, swap), v128.and(v128.xor(wa, i32x4.shl(wa, 1)), sign));
  const sinT = v128.xor(v128.bitselect(c, s, swap), v128.and(wa, sign));
  v128.store(dc, f32x4.mul(r, cosT));
  v128.store(ds, f32x4.mul(r, sinT));
}

@inline function pairS(wr: u32, wa: u32, dc: usize, ds: usize): void {
  const r = radiusS(wr);
  const a = <f32>(<i32>((wa >>> 6) & 0xffffff)) * TWO_M24 * HALF_PI;
  const a2 = a * a;
  let ps = S6 * a2 + S5;
  ps = ps * a2 + S4;
  ps = ps * a2 + S3;
  ps = ps * a2 + S2;
  ps = ps * a2 + S1;
  const s = ps * a2 * a + a;
  let pc = K7 * a2 + K6;
  pc = pc * a2 + K5;
  pc = pc * a2 + K4;
  pc = pc * a2 + K3;
  pc = pc * a2 + K2;
  pc = pc * a2 + K1;
  const c = pc * a2 + <f32>1.0;
  const swap = (wa & 0x40000000) != 0;
  const cosT = reinterpret<f32>(reinterpret<u32>(swap ? s : c) ^ ((wa ^ (wa << 1)) & 0x80000000));
  const sinT = reinterpret<f32>(reinterpret<u32>(swap ? c : s) ^ (wa & 0x80000000));
  store<f32>(dc, r * cosT);
  store<f32>(ds, r * sinT);
}

/** Four blocks' words (SoA at src) → 16 Gaussian variates in stream order at dst (unaligned ok);
 *  tmp: 64 bytes of scratch for the cos/sin outputs before the transpose. */
@inline function gaussWordsV(src: usize, dst: usize, tmp: usize): void {
  pairV(v128.load(src), v128.load(src, 16), tmp, tmp + 16);
  pairV(v128.load(src, 32), v128.load(src, 48), tmp + 32, tmp + 48);
  const z0 = v128.load(tmp);
  const z1 = v128.load(tmp, 16);
  const z2 = v128.load(tmp, 32);
  const z3 = v128.load(tmp, 48);
  // 4×4 transpose: lane j of (z0, z1, z2, z3) are the variates of block j
  const t0 = i32x4.shuffle(z0, z1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(z2, z3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(z0, z1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(z2, z3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
  v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
  v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
}

/** Four blocks' words (SoA at src) → 16 uniform variates lo + d·U in stream order at dst. */
@inline function uniformWordsV(src: usize, dst: usize, lo: v128, d: v128): void {
  const sc = f32x4.splat(TWO_M24);
  const u0 = f32x4.add(lo, f32x4.mul(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.load(src), 8)), sc)));
  const u1 = f32x4.add(lo, f32x4.mul(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.load(src, 16), 8)), sc)));
  const u2 = f32x4.add(lo, f32x4.mul(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.load(src, 32), 8)), sc)));
  const u3 = f32x4.add(lo, f32x4.mul(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.load(src, 48), 8)), sc)));
  const t0 = i32x4.shuffle(u0, u1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(u2, u3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(u0, u1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(u2, u3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
  v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
  v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
}

// ------------------------------------------------------------------------------------------------
// Runs: n consecutive variates k, k+1, …, k+n−1 of one stream into dst[0..n). Work proceeds in
// chunks starting at block k div 4: 8 blocks (32 variates) where the whole chunk lies inside the
// run, else 4 blocks (16 variates), written in place when inside and through SCRATCH for the ragged
// first and last chunks. The chunking does not change any value, only which lanes compute it.

export const GAUSS: i32 = 0;
export const UNIFORM: i32 = 1;

// S: 256 bytes of scratch owned by the calling thread.
@inline function run(kind: i32, dst: usize, k: u64, n: i32, k0: u32, k1: u32, lo: f32, d: f32, S: usize): void {
  let b = k >> 2;
  let j = -<i32>(k & 3); // index in dst of the chunk's first variate
  if (ASC_FEATURE_SIMD) {
    const lov = f32x4.splat(lo);
    const dv = f32x4.splat(d);
    while (j < n) {
      if (j >= 0 && j + 32 <= n) {
        // eight blocks inside the run: two Philox sets interleaved, written in place
        philoxV8(S, b, k0, k1);
        const out = dst + ((<usize>j) << 2);
        if (kind == GAUSS) {
          gaussWordsV(S, out, S + 128);
          gaussWordsV(S + 64, out + 64, S + 192);
        } else {
          uniformWordsV(S, out, lov, dv);
          uniformWordsV(S + 64, out + 64, lov, dv);
        }
        b += 8;
        j += 32;
        continue;
      }
      philoxV(S, b, k0, k1);
      const inside = j >= 0 && j + 16 <= n;
      const out = inside ? dst + ((<usize>j) << 2) : S;
      if (kind == GAUSS) gaussWordsV(S, out, S + 128);
      else uniformWordsV(S, out, lov, dv);
      if (!inside) {
        for (let t = 0; t < 16; t++) {
          const idx = j + t;
          if (idx >= 0 && idx < n) store<f32>(dst + ((<usize>idx) << 2), load<f32>(S + ((<usize>t) << 2)));
        }
      }
      b += 4;
      j += 16;
    }
  } else {
    while (j < n) {
      for (let blk = 0; blk < 4; blk++) {
        const bb = b + <u64>blk;
        philoxS(<u32>bb, <u32>(bb >> 32), 0, 0, k0, k1, S);
        const w0 = load<u32>(S), w1 = load<u32>(S, 4), w2 = load<u32>(S, 8), w3 = load<u32>(S, 12);
        const base = j + blk * 4;
        const out = base >= 0 && base + 4 <= n ? dst + ((<usize>base) << 2) : S + 16;
        if (kind == GAUSS) {
          pairS(w0, w1, out, out + 4);
          pairS(w2, w3, out + 8, out + 12);
        } else {
          store<f32>(out, lo + d * (<f32>(<i32>(w0 >>> 8)) * TWO_M24));
          store<f32>(out, lo + d * (<f32>(<i32>(w1 >>> 8)) * TWO_M24), 4);
          store<f32>(out, lo + d * (<f32>(<i32>(w2 >>> 8)) * TWO_M24), 8);
          store<f32>(out, lo + d * (<f32>(<i32>(w3 >>> 8)) * TWO_M24), 12);
        }
        if (out == S + 16) {
          for (let t = 0; t < 4; t++) {
            const idx = base + t;
            if (idx >= 0 && idx < n) store<f32>(dst + ((<usize>idx) << 2), load<f32>(S + 16 + ((<usize>t) << 2)));
          }
        }
      }
      b += 4;
      j += 16;
    }
  }
}

/**
 * Element (r, c) of the rows × cols tensor `out` ← variate (counter + r·cols + c), using 256 bytes
 * of `scratch` owned by the calling thread. (The thread pool draws a tensor's rows on several
 * threads at once, each with its own scratch: the values do not depend on who draws them.)
 */
export function fillAt(kind: i32, out: usize, rows: i32, cols: i32, seed: u32, stream: u32, counter: u64, lo: f32, d: f32, scratch: usize): void {
  const stride = (cols + 3) & ~3;
  if (stride == cols) {
    if (kind == GAUSS) run(GAUSS, out, counter, rows * cols, seed, stream, lo, d, scratch);
    else run(UNIFORM, out, counter, rows * cols, seed, stream, lo, d, scratch);
  } else {
    const rowBytes = (<usize>stride) << 2;
    for (let r = 0; r < rows; r++) {
      const k = counter + <u64>r * <u64>cols;
      if (kind == GAUSS) run(GAUSS, out + <usize>r * rowBytes, k, cols, seed, stream, lo, d, scratch);
      else run(UNIFORM, out + <usize>r * rowBytes, k, cols, seed, stream, lo, d, scratch);
    }
  }
}

@inline function fill(kind: i32, out: usize, rows: i32, cols: i32, seed: u32, stream: u32, counterLo: u32, counterHi: u32, lo: f32, d: f32): void {
  fillAt(kind, out, rows, cols, seed, stream, ((<u64>counterHi) << 32) | <u64>counterLo, lo, d, SCRATCH);
}

/**
 * Standard normal variates: element (r, c) ← variate (counter + r·cols + c) of stream (seed, stream),
 * counter = counterHi·2³² + counterLo. Padding lanes are not written (they stay 0).
 */
export function gaussian(out: usize, rows: i32, cols: i32, seed: u32, stream: u32, counterLo: u32, counterHi: u32): void {
  // Large draws are split by rows over the thread pool. The weight (16 multiply-adds a variate)
  // keeps the draws of a small network on the calling thread: a 30-50-10 microcircuit draws 64 × 50
  // variates every 64 steps, too few to pay for waking a worker that has gone to sleep.
  if (parallelRows(EW_GAUSSIAN, <i64>rows * <i64>cols * 16, rows, cols, <i32>out, <i32>seed, <i32>stream, <i32>counterLo, <i32>counterHi)) return;
  fill(GAUSS, out, rows, cols, seed, stream, counterLo, counterHi, 0, 0);
}

/** Uniform variates lo + (hi − lo)·U, U ∈ [0, 1) on a 2⁻²⁴ grid; same indexing as gaussian. */
export function uniform(out: usize, rows: i32, cols: i32, seed: u32, stream: u32, counterLo: u32, counterHi: u32, lo: f32, hi: f32): void {
  fill(UNIFORM, out, rows, cols, seed, stream, counterLo, counterHi, lo, hi - lo);
}
