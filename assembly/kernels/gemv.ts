// Matrix-vector products:
//   gemv   y[m] (+)= W x,   W m×n, x length n
//   gemvT  y[n] (+)= Wᵀ x,  W m×n, x length m
// Layout (src/core/arena.ts): row-major, rows padded to ceil4(cols) floats, padding lanes 0 on input
// and kept 0 on output. Pointers are byte addresses, sizes elements; `accumulate` 0 overwrites, 1 adds.
// y must not overlap W or x (outputs are stored while inputs are still being read).
// Both are bound by reading W once (1.5 MB at 500×784, more than a core's L2), so the tiles aim at
// few, long, sequential streams rather than at register reuse.
import { rowBytes, madd, hsum, hsum4, dot4, lastMask } from "./vec";
import { parallel } from "./pool";
import { J_GEMV, J_GEMV_T } from "../../src/core/pool-layout";

// ---------------------------------------------------------------------------------------------
// gemv: dot products of 6 rows of W with x at a time, one vector step per trip with every row pointer
// incremented (V8 unrolls such loops twice itself; see gemm.ts). Six accumulators are the fewest
// that hide the 3-cycle add latency at two adds per cycle; eight rows (nine loads a step) spill,
// because TurboFan issues all the loads of a step before the multiplies.

/** y[i..i+5] (+)= W[i..i+5] · x. */
// @ts-ignore: decorator
@inline function dot6(y: usize, w0: usize, x: usize, sw: usize, accumulate: i32): void {
  let w1 = w0 + sw, w2 = w1 + sw, w3 = w2 + sw, w4 = w3 + sw, w5 = w4 + sw;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0), c4 = f32x4.splat(0), c5 = f32x4.splat(0);
  const end = x + sw;
  do {
    const a = v128.load(x);
    c0 = madd(a, v128.load(w0), c0);
    c1 = madd(a, v128.load(w1), c1);
    c2 = madd(a, v128.load(w2), c2);
    c3 = madd(a, v128.load(w3), c3);
    c4 = madd(a, v128.load(w4), c4);
    c5 = madd(a, v128.load(w5), c5);
    x += 16; w0 += 16; w1 += 16; w2 += 16; w3 += 16; w4 += 16; w5 += 16;
  } while (x < end);
  let r = hsum4(c0, c1, c2, c3);
  const t = hsum4(c4, c5, c4, c5);
  if (accumulate) r = f32x4.add(v128.load(y), r);
  v128.store(y, r);
  storeOne(y + 16, f32x4.extract_lane(t, 0), accumulate);
  storeOne(y + 20, f32x4.extract_lane(t, 1), accumulate);
}

/** Stores (or adds) the scalar `v` at y. */
// @ts-ignore: decorator
@inline function storeOne(y: usize, v: f32, accumulate: i32): void {
  store<f32>(y, accumulate ? load<f32>(y) + v : v);
}

/** y[i..i+3] (+)= W[i..i+3] · x. */
// @ts-ignore: decorator
@inline function dot4Into(y: usize, w0: usize, x: usize, sw: usize, accumulate: i32): void {
  let r = dot4(x, w0, sw, sw);
  if (accumulate) r = f32x4.add(v128.load(y), r);
  v128.store(y, r);
}

/** y[i] (+)= W[i] · x. */
// @ts-ignore: decorator
@inline function dot1(y: usize, w0: usize, x: usize, sw: usize, accumulate: i32): void {
  let c = f32x4.splat(0);
  const end = x + sw;
  do {
    c = madd(v128.load(x), v128.load(w0), c);
    x += 16; w0 += 16;
  } while (x < end);
  const d = hsum(c);
  store<f32>(y, accumulate ? load<f32>(y) + d : d);
}

/** y[m] (+)= W x with W m×n, x length n. */
export function gemv(y: usize, W: usize, x: usize, m: i32, n: i32, accumulate: i32): void {
  if (parallel(J_GEMV, <i64>m * <i64>n, <i32>y, <i32>W, <i32>x, m, n, accumulate)) return;
  gemvRange(y, W, x, m, n, accumulate, 0, m);
}

