// Shared checks for the public kernel wrappers: every tensor live, all in one core, scalars finite.
import { Tensor } from "../core/arena.js";
import { DendriticError, DisposedError, ShapeError, ValueError, assertFinite } from "../core/errors.js";
import type { CoreExports } from "../core/wasm.js";

/**
 * Checks that every named argument is a live Tensor of the same core and returns that core's exports.
 * Errors name the argument: `gemv: W used after dispose()`.
 */
export function coreOf(op: string, tensors: Record<string, Tensor>): CoreExports {
  let core: CoreExports | undefined;
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof Tensor)) throw new ShapeError(`${op}: ${name} must be a Tensor`);
    if (t.disposed) throw new DisposedError(`${op}: ${name} used after dispose()`);
    const ex = t.live(`${op}: ${name}`).exports;
    if (core === undefined) core = ex;
    else if (core !== ex) throw new ShapeError(`${op}: ${name} belongs to another core instance`);
  }
  if (core === undefined) throw new ShapeError(`${op}: no tensors given`);
  return core;
}

/** Throws ShapeError unless tensor `t` is rows × cols. */
export function expectShape(op: string, name: string, t: Tensor, rows: number, cols: number): void {
  if (t.rows !== rows || t.cols !== cols) {
    throw new ShapeError(`${op}: ${name} must be ${rows}×${cols}, got ${t.rows}×${t.cols}`);
  }
}

/**
 * Throws ValueError unless every named scalar is finite, also as the float32 the core receives
 * (a number beyond ±3.4028235e38 would arrive as ±Infinity).
 */
export function expectFinite(op: string, scalars: Record<string, number>): void {
  for (const [name, x] of Object.entries(scalars)) {
    assertFinite(x, `${op}: ${name}`);
    if (!Number.isFinite(Math.fround(x))) throw new ValueError(`${op}: ${name} must fit in float32 (|x| ≤ 3.4028235e38), got ${x}`);
  }
}

/** A raw export as a function, with a clear error if this build lacks it. */
export function exported<F>(core: CoreExports, name: string): F {
  const f = core[name];
  if (typeof f !== "function") throw new DendriticError(`this build of the core has no export '${name}' (rebuild with npm run build:wasm)`);
  return f as F;
}
