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

// @ts-ignore: decorator
@inline function stride(cols: i32): usize {
  return <usize>((cols + 3) & ~3);
}

// @ts-ignore: decorator
@inline function hsum(a: v128): f32 {
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * D ← α·D + β·EᵀP; W ← W + s·D; Y (+)= X·Wᵀ, one pass over the rows of W and D.
 * Y k×m, W m×n, D m×n, E k×m, P k×n, X k×n. `accumulate` ≠ 0 adds to Y instead of overwriting it.
 */
export function filteredGerGemm(Y: usize, W: usize, D: usize, E: usize, P: usize, X: usize, k: i32, m: i32, n: i32, alpha: f32, beta: f32, s: f32, accumulate: i32): void {
  const sn = stride(n);
  const sm = stride(m);
  if (k == 1) {
    filteredGerGemv(Y, W, D, E, P, X, m, n, alpha, beta, s, accumulate);
    return;
  }
  for (let i = 0; i < m; i++) {
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
        const dv = f32x4.add(f32x4.mul(va, v128.load(d + (j << 2))), g);
        v128.store(d + (j << 2), dv);
        v128.store(w + (j << 2), f32x4.add(v128.load(w + (j << 2)), f32x4.mul(vs, dv)));
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
  const sn = stride(n);
  for (let i = 0; i < m; i++) {
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
        const d0 = f32x4.add(f32x4.mul(va, v128.load(d + o0)), f32x4.mul(vbe, v128.load(p + o0)));
        const d1 = f32x4.add(f32x4.mul(va, v128.load(d + o1)), f32x4.mul(vbe, v128.load(p + o1)));
        v128.store(d + o0, d0);
        v128.store(d + o1, d1);
        const w0 = f32x4.add(v128.load(w + o0), f32x4.mul(vs, d0));
        const w1 = f32x4.add(v128.load(w + o1), f32x4.mul(vs, d1));
        v128.store(w + o0, w0);
        v128.store(w + o1, w1);
        a0 = madd(w0, v128.load(x + o0), a0);
        a1 = madd(w1, v128.load(x + o1), a1);
      }
      if (j < sn) {
        const o0 = j << 2;
        const d0 = f32x4.add(f32x4.mul(va, v128.load(d + o0)), f32x4.mul(vbe, v128.load(p + o0)));
        v128.store(d + o0, d0);
        const w0 = f32x4.add(v128.load(w + o0), f32x4.mul(vs, d0));
        v128.store(w + o0, w0);
        a0 = madd(w0, v128.load(x + o0), a0);
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
