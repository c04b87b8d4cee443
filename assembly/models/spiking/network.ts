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
  addWherePositive, clampInto, signStep,
} from "../../kernels/spikes";
import { gemmNN } from "../../kernels/gemm";
import { gerK } from "../../kernels/outer";
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
    gemmNN(r, ptr(d, p - 1, K.P_RATE), ptr(d, p, K.P_WT), n, nin, nout, 0);
    const b = ptr(d, p, K.P_B);
    for (let s = 0; s < n; s++) axpy(r + <usize>s * rowB(nout), b, 1, nout, 1);
    clampInto(r, r, n, nout, 0, 1);
  }
}

/**
 * ΔWᵀ[i, :] += Σ_{b: cell i fired in sample b} zs_b for one step: the step's firing lists (per
 * sample) are regrouped per presynaptic cell (a counting sort), so each row of ΔWᵀ is read and
 * written once per step and the sample rows zs_b it adds come from a small, cache-resident block.
 * Returns the number of presynaptic spikes.
 */
function plasticityStep(d: usize, dWT: usize, ZS: usize, IDX: usize, CNT: usize, n: i32, nin: i32, np: i32): i32 {
  const pos = <usize>hdr(d, K.H_CELL_POS);
  const list = <usize>hdr(d, K.H_CELL_LIST);
  memory.fill(pos, 0, (<usize>(nin + 1)) << 2);
  let total: i32 = 0;
  for (let b = 0; b < n; b++) {
    const c = load<i32>(CNT + ((<usize>b) << 2));
    const ix = IDX + <usize>b * rowB(nin);
    for (let k = 0; k < c; k++) {
      const q = pos + ((<usize>(load<i32>(ix + ((<usize>k) << 2)) + 1)) << 2);
      store<i32>(q, load<i32>(q) + 1);
    }
    total += c;
  }
  if (total == 0) return 0;
  // pos[i] = start of cell i's samples; filling advances it to the start of cell i + 1.
  for (let i = 1; i <= nin; i++) {
    const q = pos + ((<usize>i) << 2);
    store<i32>(q, load<i32>(q) + load<i32>(q - 4));
  }
  for (let b = 0; b < n; b++) {
    const c = load<i32>(CNT + ((<usize>b) << 2));
    const ix = IDX + <usize>b * rowB(nin);
    for (let k = 0; k < c; k++) {
      const q = pos + ((<usize>load<i32>(ix + ((<usize>k) << 2))) << 2);
      const at = load<i32>(q);
      store<i32>(list + ((<usize>at) << 2), b);
      store<i32>(q, at + 1);
    }
  }
  let start: i32 = 0;
  for (let i = 0; i < nin; i++) {
    const end = load<i32>(pos + ((<usize>i) << 2));
    if (end > start) gatherRowsAdd(dWT + <usize>i * rowB(np), ZS, list + ((<usize>start) << 2), end - start, np);
    start = end;
  }
  return total;
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
      memory.fill(ptr(d, p, K.P_ECNT), 0, <usize>maxB << 2);
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
      axpy(ptr(d, 0, K.P_NALL), S, n, n0, 1);
      if (t >= T0) axpy(ptr(d, 0, K.P_NLEARN), S, n, n0, 1);
    }
    // Pyramidal cells, layer by layer within the step.
    for (let p = 1; p <= L; p++) {
      const nin = pop(d, p - 1, K.P_N);
      const np = pop(d, p, K.P_N);
      const A = ptr(d, p, K.P_A);
      const bias = ptr(d, p, K.P_B);
      for (let b = 0; b < n; b++) copy(A + <usize>b * rowB(np), bias, 1, np);
      const step = <usize>(t * maxB);
      if (events) {
        const IDXin = ptr(d, p - 1, K.P_IDX) + step * rowB(nin);
        const CNTin = ptr(d, p - 1, K.P_CNT) + (step << 2);
        let ev: i32 = 0;
        for (let b = 0; b < n; b++) {
          const c = load<i32>(CNTin + ((<usize>b) << 2));
          gatherRowsAdd(A + <usize>b * rowB(np), ptr(d, p, K.P_WT), IDXin + <usize>b * rowB(nin), c, np);
          ev += c;
        }
        statAdd(d, p, K.ST_FWD_EVENTS, <f64>ev * <f64>np);
      } else {
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
      axpy(ptr(d, p, K.P_NALL), S, n, np, 1);
      if (t >= T0) axpy(ptr(d, p, K.P_NLEARN), S, n, np, 1);
    }
    if (!learnStep) continue;
    // Error pathway, bottom-up so that layer p reads the pairs of p + 1 from the previous step.
    const tl = t - T0;
    for (let p = 1; p <= L; p++) {
      const np = pop(d, p, K.P_N);
      const I = ptr(d, p, K.P_I);
      if (p < L) {
        const nup = pop(d, p + 1, K.P_N);
        const A = ptr(d, p, K.P_A);
        fillConst(A, n, np, 0);
        if (tl > 0) {
          const Cup = ptr(d, p + 1, K.P_C) + <usize>((tl - 1) * maxB) * rowB(nup);
          const EIDX = ptr(d, p + 1, K.P_EIDX);
          const ECNT = ptr(d, p + 1, K.P_ECNT);
          const F = ptr(d, p + 1, K.P_F);
          let ev: i32 = 0;
          for (let b = 0; b < n; b++) {
            const c = load<i32>(ECNT + ((<usize>b) << 2));
            gatherRowsAxpy(A + <usize>b * rowB(np), F, EIDX + <usize>b * rowB(nup), Cup + <usize>b * rowB(nup), c, np);
            ev += c;
          }
          statAdd(d, p, K.ST_FB_EVENTS, <f64>ev * <f64>np);
        }
        statAdd(d, p, K.ST_DENSE, <f64>n * <f64>nup * <f64>np);
        scaleInto(A, A, n, np, popF(d, p, K.P_GAIN));
        if (flags & K.F_NO_GATE) copy(I, A, n, np);
        else {
          fillConst(I, n, np, 0);
          addWherePositive(I, A, ptr(d, p, K.P_NALL), n, np);
        }
      } else {
        const VT = <usize>hdr(d, K.H_VT);
        const ST = <usize>hdr(d, K.H_ST);
        const IT = <usize>hdr(d, K.H_IT);
        const RHO = <usize>hdr(d, K.H_RHO);
        for (let b = 0; b < n; b++) {
          const o = <usize>b * rowB(np);
          thresholdRow(VT + o, ST + o, IT, RHO + o, np, 1, 1);
        }
        sub(I, ST, ptr(d, p, K.P_S) + <usize>(t * maxB) * rowB(np), n, np);
      }
      const U = ptr(d, p, K.P_U);
      const C = ptr(d, p, K.P_C) + <usize>(tl * maxB) * rowB(np);
      const EIDX = ptr(d, p, K.P_EIDX);
      const ECNT = ptr(d, p, K.P_ECNT);
      store<i32>(counts, 0);
      store<i32>(counts, 0, 4);
      for (let b = 0; b < n; b++) {
        const o = <usize>b * rowB(np);
        const c = sigmaDeltaRow(U + o, C + o, EIDX + o, I + o, np, thetaE, counts);
        store<i32>(ECNT + ((<usize>b) << 2), c);
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
    const ZS = ptr(d, p, K.P_ZS);
    const dWT = ptr(d, p, K.P_DWT);
    const dB = ptr(d, p, K.P_DB);
    fillConst(Z, n, np, 0);
    let ev: f64 = 0;
    for (let t = T - 1; t >= 0; t--) {
      if (t >= T0) decayAdd(Z, ptr(d, p, K.P_C) + <usize>((t - T0) * maxB) * rowB(np), n, np, decay);
      else scaleInto(Z, Z, n, np, decay);
      const step = <usize>(t * maxB);
      if (events) {
        scaleInto(ZS, Z, n, np, s);
        ev += <f64>plasticityStep(d, dWT, ZS, ptr(d, p - 1, K.P_IDX) + step * rowB(nin), ptr(d, p - 1, K.P_CNT) + (step << 2), n, nin, np);
      } else {
        gerK(dWT, ptr(d, p - 1, K.P_S) + step * rowB(nin), Z, n, nin, np, s);
        ev += <f64>n * <f64>nin;
      }
    }
    statAdd(d, p, K.ST_PLAST_EVENTS, ev * <f64>np);
    statAdd(d, p, K.ST_DENSE, <f64>T * <f64>n * <f64>nin * <f64>np);
    const sb: f32 = eta * invN;
    for (let t = T0; t < T; t++) {
      const C = ptr(d, p, K.P_C) + <usize>((t - T0) * maxB) * rowB(np);
      for (let b = 0; b < n; b++) axpy(dB, C + <usize>b * rowB(np), 1, np, sb);
    }
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
