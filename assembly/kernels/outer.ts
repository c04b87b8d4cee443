// In-place outer-product updates (the plasticity rules' weight changes), no temporary matrix:
//   ger   W (m×n) += eta · a cᵀ,   a length m, c length n          (rank 1)
//   gerK  W (m×n) += eta · Aᵀ C,   A k×m, C k×n                    (rank k: a mini-batch of k)
// Layout (src/core/arena.ts): row-major, rows padded to ceil4(cols) floats, padding lanes 0 on input
// and kept 0 on output. Pointers are byte addresses, sizes elements. W must not overlap the vectors or
// matrices it is updated from.
import { rowBytes, madd, lastMask } from "./vec";
import { parallel } from "./pool";
import { J_GER, J_GER_K, J_GER_K_MOMENTUM } from "../../src/core/pool-layout";
import { scaleInto, axpy } from "./elementwise";

// ---------------------------------------------------------------------------------------------
// ger: rows of W in pairs sharing each load of c, 4 vectors (64 bytes) of each row per trip at
// immediate offsets, so a trip costs 3 pointer increments for 8 vector updates. Every element of W
// is read and written once; the update is bound by moving W (1.5 MB at 500×784) through the caches.

/** W[i..i+1, :] += s0·c, s1·c (two rows); `last` is the byte offset of a row's last vector. */
// @ts-ignore: decorator
@inline function gerRows2(w0: usize, sw: usize, c: usize, last: usize, s0: v128, s1: v128, mask: v128): void {
  let w1 = w0 + sw;
  let cp = c;
  const endLast = c + last;
  while (cp + 64 <= endLast) {
    let cv = v128.load(cp);
    v128.store(w0, madd(s0, cv, v128.load(w0)));
    v128.store(w1, madd(s1, cv, v128.load(w1)));
    cv = v128.load(cp, 16);
    v128.store(w0, madd(s0, cv, v128.load(w0, 16)), 16);
    v128.store(w1, madd(s1, cv, v128.load(w1, 16)), 16);
    cv = v128.load(cp, 32);
    v128.store(w0, madd(s0, cv, v128.load(w0, 32)), 32);
    v128.store(w1, madd(s1, cv, v128.load(w1, 32)), 32);
    cv = v128.load(cp, 48);
    v128.store(w0, madd(s0, cv, v128.load(w0, 48)), 48);
    v128.store(w1, madd(s1, cv, v128.load(w1, 48)), 48);
    cp += 64; w0 += 64; w1 += 64;
  }
  while (cp < endLast) {
    const cv = v128.load(cp);
    v128.store(w0, madd(s0, cv, v128.load(w0)));
    v128.store(w1, madd(s1, cv, v128.load(w1)));
    cp += 16; w0 += 16; w1 += 16;
  }
  const cv = v128.load(cp);
  v128.store(w0, v128.and(madd(s0, cv, v128.load(w0)), mask));
  v128.store(w1, v128.and(madd(s1, cv, v128.load(w1)), mask));
}

/** W[i, :] += s0·c (one row). */
// @ts-ignore: decorator
@inline function gerRow(w0: usize, c: usize, last: usize, s0: v128, mask: v128): void {
  let cp = c;
  const endLast = c + last;
  while (cp + 64 <= endLast) {
    v128.store(w0, madd(s0, v128.load(cp), v128.load(w0)));
    v128.store(w0, madd(s0, v128.load(cp, 16), v128.load(w0, 16)), 16);
    v128.store(w0, madd(s0, v128.load(cp, 32), v128.load(w0, 32)), 32);
    v128.store(w0, madd(s0, v128.load(cp, 48), v128.load(w0, 48)), 48);
    cp += 64; w0 += 64;
  }
  while (cp < endLast) {
    v128.store(w0, madd(s0, v128.load(cp), v128.load(w0)));
    cp += 16; w0 += 16;
  }
  v128.store(w0, v128.and(madd(s0, v128.load(cp), v128.load(w0)), mask));
}

/** W (m×n) += eta · a cᵀ. Large updates are split over the thread pool (pool.ts). */
export function ger(W: usize, a: usize, c: usize, m: i32, n: i32, eta: f32): void {
  if (parallel(J_GER, <i64>m * <i64>n, <i32>W, <i32>a, <i32>c, m, n, reinterpret<i32>(eta))) return;
  gerRange(W, a, c, m, n, eta, 0, m);
}

