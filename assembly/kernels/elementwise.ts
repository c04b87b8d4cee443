// Elementwise kernels: activations and their derivatives, leaky (Euler) integration, low-pass
// filtering, vector helpers and reductions.
//
// Contract (shared with every kernel): pointers are byte addresses of row-major tensors whose rows
// are padded to stride = ceil4(cols) floats, 16-byte aligned; sizes are element counts; padding
// lanes are 0 on input and every kernel leaves them exactly +0 in its output (the last vector of a
// row is masked, because e.g. logistic(0) = ½). Output may alias an input (in place).
// Every SIMD loop has a scalar twin right beside it with the same loop order (rows, then columns)
// and the same IEEE operations, so the two builds agree bit for bit (reductions excepted: they sum
// in a different order).
import { expS, expV, log1pUnitS, log1pUnitV, tailMask } from "./vmath";
import { parallelRows, poolResult } from "./pool";
import { EW_ALL_FINITE } from "../../src/core/pool-layout";

// ------------------------------------------------------------------------------------------------
// Activations. All use e = exp(−|x|) ≤ 1, so no intermediate overflows for any finite input.

// logistic(x) = 1/(1+e^−x): for x ≥ 0 it is 1/(1+e), for x < 0 it is e/(1+e) (no cancellation).
@inline function logisticV(x: v128): v128 {
  const e = expV(f32x4.neg(f32x4.abs(x)));
  const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(x, f32x4.splat(0.0)));
}
@inline function logisticS(x: f32): f32 {
  const e = expS(-abs<f32>(x));
  const s = <f32>1.0 / (<f32>1.0 + e);
  return x >= 0 ? s : e * s;
}

// logistic′(x) = φ(1−φ) = e/(1+e)² with e = e^−|x| (even in x; exact form, no 1−φ cancellation).
@inline function logisticGradV(x: v128): v128 {
  const e = expV(f32x4.neg(f32x4.abs(x)));
  const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return f32x4.mul(f32x4.mul(e, s), s);
}
@inline function logisticGradS(x: f32): f32 {
  const e = expS(-abs<f32>(x));
  const s = <f32>1.0 / (<f32>1.0 + e);
  return e * s * s;
}

// softplus(z) = log(1+e^z) = max(z,0) + log1p(e^−|z|): finite for every finite z.
@inline function softplusV(z: v128): v128 {
  const t = expV(f32x4.neg(f32x4.abs(z)));
  return f32x4.add(f32x4.pmax(z, f32x4.splat(0.0)), log1pUnitV(t));
}
@inline function softplusS(z: f32): f32 {
  const t = expS(-abs<f32>(z));
  return (z < 0 ? <f32>0 : z) + log1pUnitS(t); // = pmax(z, 0), as the SIMD twin
}

// tanh: Cephes tanhf. |x| < 0.625: odd polynomial x + x³·P(x²); otherwise sign(x)·(1 − 2e/(1+e))
// with e = e^−2|x| (= (1−e)/(1+e), no overflow).
const TH_SMALL: f32 = 0.625;
const TP0: f32 = -5.70498872745e-3;
const TP1: f32 = 2.06390887954e-2;
const TP2: f32 = -5.37397155531e-2;
const TP3: f32 = 1.33314422036e-1;
const TP4: f32 = -3.33332819422e-1;
@inline function tanhV(x: v128): v128 {
  const a = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(f32x4.splat(TP0), z), f32x4.splat(TP1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = expV(f32x4.mul(a, f32x4.splat(-2.0)));
  const t = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.add(e, e), f32x4.add(f32x4.splat(1.0), e)));
  const large = v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, large, f32x4.lt(a, f32x4.splat(TH_SMALL)));
}
@inline function tanhS(x: f32): f32 {
  const a = abs<f32>(x);
  if (a < TH_SMALL) {
    const z = x * x;
    let p = TP0 * z + TP1;
    p = p * z + TP2;
    p = p * z + TP3;
    p = p * z + TP4;
    return p * z * x + x;
  }
  const e = expS(a * <f32>-2.0);
  const t = <f32>1.0 - (e + e) / (<f32>1.0 + e);
  return reinterpret<f32>(reinterpret<i32>(t) | (reinterpret<i32>(x) & 0x80000000));
}

