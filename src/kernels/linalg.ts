// Linear-algebra kernels on Tensors (assembly/kernels/gemv.ts, gemm.ts, outer.ts). Shapes are
// derived from the tensors and checked here, before anything reaches WebAssembly; vectors are
// 1 × n tensors. The output never aliases an input (the kernels read inputs after writing outputs).
import type { Tensor } from "../core/arena.js";
import { ShapeError, ValueError } from "../core/errors.js";
import { coreOf, expectFinite, expectShape, exported } from "./util.js";

export interface AccumulateOptions {
  /** Add into the output instead of overwriting it (default false). */
  accumulate?: boolean;
}

type Product = (out: number, a: number, b: number, p: number, q: number, r: number, accumulate: number) => void;
type MatVec = (out: number, W: number, x: number, m: number, n: number, accumulate: number) => void;
type Rank1 = (W: number, a: number, c: number, m: number, n: number, eta: number) => void;
type RankK = (W: number, A: number, C: number, k: number, m: number, n: number, eta: number) => void;

function vectorLength(op: string, name: string, t: Tensor, n: number, what: string): void {
  if (t.rows !== 1 || t.cols !== n) {
    throw new ShapeError(`${op}: ${name} must be a vector (1×${n}) of length ${what}, got ${t.rows}×${t.cols}`);
  }
}

function distinct(op: string, out: [string, Tensor], inputs: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t === out[1]) throw new ShapeError(`${op}: ${out[0]} must not be the same tensor as ${name} (outputs may not alias inputs)`);
  }
}

function accumulateFlag(op: string, options: AccumulateOptions | undefined): number {
  const a = options?.accumulate ?? false;
  if (typeof a !== "boolean") throw new ValueError(`${op}: options.accumulate must be a boolean, got ${String(a)}`);
  return a ? 1 : 0;
}

/** y (+)= W x. W is m×n, x a vector of length n, y a vector of length m. */
export function gemv(y: Tensor, W: Tensor, x: Tensor, options?: AccumulateOptions): Tensor {
  const core = coreOf("gemv", { y, W, x });
  const acc = accumulateFlag("gemv", options);
  const m = W.rows,
    n = W.cols;
  vectorLength("gemv", "x", x, n, `W.cols = ${n}`);
  vectorLength("gemv", "y", y, m, `W.rows = ${m}`);
  distinct("gemv", ["y", y], { W, x });
  exported<MatVec>(core, "gemv")(y.ptr, W.ptr, x.ptr, m, n, acc);
  return y;
}

/** y (+)= Wᵀ x. W is m×n, x a vector of length m, y a vector of length n. */
export function gemvT(y: Tensor, W: Tensor, x: Tensor, options?: AccumulateOptions): Tensor {
  const core = coreOf("gemvT", { y, W, x });
  const acc = accumulateFlag("gemvT", options);
  const m = W.rows,
    n = W.cols;
  vectorLength("gemvT", "x", x, m, `W.rows = ${m}`);
  vectorLength("gemvT", "y", y, n, `W.cols = ${n}`);
  distinct("gemvT", ["y", y], { W, x });
  exported<MatVec>(core, "gemvT")(y.ptr, W.ptr, x.ptr, m, n, acc);
  return y;
}

/** Y (+)= X Wᵀ (a layer's forward pass). X is b×n, W m×n, Y b×m. */
export function gemmNT(Y: Tensor, X: Tensor, W: Tensor, options?: AccumulateOptions): Tensor {
  const core = coreOf("gemmNT", { Y, X, W });
  const acc = accumulateFlag("gemmNT", options);
  const b = X.rows,
    m = W.rows,
    n = W.cols;
  if (X.cols !== n) throw new ShapeError(`gemmNT: X must have W.cols = ${n} columns, got ${X.rows}×${X.cols}`);
  expectShape("gemmNT", "Y", Y, b, m);
  distinct("gemmNT", ["Y", Y], { X, W });
  exported<Product>(core, "gemmNT")(Y.ptr, X.ptr, W.ptr, b, m, n, acc);
  return Y;
}

/** Y (+)= X W (also the backward pass dX = dY W). X is b×m, W m×n, Y b×n. */
export function gemmNN(Y: Tensor, X: Tensor, W: Tensor, options?: AccumulateOptions): Tensor {
  const core = coreOf("gemmNN", { Y, X, W });
  const acc = accumulateFlag("gemmNN", options);
  const b = X.rows,
    m = W.rows,
    n = W.cols;
  if (X.cols !== m) throw new ShapeError(`gemmNN: X must have W.rows = ${m} columns, got ${X.rows}×${X.cols}`);
  expectShape("gemmNN", "Y", Y, b, n);
  distinct("gemmNN", ["Y", Y], { X, W });
  exported<Product>(core, "gemmNN")(Y.ptr, X.ptr, W.ptr, b, m, n, acc);
  return Y;
}

/** W += eta · a cᵀ in place. W is m×n, a a vector of length m, c a vector of length n. */
export function ger(W: Tensor, a: Tensor, c: Tensor, eta: number): Tensor {
  const core = coreOf("ger", { W, a, c });
  expectFinite("ger", { eta });
  const m = W.rows,
    n = W.cols;
  vectorLength("ger", "a", a, m, `W.rows = ${m}`);
  vectorLength("ger", "c", c, n, `W.cols = ${n}`);
  distinct("ger", ["W", W], { a, c });
  exported<Rank1>(core, "ger")(W.ptr, a.ptr, c.ptr, m, n, eta);
  return W;
}

/** W += eta · Aᵀ C in place (rank k, no temporary matrix). W is m×n, A k×m, C k×n. */
export function gerK(W: Tensor, A: Tensor, C: Tensor, eta: number): Tensor {
  const core = coreOf("gerK", { W, A, C });
  expectFinite("gerK", { eta });
  const m = W.rows,
    n = W.cols,
    k = A.rows;
  if (A.cols !== m) throw new ShapeError(`gerK: A must have W.rows = ${m} columns, got ${A.rows}×${A.cols}`);
  expectShape("gerK", "C", C, k, n);
  distinct("gerK", ["W", W], { A, C });
  exported<RankK>(core, "gerK")(W.ptr, A.ptr, C.ptr, k, m, n, eta);
  return W;
}
