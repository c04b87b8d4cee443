// Full dynamics of the SCBS18 microcircuit (docs/model.md §1.2–§1.5), in the paper's symbols.
//
// SCBS18 §1.2  v^B_k = W^up_k r_{k−1};  v^A_k = B_k φ(u^P_{k+1}) + W^PI_k φ(u^I_k);  v^I_k = W^IP_k φ(u^P_k)
// SCBS18 §1.3  du^P_k/dt = −g_lk u^P_k + g_B (v^B_k − u^P_k) + g_A (v^A_k − u^P_k) + σξ      (hidden)
//              du^P_N/dt = −g_lk u^P_N + g_B (v^B_N − u^P_N) + g_som (u_tgt − u^P_N) + σξ  (output)
//              du^I_k/dt = −g_lk u^I_k + g_D (v^I_k − u^I_k) + g_som (u^P_{k+1} − u^I_k) + σξ
// SCBS18 §1.5  Δ ← Δ + (dt/τ_w)(G − Δ);  W ← W + dt·η·Δ
//
// The network lives in linear memory as a descriptor (an i32/f32 table written by
// src/models/microcircuit/network.ts, slots in layout.ts) holding pointers to every weight, filter
// and state buffer. Layer k's record describes its pyramidal cells, the weights onto
// them (W^up_k, B_k, W^PI_k) and, for hidden layers, the interneurons of layer k with W^IP_k.
// Batched state has maxBatch rows (independent circuits sharing the weights); plasticity averages
// over the rows in use.
import { gemvT } from "../../kernels/gemv";
import { compartmentStep, lowpass, axpy, scaleInto, sub, copy, fillConst } from "../../kernels/elementwise";
import { gaussian } from "../../kernels/noise";
import { filteredGerGemm } from "../../kernels/filtered";
import {
  geti, seti, getf, lay, lp, li, lf, rowBytes, H_NLAYERS, H_SEED, H_NOISE_LO, H_NOISE_HI, H_N0, H_R0, H_R0OLD, H_ONES, H_CHUNK, H_CHUNK_POS, H_SINCE_SWITCH, H_LAG_STEPS, H_STEPS_LO, H_MON_COUNT, H_STATUS_STEP, H_CHUNK_B, H_TGTF, F_DT, F_GLK, F_GB, F_GA, F_GD, F_GSOM, F_SIGMA, F_TAU_IN, F_TAU_W, F_TAU_TGT, F_C_HID, F_C_OUT, F_C_I, L_N, L_NPREV, L_NNEXT, L_FLAGS, L_WUP, L_DUP, L_BUP, L_DBUP, L_B, L_DB, L_WPI, L_DPI, L_WIP, L_DIP, L_BIP, L_DBIP, L_UP, L_RP, L_VB, L_VA, L_VAB, L_UI, L_RI, L_VI, L_RPOLD, L_RIOLD, L_EUP, L_EIP, L_EPI, L_EDN, L_XIP, L_XII, L_SUM, L_SUMI, L_ETA_UP, L_ETA_IP, L_ETA_PI, L_ETA_DN, L_ETA_BUP, L_ETA_BIP, PLASTIC_UP, PLASTIC_IP, PLASTIC_PI, PLASTIC_DN, BIAS_UP, BIAS_IP, P_NUDGE, P_LEARN, P_SWITCH,
} from "./layout";
import { phi, phiScaled, dendrite, addRows, checkSomata, checkWeights } from "./cells";
import { recordMonitors } from "./monitor";
import { poolLabel } from "../../kernels/pool";

/** Draws the next chunk of noise for every population (counter-based: the values do not depend on the chunking). */
function drawNoise(net: usize, b: i32): void {
  const N = geti(net, H_NLAYERS);
  const chunk = geti(net, H_CHUNK);
  const seed = geti(net, H_SEED);
  let lo = <u64><u32>geti(net, H_NOISE_LO) | (<u64><u32>geti(net, H_NOISE_HI) << 32);
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    const n = li(L, L_N);
    // stream 2k: pyramidal cells of layer k, stream 2k+1: its interneurons
    gaussian(lp(L, L_XIP), chunk * b, n, <u32>seed, <u32>(2 * k), <u32>lo, <u32>(lo >> 32));
    if (k < N) gaussian(lp(L, L_XII), chunk * b, li(L, L_NNEXT), <u32>seed, <u32>(2 * k + 1), <u32>lo, <u32>(lo >> 32));
  }
  lo += chunkCounters(net, b);
  seti(net, H_NOISE_LO, <i32><u32>lo);
  seti(net, H_NOISE_HI, <i32><u32>(lo >> 32));
  seti(net, H_CHUNK_POS, 0);
  seti(net, H_CHUNK_B, b);
}

