// Elementwise kernels on Tensors (assembly/kernels/elementwise.ts): activations and derivatives,
// the compartment Euler step, the low-pass filter, vector helpers and reductions. Shapes are taken
// from the output tensor; every other tensor must have the same rows × cols. Outputs may alias
// inputs (in place). Scalars must be finite. Padding lanes stay exactly 0.
import type { Tensor } from "../core/arena.js";
import { coreOf, expectFinite, expectShape, exported } from "./util.js";

type Unary = (y: number, x: number, rows: number, cols: number) => void;
type UnaryScalar = (y: number, x: number, rows: number, cols: number, a: number) => void;
type Unary3 = (y: number, x: number, rows: number, cols: number, a: number, b: number, c: number) => void;
type Binary = (y: number, a: number, b: number, rows: number, cols: number) => void;
type Step = (u: number, v1: number, v2: number, xi: number, rows: number, cols: number, dt: number, gL: number, g1: number, g2: number, sigma: number) => void;
type Reduce = (x: number, rows: number, cols: number) => number;

function sameShape(op: string, ref: [string, Tensor], others: Record<string, Tensor>): void {
  const [, t] = ref;
  for (const [name, o] of Object.entries(others)) expectShape(op, name, o, t.rows, t.cols);
}

function unary(op: string, exportName: string, y: Tensor, x: Tensor): Tensor {
  const core = coreOf(op, { y, x });
  sameShape(op, ["y", y], { x });
  exported<Unary>(core, exportName)(y.ptr, x.ptr, y.rows, y.cols);
  return y;
}

/** y = e^x (vectorised Cephes expf: ≤ 1 ulp from the exact value for normal results). */
export function exp(y: Tensor, x: Tensor): Tensor {
  return unary("exp", "expInto", y, x);
}

/** y = logistic(x) = 1 / (1 + e^−x). */
export function logistic(y: Tensor, x: Tensor): Tensor {
  return unary("logistic", "logistic", y, x);
}

/** y = logistic′(x) = φ(x)(1 − φ(x)), at the pre-activation x. */
export function logisticGrad(y: Tensor, x: Tensor): Tensor {
  return unary("logisticGrad", "logisticGrad", y, x);
}

/** y = max(x, 0). */
export function relu(y: Tensor, x: Tensor): Tensor {
  return unary("relu", "relu", y, x);
}

/** y = 1 where x > 0, else 0. */
export function reluGrad(y: Tensor, x: Tensor): Tensor {
  return unary("reluGrad", "reluGrad", y, x);
}

/** y = tanh(x). */
export function tanh(y: Tensor, x: Tensor): Tensor {
  return unary("tanh", "tanhAct", y, x);
}

/** y = tanh′(x) = 1 − tanh²(x). */
export function tanhGrad(y: Tensor, x: Tensor): Tensor {
  return unary("tanhGrad", "tanhGrad", y, x);
}

/** Soft rectifier y = γ·log(1 + exp(β(x − θ))) (SCBS18; docs/model.md §1.9; finite for every finite input). */
export function softRect(y: Tensor, x: Tensor, gamma: number, beta: number, theta: number): Tensor {
  const core = coreOf("softRect", { y, x });
  sameShape("softRect", ["y", y], { x });
  expectFinite("softRect", { gamma, beta, theta });
  exported<Unary3>(core, "softRect")(y.ptr, x.ptr, y.rows, y.cols, gamma, beta, theta);
  return y;
}

/** y = d/dx γ·log(1 + exp(β(x − θ))) = γβ·logistic(β(x − θ)). */
export function softRectGrad(y: Tensor, x: Tensor, gamma: number, beta: number, theta: number): Tensor {
  const core = coreOf("softRectGrad", { y, x });
  sameShape("softRectGrad", ["y", y], { x });
  expectFinite("softRectGrad", { gamma, beta, theta });
  exported<Unary3>(core, "softRectGrad")(y.ptr, x.ptr, y.rows, y.cols, gamma, beta, theta);
  return y;
}

export interface CompartmentParams {
  /** Euler step (ms). */
  dt: number;
  /** Leak conductance. */
  gL: number;
  /** Conductance towards v1. */
  g1: number;
  /** Conductance towards v2 (ignored when v2 is null). Default 0. */
  g2?: number;
  /** Noise amplitude σ (ignored when xi is null). Default 0. */
  sigma?: number;
}

