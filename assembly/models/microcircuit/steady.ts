// Fast steady-state mode of the microcircuit (SCBS18; docs/model.md §1.8): forward sweep, output
// nudging, backward sweep, one plasticity step per mini-batch.
import { gemvT } from "../../kernels/gemv";
import { gerK } from "../../kernels/outer";
import { axpy, scaleInto, sub, copy, allFinite } from "../../kernels/elementwise";
import {
  geti, getf, lay, lp, li, lf, H_NLAYERS, H_R0, H_ONES, F_C_HID, F_LAM_A, F_C_OUT, F_LAM_OUT, F_C_I, F_LAM_I, L_N, L_NPREV, L_NNEXT, L_FLAGS, L_WUP, L_BUP, L_B, L_WPI, L_WIP, L_BIP, L_UP, L_RP, L_VB, L_VA, L_VAB, L_UI, L_RI, L_VI, L_RF, L_EUP, L_EIP, L_EPI, L_EDN, L_SUM, L_SUMI, L_ETA_UP, L_ETA_IP, L_ETA_PI, L_ETA_DN, L_ETA_BUP, L_ETA_BIP, PLASTIC_UP, PLASTIC_IP, PLASTIC_PI, PLASTIC_DN, BIAS_UP, BIAS_IP, TIED_PI, V_UP, V_W_UP, V_W_IP, V_W_B,
} from "./layout";
import { phi, dendrite, dendritePhi, combine, combinePhi, induction, bad, checkSomata } from "./cells";
import { poolLabel } from "../../kernels/pool";

/**
 * Forward sweep k = 1..N: every pyramidal soma at its bottom-up prediction plus λ_A·v^A (v^A = 0 on
 * the first sweep: apical silent); interneuron dendrites from the sweep's rates. Rates go to L_RF.
 */
function forwardSweep(net: usize, X: usize, b: i32, withApical: bool, withInterneurons: bool): void {
  const N = geti(net, H_NLAYERS);
  const cHid = getf(net, F_C_HID);
  const lamA = getf(net, F_LAM_A);
  const cOut = getf(net, F_C_OUT);
  let pre = X;
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    const n = li(L, L_N);
    const flags = li(L, L_FLAGS);
    poolLabel(k, "W^up");
    // SCBS18 §1.4: u^P_k = c_hid v^B_k + λ_A v^A_k; without target u^P_N = c_out v^B_N; rates φ(u^P_k)
    const VB = lp(L, L_VB);
    dendritePhi(
      net, VB, pre, lp(L, L_WUP), flags & BIAS_UP ? lp(L, L_BUP) : 0, b, n, li(L, L_NPREV), 0,
      lp(L, L_UP), VB, k < N ? cHid : cOut, k < N && withApical ? lp(L, L_VA) : 0, lamA, lp(L, L_RF),
    );
    if (k < N && withInterneurons) {
      poolLabel(k, "W^IP");
      dendrite(net, lp(L, L_VI), lp(L, L_RF), lp(L, L_WIP), flags & BIAS_IP ? lp(L, L_BIP) : 0, b, li(L, L_NNEXT), n, 0);
    }
    pre = lp(L, L_RF);
  }
}

/**
 * Output nudging and backward sweep k = N−1..1 (SCBS18; docs/model.md §1.8 steps 2–3):
 * u^P_N = (1−λ_out) c_out v^B_N + λ_out u_tgt;  u^I_k = (1−λ_I) c_I v^I_k + λ_I u^P_{k+1};
 * v^A_k = B_k φ(u^P_{k+1}) + W^PI_k φ(u^I_k);  u^P_k = c_hid v^B_k + λ_A v^A_k.
 */