/** Rows i0 ≤ i < i1 of ger (i0, i1 even except i1 = m), each updated as by the whole call. */
export function gerRange(W: usize, a: usize, c: usize, m: i32, n: i32, eta: f32, i0: i32, i1: i32): void {
  const sw = rowBytes(n);
  if (ASC_FEATURE_SIMD) {
    const last = sw - 16; // byte offset of the last vector of a row, stored masked
    const mask = lastMask(n);
    let i = i0;
    for (; i + 2 <= i1; i += 2) {
      const ap = a + ((<usize>i) << 2);
      gerRows2(W + (<usize>i) * sw, sw, c, last, f32x4.splat(eta * load<f32>(ap)), f32x4.splat(eta * load<f32>(ap, 4)), mask);
    }
    if (i < i1) gerRow(W + (<usize>i) * sw, c, last, f32x4.splat(eta * load<f32>(a + ((<usize>i) << 2))), mask);
  } else {
    // Scalar twin, same loop order: rows of W in pairs sharing each c[j], j inner.
    const nb = (<usize>n) << 2;
    let i = i0;
    for (; i + 2 <= i1; i += 2) {
      const ap = a + ((<usize>i) << 2);
      const s0 = eta * load<f32>(ap), s1 = eta * load<f32>(ap, 4);
      const w0 = W + (<usize>i) * sw, w1 = w0 + sw;
      for (let k: usize = 0; k < nb; k += 4) {
        const cv = load<f32>(c + k);
        store<f32>(w0 + k, load<f32>(w0 + k) + s0 * cv);
        store<f32>(w1 + k, load<f32>(w1 + k) + s1 * cv);
      }
    }
    if (i < i1) {
      const s = eta * load<f32>(a + ((<usize>i) << 2));
      const w = W + (<usize>i) * sw;
      for (let k: usize = 0; k < nb; k += 4) store<f32>(w + k, load<f32>(w + k) + s * load<f32>(c + k));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gerK: a tile of W (2 rows × 16 columns = 8 vector accumulators) collects Σ_p A[p, i] C[p, j] over
// all k rows of A and C, then W += eta · tile is applied once. A[p, i] is broadcast with
// v128.load32_splat; C[p, j..j+15] is one 64-byte row segment at immediate offsets.

/** W[i..i+1, j..j+15] += eta · Σ_p A[p, i..i+1]ᵀ C[p, j..j+15]. `w`, `cp` point at column j; `ap` at column i of A. */
// @ts-ignore: decorator
@inline function gerTile2x16(w: usize, sw: usize, ap: usize, sa: usize, cp: usize, k: i32, eta: v128, mask: v128): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let pa = ap, pc = cp;
  for (let p = 0; p < k; p++) {
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
    let b = v128.load(pc); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
    b = v128.load(pc, 16); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
    b = v128.load(pc, 32); c02 = madd(a0, b, c02); c12 = madd(a1, b, c12);
    b = v128.load(pc, 48); c03 = madd(a0, b, c03); c13 = madd(a1, b, c13);
    pa += sa;
    pc += sw;
  }
  const w1 = w + sw;
  v128.store(w, madd(eta, c00, v128.load(w)));
  v128.store(w, madd(eta, c01, v128.load(w, 16)), 16);
  v128.store(w, madd(eta, c02, v128.load(w, 32)), 32);
  v128.store(w, v128.and(madd(eta, c03, v128.load(w, 48)), mask), 48);
  v128.store(w1, madd(eta, c10, v128.load(w1)));
  v128.store(w1, madd(eta, c11, v128.load(w1, 16)), 16);
  v128.store(w1, madd(eta, c12, v128.load(w1, 32)), 32);
  v128.store(w1, v128.and(madd(eta, c13, v128.load(w1, 48)), mask), 48);
}

/** W[i, j..j+15] += eta · Σ_p A[p, i] C[p, j..j+15] for a single row (the m odd tail). */
// @ts-ignore: decorator
@inline function gerTile1x16(w: usize, sw: usize, ap: usize, sa: usize, cp: usize, k: i32, eta: v128, mask: v128): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let pa = ap, pc = cp;
  for (let p = 0; p < k; p++) {
    const a0 = v128.load32_splat(pa);
    c0 = madd(a0, v128.load(pc), c0);
    c1 = madd(a0, v128.load(pc, 16), c1);
    c2 = madd(a0, v128.load(pc, 32), c2);
    c3 = madd(a0, v128.load(pc, 48), c3);
    pa += sa;
    pc += sw;
  }
  v128.store(w, madd(eta, c0, v128.load(w)));
  v128.store(w, madd(eta, c1, v128.load(w, 16)), 16);
  v128.store(w, madd(eta, c2, v128.load(w, 32)), 32);
  v128.store(w, v128.and(madd(eta, c3, v128.load(w, 48)), mask), 48);
}

/** W[i, j..j+3] += eta · Σ_p A[p, i] C[p, j..j+3]. */
// @ts-ignore: decorator
@inline function gerTile1x4(w: usize, sw: usize, ap: usize, sa: usize, cp: usize, k: i32, eta: v128, mask: v128): void {
  let c0 = f32x4.splat(0);
  let pa = ap, pc = cp;
  for (let p = 0; p < k; p++) {
    c0 = madd(v128.load32_splat(pa), v128.load(pc), c0);
    pa += sa;
    pc += sw;
  }
  v128.store(w, v128.and(madd(eta, c0, v128.load(w)), mask));
}

/**
 * W[i..i+1, j..j+4v−1] += eta · Σ_p A[p, i..i+1]ᵀ C[p, j..j+4v−1] for the last v = 1–3 vectors of a
 * row pair: 2v accumulators at once, so the sums over p (thousands of terms for a convolution's
 * filters) are not one dependent chain per vector. Each vector's sum is the one of gerTile1x4.
 */
// @ts-ignore: decorator
@inline function gerTile2xTail(w: usize, sw: usize, ap: usize, sa: usize, cp: usize, k: i32, eta: v128, v: usize, mask: v128): void {
  const full = i32x4.splat(-1);
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let pa = ap, pc = cp;
  if (v == 3) {
    for (let p = 0; p < k; p++) {
      const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
      let b = v128.load(pc); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
      b = v128.load(pc, 16); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
      b = v128.load(pc, 32); c02 = madd(a0, b, c02); c12 = madd(a1, b, c12);
      pa += sa;
      pc += sw;
    }
  } else if (v == 2) {
    for (let p = 0; p < k; p++) {
      const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
      let b = v128.load(pc); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
      b = v128.load(pc, 16); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
      pa += sa;
      pc += sw;
    }
  } else {
    for (let p = 0; p < k; p++) {
      const b = v128.load(pc);
      c00 = madd(v128.load32_splat(pa), b, c00);
      c10 = madd(v128.load32_splat(pa, 4), b, c10);
      pa += sa;
      pc += sw;
    }
  }
  const w1 = w + sw;
  const m0 = v == 1 ? mask : full, m1 = v == 2 ? mask : full;
  v128.store(w, v128.and(madd(eta, c00, v128.load(w)), m0));
  v128.store(w1, v128.and(madd(eta, c10, v128.load(w1)), m0));
  if (v >= 2) {
    v128.store(w, v128.and(madd(eta, c01, v128.load(w, 16)), m1), 16);
    v128.store(w1, v128.and(madd(eta, c11, v128.load(w1, 16)), m1), 16);
  }
  if (v == 3) {
    v128.store(w, v128.and(madd(eta, c02, v128.load(w, 32)), mask), 32);
    v128.store(w1, v128.and(madd(eta, c12, v128.load(w1, 32)), mask), 32);
  }
}

/** W (m×n) += eta · Aᵀ C with A k×m, C k×n. */
export function gerK(W: usize, A: usize, C: usize, k: i32, m: i32, n: i32, eta: f32): void {
  if (parallel(J_GER_K, <i64>k * <i64>m * <i64>n, <i32>W, <i32>A, <i32>C, k, m, n, reinterpret<i32>(eta))) return;
  gerKRange(W, A, C, k, m, n, eta, 0, m);
}

/** Rows i0 ≤ i < i1 of W of gerK (i0, i1 even except i1 = m), each updated as by the whole call. */
export function gerKRange(W: usize, A: usize, C: usize, k: i32, m: i32, n: i32, eta: f32, i0: i32, i1: i32): void {
  const sw = rowBytes(n); // W and C rows both have n columns
  const sa = rowBytes(m);
  if (ASC_FEATURE_SIMD) {
    const e = f32x4.splat(eta);
    const full = i32x4.splat(-1);
    const tail = lastMask(n);
    let i = i0;
    // Row pairs outer so W is streamed once, front to back; C (k × n) is re-read from cache.
    for (; i + 2 <= i1; i += 2) {
      const w = W + (<usize>i) * sw;
      const ap = A + ((<usize>i) << 2);
      let j: usize = 0;
      for (; j + 64 <= sw; j += 64) gerTile2x16(w + j, sw, ap, sa, C + j, k, e, j + 64 == sw ? tail : full);
      if (j < sw) gerTile2xTail(w + j, sw, ap, sa, C + j, k, e, (sw - j) >> 4, tail);
    }
    if (i < i1) {
      const w = W + (<usize>i) * sw;
      const ap = A + ((<usize>i) << 2);
      let j: usize = 0;
      for (; j + 64 <= sw; j += 64) gerTile1x16(w + j, sw, ap, sa, C + j, k, e, j + 64 == sw ? tail : full);
      for (; j < sw; j += 16) gerTile1x4(w + j, sw, ap, sa, C + j, k, e, j + 16 == sw ? tail : full);
    }
  } else {
    // Scalar twin, same loop order: rows of W, 4-column groups, p (the k rows of A and C) innermost.
    for (let i = i0; i < i1; i++) {
      const w = W + (<usize>i) * sw;
      const ap = A + ((<usize>i) << 2);
      for (let j = 0; j < n; j += 4) {
        const live = min(n - j, 4);
        let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
        let pa = ap, pc = C + ((<usize>j) << 2);
        for (let p = 0; p < k; p++) {
          const av = load<f32>(pa);
          s0 += av * load<f32>(pc);
          s1 += av * load<f32>(pc, 4);
          s2 += av * load<f32>(pc, 8);
          s3 += av * load<f32>(pc, 12);
          pa += sa;
          pc += sw;
        }
        const wj = w + ((<usize>j) << 2);
        store<f32>(wj, load<f32>(wj) + eta * s0);
        if (live > 1) store<f32>(wj, load<f32>(wj, 4) + eta * s1, 4);
        if (live > 2) store<f32>(wj, load<f32>(wj, 8) + eta * s2, 8);
        if (live > 3) store<f32>(wj, load<f32>(wj, 12) + eta * s3, 12);
      }
    }
  }
}

/**
 * The momentum step of a rank-k update, one pass over each row block instead of three over the
 * whole matrices: V ← mu·V, V += s·AᵀC (as gerK), W ← W + c·V, with V and W m×n. Every element gets
 * the operations of scaleInto, gerK and axpy in turn, so the result is theirs bit for bit; large
 * updates are split by rows over the thread pool.
 */
export function gerKMomentum(W: usize, V: usize, A: usize, C: usize, k: i32, m: i32, n: i32, s: f32, mu: f32, c: f32): void {
  if (parallel(J_GER_K_MOMENTUM, <i64>(k + 2) * <i64>m * <i64>n, <i32>W, <i32>V, <i32>A, <i32>C, k, m, n, reinterpret<i32>(s), reinterpret<i32>(mu), reinterpret<i32>(c))) return;
  // Blocks of 16 rows: each block of V is still in cache for its update and for W's.
  for (let i = 0; i < m; i += 16) gerKMomentumRange(W, V, A, C, k, m, n, s, mu, c, i, min(i + 16, m));
}

/** Rows i0 ≤ i < i1 of gerKMomentum (i0, i1 even except i1 = m). */
export function gerKMomentumRange(W: usize, V: usize, A: usize, C: usize, k: i32, m: i32, n: i32, s: f32, mu: f32, c: f32, i0: i32, i1: i32): void {
  if (i0 >= i1) return;
  const o = <usize>i0 * rowBytes(n);
  scaleInto(V + o, V + o, i1 - i0, n, mu);
  gerKRange(V, A, C, k, m, n, s, i0, i1);
  axpy(W + o, V + o, i1 - i0, n, c);
}
