// The dendritic cortical microcircuit of SCBS18 (docs/model.md §1), in the paper's symbols.
//
// SCBS18 §1.2  v^B_k = W^up_k r_{k−1};  v^A_k = B_k φ(u^P_{k+1}) + W^PI_k φ(u^I_k);  v^I_k = W^IP_k φ(u^P_k)
// SCBS18 §1.3  du^P_k/dt = −g_lk u^P_k + g_B (v^B_k − u^P_k) + g_A (v^A_k − u^P_k) + σξ      (hidden)
//              du^P_N/dt = −g_lk u^P_N + g_B (v^B_N − u^P_N) + g_som (u_tgt − u^P_N) + σξ  (output)
//              du^I_k/dt = −g_lk u^I_k + g_D (v^I_k − u^I_k) + g_som (u^P_{k+1} − u^I_k) + σξ
// SCBS18 §1.5  Δ ← Δ + (dt/τ_w)(G − Δ);  W ← W + dt·η·Δ
//
// The network lives in linear memory as a descriptor (an i32/f32 table written by
// src/models/microcircuit.ts; the slot numbers below are mirrored there) holding pointers to every
// weight, filter and state buffer. Layer k's record describes its pyramidal cells, the weights onto
// them (W^up_k, B_k, W^PI_k) and, for hidden layers, the interneurons of layer k with W^IP_k.
// Batched state has maxBatch rows (independent circuits sharing the weights); plasticity averages
// over the rows in use.
import { gemmNT } from "../kernels/gemm";
import { gemv, gemvT } from "../kernels/gemv";
import { gerK } from "../kernels/outer";
import { logistic, softRect, relu, tanhAct, compartmentStep, lowpass, axpy, scaleInto, sub, copy, fillConst, allFinite } from "../kernels/elementwise";
import { gaussian } from "../kernels/noise";
import { filteredGerGemm } from "../kernels/filtered";

// ---- descriptor slots (i32 index; f32 slots hold float bits) ----
const H_NLAYERS = 0; // N: number of pyramidal layers (layer 0, the input, is not counted)
const H_MAXBATCH = 1;
const H_ACT = 2; // φ: 0 logistic, 1 soft rectifier, 2 ReLU, 3 tanh, 4 identity
const H_SEED = 3;
const H_NOISE_LO = 4; // noise counter (64 bit), advanced by every draw
const H_NOISE_HI = 5;
const H_N0 = 6; // input size
const H_R0 = 7; // r_0: low-pass filtered input, maxBatch × n0
const H_R0OLD = 8; // r_0 before the current step
const H_ONES = 9; // maxBatch ones (column sums)
const H_CHUNK = 10; // Euler steps of noise drawn per generator call
const H_CHUNK_POS = 11; // steps of the current noise chunk already used
const H_SINCE_SWITCH = 12; // steps since the last pattern switch (learning lag)
const H_LAG_STEPS = 13;
const H_STEPS_LO = 14; // total Euler steps simulated (monitor clock)
const H_MON_COUNT = 15;
const H_MON_TABLE = 16;
const H_STATUS_STEP = 17; // step within the call at which a non-finite value appeared
const H_CHUNK_B = 18; // batch size the current noise chunk was drawn for

const F_DT = 32;
const F_GLK = 33;
const F_GB = 34;
const F_GA = 35;
const F_GD = 36;
const F_GSOM = 37;
const F_SIGMA = 38;
const F_TAU_IN = 39;
const F_TAU_W = 40;
const F_C_HID = 41; // g_B/(g_lk+g_B+g_A)
const F_LAM_A = 42; // g_A/(g_lk+g_B+g_A)
const F_C_OUT = 43; // g_B/(g_lk+g_B)
const F_LAM_OUT = 44; // g_som/(g_lk+g_B+g_som)
const F_C_I = 45; // g_D/(g_lk+g_D)
const F_LAM_I = 46; // g_som/(g_lk+g_D+g_som)
const F_GAMMA = 47; // soft rectifier γ, β, θ
const F_BETA = 48;
const F_THETA = 49;

