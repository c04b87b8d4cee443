// The spiking microcircuit with sign-concordant feedback (Yang & Li 2022; the circuit below is this
// project's design meeting the publication's stated constraints — docs/model.md, "Spiking
// microcircuit"). One call runs a whole window of T steps for a mini-batch of parallel samples:
//
//   pyramidal cells   V ← λV + Σ_i W_ji s_i(t) + b_j;  s_j = [V ≥ ϑ];  V ← V − ϑ s_j
//   input cells       constant current p (IF, ϑ = 1: rate p) or Bernoulli spikes of probability p
//   teacher cells     IF cells with constant drive ρ⁺ (correct class) or ρ⁻, only in [T₀, T)
//   error pairs       signed sigma-delta encoder of their input current I (θ_e):
//                     u ← u + I; E⁺ while u ≥ θ_e (u −= θ_e); E⁻ while u ≤ −θ_e (u += θ_e)
//     output pair k   I = s^T_k(t) − s^L_k(t)
//     hidden pair j   I = g_l · G_j(t) · Σ_k B_jk (e⁺_k − e⁻_k)(t − 1), G_j = 1 once P_j fired
//                     B = sign(W)ᵀ ⊙ R (sign routing; F below is Bᵀ, refreshed whenever W changes)
//   plasticity        x_i ← x_i + (s_i − x_i)/τ_x; in [T₀, T): ΔW_ji += η_l x_i per E⁺_j spike and
//                     −= η_l x_i per E⁻_j spike; Δb_j += η_l (e⁺_j − e⁻_j); applied at the window's end
//
// The window-summed Hebbian term Σ_t c_j(t) x_i(t) (c = e⁺ − e⁻) is accumulated through its
// adjoint: with a = 1/τ_x, x_i(t) = a Σ_{t'≤t} (1 − a)^{t−t'} s_i(t'), so
//   Σ_t c_j(t) x_i(t) = a Σ_{t'} s_i(t') z_j(t'),  z(t') = c(t')·[t' ≥ T₀] + (1 − a) z(t' + 1),
// an exact rearrangement that touches one row of ΔWᵀ per presynaptic spike, like the forward pass
// touches one row of Wᵀ per presynaptic spike ("event" mode). "Dense" mode runs the same equations
// as matrix products over all cells (gemm for the drive, rank-batch updates for ΔWᵀ).
import * as K from "./layout";
import {
  thresholdRow, bernoulliRow, sigmaDeltaRow, gatherRowsAdd, gatherRowsAxpy, decayAdd,
  addWherePositive, clampInto, signStep, errorRowsAxpy, groupByCell, gatherCellRows, countSpikes, sumListed,
  gatherRowsSub, listAbove, splitFired, gatherCellRowsSub, sigmaDeltaGainRow,
} from "../../kernels/spikes";
import { gemmNN } from "../../kernels/gemm";
import { gerK } from "../../kernels/outer";
import { poolLabel } from "../../kernels/pool";
import { uniform, gaussian } from "../../kernels/noise";
import { transposeScale } from "../../kernels/transpose";
import { signMul, signScale } from "../../kernels/sign";
import { axpy, scaleInto, sub, copy, fillConst, allFinite } from "../../kernels/elementwise";

// @ts-ignore: decorator
@inline function hdr(d: usize, slot: i32): i32 {
  return load<i32>(d + ((<usize>slot) << 2));
}
// @ts-ignore: decorator
@inline function hdrF(d: usize, slot: i32): f32 {
  return load<f32>(d + ((<usize>slot) << 2));
}
// @ts-ignore: decorator
@inline function pop(d: usize, p: i32, slot: i32): i32 {
  return load<i32>(d + ((<usize>(K.HEADER + p * K.POP_SLOTS + slot)) << 2));
}
// @ts-ignore: decorator
@inline function popF(d: usize, p: i32, slot: i32): f32 {
  return load<f32>(d + ((<usize>(K.HEADER + p * K.POP_SLOTS + slot)) << 2));
}
// @ts-ignore: decorator
@inline function ptr(d: usize, p: i32, slot: i32): usize {
  return <usize>pop(d, p, slot);
}
/** Bytes of one padded row of n floats (or i32). */
// @ts-ignore: decorator
@inline function rowB(n: i32): usize {
  return (<usize>((n + 3) & ~3)) << 2;
}
// @ts-ignore: decorator
@inline function statAdd(d: usize, p: i32, slot: i32, v: f64): void {
  const a = <usize>hdr(d, K.H_STATS) + ((<usize>(p * K.STATS_SLOTS + slot)) << 3);
  store<f64>(a, load<f64>(a) + v);
}

