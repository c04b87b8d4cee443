// The machine's arithmetic ceiling for these builds: multiply-adds on registers only, no memory
// traffic. The GFLOP/s of `simdPeak` bound what any kernel of the same build can reach on the
// same core, so the linear-algebra benchmark reports it beside the kernels (bench/kernels.ts).
//
// 12 independent accumulator chains c ← c·a + b: a multiply and an add per chain and step, with no
// dependency between chains, enough to cover the multiply and add latencies (≈ 4 cycles each) on
// three vector ports. The SIMD build rounds the product and the sum separately (as the kernels do);
// the relaxed build fuses them (`madd`). The scalar twin does the same number of FLOPs lane by lane.
import { madd } from "./vec";

/** Runs `iters` steps of 12 chains × 4 lanes of c ← c·a + b (96 FLOPs per step); returns Σc. */
export function simdPeak(iters: i32, a: f32, b: f32): f32 {
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a), vb = f32x4.splat(b);
    let c0 = f32x4.splat(0.1), c1 = f32x4.splat(0.2), c2 = f32x4.splat(0.3), c3 = f32x4.splat(0.4);
    let c4 = f32x4.splat(0.5), c5 = f32x4.splat(0.6), c6 = f32x4.splat(0.7), c7 = f32x4.splat(0.8);
    let c8 = f32x4.splat(0.9), c9 = f32x4.splat(1.0), c10 = f32x4.splat(1.1), c11 = f32x4.splat(1.2);
    for (let i = 0; i < iters; i++) {
      c0 = madd(c0, va, vb); c1 = madd(c1, va, vb); c2 = madd(c2, va, vb); c3 = madd(c3, va, vb);
      c4 = madd(c4, va, vb); c5 = madd(c5, va, vb); c6 = madd(c6, va, vb); c7 = madd(c7, va, vb);
      c8 = madd(c8, va, vb); c9 = madd(c9, va, vb); c10 = madd(c10, va, vb); c11 = madd(c11, va, vb);
    }
    let s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
    s = f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)));
    return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  } else {
    // Scalar twin: the 48 lanes as 12 chains taking four steps each per vector step.
    let c0: f32 = 0.1, c1: f32 = 0.2, c2: f32 = 0.3, c3: f32 = 0.4, c4: f32 = 0.5, c5: f32 = 0.6;
    let c6: f32 = 0.7, c7: f32 = 0.8, c8: f32 = 0.9, c9: f32 = 1.0, c10: f32 = 1.1, c11: f32 = 1.2;
    const n = iters << 2;
    for (let i = 0; i < n; i++) {
      c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b;
      c4 = c4 * a + b; c5 = c5 * a + b; c6 = c6 * a + b; c7 = c7 * a + b;
      c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
    }
    return ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
  }
}