/** Counters one chunk of b rows uses per stream: chunk·b·max(n) over every population (the widest). */
function chunkCounters(net: usize, b: i32): u64 {
  const N = geti(net, H_NLAYERS);
  let widest = 0;
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    if (li(L, L_N) > widest) widest = li(L, L_N);
    if (li(L, L_NNEXT) > widest) widest = li(L, L_NNEXT);
  }
  return <u64>geti(net, H_CHUNK) * <u64>b * <u64>widest;
}

/**
 * After a restore of the noise counter, the chunk position and the chunk's batch size (a saved
 * state): redraws the chunk in use, whose first H_CHUNK_POS steps were already consumed, so the
 * remaining steps receive the values the saved network would have drawn. The counter is left
 * where the saved network had it (past the chunk).
 */
export function mcRestoreNoise(net: usize): void {
  const b = geti(net, H_CHUNK_B);
  const pos = geti(net, H_CHUNK_POS);
  if (b <= 0 || pos >= geti(net, H_CHUNK)) return;
  const lo = (<u64><u32>geti(net, H_NOISE_LO) | (<u64><u32>geti(net, H_NOISE_HI) << 32)) - chunkCounters(net, b);
  seti(net, H_NOISE_LO, <i32><u32>lo);
  seti(net, H_NOISE_HI, <i32><u32>(lo >> 32));
  drawNoise(net, b);
  seti(net, H_CHUNK_POS, pos);
}

/**
 * Presents the b patterns X (b × n0) for `steps` Euler steps in one call (SCBS18; docs/model.md §1.3–1.5).
 * flags: 1 nudge the output toward T (b × n_N), 2 plasticity on, 4 this call starts a new pattern
 * (restarts the learning-lag clock). Returns 0, or a non-finite status code (the step is in the
 * descriptor's H_STATUS_STEP slot).
 *
 * Order within one step t → t+1 (transcribed by the f64 oracle in test/microcircuit.ref.ts):
 *  1. Euler step of every soma from u(t) and the dendritic potentials V(t) (interneurons see their
 *     partner's u^P(t)); noise enters as dt·σ·ξ, inside the derivative as in every published
 *     re-implementation (SCBS18; docs/model.md §1.3);
 *  2. r_0(t+1) = r_0(t) + (dt/τ_in)(x − r_0(t));  rates r(t+1) = φ(u(t+1));
 *  3. induction terms from u(t+1) and the dendritic potentials V(t) with the presynaptic rates r(t)
 *     that produced them (SCBS18; docs/model.md §1.5: plasticity uses the potentials after the Euler step);
 *  4. per weight matrix, one fused pass: Δ ← Δ + (dt/τ_w)(G − Δ), W ← W + dt·η·Δ, and the next
 *     dendritic potential V(t+1) = W(t+1) r(t+1).
 */
