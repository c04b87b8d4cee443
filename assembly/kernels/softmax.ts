// Row-wise softmax: y[r, j] = exp(x[r, j] − max_k x[r, k]) / Σ_k exp(x[r, k] − max_k x[r, k]).
// Subtracting the row maximum keeps every exp ≤ 1 (no overflow) without changing the result.
// exp has no WebAssembly SIMD instruction, so both paths call Mathf.exp per element; the SIMD path
// vectorises the final scaling. The row sum uses four partial sums (lane j mod 4) in both paths, so
// the SIMD build and the scalar twin give bit-identical results.

/**
 * y = softmax(x) per row, rows × cols with row stride ceil4(cols). y may alias x. Padding lanes of
 * y are written 0.
 */
export function softmaxRows(y: usize, x: usize, rows: i32, cols: i32): void {
  const stride = (cols + 3) & ~3;
  const rowBytes = (<usize>stride) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    let m = load<f32>(xr);
    for (let j = 1; j < cols; j++) m = max(m, load<f32>(xr + ((<usize>j) << 2)));
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const p = (<usize>j) << 2;
      const e0 = Mathf.exp(load<f32>(xr + p) - m);
      const e1 = Mathf.exp(load<f32>(xr + p, 4) - m);
      const e2 = Mathf.exp(load<f32>(xr + p, 8) - m);
      const e3 = Mathf.exp(load<f32>(xr + p, 12) - m);
      store<f32>(yr + p, e0);
      store<f32>(yr + p, e1, 4);
      store<f32>(yr + p, e2, 8);
      store<f32>(yr + p, e3, 12);
      s0 += e0;
      s1 += e1;
      s2 += e2;
      s3 += e3;
    }
    for (let k = 0; j < cols; j++, k++) {
      const p = (<usize>j) << 2;
      const e = Mathf.exp(load<f32>(xr + p) - m);
      store<f32>(yr + p, e);
      if (k == 0) s0 += e;
      else if (k == 1) s1 += e;
      else s2 += e;
    }
    for (; j < stride; j++) store<f32>(yr + ((<usize>j) << 2), 0);
    const inv: f32 = <f32>1 / ((s0 + s1) + (s2 + s3));
    if (ASC_FEATURE_SIMD) {
      const vinv = f32x4.splat(inv);
      for (let q = 0; q < stride; q += 4) {
        const p = yr + ((<usize>q) << 2);
        v128.store(p, f32x4.mul(v128.load(p), vinv));
      }
    } else {
      for (let q = 0; q < stride; q++) {
        const p = yr + ((<usize>q) << 2);
        store<f32>(p, load<f32>(p) * inv);
      }
    }
  }
}