/** Refreshes the feedback contacts F_p = (sign(W_p)ᵀ ⊙ R_p)ᵀ (or W_p for bp, s_p·sign(W_p) for uSF) for p ≥ 2. */
export function spikingRefreshFeedback(d: usize): void {
  const L = hdr(d, K.H_LAYERS);
  const fb = hdr(d, K.H_FEEDBACK);
  if (fb == K.FB_FA) return; // fixed random signs, drawn at construction
  for (let p = 2; p <= L; p++) {
    const nin = pop(d, p - 1, K.P_N);
    const nout = pop(d, p, K.P_N);
    const F = ptr(d, p, K.P_F);
    transposeScale(F, ptr(d, p, K.P_WT), nin, nout, 1);
    if (fb == K.FB_USF) signScale(F, F, nout, nin, popF(d, p, K.P_SCALE));
    else if (fb != K.FB_BP) signMul(F, ptr(d, p, K.P_R), F, nout, nin);
  }
}

/** brSF: magnitudes R_p ~ |N(0, s_p²)| redrawn for window `w`, then the contacts. */
function drawBrsf(d: usize, w: u32): void {
  const L = hdr(d, K.H_LAYERS);
  for (let p = 2; p <= L; p++) {
    const nin = pop(d, p - 1, K.P_N);
    const nout = pop(d, p, K.P_N);
    const R = ptr(d, p, K.P_R);
    gaussian(R, nout, nin, <u32>hdr(d, K.H_SEED), <u32>(hdr(d, K.H_BRSF_STREAM) + p), 0, w);
    signMul(R, R, R, nout, nin); // |z|
    scaleInto(R, R, nout, nin, popF(d, p, K.P_SCALE));
  }
  spikingRefreshFeedback(d);
}

/** Clip-rate readout r_p = clip(W_p r_{p−1} + b_p, 0, 1), r_0 = x, for n samples (YL22; docs/model.md §4). */
export function spikingRates(d: usize, n: i32): void {
  const L = hdr(d, K.H_LAYERS);
  copy(ptr(d, 0, K.P_RATE), <usize>hdr(d, K.H_X), n, pop(d, 0, K.P_N));
  for (let p = 1; p <= L; p++) {
    const nin = pop(d, p - 1, K.P_N);
    const nout = pop(d, p, K.P_N);
    const r = ptr(d, p, K.P_RATE);
    poolLabel(p, "r");
    gemmNN(r, ptr(d, p - 1, K.P_RATE), ptr(d, p, K.P_WT), n, nin, nout, 0);
    const b = ptr(d, p, K.P_B);
    for (let s = 0; s < n; s++) axpy(r + <usize>s * rowB(nout), b, 1, nout, 1);
    clampInto(r, r, n, nout, 0, 1);
  }
}

/**
 * ΔWᵀ[i, :] += Σ_{b: cell i fired in sample b} zs_b for one step: the step's firing lists are
 * regrouped per presynaptic cell, so each row of ΔWᵀ is read and written once per step, strip by
 * strip, from the samples' rows zs_b held in L1. Returns the number of presynaptic spikes.
 */
function plasticityStep(d: usize, dWT: usize, ZS: usize, IDX: usize, CNT: usize, n: i32, nin: i32, np: i32): i32 {
  const pos = <usize>hdr(d, K.H_CELL_POS);
  const list = <usize>hdr(d, K.H_CELL_LIST);
  const total = groupByCell(pos, list, IDX, rowB(nin), CNT, n, nin);
  if (total > 0) gatherCellRows(dWT, ZS, pos, list, nin, np);
  return total;
}

