// A low-pass-filtered rank-k update of a matrix fused with the matrix product that follows it:
//
//   D ← α·D + β·EᵀP          (D, W: m × n;  E: k × m;  P, X: k × n)
//   W ← W + s·D
//   Y (+)= X·Wᵀ              (Y: k × m, with the updated W)
//
// row by row, so each row of W and D is read and written once per call. A step of a simulation
// whose weights change at every step is bound by memory traffic over the weights; this makes it one
// pass per matrix instead of three (update the filter, update the weights, multiply).
//
// Layout: row-major, row stride ceil4(cols) floats, 16-byte aligned, padding lanes 0 and kept 0
// (P's and E's padding lanes are 0, so D's and W's stay 0).

import { madd } from "./vec";
import { parallel } from "./pool";
import { J_FILTERED_GEMM, J_FILTERED_GEMV } from "../../src/core/pool-layout";

// @ts-ignore: decorator
@inline function stride(cols: i32): usize {
  return <usize>((cols + 3) & ~3);
}

// @ts-ignore: decorator
@inline function hsum(a: v128): f32 {
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** One vector of the filter and the weights at byte addresses d, w: D ← α·D + g; W ← W + s·D. Returns the new W. */
// @ts-ignore: decorator
@inline function filterStep(d: usize, w: usize, g: v128, va: v128, vs: v128): v128 {
  const dv = f32x4.add(f32x4.mul(va, v128.load(d)), g);
  v128.store(d, dv);
  const wv = f32x4.add(v128.load(w), f32x4.mul(vs, dv));
  v128.store(w, wv);
  return wv;
}

/**
 * D ← α·D + β·EᵀP; W ← W + s·D; Y (+)= X·Wᵀ, one pass over the rows of W and D.
 * Y k×m, W m×n, D m×n, E k×m, P k×n, X k×n. `accumulate` ≠ 0 adds to Y instead of overwriting it.
 */
export function filteredGerGemm(Y: usize, W: usize, D: usize, E: usize, P: usize, X: usize, k: i32, m: i32, n: i32, alpha: f32, beta: f32, s: f32, accumulate: i32): void {
  if (k == 1) {
    filteredGerGemv(Y, W, D, E, P, X, m, n, alpha, beta, s, accumulate);
    return;
  }
  if (parallel(J_FILTERED_GEMM, <i64>k * <i64>m * <i64>n, <i32>Y, <i32>W, <i32>D, <i32>E, <i32>P, <i32>X, k, m, n, reinterpret<i32>(alpha), reinterpret<i32>(beta), reinterpret<i32>(s), accumulate)) return;
  filteredGerGemmRange(Y, W, D, E, P, X, k, m, n, alpha, beta, s, accumulate, 0, m);
}

/** Rows i0 ≤ i < i1 of W and D (columns of Y) of filteredGerGemm with k ≥ 2; rows are independent. */
export function filteredGerGemmRange(Y: usize, W: usize, D: usize, E: usize, P: usize, X: usize, k: i32, m: i32, n: i32, alpha: f32, beta: f32, s: f32, accumulate: i32, i0: i32, i1: i32): void {
  const sn = stride(n);
  const sm = stride(m);
  for (let i = i0; i < i1; i++) {
    const w = W + ((<usize>i * sn) << 2);
    const d = D + ((<usize>i * sn) << 2);
    // Phase 1: the filter and the weights of row i (row i of EᵀP is Σ_b E[b,i]·P[b,:]).
    if (ASC_FEATURE_SIMD) {
      const va = f32x4.splat(alpha);
      const vs = f32x4.splat(s);
      for (let j: usize = 0; j < sn; j += 4) {
        let g = f32x4.splat(0);
        for (let b = 0; b < k; b++) {
          const e = load<f32>(E + ((<usize>b * sm + <usize>i) << 2));
          g = madd(f32x4.splat(e * beta), v128.load(P + ((<usize>b * sn + j) << 2)), g);
        }
        filterStep(d + (j << 2), w + (j << 2), g, va, vs);
      }
    } else {
      for (let j: usize = 0; j < <usize>n; j++) {
        let g: f32 = 0;
        for (let b = 0; b < k; b++) {
          const e = load<f32>(E + ((<usize>b * sm + <usize>i) << 2));
          g += (e * beta) * load<f32>(P + ((<usize>b * sn + j) << 2));
        }
        const dv = alpha * load<f32>(d + (j << 2)) + g;
        store<f32>(d + (j << 2), dv);
        store<f32>(w + (j << 2), load<f32>(w + (j << 2)) + s * dv);
      }
    }
    // Phase 2: Y[b,i] from the updated row, now in L1.
    for (let b = 0; b < k; b++) {
      const x = X + ((<usize>b * sn) << 2);
      let acc: f32 = 0;
      if (ASC_FEATURE_SIMD) {
        let va = f32x4.splat(0);
        for (let j: usize = 0; j < sn; j += 4) {
          va = madd(v128.load(w + (j << 2)), v128.load(x + (j << 2)), va);
        }
        acc = hsum(va);
      } else {
        for (let j: usize = 0; j < <usize>n; j++) acc += load<f32>(w + (j << 2)) * load<f32>(x + (j << 2));
      }
      const y = Y + ((<usize>b * sm + <usize>i) << 2);
      store<f32>(y, accumulate ? load<f32>(y) + acc : acc);
    }
  }
}

/** The k = 1 case of filteredGerGemm: D ← α·D + β·e pᵀ; W ← W + s·D; y (+)= W x, fully fused per row. */
export function filteredGerGemv(y: usize, W: usize, D: usize, e: usize, p: usize, x: usize, m: i32, n: i32, alpha: f32, beta: f32, s: f32, accumulate: i32): void {
  if (parallel(J_FILTERED_GEMV, <i64>m * <i64>n, <i32>y, <i32>W, <i32>D, <i32>e, <i32>p, <i32>x, m, n, reinterpret<i32>(alpha), reinterpret<i32>(beta), reinterpret<i32>(s), accumulate)) return;
  filteredGerGemvRange(y, W, D, e, p, x, m, n, alpha, beta, s, accumulate, 0, m);
}

/** Rows i0 ≤ i < i1 of filteredGerGemv (i0, i1 even except i1 = m), each computed as by the whole call. */
export function filteredGerGemvRange(y: usize, W: usize, D: usize, e: usize, p: usize, x: usize, m: i32, n: i32, alpha: f32, beta: f32, s: f32, accumulate: i32, i0: i32, i1: i32): void {
  const sn = stride(n);
  let i = i0;
  if (ASC_FEATURE_SIMD) {
    // Rows in pairs: the presynaptic p and the input x are loaded once for both rows, and the two
    // rows' accumulators are the two independent chains that hide the add latency.
    const va = f32x4.splat(alpha);
    const vs = f32x4.splat(s);
    const rowBytes = sn << 2;
    for (; i + 2 <= i1; i += 2) {
      const w0 = W + ((<usize>i * sn) << 2), w1 = w0 + rowBytes;
      const d0 = D + ((<usize>i * sn) << 2), d1 = d0 + rowBytes;
      const vbe0 = f32x4.splat(beta * load<f32>(e + (<usize>i << 2)));
      const vbe1 = f32x4.splat(beta * load<f32>(e + (<usize>i << 2), 4));
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      for (let o: usize = 0; o < rowBytes; o += 16) {
        const pv = v128.load(p + o), xv = v128.load(x + o);
        a0 = madd(filterStep(d0 + o, w0 + o, f32x4.mul(vbe0, pv), va, vs), xv, a0);
        a1 = madd(filterStep(d1 + o, w1 + o, f32x4.mul(vbe1, pv), va, vs), xv, a1);
      }
      // [a0₀+a0₂, a1₀+a1₂, a0₁+a0₃, a1₁+a1₃] → lanes 0 and 1 of its pairwise sum are the two rows.
      const t = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
      const r = f32x4.add(t, v128.shuffle<f32>(t, t, 2, 3, 0, 1));
      const yi = y + (<usize>i << 2);
      let r0 = f32x4.extract_lane(r, 0), r1 = f32x4.extract_lane(r, 1);
      if (accumulate) {
        r0 += load<f32>(yi);
        r1 += load<f32>(yi, 4);
      }
      store<f32>(yi, r0);
      store<f32>(yi, r1, 4);
    }
  }
  // The last row of an odd m (SIMD), or every row (scalar build).
  for (; i < i1; i++) {
    const w = W + ((<usize>i * sn) << 2);
    const d = D + ((<usize>i * sn) << 2);
    const be = beta * load<f32>(e + (<usize>i << 2));
    let acc: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      const va = f32x4.splat(alpha);
      const vs = f32x4.splat(s);
      const vbe = f32x4.splat(be);
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let j: usize = 0;
      // Two independent accumulators hide the add latency.
      for (; j + 8 <= sn; j += 8) {
        const o0 = j << 2;
        const o1 = o0 + 16;
        a0 = madd(filterStep(d + o0, w + o0, f32x4.mul(vbe, v128.load(p + o0)), va, vs), v128.load(x + o0), a0);
        a1 = madd(filterStep(d + o1, w + o1, f32x4.mul(vbe, v128.load(p + o1)), va, vs), v128.load(x + o1), a1);
      }
      if (j < sn) {
        const o0 = j << 2;
        a0 = madd(filterStep(d + o0, w + o0, f32x4.mul(vbe, v128.load(p + o0)), va, vs), v128.load(x + o0), a0);
      }
      acc = hsum(f32x4.add(a0, a1));
    } else {
      for (let j: usize = 0; j < <usize>n; j++) {
        const o = j << 2;
        const dv = alpha * load<f32>(d + o) + be * load<f32>(p + o);
        store<f32>(d + o, dv);
        const wv = load<f32>(w + o) + s * dv;
        store<f32>(w + o, wv);
        acc += wv * load<f32>(x + o);
      }
    }
    const yi = y + (<usize>i << 2);
    store<f32>(yi, accumulate ? load<f32>(yi) + acc : acc);
  }
}
