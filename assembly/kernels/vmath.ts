// Vector elementary functions (f32x4) and their scalar twins, shared by elementwise.ts and noise.ts.
//
// Each SIMD function has a scalar twin that performs the same IEEE operations in the same order
// (no fused multiply-add anywhere), so the SIMD and scalar builds give bit-identical results.
//
// exp: Cephes expf (S. L. Moshier, Cephes Math Library, 1984/1992): x = n·ln2 + r with
//   n = round(x·log2 e), ln2 split in C1 + C2 (C1 has 9 significant bits, so n·C1 is exact),
//   e^r ≈ 1 + r + r²·P(r) with a degree-5 minimax P on |r| ≤ ln2/2, then scaling by 2^n.
//   The scaling uses two factors 2^(n>>1)·2^(n−(n>>1)) so that results in the subnormal range
//   (x down to −104) and up to overflow (x > 88.72 → +Infinity) are rounded once, correctly.
//   Measured against Math.exp in f64 on 2²¹ evenly spaced points of [−87.3, 88.7]: max error
//   0.98 ulp (relative 7.9·10⁻⁸); test/kernels-elementwise.test.ts asserts ≤ 1 ulp.
// log: Cephes logf: x = m·2^e with m ∈ [√½, √2), log(1+f) ≈ f − f²/2 + f³·P(f) with a degree-8
//   P, plus e·ln2 in two parts. Domain: positive normal floats (all internal callers stay there).
//   Through softplus (log1p below) the measured max error vs float64 is 1.8 ulp on z ∈ [−80, 80].


// ---- exp constants (Cephes expf) ----
const EXP_HI: f32 = 89.0; // exp(89) overflows f32 → +Infinity through the scaling
const EXP_LO: f32 = -104.0; // exp(−104) < smallest subnormal / 2 → rounds to 0
const LOG2E: f32 = 1.44269504088896341;
// 1.5·2²³: adding it rounds any |v| < 2²² to an integer (round half to even) held in the low
// mantissa bits, so bits(v + M) − bits(M) is that integer.
const ROUND_MAGIC: f32 = 12582912.0;
const C1: f32 = 0.693359375;
const C2: f32 = -2.12194440e-4;
const EP0: f32 = 1.9875691500e-4;
const EP1: f32 = 1.3981999507e-3;
const EP2: f32 = 8.3334519073e-3;
const EP3: f32 = 4.1665795894e-2;
const EP4: f32 = 1.6666665459e-1;
const EP5: f32 = 5.0000001201e-1;

// ---- log constants (Cephes logf) ----
const SQRTHF: f32 = 0.707106781186547524;
const LP0: f32 = 7.0376836292e-2;
const LP1: f32 = -1.1514610310e-1;
const LP2: f32 = 1.1676998740e-1;
const LP3: f32 = -1.2420140846e-1;
const LP4: f32 = 1.4249322787e-1;
const LP5: f32 = -1.6668057665e-1;
const LP6: f32 = 2.0000714765e-1;
const LP7: f32 = -2.4999993993e-1;
const LP8: f32 = 3.3333331174e-1;

/** e^x for every f32 x (NaN → NaN, > 88.72 → +Infinity, < −103.97 → 0). */
@inline export function expV(x0: v128): v128 {
  // pmin/pmax (one instruction each) keep NaN: pmin(a, b) = b < a ? b : a returns a when a is NaN
  const x = f32x4.pmax(f32x4.pmin(x0, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  // n = round-half-even(x·log2 e), read both as a float and (from the low mantissa bits) as an integer
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(C1)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(C2)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(f32x4.splat(EP0), r), f32x4.splat(EP1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP5));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(1.0));
  const ni = i32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

@inline export function expS(x0: f32): f32 {
  const a = EXP_HI < x0 ? EXP_HI : x0;
  const x = a < EXP_LO ? EXP_LO : a;
  const t = x * LOG2E + ROUND_MAGIC;
  const n = t - ROUND_MAGIC;
  let r = x - n * C1;
  r = r - n * C2;
  const z = r * r;
  let p = EP0 * r + EP1;
  p = p * r + EP2;
  p = p * r + EP3;
  p = p * r + EP4;
  p = p * r + EP5;
  const y = p * z + r + <f32>1.0;
  const ni = reinterpret<i32>(t) - reinterpret<i32>(ROUND_MAGIC);
  const n1 = ni >> 1;
  const n2 = ni - n1;
  const s1 = reinterpret<f32>((n1 + 127) << 23);
  const s2 = reinterpret<f32>((n2 + 127) << 23);
  return y * s1 * s2;
}

/** Natural log of a positive normal x (Cephes logf). */
@inline export function logV(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000)); // m ∈ [½, 1)
  const small = f32x4.lt(m, f32x4.splat(SQRTHF));
  e = i32x4.add(e, small); // e − 1 where m < √½
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1.0)); // 2m − 1 or m − 1
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = f32x4.add(f32x4.mul(f32x4.splat(LP0), m), f32x4.splat(LP1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP2));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP3));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP4));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP5));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP6));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP7));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP8));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, f32x4.splat(C2)));
  y = f32x4.add(y, f32x4.mul(f32x4.splat(-0.5), z));
  let r = f32x4.add(m, y);
  return f32x4.add(r, f32x4.mul(fe, f32x4.splat(C1)));
}

@inline export function logS(x: f32): f32 {
  const bits = reinterpret<i32>(x);
  let e = (bits >>> 23) - 126;
  let m = reinterpret<f32>((bits & 0x007fffff) | 0x3f000000);
  if (m < SQRTHF) {
    e -= 1;
    m = m + m - <f32>1.0;
  } else {
    m = m - <f32>1.0;
  }
  const fe = <f32>e;
  const z = m * m;
  let y = LP0 * m + LP1;
  y = y * m + LP2;
  y = y * m + LP3;
  y = y * m + LP4;
  y = y * m + LP5;
  y = y * m + LP6;
  y = y * m + LP7;
  y = y * m + LP8;
  y = y * m * z;
  y = y + fe * C2;
  y = y + <f32>-0.5 * z;
  const r = m + y;
  return r + fe * C1;
}

/**
 * log(1 + t) for t ∈ [0, 1], accurate for tiny t: with u = 1 + t, log1p(t) = log(u) + (t − (u − 1))/u
 * (the rounding error of 1 + t corrected to first order; D. Goldberg, "What every computer
 * scientist should know about floating-point arithmetic", ACM Comput. Surv. 23(1), 1991, Thm 4).
 */
@inline export function log1pUnitV(t: v128): v128 {
  const u = f32x4.add(f32x4.splat(1.0), t);
  const corr = f32x4.div(f32x4.sub(t, f32x4.sub(u, f32x4.splat(1.0))), u);
  return f32x4.add(logV(u), corr);
}

@inline export function log1pUnitS(t: f32): f32 {
  const u = <f32>1.0 + t;
  const corr = (t - (u - <f32>1.0)) / u;
  return logS(u) + corr;
}

/** All-ones in lanes 0..k−1 (k = 1..3): keeps the logical part of a row's last vector. */
@inline export function tailMask(k: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(k));
}
