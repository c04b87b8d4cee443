// Mini-batch matrix products, the two forms the layered models need:
//   gemmNT  Y (b×m) (+)= X (b×n) · Wᵀ     forward pass of a layer, W m×n
//   gemmNN  Y (b×n) (+)= X (b×m) · W      Y = X W, and the backward pass dX = dY W
// Layout (src/core/arena.ts): row-major, each row padded to ceil4(cols) floats, 16-byte aligned,
// padding lanes 0 on input and kept 0 on output. Pointers are byte addresses, sizes are elements,
// `accumulate` 0 overwrites the output, 1 adds into it. The output must not overlap X or W (outputs
// are stored while inputs are still being read).
import { rowBytes, madd, hsum, hsum4, dot4, lastMask } from "./vec";
import { parallel } from "./pool";
import { J_GEMM_NT, J_GEMM_NN, THREAD_SCRATCH } from "../../src/core/pool-layout";

// ---------------------------------------------------------------------------------------------
// gemmNT: every output is a dot product of a row of X with a row of W, both contiguous and both
// zero-padded to a multiple of 4, so the inner loop runs over whole vectors with no tail.
// Register tile: 2 rows of X × 4 rows of W = 8 vector accumulators (the STYLE.md budget of ~15
// vector registers leaves room for the two X vectors and one W vector in flight). The 4 W rows
// (4 × 3 KB at n = 784) stay in L1 while every pair of X rows streams past them.

// Loop shape (checked in the x64 code V8 emits): one vector step per trip with every row pointer
// incremented, no manual unrolling. V8 unrolls such a loop twice by itself; unrolling it by hand as
// well makes TurboFan hoist all loads of both steps ahead of the arithmetic and spill accumulators.

/** Y[r, i..i+3] (+)= X[r] · W[i..i+3] and the same for row r+1. */
// @ts-ignore: decorator
@inline function ntTile2x4(y: usize, sy: usize, x0: usize, w0: usize, sx: usize, accumulate: i32): void {
  let x1 = x0 + sx;
  let w1 = w0 + sx, w2 = w1 + sx, w3 = w2 + sx;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const end = x1; // rows are never empty, so the loop runs at least once
  do {
    const a0 = v128.load(x0), a1 = v128.load(x1);
    let b = v128.load(w0); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
    b = v128.load(w1); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
    b = v128.load(w2); c02 = madd(a0, b, c02); c12 = madd(a1, b, c12);
    b = v128.load(w3); c03 = madd(a0, b, c03); c13 = madd(a1, b, c13);
    x0 += 16; x1 += 16; w0 += 16; w1 += 16; w2 += 16; w3 += 16;
  } while (x0 < end);
  let r0 = hsum4(c00, c01, c02, c03);
  let r1 = hsum4(c10, c11, c12, c13);
  if (accumulate) {
    r0 = f32x4.add(v128.load(y), r0);
    r1 = f32x4.add(v128.load(y + sy), r1);
  }
  v128.store(y, r0);
  v128.store(y + sy, r1);
}

/** Y[r, i..i+3] (+)= X[r] · W[i..i+3] for a single row of X. */
// @ts-ignore: decorator
@inline function ntTile1x4(y: usize, x0: usize, w0: usize, sx: usize, accumulate: i32): void {
  let r = dot4(x0, w0, sx, sx);
  if (accumulate) r = f32x4.add(v128.load(y), r);
  v128.store(y, r);
}

/** Y[r..r+3, i] (+)= X[r..r+3] · W[i]: one W row (the m % 4 tail) against four rows of X. */
// @ts-ignore: decorator
@inline function ntTile4x1(y: usize, sy: usize, x0: usize, w0: usize, sx: usize, accumulate: i32): void {
  storeColumn4(y, sy, dot4(w0, x0, sx, sx), accumulate);
}

