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