export function mcPresent(net: usize, X: usize, T: usize, b: i32, steps: i32, flags: i32): i32 {
  const N = geti(net, H_NLAYERS);
  const dt = getf(net, F_DT);
  const gLk = getf(net, F_GLK);
  const gB = getf(net, F_GB);
  const gA = getf(net, F_GA);
  const gD = getf(net, F_GD);
  const gSom = getf(net, F_GSOM);
  const sigma = getf(net, F_SIGMA);
  const aIn = dt / getf(net, F_TAU_IN);
  const aW = dt / getf(net, F_TAU_W);
  const cHid = getf(net, F_C_HID);
  const cOut = getf(net, F_C_OUT);
  const cI = getf(net, F_C_I);
  const chunk = geti(net, H_CHUNK);
  const lag = geti(net, H_LAG_STEPS);
  const n0 = geti(net, H_N0);
  const r0 = <usize>geti(net, H_R0);
  const r0old = <usize>geti(net, H_R0OLD);
  const nudge = (flags & P_NUDGE) != 0 && T != 0;
  // Target potentials low-pass filtered like the input (τ_tgt > 0), or switched at once.
  const tauTgt = getf(net, F_TAU_TGT);
  const Tf = <usize>geti(net, H_TGTF);
  const filterTarget = nudge && tauTgt > 0 && Tf != 0;
  const aTgt: f32 = filterTarget ? dt / tauTgt : 0;
  const nN = li(lay(net, N), L_N);
  const learn = (flags & P_LEARN) != 0;
  if (flags & P_SWITCH) seti(net, H_SINCE_SWITCH, 0);
  if (geti(net, H_CHUNK_B) != b) seti(net, H_CHUNK_POS, chunk);
  const monitors = geti(net, H_MON_COUNT) > 0;

  for (let s = 0; s < steps; s++) {
    if (sigma != 0 && geti(net, H_CHUNK_POS) >= chunk) drawNoise(net, b);
    const pos = geti(net, H_CHUNK_POS);

    if (filterTarget) lowpass(Tf, T, b, nN, aTgt);
    // 1. Euler step. Interneurons first: they read their partner's u^P(t).
    for (let k = 1; k < N; k++) {
      const L = lay(net, k);
      const nn = li(L, L_NNEXT);
      const xi = sigma != 0 ? lp(L, L_XII) + <usize>(pos * b) * rowBytes(nn) : 0;
      compartmentStep(lp(L, L_UI), lp(L, L_VI), lp(lay(net, k + 1), L_UP), xi, b, nn, dt, gLk, gD, gSom, sigma);
    }
    for (let k = 1; k <= N; k++) {
      const L = lay(net, k);
      const n = li(L, L_N);
      const xi = sigma != 0 ? lp(L, L_XIP) + <usize>(pos * b) * rowBytes(n) : 0;
      if (k < N) compartmentStep(lp(L, L_UP), lp(L, L_VB), lp(L, L_VA), xi, b, n, dt, gLk, gB, gA, sigma);
      else compartmentStep(lp(L, L_UP), lp(L, L_VB), nudge ? (filterTarget ? Tf : T) : 0, xi, b, n, dt, gLk, gB, nudge ? gSom : 0, sigma);
    }
    if (sigma != 0) seti(net, H_CHUNK_POS, pos + 1);

    // 2. Input low-pass and rates.
    copy(r0old, r0, b, n0);
    lowpass(r0, X, b, n0, aIn);
    for (let k = 1; k <= N; k++) {
      const L = lay(net, k);
      const n = li(L, L_N);
      copy(lp(L, L_RPOLD), lp(L, L_RP), b, n);
      phi(net, lp(L, L_RP), lp(L, L_UP), b, n);
      if (k < N) {
        const nn = li(L, L_NNEXT);
        copy(lp(L, L_RIOLD), lp(L, L_RI), b, nn);
        phi(net, lp(L, L_RI), lp(L, L_UI), b, nn);
      }
    }

    // 3. Induction terms G = (post error) ⊗ (presynaptic rate), post errors first.
    const plastic = learn && geti(net, H_SINCE_SWITCH) >= lag;
    if (plastic) {
      for (let k = 1; k <= N; k++) {
        const L = lay(net, k);
        const n = li(L, L_N);
        const nn = li(L, L_NNEXT);
        const fl = li(L, L_FLAGS);
        if (fl & PLASTIC_UP) {
          phiScaled(net, lp(L, L_EUP), lp(L, L_VB), b, n, k < N ? cHid : cOut);
          sub(lp(L, L_EUP), lp(L, L_RP), lp(L, L_EUP), b, n);
        }
        if (k < N) {
          if (fl & PLASTIC_IP) {
            phiScaled(net, lp(L, L_EIP), lp(L, L_VI), b, nn, cI);
            sub(lp(L, L_EIP), lp(L, L_RI), lp(L, L_EIP), b, nn);
          }
          if (fl & PLASTIC_PI) scaleInto(lp(L, L_EPI), lp(L, L_VA), b, n, -1.0);
          if (fl & PLASTIC_DN) {
            phi(net, lp(L, L_EDN), lp(L, L_VAB), b, n);
            sub(lp(L, L_EDN), lp(L, L_RP), lp(L, L_EDN), b, n);
          }
        }
      }
    }

    // 4. One pass per weight matrix: filter, consolidate, next dendritic potential.
    const alpha: f32 = 1 - aW;
    const beta: f32 = aW / <f32>b;
    for (let k = 1; k <= N; k++) {
      const L = lay(net, k);
      const n = li(L, L_N);
      const nn = li(L, L_NNEXT);
      const np = li(L, L_NPREV);
      const fl = li(L, L_FLAGS);
      const preOld = k == 1 ? r0old : lp(lay(net, k - 1), L_RPOLD);
      const preNew = k == 1 ? r0 : lp(lay(net, k - 1), L_RP);
      poolLabel(k, "W^up");
      if (plastic && (fl & PLASTIC_UP)) {
        filteredGerGemm(lp(L, L_VB), lp(L, L_WUP), lp(L, L_DUP), lp(L, L_EUP), preOld, preNew, b, n, np, alpha, beta, dt * lf(L, L_ETA_UP), 0);
        if (fl & BIAS_UP) filteredThreshold(net, lp(L, L_VB), lp(L, L_BUP), lp(L, L_DBUP), lp(L, L_EUP), lp(L, L_SUM), b, n, aW, dt * lf(L, L_ETA_BUP));
      } else {
        dendrite(net, lp(L, L_VB), preNew, lp(L, L_WUP), fl & BIAS_UP ? lp(L, L_BUP) : 0, b, n, np, 0);
      }
      if (k < N) {
        const Lu = lay(net, k + 1);
        poolLabel(k, "W^IP");
        if (plastic && (fl & PLASTIC_IP)) {
          filteredGerGemm(lp(L, L_VI), lp(L, L_WIP), lp(L, L_DIP), lp(L, L_EIP), lp(L, L_RPOLD), lp(L, L_RP), b, nn, n, alpha, beta, dt * lf(L, L_ETA_IP), 0);
          if (fl & BIAS_IP) filteredThreshold(net, lp(L, L_VI), lp(L, L_BIP), lp(L, L_DBIP), lp(L, L_EIP), lp(L, L_SUMI), b, nn, aW, dt * lf(L, L_ETA_BIP));
        } else {
          dendrite(net, lp(L, L_VI), lp(L, L_RP), lp(L, L_WIP), fl & BIAS_IP ? lp(L, L_BIP) : 0, b, nn, n, 0);
        }
        poolLabel(k, "B");
        if (plastic && (fl & PLASTIC_DN)) {
          filteredGerGemm(lp(L, L_VAB), lp(L, L_B), lp(L, L_DB), lp(L, L_EDN), lp(Lu, L_RPOLD), lp(Lu, L_RP), b, n, nn, alpha, beta, dt * lf(L, L_ETA_DN), 0);
        } else {
          dendrite(net, lp(L, L_VAB), lp(Lu, L_RP), lp(L, L_B), 0, b, n, nn, 0);
        }
        copy(lp(L, L_VA), lp(L, L_VAB), b, n);
        poolLabel(k, "W^PI");
        if (plastic && (fl & PLASTIC_PI)) {
          filteredGerGemm(lp(L, L_VA), lp(L, L_WPI), lp(L, L_DPI), lp(L, L_EPI), lp(L, L_RIOLD), lp(L, L_RI), b, n, nn, alpha, beta, dt * lf(L, L_ETA_PI), 1);
        } else {
          dendrite(net, lp(L, L_VA), lp(L, L_RI), lp(L, L_WPI), 0, b, n, nn, 1);
        }
      }
    }

    seti(net, H_SINCE_SWITCH, geti(net, H_SINCE_SWITCH) + 1);
    const clock = geti(net, H_STEPS_LO) + 1;
    seti(net, H_STEPS_LO, clock);
    const st = checkSomata(net, b);
    if (st != 0) {
      seti(net, H_STATUS_STEP, s);
      return st;
    }
    if (monitors) recordMonitors(net, clock);
  }
  if (learn) {
    const st = checkWeights(net);
    if (st != 0) {
      seti(net, H_STATUS_STEP, steps - 1);
      return st;
    }
  }
  return 0;
}

