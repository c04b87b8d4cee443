// Inverted dropout (Srivastava et al. 2014, with the 1/(1 − rate) scale applied at training time so
// the test pass is the identity). The keep decision comes from uniform variates u ∈ [0, 1) supplied
// by the caller (counter-based noise, so a mask is reproducible from seed, stream and counter):
//   mask = u ≥ rate ? 1/(1 − rate) : 0,   y = mask · x,   dx = mask · dy.
// Only logical columns are written; padding lanes of y and mask stay 0 (with rate = 0 a padding
// lane of mask would otherwise be 1).

/** Writes mask and y = mask·x for a rows × cols tensor (stride ceil4(cols)). 0 ≤ rate < 1. */
export function dropoutForward(y: usize, mask: usize, x: usize, u: usize, rows: i32, cols: i32, rate: f32): void {
  const rs = <usize>((cols + 3) & ~3) << 2;
  const scale = <f32>1 / (<f32>1 - rate);
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * rs;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const vr = f32x4.splat(rate);
      const vs = f32x4.splat(scale);
      for (; c + 4 <= cols; c += 4) {
        const o = ro + (<usize>c << 2);
        const m = v128.and(f32x4.ge(v128.load(u + o), vr), vs);
        v128.store(mask + o, m);
        v128.store(y + o, f32x4.mul(m, v128.load(x + o)));
      }
    }
    for (; c < cols; c++) {
      const o = ro + (<usize>c << 2);
      const m: f32 = load<f32>(u + o) >= rate ? scale : 0;
      store<f32>(mask + o, m);
      store<f32>(y + o, m * load<f32>(x + o));
    }
  }
}

/** dx = mask · dy (dx may alias dy). */
export function dropoutBackward(dx: usize, dy: usize, mask: usize, rows: i32, cols: i32): void {
  const rs = <usize>((cols + 3) & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * rs;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const o = ro + (<usize>c << 2);
        v128.store(dx + o, f32x4.mul(v128.load(mask + o), v128.load(dy + o)));
      }
    }
    for (; c < cols; c++) {
      const o = ro + (<usize>c << 2);
      store<f32>(dx + o, load<f32>(mask + o) * load<f32>(dy + o));
    }
  }
}
