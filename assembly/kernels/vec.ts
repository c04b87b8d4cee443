// Vector helpers shared by the linear-algebra kernels (gemv.ts, gemm.ts, outer.ts).
// Only reachable from code under `if (ASC_FEATURE_SIMD)`, so the scalar build never sees a v128.

/** Bytes per row of a matrix with `cols` columns: rows are padded to ceil4(cols) floats (src/core/arena.ts). */
// @ts-ignore: decorator
@inline export function rowBytes(cols: i32): usize {
  return (<usize>((cols + 3) & ~3)) << 2;
}

/**
 * a·b + c. The relaxed build uses f32x4.relaxed_madd (one fused multiply-add where the hardware has
 * it, so results may differ from the separate multiply and add in the last bit); the SIMD build
 * rounds the product and the sum separately.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** [Σa, Σb, Σc, Σd]: the four horizontal sums of four accumulators, in one vector. */
// @ts-ignore: decorator
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  // Transpose-and-add: two rounds of interleave + add instead of twelve lane extractions.
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/**
 * [r0·v, r1·v, r2·v, r3·v]: four dot products of one vector v (the `bytes` bytes at v) with four rows
 * r0, r0 + stride, r0 + 2·stride, r0 + 3·stride, one vector step per trip with every pointer
 * incremented (see gemm.ts for why this loop shape). gemv's four-row tile, gemmNT's one-row tile and
 * its four-rows-of-X tail are all this product.
 */
// @ts-ignore: decorator
@inline export function dot4(v: usize, r0: usize, stride: usize, bytes: usize): v128 {
  let r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = v + bytes; // rows are never empty, so the loop runs at least once
  do {
    const a = v128.load(v);
    c0 = madd(a, v128.load(r0), c0);
    c1 = madd(a, v128.load(r1), c1);
    c2 = madd(a, v128.load(r2), c2);
    c3 = madd(a, v128.load(r3), c3);
    v += 16; r0 += 16; r1 += 16; r2 += 16; r3 += 16;
  } while (v < end);
  return hsum4(c0, c1, c2, c3);
}

/** Σ of the four lanes of `a`. */
// @ts-ignore: decorator
@inline export function hsum(a: v128): f32 {
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * All-ones in the lanes of the last vector of a row that hold real columns, zero in its padding
 * lanes. ANDed into the last stored vector of each output row so that padding stays exactly 0 even
 * when an input holds ±Inf or NaN (0 × Inf would otherwise put NaN there).
 */
// @ts-ignore: decorator
@inline export function lastMask(cols: i32): v128 {
  const live = ((cols - 1) & 3) + 1;
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(live));
}