// tanh′(x) = 1 − tanh² = 4e/(1+e)² with e = e^−2|x| (no cancellation for large |x|).
@inline function tanhGradV(x: v128): v128 {
  const e = expV(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  const d = f32x4.add(f32x4.splat(1.0), e);
  return f32x4.div(f32x4.mul(f32x4.splat(4.0), e), f32x4.mul(d, d));
}
@inline function tanhGradS(x: f32): f32 {
  const e = expS(abs<f32>(x) * <f32>-2.0);
  const d = <f32>1.0 + e;
  return (<f32>4.0 * e) / (d * d);
}

// ------------------------------------------------------------------------------------------------
// One loop skeleton for every activation, specialised by a constant op code (each exported kernel
// inlines it with a literal op, and the optimiser removes the other branches). When cols is a
// multiple of 4 the tensor is one contiguous run of vectors; otherwise each row runs its full
// vectors and then its last vector masked to the logical lanes. The SIMD loop handles four vectors
// per iteration: V8 does not overlap the long dependency chains of consecutive iterations, and
// four independent chains per iteration measured 1.8× faster for logistic than one.

const OP_EXP = 0;
const OP_LOGISTIC = 1;
const OP_LOGISTIC_GRAD = 2;
const OP_SOFTRECT = 3;
const OP_SOFTRECT_GRAD = 4;
const OP_RELU = 5;
const OP_RELU_GRAD = 6;
const OP_TANH = 7;
const OP_TANH_GRAD = 8;

// p0, p1, p2: the op's scalars (softRect: γ, β, θ; softRectGrad: γβ, β, θ).
@inline function opV(op: i32, x: v128, p0: v128, p1: v128, p2: v128): v128 {
  if (op == OP_EXP) return expV(x);
  if (op == OP_LOGISTIC) return logisticV(x);
  if (op == OP_LOGISTIC_GRAD) return logisticGradV(x);
  if (op == OP_SOFTRECT) return f32x4.mul(p0, softplusV(f32x4.mul(f32x4.sub(x, p2), p1)));
  if (op == OP_SOFTRECT_GRAD) return f32x4.mul(p0, logisticV(f32x4.mul(f32x4.sub(x, p2), p1)));
  if (op == OP_RELU) return f32x4.pmax(x, f32x4.splat(0.0));
  if (op == OP_RELU_GRAD) return v128.and(f32x4.gt(x, f32x4.splat(0.0)), f32x4.splat(1.0));
  if (op == OP_TANH) return tanhV(x);
  return tanhGradV(x);
}

@inline function opS(op: i32, x: f32, p0: f32, p1: f32, p2: f32): f32 {
  if (op == OP_EXP) return expS(x);
  if (op == OP_LOGISTIC) return logisticS(x);
  if (op == OP_LOGISTIC_GRAD) return logisticGradS(x);
  if (op == OP_SOFTRECT) return p0 * softplusS((x - p2) * p1);
  if (op == OP_SOFTRECT_GRAD) return p0 * logisticS((x - p2) * p1);
  if (op == OP_RELU) return x < 0 ? <f32>0 : x; // = pmax(x, 0): keeps NaN and −0, like the SIMD twin
  if (op == OP_RELU_GRAD) return x > 0 ? <f32>1.0 : <f32>0.0;
  if (op == OP_TANH) return tanhS(x);
  return tanhGradS(x);
}

@inline function mapUnary(op: i32, y: usize, x: usize, rows: i32, cols: i32, p0: f32, p1: f32, p2: f32): void {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const v0 = f32x4.splat(p0);
    const v1 = f32x4.splat(p1);
    const v2 = f32x4.splat(p2);
    const tail = cols & 3;
    const nrows = tail == 0 ? 1 : rows;
    const full = tail == 0 ? (<usize>rows * <usize>cols) << 2 : (<usize>(cols & ~3)) << 2; // bytes of whole vectors
    const full4 = full & ~(<usize>63);
    const mask = tail == 0 ? i32x4.splat(-1) : tailMask(tail);
    for (let r = 0; r < nrows; r++) {
      const xr = x + <usize>r * rowBytes;
      const yr = y + <usize>r * rowBytes;
      let i: usize = 0;
      for (; i < full4; i += 64) {
        const a = v128.load(xr + i);
        const b = v128.load(xr + i, 16);
        const c = v128.load(xr + i, 32);
        const d = v128.load(xr + i, 48);
        v128.store(yr + i, opV(op, a, v0, v1, v2));
        v128.store(yr + i, opV(op, b, v0, v1, v2), 16);
        v128.store(yr + i, opV(op, c, v0, v1, v2), 32);
        v128.store(yr + i, opV(op, d, v0, v1, v2), 48);
      }
      for (; i < full; i += 16) v128.store(yr + i, opV(op, v128.load(xr + i), v0, v1, v2));
      if (tail != 0) v128.store(yr + full, v128.and(opV(op, v128.load(xr + full), v0, v1, v2), mask));
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c = 0; c < cols; c++) {
        const p = o + ((<usize>c) << 2);
        store<f32>(y + p, opS(op, load<f32>(x + p), p0, p1, p2));
      }
    }
  }
}

