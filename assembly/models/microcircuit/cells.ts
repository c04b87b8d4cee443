// Pieces every mode of the microcircuit shares: φ, dendritic potentials as matrix products, and
// the non-finite checks (SCBS18; docs/model.md §1.2 and §1.9).
import { gemmNT } from "../../kernels/gemm";
import { gemv } from "../../kernels/gemv";
import { parallel, parallelRows } from "../../kernels/pool";
import { J_DENDRITE, EW_INDUCTION, EW_COMBINE_PHI } from "../../../src/core/pool-layout";
import { logistic, softRect, relu, tanhAct, axpy, scaleInto, sub, copy, allFinite } from "../../kernels/elementwise";
import {
  geti, getf, lay, lp, li, rowBytes, H_NLAYERS, H_ACT, F_GAMMA, F_BETA, F_THETA, L_N, L_NPREV, L_NNEXT, L_WUP, L_B, L_WPI, L_WIP, L_UP, L_VA, L_UI, V_UP, V_VA, V_UI, V_W_UP, V_W_IP, V_W_PI, V_W_B,
  ACT_LOGISTIC, ACT_SOFT_RECT, ACT_RELU, ACT_TANH,
} from "./layout";

/** y = φ(x) elementwise (SCBS18; docs/model.md §1.9: logistic, or the soft rectifier γ·log(1+exp(β(u−θ)))). */
export function phi(net: usize, y: usize, x: usize, rows: i32, cols: i32): void {
  switch (geti(net, H_ACT)) {
    case ACT_LOGISTIC: logistic(y, x, rows, cols); break;
    case ACT_SOFT_RECT: softRect(y, x, rows, cols, getf(net, F_GAMMA), getf(net, F_BETA), getf(net, F_THETA)); break;
    case ACT_RELU: relu(y, x, rows, cols); break;
    case ACT_TANH: tanhAct(y, x, rows, cols); break;
    default: if (y != x) copy(y, x, rows, cols);
  }
}

/** y = φ(c·x). */
export function phiScaled(net: usize, y: usize, x: usize, rows: i32, cols: i32, c: f32): void {
  scaleInto(y, x, rows, cols, c);
  phi(net, y, y, rows, cols);
}

/** Y (b × m) = X (b × n) Wᵀ (+ threshold weights t, one per row of W, when t ≠ 0). */
export function dendrite(net: usize, Y: usize, X: usize, W: usize, t: usize, b: i32, m: i32, n: i32, accumulate: i32): void {
  if (b == 1) gemv(Y, W, X, m, n, accumulate);
  else gemmNT(Y, X, W, b, m, n, accumulate);
  if (t != 0) addRows(Y, t, b, m);
}

/**
 * A dendritic potential and what follows it in the sweeps, column by column:
 *   Y (b × m) (+)= X Wᵀ (+ t),  U = a·X1 + c·X2 (c·X2 omitted when X2 = 0),  R = φ(U)
 * (X1, X2 may be Y). The same bits as dendrite, combine and phi in turn; a large product is split
 * by columns over the thread pool with the rest done on each thread's columns (no second hand-off).
 */
export function dendritePhi(
  net: usize, Y: usize, X: usize, W: usize, t: usize, b: i32, m: i32, n: i32, accumulate: i32,
  U: usize, X1: usize, a: f32, X2: usize, c: f32, R: usize,
): void {
  if (b > 1 && parallel(
    J_DENDRITE, <i64>b * <i64>m * <i64>n, <i32>Y, <i32>X, <i32>W, b, m, n, accumulate, <i32>t,
    <i32>U, <i32>X1, reinterpret<i32>(a), <i32>X2, reinterpret<i32>(c), <i32>R, <i32>net,
  )) return;
  dendrite(net, Y, X, W, t, b, m, n, accumulate);
  dendriteEpilogue(net, Y, 0, U, X1, a, X2, c, R, b, m, 0, m);
}

/**
 * Columns i0 ≤ i < i1 (i0 a multiple of 4) of the b rows: Y += t, U = a·X1 + c·X2, R = φ(U). Each
 * row's segment is one call of the whole-tensor kernels (same vectors, the last one masked).
 */
export function dendriteEpilogue(net: usize, Y: usize, t: usize, U: usize, X1: usize, a: f32, X2: usize, c: f32, R: usize, b: i32, m: i32, i0: i32, i1: i32): void {
  const rb = rowBytes(m);
  const w = i1 - i0;
  if (w <= 0) return;
  const c0 = (<usize>i0) << 2;
  for (let r = 0; r < b; r++) {
    const o = <usize>r * rb + c0;
    if (t != 0) axpy(Y + o, t + c0, 1, w, 1.0);
    scaleInto(U + o, X1 + o, 1, w, a);
    if (X2 != 0) axpy(U + o, X2 + o, 1, w, c);
    phi(net, R + o, U + o, 1, w);
  }
}