function backwardSweep(net: usize, T: usize, b: i32): void {
  const N = geti(net, H_NLAYERS);
  const cHid = getf(net, F_C_HID);
  const lamA = getf(net, F_LAM_A);
  const cOut = getf(net, F_C_OUT);
  const lamOut = getf(net, F_LAM_OUT);
  const cI = getf(net, F_C_I);
  const lamI = getf(net, F_LAM_I);
  const LN = lay(net, N);
  const nN = li(LN, L_N);
  if (T != 0) combine(lp(LN, L_UP), lp(LN, L_VB), (1 - lamOut) * cOut, T, lamOut, b, nN);
  phi(net, lp(LN, L_RP), lp(LN, L_UP), b, nN);
  for (let k = N - 1; k >= 1; k--) {
    const L = lay(net, k);
    const Lu = lay(net, k + 1);
    const n = li(L, L_N);
    const nn = li(L, L_NNEXT);
    combinePhi(net, lp(L, L_UI), lp(L, L_VI), (1 - lamI) * cI, lp(Lu, L_UP), lamI, lp(L, L_RI), b, nn);
    // u^P_k = c_hid v^B_k + λ_A v^A_k and its rates, on the columns of the last product of v^A_k
    const VA = lp(L, L_VA);
    if (li(L, L_FLAGS) & TIED_PI) {
      // L_EIP is free until the plasticity step.
      sub(lp(L, L_EIP), lp(Lu, L_RP), lp(L, L_RI), b, nn);
      poolLabel(k, "B");
      dendritePhi(net, VA, lp(L, L_EIP), lp(L, L_B), 0, b, n, nn, 0, lp(L, L_UP), lp(L, L_VB), cHid, VA, lamA, lp(L, L_RP));
    } else {
      poolLabel(k, "B");
      dendrite(net, lp(L, L_VAB), lp(Lu, L_RP), lp(L, L_B), 0, b, n, nn, 0);
      copy(VA, lp(L, L_VAB), b, n);
      poolLabel(k, "W^PI");
      dendritePhi(net, VA, lp(L, L_RI), lp(L, L_WPI), 0, b, n, nn, 1, lp(L, L_UP), lp(L, L_VB), cHid, VA, lamA, lp(L, L_RP));
    }
  }
}

/** W += (η/b) EᵀP over the b rows in use, and the thresholds t += (η_t/b) Σ_rows E. */
function applyUpdate(net: usize, k: i32, name: string, W: usize, t: usize, E: usize, P: usize, sum: usize, b: i32, m: i32, n: i32, eta: f32, etaT: f32): void {
  const s = eta / <f32>b;
  poolLabel(k, name);
  gerK(W, E, P, b, m, n, s);
  if (t != 0) {
    gemvT(sum, E, <usize>geti(net, H_ONES), b, m, 0);
    axpy(t, sum, 1, m, etaT / <f32>b);
  }
}

/**
 * Plasticity once per example, averaged over the b examples (SCBS18; docs/model.md §1.8 step 4), from the state the
 * sweeps left: presynaptic terms are the forward-sweep rates that produced the dendritic potentials.
 *   G^up_k = [φ(u^P_k) − φ(v̂^B_k)] r_{k−1}ᵀ          G^IP_k = [φ(u^I_k) − φ(c_I v^I_k)] φ(u^P_k)ᵀ
 *   G^PI_k = −v^A_k φ(u^I_k)ᵀ                         G^down_k = [φ(u^P_k) − φ(B_k φ(u^P_{k+1}))] φ(u^P_{k+1})ᵀ
 */
function fastPlasticity(net: usize, X: usize, b: i32): i32 {
  const N = geti(net, H_NLAYERS);
  const cHid = getf(net, F_C_HID);
  const cOut = getf(net, F_C_OUT);
  const cI = getf(net, F_C_I);
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    const n = li(L, L_N);
    const nn = li(L, L_NNEXT);
    const flags = li(L, L_FLAGS);
    const pre = k == 1 ? X : lp(lay(net, k - 1), L_RF);
    if (flags & PLASTIC_UP) {
      induction(net, lp(L, L_EUP), lp(L, L_RP), lp(L, L_VB), b, n, k < N ? cHid : cOut);
    }
    if (k < N) {
      if (flags & PLASTIC_IP) {
        induction(net, lp(L, L_EIP), lp(L, L_RI), lp(L, L_VI), b, nn, cI);
      }
      if (flags & PLASTIC_PI) scaleInto(lp(L, L_EPI), lp(L, L_VA), b, n, -1.0);
      if (flags & PLASTIC_DN) {
        const E = lp(L, L_EDN);
        phi(net, E, lp(L, L_VAB), b, n);
        sub(E, lp(L, L_RP), E, b, n);
      }
    }
    // Finite induction terms, finite presynaptic rates and finite rates η keep the weights finite
    // (an overflow of a weight would first overflow a dendritic potential, caught next call); so
    // checking these small vectors replaces a pass over every weight matrix.
    if ((flags & PLASTIC_UP) && !allFinite(lp(L, L_EUP), b, n)) return bad(k, V_W_UP);
    if (k < N && (flags & PLASTIC_IP) && !allFinite(lp(L, L_EIP), b, nn)) return bad(k, V_W_IP);
    if (k < N && (flags & PLASTIC_DN) && !allFinite(lp(L, L_EDN), b, n)) return bad(k, V_W_B);
    // Updates after all induction terms of this layer are formed; none of them reads a weight.
    if (flags & PLASTIC_UP) applyUpdate(net, k, "W^up", lp(L, L_WUP), flags & BIAS_UP ? lp(L, L_BUP) : 0, lp(L, L_EUP), pre, lp(L, L_SUM), b, n, li(L, L_NPREV), lf(L, L_ETA_UP), lf(L, L_ETA_BUP));
    if (k < N) {
      const Lu = lay(net, k + 1);
      if (flags & PLASTIC_IP) applyUpdate(net, k, "W^IP", lp(L, L_WIP), flags & BIAS_IP ? lp(L, L_BIP) : 0, lp(L, L_EIP), lp(L, L_RF), lp(L, L_SUMI), b, nn, n, lf(L, L_ETA_IP), lf(L, L_ETA_BIP));
      if (flags & PLASTIC_PI) applyUpdate(net, k, "W^PI", lp(L, L_WPI), 0, lp(L, L_EPI), lp(L, L_RI), 0, b, n, nn, lf(L, L_ETA_PI), 0);
      if (flags & PLASTIC_DN) applyUpdate(net, k, "B", lp(L, L_B), 0, lp(L, L_EDN), lp(Lu, L_RP), 0, b, n, nn, lf(L, L_ETA_DN), 0);
    }
  }
  return 0;
}