/** Entries of the error lists of population p over the learning steps (pairs with C ≠ 0, summed over samples and steps). */
function errorEntries(d: usize, p: i32, n: i32, Tl: i32, maxB: i32): i32 {
  const ECNT = ptr(d, p, K.P_ECNT);
  let e: i32 = 0;
  for (let t = 0; t < Tl; t++) {
    const row = ECNT + ((<usize>(t * maxB)) << 2);
    for (let b = 0; b < n; b++) e += load<i32>(row + ((<usize>b) << 2));
  }
  return e;
}

/**
 * ΔWᵀ_p += s · Σ_t s_{p−1}(t)ᵀ z(t), z(t) = c(t)·[t ≥ T₀] + (1 − a) z(t + 1), walking the window
 * backwards: one row of ΔWᵀ per presynaptic spike. Layer 1 splits its inputs as the forward pass
 * does: a mostly-firing input i of sample b adds Σ_t zs_b(t) once and subtracts zs_b(t) at the steps
 * where it stayed silent. Returns the row-element additions done.
 */
function plasticityBySpikes(d: usize, p: i32, n: i32, T: i32, T0: i32, maxB: i32, nin: i32, np: i32, decay: f32, s: f32): f64 {
  const Z = ptr(d, p, K.P_Z);
  const ZS = ptr(d, p, K.P_ZS);
  const dWT = ptr(d, p, K.P_DWT);
  const pos = <usize>hdr(d, K.H_CELL_POS);
  const list = <usize>hdr(d, K.H_CELL_LIST);
  const split = p == 1;
  // Layer 1: Σ_t zs(t) per sample accumulates in the drive scratch A (free once the window has run).
  const ZSUM = ptr(d, p, K.P_A);
  const X = <usize>hdr(d, K.H_X);
  const ADD = <usize>hdr(d, K.H_ADD);
  const SUB = <usize>hdr(d, K.H_SUB);
  const ADDCNT = <usize>hdr(d, K.H_SPLITCNT);
  const SUBCNT = ADDCNT + ((<usize>maxB) << 2);
  const th = hdrF(d, K.H_SPLIT);
  fillConst(Z, n, np, 0);
  if (split) fillConst(ZSUM, n, np, 0);
  let rowsDone: f64 = 0;
  for (let t = T - 1; t >= 0; t--) {
    if (t >= T0) decayAdd(Z, ptr(d, p, K.P_C) + <usize>((t - T0) * maxB) * rowB(np), n, np, decay);
    else scaleInto(Z, Z, n, np, decay);
    const step = <usize>(t * maxB);
    scaleInto(ZS, Z, n, np, s);
    if (split) {
      axpy(ZSUM, ZS, n, np, 1);
      const S = ptr(d, 0, K.P_S) + step * rowB(nin);
      for (let b = 0; b < n; b++) {
        const o = <usize>b * rowB(nin);
        splitFired(ADD + o, SUB + o, S + o, X + o, nin, th, ADDCNT + ((<usize>b) << 2), SUBCNT + ((<usize>b) << 2));
      }
      const na = groupByCell(pos, list, ADD, rowB(nin), ADDCNT, n, nin);
      if (na > 0) gatherCellRows(dWT, ZS, pos, list, nin, np);
      const ns = groupByCell(pos, list, SUB, rowB(nin), SUBCNT, n, nin);
      if (ns > 0) gatherCellRowsSub(dWT, ZS, pos, list, nin, np);
      rowsDone += <f64>(na + ns);
    } else {
      rowsDone += <f64>plasticityStep(d, dWT, ZS, ptr(d, p - 1, K.P_IDX) + step * rowB(nin), ptr(d, p - 1, K.P_CNT) + (step << 2), n, nin, np);
    }
  }
  if (split) {
    for (let b = 0; b < n; b++) {
      const o = <usize>b * rowB(nin);
      store<i32>(ADDCNT + ((<usize>b) << 2), listAbove(ADD + o, X + o, nin, th));
    }
    const nh = groupByCell(pos, list, ADD, rowB(nin), ADDCNT, n, nin);
    if (nh > 0) gatherCellRows(dWT, ZSUM, pos, list, nin, np);
    rowsDone += <f64>nh;
  }
  return rowsDone * <f64>np;
}