const LAYER0 = 64;
const LREC = 64;
// layer record
const L_N = 0;
const L_NPREV = 1;
const L_NNEXT = 2; // 0 for the output layer
const L_FLAGS = 3;
const L_WUP = 4;
const L_DUP = 5;
const L_BUP = 6; // threshold weights (presynaptic rate 1), n_k
const L_DBUP = 7;
const L_B = 8;
const L_DB = 9;
const L_WPI = 10;
const L_DPI = 11;
const L_WIP = 12;
const L_DIP = 13;
const L_BIP = 14;
const L_DBIP = 15;
const L_UP = 16;
const L_RP = 17;
const L_VB = 18;
const L_VA = 19;
const L_VAB = 20; // B_k φ(u^P_{k+1}), the top-down part of v^A
const L_UI = 21;
const L_RI = 22;
const L_VI = 23;
const L_RPOLD = 24;
const L_RIOLD = 25;
const L_RF = 26; // fast mode: rates of the last forward sweep (presynaptic terms)
const L_EUP = 27;
const L_EIP = 28;
const L_EPI = 29;
const L_EDN = 30;
const L_XIP = 31; // noise chunk for the pyramidal cells, chunk·maxBatch × n_k
const L_XII = 32; // noise chunk for the interneurons
const L_TMP = 33; // maxBatch × n_k scratch
const L_SUM = 34; // n_k scratch (column sums)
const L_SUMI = 35; // n_{k+1} scratch
const L_ETA_UP = 40;
const L_ETA_IP = 41;
const L_ETA_PI = 42;
const L_ETA_DN = 43;

// layer flags
const PLASTIC_UP = 1;
const PLASTIC_IP = 2;
const PLASTIC_PI = 4;
const PLASTIC_DN = 8;
const BIAS_UP = 16;
const BIAS_IP = 32;
// W^PI_k is held at −B_k (both fixed): v^A_k = B_k (φ(u^P_{k+1}) − φ(u^I_k)), one product instead of two
const TIED_PI = 64;

// variable codes (monitors and non-finite reports; mirrored in src/models/microcircuit.ts)
const V_UP = 0;
const V_VB = 1;
const V_VA = 2;
const V_UI = 3;
const V_VI = 4;
const V_RP = 5;
const V_RI = 6;
const V_APICAL = 7; // mean |v^A| over the layer's cells (batch row 0)
const V_NORM_UP = 8;
const V_NORM_IP = 9;
const V_NORM_PI = 10;
const V_NORM_B = 11;
const V_W_UP = 12; // weights, in non-finite reports only
const V_W_IP = 13;
const V_W_PI = 14;
const V_W_B = 15;
const V_R0 = 16;

// monitor table entry (i32 slots)
const M_VAR = 0;
const M_LAYER = 1;
const M_INDEX = 2; // ≥ 0: one cell; −1: the whole vector (batch row 0); −2: mean absolute value
const M_INTERVAL = 3;
const M_PTR = 4;
const M_WIDTH = 5;
const M_CAPACITY = 6;
const M_WRITTEN = 7;
const MREC = 8;

// present() flags
const P_NUDGE = 1;
const P_LEARN = 2;
const P_SWITCH = 4;

