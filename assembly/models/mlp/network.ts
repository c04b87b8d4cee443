// Feedforward nets trained by backprop and its feedback-alignment relatives (docs/model.md §2):
//   forward   a_l = W_l h_{l−1} + b_l,  h_l = φ(a_l),  h_0 = x
//   output    δ_L = softmax(a_L) − t                        (softmax cross-entropy)
//             δ_L = (h_L − t) ⊙ φ_out′(a_L)                  (squared error ½‖h_L − t‖²)
//   BP        δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ φ′(a_l)
//   FA        δ_l = (B_{l+1} δ_{l+1}) ⊙ φ′(a_l), B fixed random          (Lillicrap et al. 2016)
//   DFA       δ_l = (B_l e) ⊙ φ′(a_l), e = δ_L, B_l fixed random         (Nøkland 2016)
//   SCFA      B_{l+1} = M ⊙ sign(W_{l+1})ᵀ, recomputed from the current W every batch;
//             M constant (uSF), fixed random (frSF) or redrawn per batch (brSF) (Liao et al. 2016)
//   update    g_W = (1/n) Σ_batch δ_l h_{l−1}ᵀ, g_b = (1/n) Σ_batch δ_l;
//             plain SGD W ← W − η g, or momentum v ← μ v + g, W ← W − η v.
//
// Every feedback matrix is stored in the orientation of the forward matrix it replaces (the
// transpose of the B of docs/model.md §2), so all rules run the same gemmNN: BP reads W_{l+1} where FA reads
// Bᵀ_{l+1}, and DFA reads its n_L × n_l projection. The TypeScript side transposes on export.
//
// A whole mini-batch step (forward, backward, update) is one call; the net is described by a table
// of i32 fields in linear memory written once by src/models/mlp/network.ts (slots in layout.ts).
import { gemmNT, gemmNN } from "../../kernels/gemm";
import { gemvT } from "../../kernels/gemv";
import { gerK, gerKMomentum } from "../../kernels/outer";
import {
  logistic, relu, reluGrad, tanhAct, tanhGrad, axpy, scaleInto, sub, mul, copy, fillConst, allFinite,
} from "../../kernels/elementwise";
import { uniform } from "../../kernels/noise";
import { softmaxRows } from "../../kernels/softmax";
import { signMul, signScale } from "../../kernels/sign";
import { poolLabel } from "../../kernels/pool";

import {
  H_LAYERS, H_LOSS, H_RULE, H_ACT, H_OUT_ACT, H_BIASES, H_X, H_T, H_COEF, H_SEED, HEADER, L_IN, L_OUT, L_W, L_B, L_VW, L_VB, L_FB, L_M, L_A, L_H, L_D, L_G, L_SCALE, L_STREAM, LAYER_SLOTS, RULE_FA, RULE_DFA, RULE_USF, RULE_BRSF, ACT_LOGISTIC, ACT_RELU, ACT_TANH, LOSS_SOFTMAX_CE,
} from "./layout";

// @ts-ignore: decorator
@inline function hdr(d: usize, slot: i32): i32 {
  return load<i32>(d + ((<usize>slot) << 2));
}
// @ts-ignore: decorator
@inline function lay(d: usize, l: i32, slot: i32): i32 {
  return load<i32>(d + ((<usize>(HEADER + l * LAYER_SLOTS + slot)) << 2));
}
// @ts-ignore: decorator
@inline function layF(d: usize, l: i32, slot: i32): f32 {
  return load<f32>(d + ((<usize>(HEADER + l * LAYER_SLOTS + slot)) << 2));
}

function activate(kind: i32, h: usize, a: usize, rows: i32, cols: i32): void {
  if (kind == ACT_LOGISTIC) logistic(h, a, rows, cols);
  else if (kind == ACT_RELU) relu(h, a, rows, cols);
  else if (kind == ACT_TANH) tanhAct(h, a, rows, cols);
  else copy(h, a, rows, cols);
}

/** g = φ′(a), from the pre-activation a or the activation h = φ(a). */
function activationGrad(kind: i32, g: usize, a: usize, h: usize, rows: i32, cols: i32): void {
  if (kind == ACT_LOGISTIC) {
    // φ′ = φ(1 − φ) = h − h², two passes over h instead of recomputing exp(−a).
    mul(g, h, h, rows, cols);
    sub(g, h, g, rows, cols);
  }
  else if (kind == ACT_RELU) reluGrad(g, a, rows, cols);
  else if (kind == ACT_TANH) tanhGrad(g, a, rows, cols);
  else fillConst(g, rows, cols, 1);
}

/** Forward pass of n ≤ maxBatch examples from the input buffer. Returns 0, or the failing (layer, variable) code. */
export function mlpForward(d: usize, n: i32): i32 {
  const L = hdr(d, H_LAYERS);
  const biases = hdr(d, H_BIASES);
  let hPrev = <usize>hdr(d, H_X);
  for (let l = 0; l < L; l++) {
    const nIn = lay(d, l, L_IN);
    const nOut = lay(d, l, L_OUT);
    const a = <usize>lay(d, l, L_A);
    const h = <usize>lay(d, l, L_H);
    poolLabel(l, "W");
    gemmNT(a, hPrev, <usize>lay(d, l, L_W), n, nOut, nIn, 0);
    if (biases) {
      const b = <usize>lay(d, l, L_B);
      const rowBytes = (<usize>((nOut + 3) & ~3)) << 2;
      for (let r = 0; r < n; r++) axpy(a + <usize>r * rowBytes, b, 1, nOut, 1);
    }
    if (l < L - 1) activate(hdr(d, H_ACT), h, a, n, nOut);
    else if (hdr(d, H_LOSS) == LOSS_SOFTMAX_CE) softmaxRows(h, a, n, nOut);
    else activate(hdr(d, H_OUT_ACT), h, a, n, nOut);
    if (!allFinite(a, n, nOut)) return code(l, 1);
    hPrev = h;
  }
  return 0;
}