/** Rows i0 ≤ i < i1 of gemv (i0, i1 multiples of 6 except i1 = m), each computed as by the whole product. */
export function gemvRange(y: usize, W: usize, x: usize, m: i32, n: i32, accumulate: i32, i0: i32, i1: i32): void {
  const sw = rowBytes(n);
  if (ASC_FEATURE_SIMD) {
    let i = i0;
    for (; i + 6 <= i1; i += 6) dot6(y + ((<usize>i) << 2), W + (<usize>i) * sw, x, sw, accumulate);
    if (i + 4 <= i1) {
      dot4Into(y + ((<usize>i) << 2), W + (<usize>i) * sw, x, sw, accumulate);
      i += 4;
    }
    for (; i < i1; i++) dot1(y + ((<usize>i) << 2), W + (<usize>i) * sw, x, sw, accumulate);
  } else {
    // Scalar twin, same loop order: rows of W in blocks (of 4 here), k innermost.
    const nb = (<usize>n) << 2;
    const m4 = i0 + ((i1 - i0) & ~3);
    for (let i = i0; i < m4; i += 4) {
      const w0 = W + (<usize>i) * sw, w1 = w0 + sw, w2 = w1 + sw, w3 = w2 + sw;
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      for (let k: usize = 0; k < nb; k += 4) {
        const a = load<f32>(x + k);
        s0 += a * load<f32>(w0 + k);
        s1 += a * load<f32>(w1 + k);
        s2 += a * load<f32>(w2 + k);
        s3 += a * load<f32>(w3 + k);
      }
      const yi = y + ((<usize>i) << 2);
      if (accumulate) {
        s0 += load<f32>(yi); s1 += load<f32>(yi, 4); s2 += load<f32>(yi, 8); s3 += load<f32>(yi, 12);
      }
      store<f32>(yi, s0); store<f32>(yi, s1, 4); store<f32>(yi, s2, 8); store<f32>(yi, s3, 12);
    }
    for (let i = max(m4, i0); i < i1; i++) {
      const w = W + (<usize>i) * sw;
      let s: f32 = 0;
      for (let k: usize = 0; k < nb; k += 4) s += load<f32>(x + k) * load<f32>(w + k);
      const yi = y + ((<usize>i) << 2);
      store<f32>(yi, accumulate ? load<f32>(yi) + s : s);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gemvT: y = Σ_i x[i] W[i, :]. A panel of 24 columns (6 vectors) is held in registers while i runs
// over all rows; x[i] is broadcast with v128.load32_splat. Six accumulators hide the add latency;
// 8-vector panels spill (TurboFan issues all the loads of a step before the multiplies).

/** y[j..j+23] (+)= Σ_i x[i] W[i, j..j+23]. `y`, `w` point at column j. */
// @ts-ignore: decorator
@inline function axpyPanel24(y: usize, w: usize, x: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0), c4 = f32x4.splat(0), c5 = f32x4.splat(0);
  if (accumulate) {
    c0 = v128.load(y); c1 = v128.load(y, 16); c2 = v128.load(y, 32);
    c3 = v128.load(y, 48); c4 = v128.load(y, 64); c5 = v128.load(y, 80);
  }
  const end = x + ((<usize>m) << 2);
  do {
    const a = v128.load32_splat(x);
    c0 = madd(a, v128.load(w), c0);
    c1 = madd(a, v128.load(w, 16), c1);
    c2 = madd(a, v128.load(w, 32), c2);
    c3 = madd(a, v128.load(w, 48), c3);
    c4 = madd(a, v128.load(w, 64), c4);
    c5 = madd(a, v128.load(w, 80), c5);
    x += 4; w += sw;
  } while (x < end);
  v128.store(y, c0); v128.store(y, c1, 16); v128.store(y, c2, 32);
  v128.store(y, c3, 48); v128.store(y, c4, 64); v128.store(y, v128.and(c5, mask), 80);
}

/** y[j..j+15] (+)= Σ_i x[i] W[i, j..j+15]. `y`, `w` point at column j. */
// @ts-ignore: decorator
@inline function axpyPanel16(y: usize, w: usize, x: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  if (accumulate) {
    c0 = v128.load(y); c1 = v128.load(y, 16); c2 = v128.load(y, 32); c3 = v128.load(y, 48);
  }
  const end = x + ((<usize>m) << 2);
  do {
    const a = v128.load32_splat(x);
    c0 = madd(a, v128.load(w), c0);
    c1 = madd(a, v128.load(w, 16), c1);
    c2 = madd(a, v128.load(w, 32), c2);
    c3 = madd(a, v128.load(w, 48), c3);
    x += 4; w += sw;
  } while (x < end);
  v128.store(y, c0); v128.store(y, c1, 16); v128.store(y, c2, 32); v128.store(y, v128.and(c3, mask), 48);
}

/** y[j..j+3] (+)= Σ_i x[i] W[i, j..j+3]. */
// @ts-ignore: decorator
@inline function axpyPanel4(y: usize, w: usize, x: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let c0 = accumulate ? v128.load(y) : f32x4.splat(0);
  const end = x + ((<usize>m) << 2);
  do {
    c0 = madd(v128.load32_splat(x), v128.load(w), c0);
    x += 4; w += sw;
  } while (x < end);
  v128.store(y, v128.and(c0, mask));
}

// @ts-ignore: decorator
@inline const TV_CHUNK_BYTES: usize = 192 * 1024;

/** y[n] (+)= Wᵀ x with W m×n, x length m. */
export function gemvT(y: usize, W: usize, x: usize, m: i32, n: i32, accumulate: i32): void {
  if (parallel(J_GEMV_T, <i64>m * <i64>n, <i32>y, <i32>W, <i32>x, m, n, accumulate)) return;
  gemvTRange(y, W, x, m, n, accumulate, 0, <i32>rowBytes(n));
}

/**
 * Byte columns j0 ≤ j < j1 of gemvT (multiples of 96 except j1 = the padded row's bytes), each
 * output computed as by the whole product.
 */
export function gemvTRange(y: usize, W: usize, x: usize, m: i32, n: i32, accumulate: i32, j0: i32, j1: i32): void {
  const sw = rowBytes(n);
  if (j0 >= j1) return;
  if (ASC_FEATURE_SIMD) {
    const full = i32x4.splat(-1);
    const tail = lastMask(n);
    // Rows in chunks whose bytes fit in L2 (TV_CHUNK_BYTES, of a 512 KB L2), all panels per chunk: every cache line of
    // W then comes from memory once, not once per panel it straddles. y accumulates over chunks.
    const rows = <i32>max<usize>(1, TV_CHUNK_BYTES / sw);
    for (let i0 = 0; i0 < m; i0 += rows) {
      const mc = min(rows, m - i0);
      const acc = i0 > 0 ? 1 : accumulate;
      const wi = W + (<usize>i0) * sw;
      const xi = x + ((<usize>i0) << 2);
      const jEnd = <usize>j1;
      let j: usize = <usize>j0;
      for (; j + 96 <= jEnd; j += 96) axpyPanel24(y + j, wi + j, xi, sw, mc, acc, j + 96 == sw ? tail : full);
      for (; j + 64 <= jEnd; j += 64) axpyPanel16(y + j, wi + j, xi, sw, mc, acc, j + 64 == sw ? tail : full);
      for (; j < jEnd; j += 16) axpyPanel4(y + j, wi + j, xi, sw, mc, acc, j + 16 == sw ? tail : full);
    }
  } else {
    // Scalar twin, same loop order: column groups of 4, rows of W innermost. Padding columns of W
    // are 0 and are read but never stored.
    for (let j = j0 >> 2; j < min(n, j1 >> 2); j += 4) {
      const live = min(n - j, 4);
      const yj = y + ((<usize>j) << 2);
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      if (accumulate) {
        s0 = load<f32>(yj); if (live > 1) s1 = load<f32>(yj, 4); if (live > 2) s2 = load<f32>(yj, 8); if (live > 3) s3 = load<f32>(yj, 12);
      }
      let wp = W + ((<usize>j) << 2);
      for (let k: usize = 0; k < (<usize>m) << 2; k += 4) {
        const a = load<f32>(x + k);
        s0 += a * load<f32>(wp);
        s1 += a * load<f32>(wp, 4);
        s2 += a * load<f32>(wp, 8);
        s3 += a * load<f32>(wp, 12);
        wp += sw;
      }
      store<f32>(yj, s0);
      if (live > 1) store<f32>(yj, s1, 4);
      if (live > 2) store<f32>(yj, s2, 8);
      if (live > 3) store<f32>(yj, s3, 12);
    }
  }
}