// @ts-ignore: decorator
@inline function geti(net: usize, slot: i32): i32 {
  return load<i32>(net + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function seti(net: usize, slot: i32, v: i32): void {
  store<i32>(net + (<usize>slot << 2), v);
}
// @ts-ignore: decorator
@inline function getf(net: usize, slot: i32): f32 {
  return load<f32>(net + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function lay(net: usize, k: i32): usize {
  return net + (<usize>(LAYER0 + (k - 1) * LREC) << 2);
}
// @ts-ignore: decorator
@inline function lp(L: usize, slot: i32): usize {
  return <usize>load<i32>(L + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function li(L: usize, slot: i32): i32 {
  return load<i32>(L + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function lf(L: usize, slot: i32): f32 {
  return load<f32>(L + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function rowBytes(cols: i32): usize {
  return (<usize>((cols + 3) & ~3)) << 2;
}

/** y = φ(x) elementwise (docs/model.md §1.9: logistic, or the soft rectifier γ·log(1+exp(β(u−θ)))). */
function phi(net: usize, y: usize, x: usize, rows: i32, cols: i32): void {
  switch (geti(net, H_ACT)) {
    case 0: logistic(y, x, rows, cols); break;
    case 1: softRect(y, x, rows, cols, getf(net, F_GAMMA), getf(net, F_BETA), getf(net, F_THETA)); break;
    case 2: relu(y, x, rows, cols); break;
    case 3: tanhAct(y, x, rows, cols); break;
    default: if (y != x) copy(y, x, rows, cols);
  }
}

/** y = φ(c·x). */
function phiScaled(net: usize, y: usize, x: usize, rows: i32, cols: i32, c: f32): void {
  scaleInto(y, x, rows, cols, c);
  phi(net, y, y, rows, cols);
}

/** Y (b × m) = X (b × n) Wᵀ (+ threshold weights t, one per row of W, when t ≠ 0). */
function dendrite(net: usize, Y: usize, X: usize, W: usize, t: usize, b: i32, m: i32, n: i32, accumulate: i32): void {
  if (b == 1) gemv(Y, W, X, m, n, accumulate);
  else gemmNT(Y, X, W, b, m, n, accumulate);
  if (t != 0) addRows(Y, t, b, m);
}

/** Adds the vector t (m) to each of the b rows of Y. */
function addRows(Y: usize, t: usize, b: i32, m: i32): void {
  const rb = rowBytes(m);
  for (let r = 0; r < b; r++) axpy(Y + <usize>r * rb, t, 1, m, 1.0);
}

/** y = a·x1 + c·x2 (c·x2 omitted when x2 = 0). */
function combine(y: usize, x1: usize, a: f32, x2: usize, c: f32, rows: i32, cols: i32): void {
  scaleInto(y, x1, rows, cols, a);
  if (x2 != 0) axpy(y, x2, rows, cols, c);
}

/** Status code for a non-finite value: 1 + 32·layer + variable. */
function bad(layer: i32, v: i32): i32 {
  return 1 + layer * 32 + v;
}

/** Checks every soma of every layer; returns 0 or the status code of the first non-finite one. */
function checkSomata(net: usize, b: i32): i32 {
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
function checkWeights(net: usize): i32 {
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

// =============================================================================================
// Fast steady-state mode (docs/model.md §1.8)
// =============================================================================================

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
    dendrite(net, lp(L, L_VB), pre, lp(L, L_WUP), flags & BIAS_UP ? lp(L, L_BUP) : 0, b, n, li(L, L_NPREV), 0);
    if (k < N) {
      // SCBS18 §1.4: u^P_k = c_hid v^B_k + λ_A v^A_k
      combine(lp(L, L_UP), lp(L, L_VB), cHid, withApical ? lp(L, L_VA) : 0, lamA, b, n);
    } else {
      // SCBS18 §1.4 without target: u^P_N = c_out v^B_N
      scaleInto(lp(L, L_UP), lp(L, L_VB), b, n, cOut);
    }
    phi(net, lp(L, L_RF), lp(L, L_UP), b, n);
    if (k < N && withInterneurons) {
      dendrite(net, lp(L, L_VI), lp(L, L_RF), lp(L, L_WIP), flags & BIAS_IP ? lp(L, L_BIP) : 0, b, li(L, L_NNEXT), n, 0);
    }
    pre = lp(L, L_RF);
  }
}

/**
 * Output nudging and backward sweep k = N−1..1 (docs/model.md §1.8 steps 2–3):
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
    combine(lp(L, L_UI), lp(L, L_VI), (1 - lamI) * cI, lp(Lu, L_UP), lamI, b, nn);
    phi(net, lp(L, L_RI), lp(L, L_UI), b, nn);
    if (li(L, L_FLAGS) & TIED_PI) {
      // L_EIP is free until the plasticity step.
      sub(lp(L, L_EIP), lp(Lu, L_RP), lp(L, L_RI), b, nn);
      dendrite(net, lp(L, L_VA), lp(L, L_EIP), lp(L, L_B), 0, b, n, nn, 0);
    } else {
      dendrite(net, lp(L, L_VAB), lp(Lu, L_RP), lp(L, L_B), 0, b, n, nn, 0);
      copy(lp(L, L_VA), lp(L, L_VAB), b, n);
      dendrite(net, lp(L, L_VA), lp(L, L_RI), lp(L, L_WPI), 0, b, n, nn, 1);
    }
    combine(lp(L, L_UP), lp(L, L_VB), cHid, lp(L, L_VA), lamA, b, n);
    phi(net, lp(L, L_RP), lp(L, L_UP), b, n);
  }
}

/** W += (η/b) EᵀP over the b rows in use, and the thresholds t += (η/b) Σ_rows E. */
function applyUpdate(net: usize, W: usize, t: usize, E: usize, P: usize, sum: usize, b: i32, m: i32, n: i32, eta: f32): void {
  const s = eta / <f32>b;
  gerK(W, E, P, b, m, n, s);
  if (t != 0) {
    gemvT(sum, E, <usize>geti(net, H_ONES), b, m, 0);
    axpy(t, sum, 1, m, s);
  }
}

/**
 * Plasticity once per example, averaged over the b examples (docs/model.md §1.8 step 4), from the state the
 * sweeps left: presynaptic terms are the forward-sweep rates that produced the dendritic potentials.
 *   G^up_k = [φ(u^P_k) − φ(v̂^B_k)] r_{k−1}ᵀ          G^IP_k = [φ(u^I_k) − φ(c_I v^I_k)] φ(u^P_k)ᵀ
 *   G^PI_k = −v^A_k φ(u^I_k)ᵀ                         G^down_k = [φ(u^P_k) − φ(B_k φ(u^P_{k+1}))] φ(u^P_{k+1})ᵀ
 */
function fastPlasticity(net: usize, X: usize, b: i32, scale: f32): i32 {
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
      const E = lp(L, L_EUP);
      phiScaled(net, E, lp(L, L_VB), b, n, k < N ? cHid : cOut);
      sub(E, lp(L, L_RP), E, b, n);
    }
    if (k < N) {
      if (flags & PLASTIC_IP) {
        const E = lp(L, L_EIP);
        phiScaled(net, E, lp(L, L_VI), b, nn, cI);
        sub(E, lp(L, L_RI), E, b, nn);
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
    if (flags & PLASTIC_UP) applyUpdate(net, lp(L, L_WUP), flags & BIAS_UP ? lp(L, L_BUP) : 0, lp(L, L_EUP), pre, lp(L, L_SUM), b, n, li(L, L_NPREV), scale * lf(L, L_ETA_UP));
    if (k < N) {
      const Lu = lay(net, k + 1);
      if (flags & PLASTIC_IP) applyUpdate(net, lp(L, L_WIP), flags & BIAS_IP ? lp(L, L_BIP) : 0, lp(L, L_EIP), lp(L, L_RF), lp(L, L_SUMI), b, nn, n, scale * lf(L, L_ETA_IP));
      if (flags & PLASTIC_PI) applyUpdate(net, lp(L, L_WPI), 0, lp(L, L_EPI), lp(L, L_RI), 0, b, n, nn, scale * lf(L, L_ETA_PI));
      if (flags & PLASTIC_DN) applyUpdate(net, lp(L, L_B), 0, lp(L, L_EDN), lp(Lu, L_RP), 0, b, n, nn, scale * lf(L, L_ETA_DN));
    }
  }
  return 0;
}

/**
 * Test pass: the forward sweep only (docs/model.md §1.8). Output rates φ(u^P_N) of the b examples X (b × n0)
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
 * plasticity step averaged over the batch with rates scale·η. Returns 0 or a non-finite status code.
 */
export function mcFastTrain(net: usize, X: usize, T: usize, b: i32, sweeps: i32, learn: i32, scale: f32): i32 {
  for (let it = 0; it < sweeps; it++) {
    forwardSweep(net, X, b, it > 0, true);
    backwardSweep(net, T, b);
  }
  const st = checkSomata(net, b);
  if (st != 0) return st;
  if (learn) return fastPlasticity(net, X, b, scale);
  return 0;
}

// =============================================================================================
// Full dynamics (docs/model.md §1.2–1.5), forward Euler
// =============================================================================================

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
  // Each stream used at most chunk·b·max(n) counters; advance past the widest population.
  let widest = 0;
  for (let k = 1; k <= N; k++) {
    const L = lay(net, k);
    if (li(L, L_N) > widest) widest = li(L, L_N);
    if (li(L, L_NNEXT) > widest) widest = li(L, L_NNEXT);
  }
  lo += <u64>chunk * <u64>b * <u64>widest;
  seti(net, H_NOISE_LO, <i32><u32>lo);
  seti(net, H_NOISE_HI, <i32><u32>(lo >> 32));
  seti(net, H_CHUNK_POS, 0);
  seti(net, H_CHUNK_B, b);
}

/** Mean |x| over the first row (n values). */
function meanAbsRow(x: usize, n: i32): f32 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += Math.abs(<f64>load<f32>(x + (<usize>i << 2)));
  return <f32>(s / <f64>n);
}

/** Frobenius norm of an m × n matrix. */
function frob(W: usize, m: i32, n: i32): f32 {
  const rb = rowBytes(n);
  let s: f64 = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const w = <f64>load<f32>(W + <usize>i * rb + (<usize>j << 2));
      s += w * w;
    }
  }
  return <f32>Math.sqrt(s);
}

/** Writes one record of every monitor whose interval divides the step clock. */
function recordMonitors(net: usize, clock: i32): void {
  const count = geti(net, H_MON_COUNT);
  const table = <usize>geti(net, H_MON_TABLE);
  for (let m = 0; m < count; m++) {
    const M = table + (<usize>(m * MREC) << 2);
    const interval = load<i32>(M + (M_INTERVAL << 2));
    if (clock % interval != 0) continue;
    const v = load<i32>(M + (M_VAR << 2));
    const k = load<i32>(M + (M_LAYER << 2));
    const index = load<i32>(M + (M_INDEX << 2));
    const width = load<i32>(M + (M_WIDTH << 2));
    const cap = load<i32>(M + (M_CAPACITY << 2));
    const written = load<i32>(M + (M_WRITTEN << 2));
    const dst = <usize>load<i32>(M + (M_PTR << 2)) + (<usize>((written % cap) * width) << 2);
    const L = k >= 1 ? lay(net, k) : net;
    let src: usize = 0;
    let n = 0;
    switch (v) {
      case V_UP: src = lp(L, L_UP); n = li(L, L_N); break;
      case V_VB: src = lp(L, L_VB); n = li(L, L_N); break;
      case V_VA: case V_APICAL: src = lp(L, L_VA); n = li(L, L_N); break;
      case V_UI: src = lp(L, L_UI); n = li(L, L_NNEXT); break;
      case V_VI: src = lp(L, L_VI); n = li(L, L_NNEXT); break;
      case V_RP: src = lp(L, L_RP); n = li(L, L_N); break;
      case V_RI: src = lp(L, L_RI); n = li(L, L_NNEXT); break;
      case V_R0: src = <usize>geti(net, H_R0); n = geti(net, H_N0); break;
      default: break;
    }
    if (v == V_APICAL) {
      store<f32>(dst, meanAbsRow(src, n));
    } else if (v >= V_NORM_UP && v <= V_NORM_B) {
      let x: f32 = 0;
      if (v == V_NORM_UP) x = frob(lp(L, L_WUP), li(L, L_N), li(L, L_NPREV));
      else if (v == V_NORM_IP) x = frob(lp(L, L_WIP), li(L, L_NNEXT), li(L, L_N));
      else if (v == V_NORM_PI) x = frob(lp(L, L_WPI), li(L, L_N), li(L, L_NNEXT));
      else x = frob(lp(L, L_B), li(L, L_N), li(L, L_NNEXT));
      store<f32>(dst, x);
    } else if (index >= 0) {
      store<f32>(dst, load<f32>(src + (<usize>index << 2)));
    } else if (index == -2) {
      store<f32>(dst, meanAbsRow(src, n));
    } else {
      memory.copy(dst, src, <usize>n << 2);
    }
    store<i32>(M + (M_WRITTEN << 2), written + 1);
  }
}

/**
 * Presents the b patterns X (b × n0) for `steps` Euler steps in one call (docs/model.md §1.3–1.5).
 * flags: 1 nudge the output toward T (b × n_N), 2 plasticity on, 4 this call starts a new pattern
 * (restarts the learning-lag clock). Returns 0, or a non-finite status code (the step is in the
 * descriptor's H_STATUS_STEP slot).
 *
 * Order within one step t → t+1 (transcribed by the f64 oracle in test/microcircuit.ref.ts):
 *  1. Euler step of every soma from u(t) and the dendritic potentials V(t) (interneurons see their
 *     partner's u^P(t)); noise enters as dt·σ·ξ, inside the derivative as in every published
 *     re-implementation (docs/model.md §1.3);
 *  2. r_0(t+1) = r_0(t) + (dt/τ_in)(x − r_0(t));  rates r(t+1) = φ(u(t+1));
 *  3. induction terms from u(t+1) and the dendritic potentials V(t) with the presynaptic rates r(t)
 *     that produced them (docs/model.md §1.5: plasticity uses the potentials after the Euler step);
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
  const learn = (flags & P_LEARN) != 0;
  if (flags & P_SWITCH) seti(net, H_SINCE_SWITCH, 0);
  if (geti(net, H_CHUNK_B) != b) seti(net, H_CHUNK_POS, chunk);
  const monitors = geti(net, H_MON_COUNT) > 0;

  for (let s = 0; s < steps; s++) {
    if (sigma != 0 && geti(net, H_CHUNK_POS) >= chunk) drawNoise(net, b);
    const pos = geti(net, H_CHUNK_POS);

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
      else compartmentStep(lp(L, L_UP), lp(L, L_VB), nudge ? T : 0, xi, b, n, dt, gLk, gB, nudge ? gSom : 0, sigma);
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
      if (plastic && (fl & PLASTIC_UP)) {
        filteredGerGemm(lp(L, L_VB), lp(L, L_WUP), lp(L, L_DUP), lp(L, L_EUP), preOld, preNew, b, n, np, alpha, beta, dt * lf(L, L_ETA_UP), 0);
        if (fl & BIAS_UP) filteredThreshold(net, lp(L, L_VB), lp(L, L_BUP), lp(L, L_DBUP), lp(L, L_EUP), lp(L, L_SUM), b, n, aW, dt * lf(L, L_ETA_UP));
      } else {
        dendrite(net, lp(L, L_VB), preNew, lp(L, L_WUP), fl & BIAS_UP ? lp(L, L_BUP) : 0, b, n, np, 0);
      }
      if (k < N) {
        const Lu = lay(net, k + 1);
        if (plastic && (fl & PLASTIC_IP)) {
          filteredGerGemm(lp(L, L_VI), lp(L, L_WIP), lp(L, L_DIP), lp(L, L_EIP), lp(L, L_RPOLD), lp(L, L_RP), b, nn, n, alpha, beta, dt * lf(L, L_ETA_IP), 0);
          if (fl & BIAS_IP) filteredThreshold(net, lp(L, L_VI), lp(L, L_BIP), lp(L, L_DBIP), lp(L, L_EIP), lp(L, L_SUMI), b, nn, aW, dt * lf(L, L_ETA_IP));
        } else {
          dendrite(net, lp(L, L_VI), lp(L, L_RP), lp(L, L_WIP), fl & BIAS_IP ? lp(L, L_BIP) : 0, b, nn, n, 0);
        }
        if (plastic && (fl & PLASTIC_DN)) {
          filteredGerGemm(lp(L, L_VAB), lp(L, L_B), lp(L, L_DB), lp(L, L_EDN), lp(Lu, L_RPOLD), lp(Lu, L_RP), b, n, nn, alpha, beta, dt * lf(L, L_ETA_DN), 0);
        } else {
          dendrite(net, lp(L, L_VAB), lp(Lu, L_RP), lp(L, L_B), 0, b, n, nn, 0);
        }
        copy(lp(L, L_VA), lp(L, L_VAB), b, n);
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