/** y = e^x (Cephes expf, see vmath.ts for the accuracy). */
export function expInto(y: usize, x: usize, rows: i32, cols: i32): void {
  mapUnary(OP_EXP, y, x, rows, cols, 0, 0, 0);
}

/** y = logistic(x) = 1/(1+e^−x). */
export function logistic(y: usize, x: usize, rows: i32, cols: i32): void {
  mapUnary(OP_LOGISTIC, y, x, rows, cols, 0, 0, 0);
}

/** y = logistic′(x) = φ(x)(1 − φ(x)), evaluated at the pre-activation x. */
export function logisticGrad(y: usize, x: usize, rows: i32, cols: i32): void {
  mapUnary(OP_LOGISTIC_GRAD, y, x, rows, cols, 0, 0, 0);
}

/** y = γ·log(1 + exp(β(x − θ))) (soft rectifier, SCBS18; docs/model.md §1.9), finite for every finite input. */
export function softRect(y: usize, x: usize, rows: i32, cols: i32, gamma: f32, beta: f32, theta: f32): void {
  mapUnary(OP_SOFTRECT, y, x, rows, cols, gamma, beta, theta);
}

/** y = d/dx γ·log(1 + exp(β(x − θ))) = γβ·logistic(β(x − θ)). */
export function softRectGrad(y: usize, x: usize, rows: i32, cols: i32, gamma: f32, beta: f32, theta: f32): void {
  mapUnary(OP_SOFTRECT_GRAD, y, x, rows, cols, gamma * beta, beta, theta);
}

/** y = max(x, 0) (NaN propagates; pmax: one instruction, −0 stays −0). */
export function relu(y: usize, x: usize, rows: i32, cols: i32): void {
  mapUnary(OP_RELU, y, x, rows, cols, 0, 0, 0);
}

/** y = 1 where x > 0, else 0 (the subgradient 0 at x = 0). */
export function reluGrad(y: usize, x: usize, rows: i32, cols: i32): void {
  mapUnary(OP_RELU_GRAD, y, x, rows, cols, 0, 0, 0);
}

/** y = tanh(x) (Cephes tanhf). */
export function tanhAct(y: usize, x: usize, rows: i32, cols: i32): void {
  mapUnary(OP_TANH, y, x, rows, cols, 0, 0, 0);
}

/** y = tanh′(x) = 1 − tanh²(x). */
export function tanhGrad(y: usize, x: usize, rows: i32, cols: i32): void {
  mapUnary(OP_TANH_GRAD, y, x, rows, cols, 0, 0, 0);
}

// ------------------------------------------------------------------------------------------------
// Leaky integration.

@inline function compartmentV(
  u: usize, v1: usize, v2: usize, xi: usize, a: v128, b1: v128, b2: v128, cx: v128, hasV2: bool, hasXi: bool,
): v128 {
  let s = f32x4.add(f32x4.mul(a, v128.load(u)), f32x4.mul(b1, v128.load(v1)));
  if (hasV2) s = f32x4.add(s, f32x4.mul(b2, v128.load(v2)));
  if (hasXi) s = f32x4.add(s, f32x4.mul(cx, v128.load(xi)));
  return s;
}

