// Sign with magnitude, elementwise over rows × cols tensors (row stride ceil4(cols)):
//   signMul:   y = m ⊙ sign(x)
//   signScale: y = s · sign(x)
// sign(x) is +1 for x > 0, −1 for x < 0 and 0 for x = ±0 and for NaN, so padding lanes (x = 0)
// stay exactly 0. Both paths compute the same expression per element (a product with one of
// −1, 0, +1 is exact), so the SIMD build and the scalar twin agree bit for bit.

// @ts-ignore: decorator
@inline function signOf(x: f32): f32 {
  return x > 0 ? <f32>1 : x < 0 ? <f32>-1 : <f32>0;
}

/** y = m ⊙ sign(x). y may alias m or x. */
export function signMul(y: usize, m: usize, x: usize, rows: i32, cols: i32): void {
  const n = <usize>rows * <usize>((cols + 3) & ~3);
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    const zero = f32x4.splat(0);
    for (let i: usize = 0; i < n; i += 4) {
      const o = i << 2;
      const xv = v128.load(x + o);
      const s = f32x4.sub(v128.and(f32x4.gt(xv, zero), one), v128.and(f32x4.lt(xv, zero), one));
      v128.store(y + o, f32x4.mul(v128.load(m + o), s));
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      const o = i << 2;
      store<f32>(y + o, load<f32>(m + o) * signOf(load<f32>(x + o)));
    }
  }
}

/** y = s · sign(x). y may alias x. */
export function signScale(y: usize, x: usize, rows: i32, cols: i32, s: f32): void {
  const n = <usize>rows * <usize>((cols + 3) & ~3);
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    const zero = f32x4.splat(0);
    const vs = f32x4.splat(s);
    for (let i: usize = 0; i < n; i += 4) {
      const o = i << 2;
      const xv = v128.load(x + o);
      const sg = f32x4.sub(v128.and(f32x4.gt(xv, zero), one), v128.and(f32x4.lt(xv, zero), one));
      v128.store(y + o, f32x4.mul(vs, sg));
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      const o = i << 2;
      store<f32>(y + o, s * signOf(load<f32>(x + o)));
    }
  }
}