// Non-finite report: (layer + 1) · 16 + variable (1 pre-activation, 2 error δ).
// @ts-ignore: decorator
@inline function code(l: i32, v: i32): i32 {
  return (l + 1) * 16 + v;
}

/** SCFA feedback of layer l from its current W (docs/model.md §2). */
function scfaFeedback(d: usize, l: i32, rule: i32, ctrLo: u32, ctrHi: u32): void {
  const nIn = lay(d, l, L_IN);
  const nOut = lay(d, l, L_OUT);
  const W = <usize>lay(d, l, L_W);
  const fb = <usize>lay(d, l, L_FB);
  const s = layF(d, l, L_SCALE);
  if (rule == RULE_USF) {
    signScale(fb, W, nOut, nIn, s);
  } else {
    const M = <usize>lay(d, l, L_M);
    if (rule == RULE_BRSF) uniform(M, nOut, nIn, <u32>hdr(d, H_SEED), <u32>lay(d, l, L_STREAM), ctrLo, ctrHi, 0, 2 * s);
    signMul(fb, M, W, nOut, nIn);
  }
}

/** Gradient step of layer l from its δ (already computed) and its input activations. */
function update(d: usize, l: i32, hPrev: usize, n: i32, lr: f32, mu: f32, momentum: i32): void {
  const nIn = lay(d, l, L_IN);
  const nOut = lay(d, l, L_OUT);
  const W = <usize>lay(d, l, L_W);
  const delta = <usize>lay(d, l, L_D);
  const inv = <f32>1 / <f32>n;
  const coef = <usize>hdr(d, H_COEF);
  if (momentum) {
    const vW = <usize>lay(d, l, L_VW);
    // vW ← μ vW + (1/n) δᵀh and W ← W − η vW in one pass over the rows
    poolLabel(l, "vW");
    gerKMomentum(W, vW, delta, hPrev, n, nOut, nIn, inv, mu, -lr);
    if (hdr(d, H_BIASES)) {
      const vb = <usize>lay(d, l, L_VB);
      scaleInto(vb, vb, 1, nOut, mu);
      fillConst(coef, 1, n, inv);
      gemvT(vb, delta, coef, n, nOut, 1);
      axpy(<usize>lay(d, l, L_B), vb, 1, nOut, -lr);
    }
  } else {
    poolLabel(l, "W");
    gerK(W, delta, hPrev, n, nOut, nIn, -lr * inv);
    if (hdr(d, H_BIASES)) {
      fillConst(coef, 1, n, -lr * inv);
      gemvT(<usize>lay(d, l, L_B), delta, coef, n, nOut, 1);
    }
  }
}

/**
 * One mini-batch step on n ≤ maxBatch examples already in the input and target buffers.
 * lr: learning rate η; mu: momentum μ (used when momentum buffers exist); ctrLo/ctrHi: RNG counter of
 * the brSF magnitude draw for this batch. Returns 0, or the (layer, variable) code of the first
 * non-finite pre-activation or error.
 */
export function mlpStep(d: usize, n: i32, lr: f32, mu: f32, ctrLo: u32, ctrHi: u32): i32 {
  const fwd = mlpForward(d, n);
  if (fwd != 0) return fwd;
  const L = hdr(d, H_LAYERS);
  const rule = hdr(d, H_RULE);
  const momentum = lay(d, 0, L_VW) != 0 ? 1 : 0;
  const top = L - 1;
  const nTop = lay(d, top, L_OUT);
  const dTop = <usize>lay(d, top, L_D);
  const aTop = <usize>lay(d, top, L_A);
  const hTop = <usize>lay(d, top, L_H);
  sub(dTop, hTop, <usize>hdr(d, H_T), n, nTop);
  if (hdr(d, H_LOSS) != LOSS_SOFTMAX_CE) {
    const gTop = <usize>lay(d, top, L_G);
    activationGrad(hdr(d, H_OUT_ACT), gTop, aTop, hTop, n, nTop);
    mul(dTop, dTop, gTop, n, nTop);
  }
  if (!allFinite(dTop, n, nTop)) return code(top, 2);
  for (let l = top - 1; l >= 0; l--) {
    const nOut = lay(d, l, L_OUT);
    const delta = <usize>lay(d, l, L_D);
    const up = l + 1;
    poolLabel(l, "δ");
    if (rule == RULE_DFA) {
      gemmNN(delta, dTop, <usize>lay(d, l, L_FB), n, nTop, nOut, 0);
    } else {
      let fb = <usize>lay(d, up, L_W);
      if (rule == RULE_FA) {
        fb = <usize>lay(d, up, L_FB);
      } else if (rule >= RULE_USF) {
        scfaFeedback(d, up, rule, ctrLo, ctrHi);
        fb = <usize>lay(d, up, L_FB);
      }
      gemmNN(delta, <usize>lay(d, up, L_D), fb, n, lay(d, up, L_OUT), nOut, 0);
    }
    const g = <usize>lay(d, l, L_G);
    activationGrad(hdr(d, H_ACT), g, <usize>lay(d, l, L_A), <usize>lay(d, l, L_H), n, nOut);
    mul(delta, delta, g, n, nOut);
    if (!allFinite(delta, n, nOut)) return code(l, 2);
    // W_{l+1} has served its purpose in the backward pass; updating it now reuses it while cached.
    update(d, up, <usize>lay(d, l, L_H), n, lr, mu, momentum);
  }
  update(d, 0, <usize>hdr(d, H_X), n, lr, mu, momentum);
  return 0;
}