/** Adds the vector t (m) to each of the b rows of Y. */
export function addRows(Y: usize, t: usize, b: i32, m: i32): void {
  const rb = rowBytes(m);
  for (let r = 0; r < b; r++) axpy(Y + <usize>r * rb, t, 1, m, 1.0);
}

/**
 * Multiply-adds of about the time of one element of φ, for the pool's decision whether to split a
 * pass with φ: the logistic's exponential and division took about 1.9 ns per element on one core
 * where the products ran at 24 G multiply-adds/s (≈ 0.04 ns each).
 */
// @ts-ignore: decorator
@inline const PHI_WORK: i64 = 48;

/**
 * E = A − φ(c·V) on b × n tensors: an induction term of the fast mode's plasticity (SCBS18;
 * docs/model.md §1.8). Large ones are split by rows over the thread pool (the same bits).
 */
export function induction(net: usize, E: usize, A: usize, V: usize, b: i32, n: i32, c: f32): void {
  if (parallelRows(EW_INDUCTION, <i64>b * <i64>n * PHI_WORK, b, n, <i32>E, <i32>A, <i32>V, reinterpret<i32>(c), <i32>net)) return;
  inductionRows(net, E, A, V, b, n, c);
}

/** Rows of `induction`. */
export function inductionRows(net: usize, E: usize, A: usize, V: usize, rows: i32, cols: i32, c: f32): void {
  phiScaled(net, E, V, rows, cols, c);
  sub(E, A, E, rows, cols);
}

/**
 * U = a·X1 + c·X2 (c·X2 omitted when X2 = 0) and R = φ(U) on b × n tensors: a soma's potential
 * and rate in the backward sweep (SCBS18; docs/model.md §1.8). Large ones are split by rows over
 * the thread pool (the same bits).
 */
export function combinePhi(net: usize, U: usize, X1: usize, a: f32, X2: usize, c: f32, R: usize, b: i32, n: i32): void {
  if (parallelRows(EW_COMBINE_PHI, <i64>b * <i64>n * PHI_WORK, b, n, <i32>U, <i32>X1, <i32>X2, <i32>R, reinterpret<i32>(a), reinterpret<i32>(c), <i32>net)) return;
  combinePhiRows(net, U, X1, a, X2, c, R, b, n);
}

/** Rows of `combinePhi`. */
export function combinePhiRows(net: usize, U: usize, X1: usize, a: f32, X2: usize, c: f32, R: usize, rows: i32, cols: i32): void {
  combine(U, X1, a, X2, c, rows, cols);
  phi(net, R, U, rows, cols);
}

/** y = a·x1 + c·x2 (c·x2 omitted when x2 = 0). */
export function combine(y: usize, x1: usize, a: f32, x2: usize, c: f32, rows: i32, cols: i32): void {
  scaleInto(y, x1, rows, cols, a);
  if (x2 != 0) axpy(y, x2, rows, cols, c);
}

/** Status code for a non-finite value: 1 + 32·layer + variable. */
export function bad(layer: i32, v: i32): i32 {
  return 1 + layer * 32 + v;
}

/** Checks every soma of every layer; returns 0 or the status code of the first non-finite one. */
export function checkSomata(net: usize, b: i32): i32 {
  const N = geti(net, H_NLAYERS);
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    const n = li(L, L_N);
    if (!allFinite(lp(L, L_UP), b, n)) return bad(k, V_UP);
    if (k < N && !allFinite(lp(L, L_UI), b, li(L, L_NNEXT))) return bad(k, V_UI);
    if (k < N && !allFinite(lp(L, L_VA), b, n)) return bad(k, V_VA);
  }
  return 0;
}

/** Checks every weight matrix; returns 0 or the status code of the first non-finite one. */
export function checkWeights(net: usize): i32 {
  const N = geti(net, H_NLAYERS);
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    const n = li(L, L_N);
    const nn = li(L, L_NNEXT);
    if (!allFinite(lp(L, L_WUP), n, li(L, L_NPREV))) return bad(k, V_W_UP);
    if (k < N) {
      if (!allFinite(lp(L, L_WIP), nn, n)) return bad(k, V_W_IP);
      if (!allFinite(lp(L, L_WPI), n, nn)) return bad(k, V_W_PI);
      if (!allFinite(lp(L, L_B), n, nn)) return bad(k, V_W_B);
    }
  }
  return 0;
}