// One body for the four variants (with/without v2, with/without noise); inlined with constant
// flags, so each variant compiles to its own loop without per-element branches.
@inline function compartmentBody(
  u: usize, v1: usize, v2: usize, xi: usize, rows: i32, cols: i32,
  a: f32, b1: f32, b2: f32, cx: f32, hasV2: bool, hasXi: bool,
): void {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(a);
    const b1v = f32x4.splat(b1);
    const b2v = f32x4.splat(b2);
    const cv = f32x4.splat(cx);
    const tail = cols & 3;
    if (tail == 0) {
      const end = (<usize>rows * <usize>cols) << 2;
      for (let p: usize = 0; p < end; p += 16) {
        v128.store(u + p, compartmentV(u + p, v1 + p, v2 + p, xi + p, av, b1v, b2v, cv, hasV2, hasXi));
      }
    } else {
      const mask = tailMask(tail);
      const full = (<usize>(cols & ~3)) << 2;
      for (let r = 0; r < rows; r++) {
        const o = <usize>r * rowBytes;
        for (let p = o; p < o + full; p += 16) {
          v128.store(u + p, compartmentV(u + p, v1 + p, v2 + p, xi + p, av, b1v, b2v, cv, hasV2, hasXi));
        }
        const p = o + full;
        v128.store(u + p, v128.and(compartmentV(u + p, v1 + p, v2 + p, xi + p, av, b1v, b2v, cv, hasV2, hasXi), mask));
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c = 0; c < cols; c++) {
        const p = o + ((<usize>c) << 2);
        let s = a * load<f32>(u + p) + b1 * load<f32>(v1 + p);
        if (hasV2) s = s + b2 * load<f32>(v2 + p);
        if (hasXi) s = s + cx * load<f32>(xi + p);
        store<f32>(u + p, s);
      }
    }
  }
}

/**
 * Forward-Euler step of a conductance-based compartment (SCBS18; docs/model.md §1.3):
 *   u ← u + dt·(−gL·u + g1·(v1 − u) + g2·(v2 − u) + σ·ξ)
 * with σξ inside the derivative (increment dt·σ·ξ), as all published re-implementations do.
 * Evaluated as u ← a·u + dt·g1·v1 + dt·g2·v2 + dt·σ·ξ with a = 1 − dt(gL + g1 + g2) (a and the
 * products formed in f64, then rounded once). v2 = 0 omits the g2 term (then a = 1 − dt(gL + g1));
 * xi = 0 means no noise. v1, v2, xi have u's shape.
 */
export function compartmentStep(
  u: usize, v1: usize, v2: usize, xi: usize, rows: i32, cols: i32,
  dt: f32, gL: f32, g1: f32, g2: f32, sigma: f32,
): void {
  const dt64 = <f64>dt;
  const gSum = <f64>gL + <f64>g1 + (v2 != 0 ? <f64>g2 : 0.0);
  const a = <f32>(1.0 - dt64 * gSum);
  const b1 = <f32>(dt64 * <f64>g1);
  const b2 = <f32>(dt64 * <f64>g2);
  const cx = <f32>(dt64 * <f64>sigma);
  if (v2 != 0) {
    if (xi != 0) compartmentBody(u, v1, v2, xi, rows, cols, a, b1, b2, cx, true, true);
    else compartmentBody(u, v1, v2, xi, rows, cols, a, b1, b2, cx, true, false);
  } else {
    if (xi != 0) compartmentBody(u, v1, v2, xi, rows, cols, a, b1, b2, cx, false, true);
    else compartmentBody(u, v1, v2, xi, rows, cols, a, b1, b2, cx, false, false);
  }
}