/**
 * ΔWᵀ_p = s · (Σ_t c(t)ᵀ x̃(t))ᵀ with the scaled traces x̃(t) = (1 − a) x̃(t − 1) + s_{p−1}(t)
 * stepped forward (x = a x̃): one row of ΔW per error event of the learning steps, then one
 * transpose. Returns the synaptic events (error-list entries × n_{p−1}).
 */
function plasticityByErrors(d: usize, p: i32, n: i32, T: i32, T0: i32, maxB: i32, nin: i32, np: i32, decay: f32, s: f32): f64 {
  const XT = ptr(d, p, K.P_XT);
  const DW = ptr(d, p, K.P_DW);
  const ECNT = ptr(d, p, K.P_ECNT);
  fillConst(XT, n, nin, 0);
  fillConst(DW, np, nin, 0);
  for (let t = 0; t < T; t++) {
    decayAdd(XT, ptr(d, p - 1, K.P_S) + <usize>(t * maxB) * rowB(nin), n, nin, decay);
    if (t < T0) continue;
    const at = <usize>((t - T0) * maxB);
    errorRowsAxpy(DW, XT, ptr(d, p, K.P_C) + at * rowB(np), rowB(np), ptr(d, p, K.P_EIDX) + at * rowB(np), rowB(np), ECNT + (at << 2), n, nin);
  }
  transposeScale(ptr(d, p, K.P_DWT), DW, np, nin, s);
  return <f64>errorEntries(d, p, n, T - T0, maxB) * <f64>nin;
}

/**
 * One window of T steps for n ≤ maxBatch samples whose input drive (and, when learning, teacher
 * rates) are in the descriptor's buffers.
 *   learn   1: teacher, error pathway and plasticity accumulation in [T₀, T)
 *   apply   1: add the accumulated ΔW, Δb to W, b at the end (needs learn)
 *   lr      η (times the schedule), or the Batch Manhattan step when that flag is set
 *   window  RNG counter of this window's draws (dither, Bernoulli input, brSF magnitudes)
 *   evalSet 1: draw from the evaluation streams (predictions do not touch the training streams)
 * Returns 0, or (p + 1)·16 + 1 when the weights of layer p became non-finite.
 */