/** Stores (or adds) lane q of `v` at y + q·sy, q = 0…3: four rows of one output column. */
// @ts-ignore: decorator
@inline function storeColumn4(y: usize, sy: usize, v: v128, accumulate: i32): void {
  const y1 = y + sy, y2 = y1 + sy, y3 = y2 + sy;
  let a = f32x4.extract_lane(v, 0), b = f32x4.extract_lane(v, 1), c = f32x4.extract_lane(v, 2), d = f32x4.extract_lane(v, 3);
  if (accumulate) {
    a += load<f32>(y); b += load<f32>(y1); c += load<f32>(y2); d += load<f32>(y3);
  }
  store<f32>(y, a); store<f32>(y1, b); store<f32>(y2, c); store<f32>(y3, d);
}

/** Stores (or adds) the scalar `v` at y. */
// @ts-ignore: decorator
@inline function storeOne(y: usize, v: f32, accumulate: i32): void {
  store<f32>(y, accumulate ? load<f32>(y) + v : v);
}

/** Y[r..r+3, i..i+1] (+)= X[r..r+3] · W[i..i+1]: the m % 4 = 2 tail, 8 accumulators. */
// @ts-ignore: decorator
@inline function ntTile4x2(y: usize, sy: usize, x0: usize, w0: usize, sx: usize, accumulate: i32): void {
  let x1 = x0 + sx, x2 = x1 + sx, x3 = x2 + sx, w1 = w0 + sx;
  let c00 = f32x4.splat(0), c10 = f32x4.splat(0), c20 = f32x4.splat(0), c30 = f32x4.splat(0);
  let c01 = f32x4.splat(0), c11 = f32x4.splat(0), c21 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = x1;
  do {
    const b0 = v128.load(w0), b1 = v128.load(w1);
    let a = v128.load(x0); c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load(x1); c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load(x2); c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load(x3); c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    x0 += 16; x1 += 16; x2 += 16; x3 += 16; w0 += 16; w1 += 16;
  } while (x0 < end);
  storeColumn4(y, sy, hsum4(c00, c10, c20, c30), accumulate);
  storeColumn4(y + 4, sy, hsum4(c01, c11, c21, c31), accumulate);
}

/** Y[r..r+1, i..i+2] (+)= X[r..r+1] · W[i..i+2]: the m % 4 = 3 tail, 6 accumulators. */
// @ts-ignore: decorator
@inline function ntTile2x3(y: usize, sy: usize, x0: usize, w0: usize, sx: usize, accumulate: i32): void {
  let x1 = x0 + sx, w1 = w0 + sx, w2 = w1 + sx;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  const end = x1;
  do {
    const a0 = v128.load(x0), a1 = v128.load(x1);
    let b = v128.load(w0); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
    b = v128.load(w1); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
    b = v128.load(w2); c02 = madd(a0, b, c02); c12 = madd(a1, b, c12);
    x0 += 16; x1 += 16; w0 += 16; w1 += 16; w2 += 16;
  } while (x0 < end);
  const s0 = hsum4(c00, c01, c02, c10);
  const s1 = hsum4(c11, c12, c11, c12);
  const y1 = y + sy;
  storeOne(y, f32x4.extract_lane(s0, 0), accumulate);
  storeOne(y + 4, f32x4.extract_lane(s0, 1), accumulate);
  storeOne(y + 8, f32x4.extract_lane(s0, 2), accumulate);
  storeOne(y1, f32x4.extract_lane(s0, 3), accumulate);
  storeOne(y1 + 4, f32x4.extract_lane(s1, 0), accumulate);
  storeOne(y1 + 8, f32x4.extract_lane(s1, 1), accumulate);
}

/** Y[r, i] (+)= X[r] · W[i]: a single dot product. */
// @ts-ignore: decorator
@inline function ntTile1x1(y: usize, x0: usize, w0: usize, sx: usize, accumulate: i32): void {
  let c0 = f32x4.splat(0);
  const end = x0 + sx;
  do {
    c0 = madd(v128.load(x0), v128.load(w0), c0);
    x0 += 16; w0 += 16;
  } while (x0 < end);
  const d = hsum(c0);
  store<f32>(y, accumulate ? load<f32>(y) + d : d);
}

