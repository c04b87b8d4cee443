// Shared numeric checks for the tests. Every float assertion in the suite states its tolerance; these
// helpers apply it and name the worst element when it fails.
import * as assert from "uvu/assert";
import { mulberry32 } from "../../src/core/random.ts";

/** Unit roundoff of float32 (half an ulp of 1). */
export const U32 = 2 ** -24;

/**
 * Tolerance of `allClose`: element i passes when |got[i] − ref[i]| ≤ abs + rel·|ref[i]| (the
 * semantics of numpy.allclose with atol = abs, rtol = rel; the reference, not the result, scales
 * the relative part, so the check is not symmetric). Either part defaults to 0. A function gives
 * each element its own bound. Equal values (including equal infinities) always pass; NaN passes
 * only against NaN.
 */
export type Tolerance = { abs?: number; rel?: number } | ((i: number) => number);

export interface CloseReport {
  ok: boolean;
  /** Index with the largest error beyond its bound (or the largest error when all pass). */
  worst: number;
  /** |got − ref| at `worst`. */
  error: number;
  /** The bound at `worst`. */
  bound: number;
}

/** Compares elementwise under `tol` (see Tolerance); lengths must match. */
export function allClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): CloseReport {
  if (got.length !== ref.length) throw new Error(`allClose: length ${got.length} vs reference ${ref.length}`);
  const bound = typeof tol === "function" ? tol : (i: number) => (tol.abs ?? 0) + (tol.rel ?? 0) * Math.abs(ref[i]);
  let ok = true,
    worst = -1,
    worstExcess = -Infinity,
    worstErr = 0,
    worstBound = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i],
      r = ref[i];
    if (g === r || (Number.isNaN(g) && Number.isNaN(r))) continue;
    const err = Math.abs(g - r);
    const b = bound(i);
    if (!(err <= b)) ok = false; // NaN on one side only fails here
    const excess = Number.isNaN(err) ? Infinity : err - b;
    if (excess > worstExcess) {
      worst = i;
      worstExcess = excess;
      worstErr = err;
      worstBound = b;
    }
  }
  return { ok, worst, error: worstErr, bound: worstBound };
}

/** allClose as an assertion: the message names `what`, the worst element, its value, reference and bound. */
export function assertAllClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance, what: string): void {
  assert.is(got.length, ref.length, `${what}: length`);
  const r = allClose(got, ref, tol);
  if (!r.ok) assert.unreachable(`${what}: element ${r.worst} is ${got[r.worst]}, reference ${ref[r.worst]}, |error| ${r.error} > ${r.bound}`);
}

/** The float32 ulp at |x| (spacing of float32 values around x; the subnormal spacing below 2⁻¹²⁶). */
export function ulp32(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a)) return NaN;
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Largest |got[i] − ref[i]| in float32 ulps of ref[i] (Infinity when any pair is NaN on one side). */
export function maxUlp(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) throw new Error(`maxUlp: length ${got.length} vs reference ${ref.length}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i],
      r = ref[i];
    if (g === r || (Number.isNaN(g) && Number.isNaN(r))) continue;
    const e = Math.abs(g - r) / ulp32(r);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** n float32 values uniform in [lo, hi) from mulberry32(seed). */
export function values(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

/** Asserts that every padding lane of a tensor (columns cols…stride of each row) is exactly +0. */
export function assertPaddingZero(t: { rows: number; cols: number; stride: number; peek(): Float32Array }, what: string): void {
  const raw = t.peek();
  const bits = new Uint32Array(raw.buffer, raw.byteOffset, raw.length);
  for (let r = 0; r < t.rows; r++) {
    for (let c = t.cols; c < t.stride; c++) {
      if (bits[r * t.stride + c] !== 0)
        assert.unreachable(`${what}: padding lane [${r}, ${c}] holds ${raw[r * t.stride + c]} (bits ${bits[r * t.stride + c].toString(16)})`);
    }
  }
}