/**
 * Threshold weights t (presynaptic rate 1) under the same filter: Δt ← Δt + a(mean_rows E − Δt),
 * t ← t + s·Δt, then Y += t row by row (Y already holds the product with the updated weights).
 */
function filteredThreshold(net: usize, Y: usize, t: usize, Dt: usize, E: usize, sum: usize, b: i32, m: i32, a: f32, s: f32): void {
  gemvT(sum, E, <usize>geti(net, H_ONES), b, m, 0);
  scaleInto(sum, sum, 1, m, 1 / <f32>b);
  lowpass(Dt, sum, 1, m, a);
  axpy(t, Dt, 1, m, s);
  addRows(Y, t, b, m);
}

/** Writes zero into the low-pass filter state of every plastic pathway (Δ = 0). */
export function mcClearFilters(net: usize): void {
  const N = geti(net, H_NLAYERS);
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    const n = li(L, L_N);
    const nn = li(L, L_NNEXT);
    if (lp(L, L_DUP) != 0) fillConst(lp(L, L_DUP), n, li(L, L_NPREV), 0);
    if (lp(L, L_DBUP) != 0) fillConst(lp(L, L_DBUP), 1, n, 0);
    if (k < N) {
      if (lp(L, L_DIP) != 0) fillConst(lp(L, L_DIP), nn, n, 0);
      if (lp(L, L_DBIP) != 0) fillConst(lp(L, L_DBIP), 1, nn, 0);
      if (lp(L, L_DPI) != 0) fillConst(lp(L, L_DPI), n, nn, 0);
      if (lp(L, L_DB) != 0) fillConst(lp(L, L_DB), n, nn, 0);
    }
  }
}
