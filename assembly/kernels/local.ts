// Locally connected layer (a convolution whose filters are not shared across positions): output
// position p of image b is y[(b, p)] = W_p · cols[(b, p)], with cols the patch matrix of im2col3x3
// (rows (b, p), p = oy·Wo + ox, stride ceil4(n)) and W the P blocks W_p, each m × n with row stride
// ceil4(n), stored one after another (block p starts at float p·m·ceil4(n)).
// y has rows (b, p), stride ceil4(m).
// Dot products use four lane partial sums combined as (s0 + s1) + (s2 + s3) in both twins.

@inline function dot(a: usize, b: usize, n: i32): f32 {
  const n4 = (n + 3) & ~3; // padding lanes of both rows are 0
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (let k = 0; k < n4; k += 4) {
      const o = <usize>k << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
    return (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  } else {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let k = 0; k < n4; k += 4) {
      const o = <usize>k << 2;
      s0 += load<f32>(a + o) * load<f32>(b + o);
      s1 += load<f32>(a + o, 4) * load<f32>(b + o, 4);
      s2 += load<f32>(a + o, 8) * load<f32>(b + o, 8);
      s3 += load<f32>(a + o, 12) * load<f32>(b + o, 12);
    }
    return (s0 + s1) + (s2 + s3);
  }
}

/** dst[0..ceil4(n)) += s · src[0..ceil4(n)) (padding lanes stay 0 when they are 0 in src). */
@inline function axpyRow(dst: usize, src: usize, n: i32, s: f32): void {
  const n4 = (n + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s);
    for (let k = 0; k < n4; k += 4) {
      const o = <usize>k << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(vs, v128.load(src + o))));
    }
  } else {
    for (let k = 0; k < n4; k++) {
      const o = <usize>k << 2;
      store<f32>(dst + o, load<f32>(dst + o) + s * load<f32>(src + o));
    }
  }
}

/** y[(b, p)] = W_p · cols[(b, p)] for every image b < batch and position p < P. */
export function localForward(y: usize, cols: usize, w: usize, batch: i32, P: i32, m: i32, n: i32): void {
  const ns = <usize>((n + 3) & ~3);
  const ms = <usize>((m + 3) & ~3);
  for (let p = 0; p < P; p++) {
    const wp = w + (<usize>p * <usize>m * ns << 2);
    for (let b = 0; b < batch; b++) {
      const r = <usize>b * <usize>P + <usize>p;
      const xr = cols + (r * ns << 2);
      const yr = y + (r * ms << 2);
      for (let i = 0; i < m; i++) store<f32>(yr + (<usize>i << 2), dot(wp + (<usize>i * ns << 2), xr, n));
    }
  }
}

/** dcols[(b, p)] = W_pᵀ · dy[(b, p)] (overwrites dcols). */
export function localBackwardData(dcols: usize, dy: usize, w: usize, batch: i32, P: i32, m: i32, n: i32): void {
  const ns = <usize>((n + 3) & ~3);
  const ms = <usize>((m + 3) & ~3);
  memory.fill(dcols, 0, <usize>batch * <usize>P * ns << 2);
  for (let p = 0; p < P; p++) {
    const wp = w + (<usize>p * <usize>m * ns << 2);
    for (let b = 0; b < batch; b++) {
      const r = <usize>b * <usize>P + <usize>p;
      const dr = dcols + (r * ns << 2);
      const gr = dy + (r * ms << 2);
      for (let i = 0; i < m; i++) axpyRow(dr, wp + (<usize>i * ns << 2), n, load<f32>(gr + (<usize>i << 2)));
    }
  }
}

/** W_p += eta · Σ_b dy[(b, p)] ⊗ cols[(b, p)] (rank-batch update of every block). */
export function localUpdate(w: usize, dy: usize, cols: usize, batch: i32, P: i32, m: i32, n: i32, eta: f32): void {
  const ns = <usize>((n + 3) & ~3);
  const ms = <usize>((m + 3) & ~3);
  for (let p = 0; p < P; p++) {
    const wp = w + (<usize>p * <usize>m * ns << 2);
    for (let i = 0; i < m; i++) {
      const wr = wp + (<usize>i * ns << 2);
      for (let b = 0; b < batch; b++) {
        const r = <usize>b * <usize>P + <usize>p;
        const g = load<f32>(dy + ((r * ms + <usize>i) << 2));
        if (g != 0) axpyRow(wr, cols + (r * ns << 2), n, eta * g);
      }
    }
  }
}
