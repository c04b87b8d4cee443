// Reproducible noise on Tensors (assembly/kernels/noise.ts): Philox4x32-10 counter-based streams.
// A stream is (seed, stream); element (r, c) of the output receives variate number
// counter + r·cols + c, so a caller keeps one integer counter per stream and advances it by the
// returned amount. The same (seed, stream, counter) gives bit-identical values in the SIMD and
// scalar builds, in Node and in browsers.
import type { Tensor } from "../core/arena.js";
import { ValueError, assertInt } from "../core/errors.js";
import { coreOf, expectFinite, exported } from "./util.js";

type Fill = (out: number, rows: number, cols: number, seed: number, stream: number, lo: number, hi: number, ...scalars: number[]) => void;

const U32_MAX = 2 ** 32 - 1;
const TWO32 = 2 ** 32;

function counterWords(op: string, out: Tensor, seed: number, stream: number, counter: number): [number, number] {
  assertInt(seed, `${op}: seed`, 0, U32_MAX);
  assertInt(stream, `${op}: stream`, 0, U32_MAX);
  if (typeof counter !== "number" || !Number.isInteger(counter) || counter < 0 || counter + out.length > Number.MAX_SAFE_INTEGER) {
    throw new ValueError(`${op}: counter must be an integer in [0, 2^53 − 1 − ${out.length}], got ${String(counter)}`);
  }
  return [counter % TWO32, Math.floor(counter / TWO32)];
}

/**
 * Fills `out` with standard normal variates (Box–Muller on Philox4x32-10) from stream
 * (seed, stream) starting at variate `counter`. Returns the counter for the next call
 * (counter + rows·cols), so successive calls continue the stream without overlap.
 */
export function gaussian(out: Tensor, seed: number, stream: number, counter: number): number {
  const core = coreOf("gaussian", { out });
  const [lo, hi] = counterWords("gaussian", out, seed, stream, counter);
  exported<Fill>(core, "gaussian")(out.ptr, out.rows, out.cols, seed, stream, lo, hi);
  return counter + out.length;
}

/**
 * Fills `out` with uniform variates lo + (hi − lo)·U, U ∈ [0, 1) on a 2⁻²⁴ grid (so values lie in
 * [lo, hi], hi reached only by float rounding), indexed like `gaussian`. Returns the next counter.
 */
export function uniform(out: Tensor, seed: number, stream: number, counter: number, lo = 0, hi = 1): number {
  const core = coreOf("uniform", { out });
  expectFinite("uniform", { lo, hi });
  if (!(lo <= hi) || !Number.isFinite(Math.fround(Math.fround(hi) - Math.fround(lo)))) {
    throw new ValueError(`uniform: need lo ≤ hi with a finite float32 difference, got lo = ${lo}, hi = ${hi}`);
  }
  const [cl, ch] = counterWords("uniform", out, seed, stream, counter);
  exported<Fill>(core, "uniform")(out.ptr, out.rows, out.cols, seed, stream, cl, ch, lo, hi);
  return counter + out.length;
}