/**
 * Test pass: the forward sweep only (SCBS18; docs/model.md §1.8). Output rates φ(u^P_N) of the b examples X (b × n0)
 * are left in the output layer's rate buffer (L_RF). Returns 0 or a non-finite status code.
 */
export function mcFastForward(net: usize, X: usize, b: i32): i32 {
  // The test pass needs no interneurons.
  forwardSweep(net, X, b, false, false);
  const N = geti(net, H_NLAYERS);
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    if (!allFinite(lp(L, L_UP), b, li(L, L_N))) return bad(k, V_UP);
  }
  const L = lay(net, N);
  copy(lp(L, L_RP), lp(L, L_RF), b, li(L, L_N));
  return 0;
}

/**
 * Steady state of b examples X (b × n0) with targets T (b × n_N potentials; 0: no target, free
 * phase), by `sweeps` up/down sweeps (1 = the single pass of SCBS18), then, when `learn` ≠ 0, one
 * plasticity step averaged over the batch with rates η. Returns 0 or a non-finite status code.
 */
export function mcFastTrain(net: usize, X: usize, T: usize, b: i32, sweeps: i32, learn: i32): i32 {
  for (let it = 0; it < sweeps; it++) {
    forwardSweep(net, X, b, it > 0, true);
    backwardSweep(net, T, b);
  }
  const st = checkSomata(net, b);
  if (st != 0) return st;
  if (learn) return fastPlasticity(net, X, b);
  return 0;
}

/**
 * Recomputes every dendritic potential from the current rates and weights (after a reset, a weight
 * change from outside, or a change of batch size). Rates are recomputed from the somata first.
 */
export function mcSyncDendrites(net: usize, b: i32): void {
  const N = geti(net, H_NLAYERS);
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    phi(net, lp(L, L_RP), lp(L, L_UP), b, li(L, L_N));
    if (k < N) phi(net, lp(L, L_RI), lp(L, L_UI), b, li(L, L_NNEXT));
  }
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    const n = li(L, L_N);
    const nn = li(L, L_NNEXT);
    const flags = li(L, L_FLAGS);
    const pre = k == 1 ? <usize>geti(net, H_R0) : lp(lay(net, k - 1), L_RP);
    dendrite(net, lp(L, L_VB), pre, lp(L, L_WUP), flags & BIAS_UP ? lp(L, L_BUP) : 0, b, n, li(L, L_NPREV), 0);
    if (k < N) {
      const Lu = lay(net, k + 1);
      dendrite(net, lp(L, L_VI), lp(L, L_RP), lp(L, L_WIP), flags & BIAS_IP ? lp(L, L_BIP) : 0, b, nn, n, 0);
      dendrite(net, lp(L, L_VAB), lp(Lu, L_RP), lp(L, L_B), 0, b, n, nn, 0);
      copy(lp(L, L_VA), lp(L, L_VAB), b, n);
      dendrite(net, lp(L, L_VA), lp(L, L_RI), lp(L, L_WPI), 0, b, n, nn, 1);
    }
  }
}