export function spikingWindow(d: usize, n: i32, learn: i32, apply: i32, lr: f32, window: u32, evalSet: i32): i32 {
  const L = hdr(d, K.H_LAYERS);
  const T = hdr(d, K.H_T);
  const T0 = hdr(d, K.H_T0);
  const flags = hdr(d, K.H_FLAGS);
  const events = (flags & K.F_EVENTS) != 0;
  const maxB = hdr(d, K.H_MAXB);
  const seed = <u32>hdr(d, K.H_SEED);
  const lambda = hdrF(d, K.H_LAMBDA);
  const theta = hdrF(d, K.H_THETA);
  const thetaE = hdrF(d, K.H_THETA_E);
  const counts = <usize>hdr(d, K.H_COUNTS);
  const streamOff = evalSet ? L + 2 : 0;
  const ditherStream = <u32>(hdr(d, K.H_DITHER_STREAM) + streamOff);

  // Window start: potentials (dithered), counters, integrators and accumulators reset (YL22; docs/model.md §4).
  memory.fill(<usize>hdr(d, K.H_STATS), 0, <usize>((L + 1) * K.STATS_SLOTS) << 3);
  for (let p = 0; p <= L; p++) {
    const np = pop(d, p, K.P_N);
    const th: f32 = p == 0 ? 1 : theta;
    const V = ptr(d, p, K.P_V);
    if (flags & K.F_DITHER) uniform(V, n, np, seed, ditherStream + <u32>p, 0, window, 0, th);
    else fillConst(V, n, np, 0);
    fillConst(ptr(d, p, K.P_NLEARN), n, np, 0);
    fillConst(ptr(d, p, K.P_NALL), n, np, 0);
    if (p >= 1) {
      fillConst(ptr(d, p, K.P_U), n, np, 0);
      if (learn) {
        fillConst(ptr(d, p, K.P_DWT), pop(d, p - 1, K.P_N), np, 0);
        fillConst(ptr(d, p, K.P_DB), 1, np, 0);
      }
    }
  }
  const nL = pop(d, L, K.P_N);
  if (learn) {
    const VT = <usize>hdr(d, K.H_VT);
    if (flags & K.F_DITHER) uniform(VT, n, nL, seed, ditherStream + <u32>(L + 1), 0, window, 0, 1);
    else fillConst(VT, n, nL, 0);
    if (hdr(d, K.H_FEEDBACK) == K.FB_BRSF) drawBrsf(d, window);
  }

  const n0 = pop(d, 0, K.P_N);
  const X = <usize>hdr(d, K.H_X);
  // Event mode, layer 1: the drive from input cells whose drive x exceeds `split` (they fire on most
  // steps) is summed once per window into base_b (with the bias); each step then adds the rows of
  // the other inputs that fired and subtracts those of the mostly-firing inputs that stayed silent.
  const split = hdrF(d, K.H_SPLIT);
  const n1 = pop(d, 1, K.P_N);
  const BASE = <usize>hdr(d, K.H_BASE);
  const ADD = <usize>hdr(d, K.H_ADD);
  const SUB = <usize>hdr(d, K.H_SUB);
  const SPLITCNT = <usize>hdr(d, K.H_SPLITCNT);
  let inputRows: f64 = 0; // rows of W_1 the split forward pass added or subtracted (plasticity's cost estimate)
  if (events) {
    let high: i32 = 0;
    for (let b = 0; b < n; b++) {
      const row = BASE + <usize>b * rowB(n1);
      const list = ADD + <usize>b * rowB(n0);
      const c = listAbove(list, X + <usize>b * rowB(n0), n0, split);
      copy(row, ptr(d, 1, K.P_B), 1, n1);
      gatherRowsAdd(row, ptr(d, 1, K.P_WT), list, c, n1);
      high += c;
    }
    statAdd(d, 1, K.ST_WORK, <f64>high * <f64>n1);
    inputRows += <f64>high;
  }
  for (let t = 0; t < T; t++) {
    const learnStep = learn != 0 && t >= T0;
    // Input cells.
    {
      const S = ptr(d, 0, K.P_S) + <usize>(t * maxB) * rowB(n0);
      const IDX = ptr(d, 0, K.P_IDX) + <usize>(t * maxB) * rowB(n0);
      const CNT = ptr(d, 0, K.P_CNT) + ((<usize>(t * maxB)) << 2);
      const V = ptr(d, 0, K.P_V);
      let total: i32 = 0;
      if (flags & K.F_BERNOULLI) {
        const U = <usize>hdr(d, K.H_U);
        uniform(U, n, n0, seed, <u32>(hdr(d, K.H_BERNOULLI_STREAM) + (evalSet ? 1 : 0)), <u32>(t * n * n0), window, 0, 1);
        for (let b = 0; b < n; b++) {
          const o = <usize>b * rowB(n0);
          const c = bernoulliRow(S + o, IDX + o, U + o, X + o, n0);
          store<i32>(CNT + ((<usize>b) << 2), c);
          total += c;
        }
      } else {
        for (let b = 0; b < n; b++) {
          const o = <usize>b * rowB(n0);
          const c = thresholdRow(V + o, S + o, IDX + o, X + o, n0, 1, 1);
          store<i32>(CNT + ((<usize>b) << 2), c);
          total += c;
        }
      }
      statAdd(d, 0, K.ST_SPIKES, <f64>total);
      countSpikes(ptr(d, 0, K.P_NALL), IDX, rowB(n0), CNT, n, n0);
      if (t >= T0) countSpikes(ptr(d, 0, K.P_NLEARN), IDX, rowB(n0), CNT, n, n0);
    }
    // Pyramidal cells, layer by layer within the step.
    for (let p = 1; p <= L; p++) {
      const nin = pop(d, p - 1, K.P_N);
      const np = pop(d, p, K.P_N);
      const A = ptr(d, p, K.P_A);
      const bias = ptr(d, p, K.P_B);
      const step = <usize>(t * maxB);
      if (events) {
        const IDXin = ptr(d, p - 1, K.P_IDX) + step * rowB(nin);
        const CNTin = ptr(d, p - 1, K.P_CNT) + (step << 2);
        let ev: i32 = 0;
        for (let b = 0; b < n; b++) ev += load<i32>(CNTin + ((<usize>b) << 2));
        statAdd(d, p, K.ST_FWD_EVENTS, <f64>ev * <f64>np);
        if (p == 1) {
          const Sin = ptr(d, 0, K.P_S) + step * rowB(n0);
          let work: i32 = 0;
          for (let b = 0; b < n; b++) {
            const o = <usize>b * rowB(n0);
            const addCnt = SPLITCNT + ((<usize>b) << 2);
            const subCnt = addCnt + ((<usize>maxB) << 2);
            splitFired(ADD + o, SUB + o, Sin + o, X + o, n0, split, addCnt, subCnt);
            const y = A + <usize>b * rowB(np);
            copy(y, BASE + <usize>b * rowB(np), 1, np);
            gatherRowsAdd(y, ptr(d, p, K.P_WT), ADD + o, load<i32>(addCnt), np);
            gatherRowsSub(y, ptr(d, p, K.P_WT), SUB + o, load<i32>(subCnt), np);
            work += load<i32>(addCnt) + load<i32>(subCnt);
          }
          statAdd(d, p, K.ST_WORK, <f64>work * <f64>np);
          inputRows += <f64>work;
        } else {
          for (let b = 0; b < n; b++) {
            const y = A + <usize>b * rowB(np);
            copy(y, bias, 1, np);
            gatherRowsAdd(y, ptr(d, p, K.P_WT), IDXin + <usize>b * rowB(nin), load<i32>(CNTin + ((<usize>b) << 2)), np);
          }
          statAdd(d, p, K.ST_WORK, <f64>ev * <f64>np);
        }
      } else {
        for (let b = 0; b < n; b++) copy(A + <usize>b * rowB(np), bias, 1, np);
        poolLabel(p, "drive");
        gemmNN(A, ptr(d, p - 1, K.P_S) + step * rowB(nin), ptr(d, p, K.P_WT), n, nin, np, 1);
        statAdd(d, p, K.ST_FWD_EVENTS, <f64>n * <f64>nin * <f64>np);
      }
      statAdd(d, p, K.ST_DENSE, <f64>n * <f64>nin * <f64>np);
      const V = ptr(d, p, K.P_V);
      const S = ptr(d, p, K.P_S) + step * rowB(np);
      const IDX = ptr(d, p, K.P_IDX) + step * rowB(np);
      const CNT = ptr(d, p, K.P_CNT) + (step << 2);
      let total: i32 = 0;
      for (let b = 0; b < n; b++) {
        const o = <usize>b * rowB(np);
        const c = thresholdRow(V + o, S + o, IDX + o, A + o, np, lambda, theta);
        store<i32>(CNT + ((<usize>b) << 2), c);
        total += c;
      }
      statAdd(d, p, K.ST_SPIKES, <f64>total);
      countSpikes(ptr(d, p, K.P_NALL), IDX, rowB(np), CNT, n, np);
      if (t >= T0) countSpikes(ptr(d, p, K.P_NLEARN), IDX, rowB(np), CNT, n, np);
    }
    if (!learnStep) continue;
    // Error pathway, bottom-up so that layer p reads the pairs of p + 1 from the previous step.
    const tl = t - T0;
    for (let p = 1; p <= L; p++) {
      const np = pop(d, p, K.P_N);
      const U = ptr(d, p, K.P_U);
      const C = ptr(d, p, K.P_C) + <usize>(tl * maxB) * rowB(np);
      const EIDX = ptr(d, p, K.P_EIDX) + <usize>(tl * maxB) * rowB(np);
      const ECNT = ptr(d, p, K.P_ECNT) + ((<usize>(tl * maxB)) << 2);
      store<i32>(counts, 0);
      store<i32>(counts, 0, 4);
      if (p < L) {
        // Hidden pairs: u ← u + g·G·Σ_k B_jk c_k(t − 1). A sample whose upper pairs were all quiet
        // adds nothing, and |u| < θ_e after every step, so its pairs stay quiet too.
        const nup = pop(d, p + 1, K.P_N);
        const A = ptr(d, p, K.P_A);
        const gain = popF(d, p, K.P_GAIN);
        const gate = (flags & K.F_NO_GATE) != 0 ? <usize>0 : ptr(d, p, K.P_NALL);
        const Cup = ptr(d, p + 1, K.P_C) + <usize>((tl - 1) * maxB) * rowB(nup);
        const EIDXup = ptr(d, p + 1, K.P_EIDX) + <usize>((tl - 1) * maxB) * rowB(nup);
        const ECNTup = ptr(d, p + 1, K.P_ECNT) + ((<usize>((tl - 1) * maxB)) << 2);
        const F = ptr(d, p + 1, K.P_F);
        let ev: i32 = 0;
        for (let b = 0; b < n; b++) {
          const o = <usize>b * rowB(np);
          const c = tl > 0 ? load<i32>(ECNTup + ((<usize>b) << 2)) : 0;
          let e: i32 = 0;
          if (c == 0) fillConst(C + o, 1, np, 0);
          else {
            fillConst(A + o, 1, np, 0);
            gatherRowsAxpy(A + o, F, EIDXup + <usize>b * rowB(nup), Cup + <usize>b * rowB(nup), c, np);
            e = sigmaDeltaGainRow(U + o, C + o, EIDX + o, A + o, gate == 0 ? 0 : gate + o, np, thetaE, gain, counts);
          }
          store<i32>(ECNT + ((<usize>b) << 2), e);
          ev += c;
        }
        statAdd(d, p, K.ST_FB_EVENTS, <f64>ev * <f64>np);
        if (events) statAdd(d, p, K.ST_WORK, <f64>ev * <f64>np);
        statAdd(d, p, K.ST_DENSE, <f64>n * <f64>nup * <f64>np);
      } else {
        // Output pairs: u ← u + s^teacher(t) − s^P(t).
        const I = ptr(d, p, K.P_I);
        const VT = <usize>hdr(d, K.H_VT);
        const ST = <usize>hdr(d, K.H_ST);
        const IT = <usize>hdr(d, K.H_IT);
        const RHO = <usize>hdr(d, K.H_RHO);
        for (let b = 0; b < n; b++) {
          const o = <usize>b * rowB(np);
          thresholdRow(VT + o, ST + o, IT, RHO + o, np, 1, 1);
        }
        sub(I, ST, ptr(d, p, K.P_S) + <usize>(t * maxB) * rowB(np), n, np);
        for (let b = 0; b < n; b++) {
          const o = <usize>b * rowB(np);
          store<i32>(ECNT + ((<usize>b) << 2), sigmaDeltaRow(U + o, C + o, EIDX + o, I + o, np, thetaE, counts));
        }
      }
      statAdd(d, p, K.ST_EPLUS, <f64>load<i32>(counts));
      statAdd(d, p, K.ST_EMINUS, <f64>load<i32>(counts, 4));
    }
  }
  if (!learn) return 0;

  // Plasticity: ΔWᵀ += η_p a Σ_{t'} s_{p−1}(t')ᵀ z_p(t') and Δb = η_p Σ_t c_p(t), batch-averaged.
  const a = hdrF(d, K.H_TRACE);
  const decay: f32 = <f32>1 - a;
  const manhattan = (flags & K.F_MANHATTAN) != 0;
  const invN: f32 = <f32>1 / <f32>n;
  for (let p = 1; p <= L; p++) {
    const nin = pop(d, p - 1, K.P_N);
    const np = pop(d, p, K.P_N);
    const eta: f32 = manhattan ? <f32>1 : lr * popF(d, p, K.P_ETA);
    const s: f32 = eta * a * invN;
    const Z = ptr(d, p, K.P_Z);
    const dWT = ptr(d, p, K.P_DWT);
    const dB = ptr(d, p, K.P_DB);
    // Two exact orders of the same sum Σ_t c_j(t) x_i(t): per presynaptic spike (the adjoint z,
    // one row of ΔWᵀ per spike) or per error event (one row of ΔW per event, traces stepped
    // forward). Event mode takes the one with less work for this window's counts (both builds
    // take the same one: the counts are integers).
    let ev: f64;
    const preSpikes = load<f64>(<usize>hdr(d, K.H_STATS) + ((<usize>((p - 1) * K.STATS_SLOTS + K.ST_SPIKES)) << 3));
    if (events) {
      const errEntries = errorEntries(d, p, n, T - T0, maxB);
      const costErr = (<f64>errEntries + <f64>(T * n)) * <f64>nin + 3 * <f64>np * <f64>nin;
      const costSpikes = (p == 1 ? inputRows : preSpikes) * <f64>np;
      const byErrors = (flags & K.F_ACC_ERRORS) != 0 || ((flags & K.F_ACC_SPIKES) == 0 && costErr < costSpikes);
      if (byErrors) ev = plasticityByErrors(d, p, n, T, T0, maxB, nin, np, decay, s);
      else ev = plasticityBySpikes(d, p, n, T, T0, maxB, nin, np, decay, s);
    } else {
      fillConst(Z, n, np, 0);
      for (let t = T - 1; t >= 0; t--) {
        if (t >= T0) decayAdd(Z, ptr(d, p, K.P_C) + <usize>((t - T0) * maxB) * rowB(np), n, np, decay);
        else scaleInto(Z, Z, n, np, decay);
        poolLabel(p, "ΔW");
        gerK(dWT, ptr(d, p - 1, K.P_S) + <usize>(t * maxB) * rowB(nin), Z, n, nin, np, s);
      }
      ev = <f64>T * <f64>n * <f64>nin * <f64>np;
    }
    statAdd(d, p, K.ST_PLAST_EVENTS, <f64>preSpikes * <f64>np);
    if (events) statAdd(d, p, K.ST_WORK, ev);
    statAdd(d, p, K.ST_DENSE, <f64>T * <f64>n * <f64>nin * <f64>np);
    // Δb = η_p/n · Σ_t Σ_b c_b(t): integer counts summed exactly, then scaled once.
    for (let t = T0; t < T; t++) {
      const at = <usize>((t - T0) * maxB);
      sumListed(dB, ptr(d, p, K.P_C) + at * rowB(np), rowB(np), ptr(d, p, K.P_EIDX) + at * rowB(np), rowB(np), ptr(d, p, K.P_ECNT) + (at << 2), n);
    }
    scaleInto(dB, dB, 1, np, eta * invN);
  }
  if (!apply) return 0;
  for (let p = 1; p <= L; p++) {
    const nin = pop(d, p - 1, K.P_N);
    const np = pop(d, p, K.P_N);
    const WT = ptr(d, p, K.P_WT);
    const dWT = ptr(d, p, K.P_DWT);
    const dB = ptr(d, p, K.P_DB);
    if (manhattan) {
      // Batch Manhattan (Liao et al. 2016): W ← W + step · sign(ΣΔW).
      signStep(dWT, dWT, nin, np, lr);
      signStep(dB, dB, 1, np, lr);
    }
    axpy(WT, dWT, nin, np, 1);
    axpy(ptr(d, p, K.P_B), dB, 1, np, 1);
    if (!allFinite(WT, nin, np) || !allFinite(ptr(d, p, K.P_B), 1, np)) return (p + 1) * 16 + 1;
  }
  // Sign routing follows the new weights before the next step of the circuit.
  spikingRefreshFeedback(d);
  return 0;
}