/** Y (b×m) (+)= X (b×n) · Wᵀ with W m×n. Large products are split over the thread pool (pool.ts). */
export function gemmNT(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, accumulate: i32): void {
  if (parallel(J_GEMM_NT, <i64>b * <i64>m * <i64>n, <i32>Y, <i32>X, <i32>W, b, m, n, accumulate)) return;
  gemmNTRange(Y, X, W, b, m, n, accumulate, 0, m);
}

/**
 * Columns i0 ≤ i < i1 of Y (rows of W) of gemmNT; i0 and i1 multiples of 4 except i1 = m. Every
 * output is computed exactly as by the whole product.
 */
export function gemmNTRange(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, accumulate: i32, i0: i32, i1: i32): void {
  const sx = rowBytes(n); // X and W rows both have n columns
  const sy = rowBytes(m);
  const m4 = m & ~3;
  const e4 = min(i1, m4);
  if (ASC_FEATURE_SIMD) {
    for (let i = i0; i < e4; i += 4) {
      const w = W + (<usize>i) * sx;
      const yi = Y + ((<usize>i) << 2);
      let r = 0;
      for (; r + 2 <= b; r += 2) ntTile2x4(yi + (<usize>r) * sy, sy, X + (<usize>r) * sx, w, sx, accumulate);
      if (r < b) ntTile1x4(yi + (<usize>r) * sy, X + (<usize>r) * sx, w, sx, accumulate);
    }
    // The m % 4 tail rows of W, with tiles as wide as the register budget allows.
    const t = i1 == m ? m - m4 : 0;
    const w = W + (<usize>m4) * sx;
    const yi = Y + ((<usize>m4) << 2);
    let r = 0;
    if (t == 3) for (; r + 2 <= b; r += 2) ntTile2x3(yi + (<usize>r) * sy, sy, X + (<usize>r) * sx, w, sx, accumulate);
    if (t == 2) for (; r + 4 <= b; r += 4) ntTile4x2(yi + (<usize>r) * sy, sy, X + (<usize>r) * sx, w, sx, accumulate);
    if (t == 1) for (; r + 4 <= b; r += 4) ntTile4x1(yi + (<usize>r) * sy, sy, X + (<usize>r) * sx, w, sx, accumulate);
    for (let i = 0; i < t; i++) {
      for (let q = r; q < b; q++) ntTile1x1(yi + (<usize>q) * sy + ((<usize>i) << 2), X + (<usize>q) * sx, w + (<usize>i) * sx, sx, accumulate);
    }
  } else {
    // Scalar twin, same loop order: W rows in blocks of 4, rows of X, k innermost.
    for (let i = i0; i < e4; i += 4) {
      const w0 = W + (<usize>i) * sx, w1 = w0 + sx, w2 = w1 + sx, w3 = w2 + sx;
      for (let r = 0; r < b; r++) {
        const x = X + (<usize>r) * sx;
        let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
        for (let k: usize = 0; k < (<usize>n) << 2; k += 4) {
          const a = load<f32>(x + k);
          s0 += a * load<f32>(w0 + k);
          s1 += a * load<f32>(w1 + k);
          s2 += a * load<f32>(w2 + k);
          s3 += a * load<f32>(w3 + k);
        }
        const y = Y + (<usize>r) * sy + ((<usize>i) << 2);
        if (accumulate) {
          s0 += load<f32>(y); s1 += load<f32>(y, 4); s2 += load<f32>(y, 8); s3 += load<f32>(y, 12);
        }
        store<f32>(y, s0); store<f32>(y, s1, 4); store<f32>(y, s2, 8); store<f32>(y, s3, 12);
      }
    }
    for (let i = max(m4, i0); i < i1; i++) {
      const w = W + (<usize>i) * sx;
      for (let r = 0; r < b; r++) {
        const x = X + (<usize>r) * sx;
        let s: f32 = 0;
        for (let k: usize = 0; k < (<usize>n) << 2; k += 4) s += load<f32>(x + k) * load<f32>(w + k);
        const y = Y + (<usize>r) * sy + ((<usize>i) << 2);
        store<f32>(y, accumulate ? load<f32>(y) + s : s);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gemmNN: each output row is a combination of rows of W, Y[r, :] = Σ_i X[r, i] W[i, :]. Register
// tile: 2 rows of Y × 16 columns (4 vectors) = 8 accumulators; per step of i, 4 loads of W (one
// 64-byte row segment, immediate offsets from one pointer) and 2 broadcasts of X (v128.load32_splat).
// The W panel (m rows × 64 B = 32 KB at m = 500) is reused from cache by every pair of rows.

/** Y[r..r+1, j..j+15] (+)= X[r..r+1, :] · W[:, j..j+15]. `y`, `w` point at column j. */
// @ts-ignore: decorator
@inline function nnTile2x16(y: usize, sy: usize, x0: usize, sx: usize, w: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let x1 = x0 + sx;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const y1 = y + sy;
  if (accumulate) {
    c00 = v128.load(y); c01 = v128.load(y, 16); c02 = v128.load(y, 32); c03 = v128.load(y, 48);
    c10 = v128.load(y1); c11 = v128.load(y1, 16); c12 = v128.load(y1, 32); c13 = v128.load(y1, 48);
  }
  const end = x0 + ((<usize>m) << 2);
  do {
    const a0 = v128.load32_splat(x0), a1 = v128.load32_splat(x1);
    let b = v128.load(w); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
    b = v128.load(w, 16); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
    b = v128.load(w, 32); c02 = madd(a0, b, c02); c12 = madd(a1, b, c12);
    b = v128.load(w, 48); c03 = madd(a0, b, c03); c13 = madd(a1, b, c13);
    x0 += 4; x1 += 4; w += sw;
  } while (x0 < end);
  v128.store(y, c00); v128.store(y, c01, 16); v128.store(y, c02, 32); v128.store(y, v128.and(c03, mask), 48);
  v128.store(y1, c10); v128.store(y1, c11, 16); v128.store(y1, c12, 32); v128.store(y1, v128.and(c13, mask), 48);
}

/** Y[r, j..j+15] (+)= X[r, :] · W[:, j..j+15] for a single row. */
// @ts-ignore: decorator
@inline function nnTile1x16(y: usize, x0: usize, w: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  if (accumulate) {
    c0 = v128.load(y); c1 = v128.load(y, 16); c2 = v128.load(y, 32); c3 = v128.load(y, 48);
  }
  const end = x0 + ((<usize>m) << 2);
  do {
    const a = v128.load32_splat(x0);
    c0 = madd(a, v128.load(w), c0);
    c1 = madd(a, v128.load(w, 16), c1);
    c2 = madd(a, v128.load(w, 32), c2);
    c3 = madd(a, v128.load(w, 48), c3);
    x0 += 4; w += sw;
  } while (x0 < end);
  v128.store(y, c0); v128.store(y, c1, 16); v128.store(y, c2, 32); v128.store(y, v128.and(c3, mask), 48);
}

/** Y[r..r+1, j..j+11] (+)= X[r..r+1, :] · W[:, j..j+11]: a 3-vector tail panel, 6 accumulators. */
// @ts-ignore: decorator
@inline function nnTile2x12(y: usize, sy: usize, x0: usize, sx: usize, w: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let x1 = x0 + sx;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  const y1 = y + sy;
  if (accumulate) {
    c00 = v128.load(y); c01 = v128.load(y, 16); c02 = v128.load(y, 32);
    c10 = v128.load(y1); c11 = v128.load(y1, 16); c12 = v128.load(y1, 32);
  }
  const end = x0 + ((<usize>m) << 2);
  do {
    const a0 = v128.load32_splat(x0), a1 = v128.load32_splat(x1);
    let b = v128.load(w); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
    b = v128.load(w, 16); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
    b = v128.load(w, 32); c02 = madd(a0, b, c02); c12 = madd(a1, b, c12);
    x0 += 4; x1 += 4; w += sw;
  } while (x0 < end);
  v128.store(y, c00); v128.store(y, c01, 16); v128.store(y, v128.and(c02, mask), 32);
  v128.store(y1, c10); v128.store(y1, c11, 16); v128.store(y1, v128.and(c12, mask), 32);
}

/** Y[r..r+1, j..j+7] (+)= X[r..r+1, :] · W[:, j..j+7]: a 2-vector tail panel, 4 accumulators. */
// @ts-ignore: decorator
@inline function nnTile2x8(y: usize, sy: usize, x0: usize, sx: usize, w: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let x1 = x0 + sx;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  const y1 = y + sy;
  if (accumulate) {
    c00 = v128.load(y); c01 = v128.load(y, 16);
    c10 = v128.load(y1); c11 = v128.load(y1, 16);
  }
  const end = x0 + ((<usize>m) << 2);
  do {
    const a0 = v128.load32_splat(x0), a1 = v128.load32_splat(x1);
    let b = v128.load(w); c00 = madd(a0, b, c00); c10 = madd(a1, b, c10);
    b = v128.load(w, 16); c01 = madd(a0, b, c01); c11 = madd(a1, b, c11);
    x0 += 4; x1 += 4; w += sw;
  } while (x0 < end);
  v128.store(y, c00); v128.store(y, v128.and(c01, mask), 16);
  v128.store(y1, c10); v128.store(y1, v128.and(c11, mask), 16);
}

/** Y[r..r+3, j..j+3] (+)= X[r..r+3, :] · W[:, j..j+3]: one column vector (the tail of a row). */
// @ts-ignore: decorator
@inline function nnTile4x4(y: usize, sy: usize, x0: usize, sx: usize, w: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let x1 = x0 + sx, x2 = x1 + sx, x3 = x2 + sx;
  const y1 = y + sy, y2 = y1 + sy, y3 = y2 + sy;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  if (accumulate) {
    c0 = v128.load(y); c1 = v128.load(y1); c2 = v128.load(y2); c3 = v128.load(y3);
  }
  const end = x0 + ((<usize>m) << 2);
  do {
    const b = v128.load(w);
    c0 = madd(v128.load32_splat(x0), b, c0);
    c1 = madd(v128.load32_splat(x1), b, c1);
    c2 = madd(v128.load32_splat(x2), b, c2);
    c3 = madd(v128.load32_splat(x3), b, c3);
    x0 += 4; x1 += 4; x2 += 4; x3 += 4; w += sw;
  } while (x0 < end);
  v128.store(y, v128.and(c0, mask)); v128.store(y1, v128.and(c1, mask));
  v128.store(y2, v128.and(c2, mask)); v128.store(y3, v128.and(c3, mask));
}

/** Y[r, j..j+3] (+)= X[r, :] · W[:, j..j+3]. */
// @ts-ignore: decorator
@inline function nnTile1x4(y: usize, x0: usize, w: usize, sw: usize, m: i32, accumulate: i32, mask: v128): void {
  let c0 = accumulate ? v128.load(y) : f32x4.splat(0);
  const end = x0 + ((<usize>m) << 2);
  do {
    c0 = madd(v128.load32_splat(x0), v128.load(w), c0);
    x0 += 4; w += sw;
  } while (x0 < end);
  v128.store(y, v128.and(c0, mask));
}

// Large batches: a 64-byte column panel of W is reused by b/2 row pairs, but its rows lie a full W
// row apart; at power-of-two widths (1024 floats = 4 KB) they all fall into the same few cache sets
// and the panel is evicted between row pairs. So for b ≥ NN_PACK_MIN_BATCH the panel is copied, in
// chunks of NN_KC rows of W (16 KB, within L1), into a contiguous buffer first; the Y tiles
// then accumulate over the chunks. Small batches reuse a panel too few times to repay the copy.
// @ts-ignore: decorator
@inline const NN_KC = 256;
// @ts-ignore: decorator
@inline const NN_PACK_MIN_BATCH = 32;
// Bytes of the packing buffer: nnPanel here and each pool thread's scratch (THREAD_SCRATCH, the
// same size by construction); the wide-row path below packs a block of panels into all of it.
// @ts-ignore: decorator
@inline const NN_BLOCK = THREAD_SCRATCH;
const nnPanel: usize = memory.data(NN_BLOCK, 64);

/** Y (b×n) (+)= X (b×m) · W with W m×n. Large products are split over the thread pool (pool.ts). */
export function gemmNN(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, accumulate: i32): void {
  if (parallel(J_GEMM_NN, <i64>b * <i64>m * <i64>n, <i32>Y, <i32>X, <i32>W, b, m, n, accumulate)) return;
  gemmNNRange(Y, X, W, b, m, n, accumulate, 0, <i32>rowBytes(n), nnPanel);
}

/**
 * Byte columns j0 ≤ j < j1 of every row of Y of gemmNN (j0, j1 multiples of 64 except j1 = the
 * padded row's bytes), packing W panels into `panel` (NN_KC × 64 bytes, owned by the calling thread).
 * Every output is computed exactly as by the whole product.
 */
export function gemmNNRange(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, accumulate: i32, j0: i32, j1: i32, panel: usize): void {
  const sx = rowBytes(m);
  const sw = rowBytes(n); // W and Y rows both have n columns
  const nb = sw; // bytes of a padded row of Y
  if (j0 >= j1) return;
  if (ASC_FEATURE_SIMD) {
    const full = i32x4.splat(-1);
    const tail = lastMask(n);
    const jEnd0 = <usize>j1;
    let packed = b >= NN_PACK_MIN_BATCH;
    if (packed && (sw & 4095) != 0 && <i32>(jEnd0 - <usize>j0) > 64) {
      // Wide rows (the dense layer's W, n = 6272: rows 25 KB apart): the packed path below visits
      // every row pair of Y once per 64-byte panel, and each of those tiles starts on two rows of Y
      // in pages and cache lines of their own (TLB and cache misses that the prefetcher cannot
      // foresee). Here a block of NN_BLOCK / (64·kc) panels is packed at once, and each row pair
      // runs through the whole block, so consecutive tiles touch consecutive bytes of Y. Each tile
      // is the packed path's: the same operations in the same order, so the same bits.
      const kcMax = min(m, NN_KC);
      const per = <usize>kcMax << 6; // bytes of one packed panel
      const jb = <usize>max(1, NN_BLOCK / <i32>per) << 6; // bytes of Y columns per block
      const jFull = <usize>j0 + ((jEnd0 - <usize>j0) & ~63);
      for (let i0 = 0; i0 < m; i0 += kcMax) {
        const kc = min(kcMax, m - i0);
        const acc = i0 > 0 ? 1 : accumulate;
        const xi = X + ((<usize>i0) << 2);
        const wi = W + (<usize>i0) * sw;
        const kb = <usize>kc << 6;
        for (let jc: usize = <usize>j0; jc < jFull; jc += jb) {
          const je = min(jc + jb, jFull);
          // Pack: panel q of the block (columns jc + 64q …) is kc rows of 64 bytes at panel + q·kb.
          let src = wi + jc;
          for (let i = 0; i < kc; i++) {
            let dst = panel + ((<usize>i) << 6);
            for (let j = jc; j < je; j += 64) {
              const o = j - jc;
              v128.store(dst, v128.load(src + o)); v128.store(dst, v128.load(src + o, 16), 16);
              v128.store(dst, v128.load(src + o, 32), 32); v128.store(dst, v128.load(src + o, 48), 48);
              dst += kb;
            }
            src += sw;
          }
          let r = 0;
          for (; r + 2 <= b; r += 2) {
            const y = Y + (<usize>r) * sw, x = xi + (<usize>r) * sx;
            let pp = panel;
            for (let j = jc; j < je; j += 64) {
              nnTile2x16(y + j, sw, x, sx, pp, 64, kc, acc, j + 64 == nb ? tail : full);
              pp += kb;
            }
          }
          if (r < b) {
            const y = Y + (<usize>r) * sw, x = xi + (<usize>r) * sx;
            let pp = panel;
            for (let j = jc; j < je; j += 64) {
              nnTile1x16(y + j, x, pp, 64, kc, acc, j + 64 == nb ? tail : full);
              pp += kb;
            }
          }
        }
      }
      if (jFull == jEnd0) return;
      j0 = <i32>jFull; // the last 1–3 vectors of a row: the tails below, unpacked
      packed = false;
    }
    const kcMax = packed ? NN_KC : m;
    for (let i0 = 0; i0 < m; i0 += kcMax) {
      const kc = min(kcMax, m - i0);
      const acc = i0 > 0 ? 1 : accumulate;
      const xi = X + ((<usize>i0) << 2);
      const wi = W + (<usize>i0) * sw;
      // Column panels of 16 floats (64 B); the last panel of a row masks its padding lanes.
      const jEnd = <usize>j1;
      let j: usize = <usize>j0;
      for (; j + 64 <= jEnd; j += 64) {
        const mask = j + 64 == nb ? tail : full;
        let w = wi + j;
        let ws = sw;
        if (packed) {
          let src = w, dst = panel;
          const end = panel + ((<usize>kc) << 6);
          do {
            v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
            v128.store(dst, v128.load(src, 32), 32); v128.store(dst, v128.load(src, 48), 48);
            src += sw; dst += 64;
          } while (dst < end);
          w = panel;
          ws = 64;
        }
        let r = 0;
        for (; r + 2 <= b; r += 2) nnTile2x16(Y + (<usize>r) * sw + j, sw, xi + (<usize>r) * sx, sx, w, ws, kc, acc, mask);
        if (r < b) nnTile1x16(Y + (<usize>r) * sw + j, xi + (<usize>r) * sx, w, ws, kc, acc, mask);
      }
      // The last 1–3 vectors of a row: row pairs with a 3- or 2-vector tile, else 4 rows × 1 vector.
      const left = (jEnd - j) >> 4;
      let r = 0;
      if (left == 3) for (; r + 2 <= b; r += 2) nnTile2x12(Y + (<usize>r) * sw + j, sw, xi + (<usize>r) * sx, sx, wi + j, sw, kc, acc, tail);
      if (left == 2) for (; r + 2 <= b; r += 2) nnTile2x8(Y + (<usize>r) * sw + j, sw, xi + (<usize>r) * sx, sx, wi + j, sw, kc, acc, tail);
      if (left == 1) for (; r + 4 <= b; r += 4) nnTile4x4(Y + (<usize>r) * sw + j, sw, xi + (<usize>r) * sx, sx, wi + j, sw, kc, acc, tail);
      for (; r < b; r++) {
        for (let jj = j; jj < jEnd; jj += 16) nnTile1x4(Y + (<usize>r) * sw + jj, xi + (<usize>r) * sx, wi + jj, sw, kc, acc, jj + 16 == nb ? tail : full);
      }
    }
  } else {
    // Scalar twin, same loop order: 4-column groups (one vector), rows of X, rows of W innermost.
    // Padding columns of W are 0 and are read but never stored.
    for (let j = j0 >> 2; j < min(n, j1 >> 2); j += 4) {
      const live = min(n - j, 4);
      const wj = W + ((<usize>j) << 2);
      for (let r = 0; r < b; r++) {
        const x = X + (<usize>r) * sx;
        const y = Y + (<usize>r) * sw + ((<usize>j) << 2);
        let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
        if (accumulate) {
          s0 = load<f32>(y); if (live > 1) s1 = load<f32>(y, 4); if (live > 2) s2 = load<f32>(y, 8); if (live > 3) s3 = load<f32>(y, 12);
        }
        let wp = wj;
        for (let k: usize = 0; k < (<usize>m) << 2; k += 4) {
          const a = load<f32>(x + k);
          s0 += a * load<f32>(wp);
          s1 += a * load<f32>(wp, 4);
          s2 += a * load<f32>(wp, 8);
          s3 += a * load<f32>(wp, 12);
          wp += sw;
        }
        store<f32>(y, s0);
        if (live > 1) store<f32>(y, s1, 4);
        if (live > 2) store<f32>(y, s2, 8);
        if (live > 3) store<f32>(y, s3, 12);
      }
    }
  }
}