/**
 * One forward-Euler step of a conductance-based compartment (SCBS18 §1.3), in place:
 *   u ← u + dt·(−gL·u + g1·(v1 − u) + g2·(v2 − u) + σ·ξ)
 * (σξ inside the derivative). v2 = null drops the g2 term; xi = null means no noise.
 */
export function compartmentStep(u: Tensor, v1: Tensor, v2: Tensor | null, xi: Tensor | null, p: CompartmentParams): Tensor {
  const others: Record<string, Tensor> = { v1 };
  if (v2 !== null) others.v2 = v2;
  if (xi !== null) others.xi = xi;
  const core = coreOf("compartmentStep", { u, ...others });
  sameShape("compartmentStep", ["u", u], others);
  const g2 = p.g2 ?? 0;
  const sigma = p.sigma ?? 0;
  expectFinite("compartmentStep", { dt: p.dt, gL: p.gL, g1: p.g1, g2, sigma });
  exported<Step>(core, "compartmentStep")(u.ptr, v1.ptr, v2 === null ? 0 : v2.ptr, xi === null ? 0 : xi.ptr, u.rows, u.cols, p.dt, p.gL, p.g1, g2, sigma);
  return u;
}

/** Low-pass filter update D ← D + a·(G − D) (SCBS18; docs/model.md §1.5, a = dt/τ). */
export function lowpass(D: Tensor, G: Tensor, a: number): Tensor {
  const core = coreOf("lowpass", { D, G });
  sameShape("lowpass", ["D", D], { G });
  expectFinite("lowpass", { a });
  exported<UnaryScalar>(core, "lowpass")(D.ptr, G.ptr, D.rows, D.cols, a);
  return D;
}

/** y ← y + a·x. */
export function axpy(y: Tensor, x: Tensor, a: number): Tensor {
  const core = coreOf("axpy", { y, x });
  sameShape("axpy", ["y", y], { x });
  expectFinite("axpy", { a });
  exported<UnaryScalar>(core, "axpy")(y.ptr, x.ptr, y.rows, y.cols, a);
  return y;
}

/** y ← a·x. */
export function scale(y: Tensor, x: Tensor, a: number): Tensor {
  const core = coreOf("scale", { y, x });
  sameShape("scale", ["y", y], { x });
  expectFinite("scale", { a });
  exported<UnaryScalar>(core, "scaleInto")(y.ptr, x.ptr, y.rows, y.cols, a);
  return y;
}

function binary(op: string, y: Tensor, a: Tensor, b: Tensor): Tensor {
  const core = coreOf(op, { y, a, b });
  sameShape(op, ["y", y], { a, b });
  exported<Binary>(core, op)(y.ptr, a.ptr, b.ptr, y.rows, y.cols);
  return y;
}

/** y ← a − b. */
export function sub(y: Tensor, a: Tensor, b: Tensor): Tensor {
  return binary("sub", y, a, b);
}

/** y ← a ⊙ b. */
export function mul(y: Tensor, a: Tensor, b: Tensor): Tensor {
  return binary("mul", y, a, b);
}

/** y ← x. */
export function copy(y: Tensor, x: Tensor): Tensor {
  return unary("copy", "copy", y, x);
}

/** Every element of y ← c (padding stays 0). */
export function fill(y: Tensor, c: number): Tensor {
  const core = coreOf("fill", { y });
  expectFinite("fill", { c });
  exported<(y: number, rows: number, cols: number, c: number) => void>(core, "fillConst")(y.ptr, y.rows, y.cols, c);
  return y;
}

/** Σ|x| over the logical elements, accumulated in float64. */
export function sumAbs(x: Tensor): number {
  const core = coreOf("sumAbs", { x });
  return exported<Reduce>(core, "sumAbs")(x.ptr, x.rows, x.cols);
}

/** max |x| over the logical elements, or NaN if any is NaN (+Infinity if any is infinite). */
export function maxAbsOrNaN(x: Tensor): number {
  const core = coreOf("maxAbsOrNaN", { x });
  return exported<Reduce>(core, "maxAbsOrNaN")(x.ptr, x.rows, x.cols);
}

/** True when every logical element is finite. */
export function allFinite(x: Tensor): boolean {
  const core = coreOf("allFinite", { x });
  return exported<Reduce>(core, "allFinite")(x.ptr, x.rows, x.cols) === 1;
}