/** Low-pass filter update D ← D + a·(G − D) (SCBS18; docs/model.md §1.5 with a = dt/τ_w; also the input filter §1.3). */
export function lowpass(D: usize, G: usize, rows: i32, cols: i32, a: f32): void {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(a);
    const tail = cols & 3;
    if (tail == 0) {
      const end = (<usize>rows * <usize>cols) << 2;
      for (let i: usize = 0; i < end; i += 16) {
        const d = v128.load(D + i);
        v128.store(D + i, f32x4.add(d, f32x4.mul(av, f32x4.sub(v128.load(G + i), d))));
      }
    } else {
      const mask = tailMask(tail);
      const full = (<usize>(cols & ~3)) << 2;
      for (let r = 0; r < rows; r++) {
        const o = <usize>r * rowBytes;
        for (let i: usize = 0; i < full; i += 16) {
          const d = v128.load(D + o + i);
          v128.store(D + o + i, f32x4.add(d, f32x4.mul(av, f32x4.sub(v128.load(G + o + i), d))));
        }
        const d = v128.load(D + o + full);
        v128.store(D + o + full, v128.and(f32x4.add(d, f32x4.mul(av, f32x4.sub(v128.load(G + o + full), d))), mask));
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c = 0; c < cols; c++) {
        const p = o + ((<usize>c) << 2);
        const d = load<f32>(D + p);
        store<f32>(D + p, d + a * (load<f32>(G + p) - d));
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Vector helpers.

// One loop skeleton for the two-operand kernels (axpy, scale, sub, mul), specialised by a constant
// op code like mapUnary above: y ← op(a, b) over the logical elements, the last vector of a row
// masked so padding stays 0. The operands are read inside the op, so `scale` never reads `a`.
const B_SUB = 0;
const B_MUL = 1;
const B_AXPY = 2; // a + s·b
const B_SCALE = 3; // s·b

// @ts-ignore: decorator
@inline function binaryV(op: i32, pa: usize, pb: usize, sv: v128): v128 {
  if (op == B_SCALE) return f32x4.mul(sv, v128.load(pb));
  const a = v128.load(pa);
  const b = v128.load(pb);
  if (op == B_SUB) return f32x4.sub(a, b);
  if (op == B_MUL) return f32x4.mul(a, b);
  return f32x4.add(a, f32x4.mul(sv, b));
}

// @ts-ignore: decorator
@inline function binaryS(op: i32, pa: usize, pb: usize, s: f32): f32 {
  if (op == B_SCALE) return s * load<f32>(pb);
  const a = load<f32>(pa);
  const b = load<f32>(pb);
  if (op == B_SUB) return a - b;
  if (op == B_MUL) return a * b;
  return a + s * b;
}

// @ts-ignore: decorator
@inline function mapBinary(op: i32, y: usize, a: usize, b: usize, rows: i32, cols: i32, s: f32): void {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const sv = f32x4.splat(s);
    const tail = cols & 3;
    if (tail == 0) {
      const end = (<usize>rows * <usize>cols) << 2;
      for (let i: usize = 0; i < end; i += 16) v128.store(y + i, binaryV(op, a + i, b + i, sv));
    } else {
      const mask = tailMask(tail);
      const full = (<usize>(cols & ~3)) << 2;
      for (let r = 0; r < rows; r++) {
        const o = <usize>r * rowBytes;
        for (let i: usize = 0; i < full; i += 16) v128.store(y + o + i, binaryV(op, a + o + i, b + o + i, sv));
        v128.store(y + o + full, v128.and(binaryV(op, a + o + full, b + o + full, sv), mask));
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c = 0; c < cols; c++) {
        const p = o + ((<usize>c) << 2);
        store<f32>(y + p, binaryS(op, a + p, b + p, s));
      }
    }
  }
}

/** y ← y + a·x. */
export function axpy(y: usize, x: usize, rows: i32, cols: i32, a: f32): void {
  mapBinary(B_AXPY, y, y, x, rows, cols, a);
}

/** y ← a·x. */
export function scaleInto(y: usize, x: usize, rows: i32, cols: i32, a: f32): void {
  mapBinary(B_SCALE, y, x, x, rows, cols, a);
}

/** y ← a − b. */
export function sub(y: usize, a: usize, b: usize, rows: i32, cols: i32): void {
  mapBinary(B_SUB, y, a, b, rows, cols, 0);
}

/** y ← a ⊙ b (elementwise product). */
export function mul(y: usize, a: usize, b: usize, rows: i32, cols: i32): void {
  mapBinary(B_MUL, y, a, b, rows, cols, 0);
}

/** y ← x (padded rows copied whole: x's padding is 0 by contract; overlap-safe). */
export function copy(y: usize, x: usize, rows: i32, cols: i32): void {
  memory.copy(y, x, (<usize>rows * <usize>((cols + 3) & ~3)) << 2);
}

/** Every logical element ← c; padding stays 0. */
export function fillConst(y: usize, rows: i32, cols: i32, c: f32): void {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    const tail = cols & 3;
    if (tail == 0) {
      const end = (<usize>rows * <usize>cols) << 2;
      for (let i: usize = 0; i < end; i += 16) v128.store(y + i, cv);
    } else {
      const last = v128.and(cv, tailMask(tail));
      const full = (<usize>(cols & ~3)) << 2;
      for (let r = 0; r < rows; r++) {
        const o = <usize>r * rowBytes;
        for (let i: usize = 0; i < full; i += 16) v128.store(y + o + i, cv);
        v128.store(y + o + full, last);
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c2 = 0; c2 < cols; c2++) store<f32>(y + o + ((<usize>c2) << 2), c);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Reductions over the logical elements (the last vector of a row is masked, so they do not rely on
// the padding).

/** Σ|x| accumulated in f64. */
export function sumAbs(x: usize, rows: i32, cols: i32): f64 {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    const tail = cols & 3;
    const mask = tail == 0 ? i32x4.splat(-1) : tailMask(tail);
    const full = tail == 0 ? (<usize>rows * <usize>cols) << 2 : (<usize>(cols & ~3)) << 2;
    const nrows = tail == 0 ? 1 : rows;
    for (let r = 0; r < nrows; r++) {
      const o = <usize>r * rowBytes;
      for (let i: usize = 0; i < full; i += 16) {
        const a = f32x4.abs(v128.load(x + o + i));
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(a));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(a, a, 2, 3, 0, 1)));
      }
      if (tail != 0) {
        const a = v128.and(f32x4.abs(v128.load(x + o + full)), mask);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(a));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(a, a, 2, 3, 0, 1)));
      }
    }
    const s = f64x2.add(lo, hi);
    return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  } else {
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c = 0; c < cols; c++) s += abs<f64>(<f64>load<f32>(x + o + ((<usize>c) << 2)));
    }
    return s;
  }
}

