// Scaled transpose Y (cols × rows) = s · Xᵀ (X rows × cols), both with rows padded to ceil4 floats.
// It lets a weight gradient Aᵀ·C be formed by the row-major matrix kernels (gemm.ts) when the
// mini-batch dimension is long. 4 × 4 blocks are transposed in registers (two rounds of lane
// shuffles); rows of X beyond the last full block and output rows beyond `cols` are handled
// element by element, so nothing outside either tensor is read or written and Y's padding lanes
// (columns ≥ rows) are never written (they stay 0).

/** Y = s · Xᵀ. Y must not alias X. */
export function transposeScale(Y: usize, X: usize, rows: i32, cols: i32, s: f32): void {
  const sx = <usize>((cols + 3) & ~3) << 2;
  const sy = <usize>((rows + 3) & ~3) << 2;
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s);
    for (let r = 0; r < r4; r += 4) {
      const x0 = X + <usize>r * sx, x1 = x0 + sx, x2 = x1 + sx, x3 = x2 + sx;
      for (let c = 0; c < c4; c += 4) {
        const o = <usize>c << 2;
        const a = f32x4.mul(v128.load(x0 + o), vs), b = f32x4.mul(v128.load(x1 + o), vs);
        const e = f32x4.mul(v128.load(x2 + o), vs), d = f32x4.mul(v128.load(x3 + o), vs);
        const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(e, d, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(a, b, 2, 6, 3, 7), t3 = v128.shuffle<f32>(e, d, 2, 6, 3, 7);
        const y0 = Y + <usize>c * sy + (<usize>r << 2);
        v128.store(y0, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(y0 + sy, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
        v128.store(y0 + 2 * sy, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
        v128.store(y0 + 3 * sy, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
      }
      for (let c = c4; c < cols; c++) {
        const y = Y + <usize>c * sy + (<usize>r << 2);
        const o = <usize>c << 2;
        store<f32>(y, load<f32>(x0 + o) * s);
        store<f32>(y, load<f32>(x1 + o) * s, 4);
        store<f32>(y, load<f32>(x2 + o) * s, 8);
        store<f32>(y, load<f32>(x3 + o) * s, 12);
      }
    }
  } else {
    // Scalar twin, same loop order: 4-row blocks of X, columns inner.
    for (let r = 0; r < r4; r += 4) {
      for (let c = 0; c < cols; c++) {
        const y = Y + <usize>c * sy + (<usize>r << 2);
        for (let i = 0; i < 4; i++) store<f32>(y + (<usize>i << 2), load<f32>(X + <usize>(r + i) * sx + (<usize>c << 2)) * s);
      }
    }
  }
  for (let r = r4; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(Y + <usize>c * sy + (<usize>r << 2), load<f32>(X + <usize>r * sx + (<usize>c << 2)) * s);
  }
}