/** max |x|, or NaN if any element is NaN (f32 max propagates NaN). 0 for an all-zero tensor. */
export function maxAbsOrNaN(x: usize, rows: i32, cols: i32): f32 {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    let m = f32x4.splat(0);
    const tail = cols & 3;
    const mask = tail == 0 ? i32x4.splat(-1) : tailMask(tail);
    const full = tail == 0 ? (<usize>rows * <usize>cols) << 2 : (<usize>(cols & ~3)) << 2;
    const nrows = tail == 0 ? 1 : rows;
    for (let r = 0; r < nrows; r++) {
      const o = <usize>r * rowBytes;
      for (let i: usize = 0; i < full; i += 16) m = f32x4.max(m, f32x4.abs(v128.load(x + o + i)));
      if (tail != 0) m = f32x4.max(m, v128.and(f32x4.abs(v128.load(x + o + full)), mask));
    }
    return max<f32>(
      max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)),
      max<f32>(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)),
    );
  } else {
    let m: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c = 0; c < cols; c++) m = max<f32>(m, abs<f32>(load<f32>(x + o + ((<usize>c) << 2))));
    }
    return m;
  }
}

/**
 * 1 if every element is finite, else 0. (x − x is 0 for finite x and NaN for ±Infinity or NaN.)
 * Large tensors are checked by rows on every thread of the pool (the answer does not depend on the
 * order in which elements are seen).
 */
export function allFinite(x: usize, rows: i32, cols: i32): i32 {
  if (parallelRows(EW_ALL_FINITE, <i64>rows * <i64>cols * 2, rows, cols, <i32>x)) return poolResult();
  return allFiniteRows(x, rows, cols);
}

/** allFinite on the calling thread alone. */
export function allFiniteRows(x: usize, rows: i32, cols: i32): i32 {
  const rowBytes = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    // Four accumulators: one add chain would run at the adder's latency, not its throughput.
    let acc = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let acc2 = f32x4.splat(0);
    let acc3 = f32x4.splat(0);
    const tail = cols & 3;
    const mask = tail == 0 ? i32x4.splat(-1) : tailMask(tail);
    const full = tail == 0 ? (<usize>rows * <usize>cols) << 2 : (<usize>(cols & ~3)) << 2;
    const full4 = full & ~(<usize>63);
    const nrows = tail == 0 ? 1 : rows;
    for (let r = 0; r < nrows; r++) {
      const o = <usize>r * rowBytes;
      let i: usize = 0;
      for (; i < full4; i += 64) {
        const a = v128.load(x + o + i);
        const b = v128.load(x + o + i, 16);
        const c = v128.load(x + o + i, 32);
        const d = v128.load(x + o + i, 48);
        acc = f32x4.add(acc, f32x4.sub(a, a));
        acc1 = f32x4.add(acc1, f32x4.sub(b, b));
        acc2 = f32x4.add(acc2, f32x4.sub(c, c));
        acc3 = f32x4.add(acc3, f32x4.sub(d, d));
      }
      for (; i < full; i += 16) {
        const v = v128.load(x + o + i);
        acc = f32x4.add(acc, f32x4.sub(v, v));
      }
      if (tail != 0) {
        const v = v128.load(x + o + full);
        acc = f32x4.add(acc, v128.and(f32x4.sub(v, v), mask));
      }
    }
    acc = f32x4.add(f32x4.add(acc, acc1), f32x4.add(acc2, acc3));
    return i32x4.all_true(f32x4.eq(acc, f32x4.splat(0))) ? 1 : 0;
  } else {
    let acc: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      for (let c = 0; c < cols; c++) {
        const v = load<f32>(x + o + ((<usize>c) << 2));
        acc += v - v;
      }
    }
    return acc == 0 ? 1 : 0;
  }
}
