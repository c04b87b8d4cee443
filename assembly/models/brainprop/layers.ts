// The layers of the BrainProp networks (PBR20; docs/model.md §3) — convolutional, locally
// connected, dense, ReLU, batch norm, dropout — one layer step per call. Every weight update here is
// W += eta · (δ-scaled feedback)ᵀ · (presynaptic activity), i.e. SGD on the loss whose output
// gradient the output step (network.ts) wrote.
//
// Layout of activations (see assembly/kernels/conv.ts): an image batch is either "packed"
// (rows = images, cols = H·W·C) or "per pixel" (rows = image·H·W + pixel, cols = C, stride ceil4(C)).
import { im2col3x3, col2im3x3 } from "../../kernels/conv";
import { localForward, localBackwardData, localUpdate } from "../../kernels/local";
import { gemmNT, gemmNN } from "../../kernels/gemm";
import { gerK } from "../../kernels/outer";
import { poolName } from "../../kernels/pool";
import { transposeScale } from "../../kernels/transpose";
import { relu, reluGrad, mul } from "../../kernels/elementwise";
import { uniform } from "../../kernels/noise";
import { bnStats, bnInvStd, bnForward, bnBackward, bnRunning } from "../../kernels/batchnorm";
import { dropoutForward, dropoutBackward } from "../../kernels/dropout";

// The matrix kernels stream one operand once per register tile of the other. With the tall
// patch matrices of a convolution (batch·positions rows) that operand no longer fits in cache, so
// the long dimension is cut into chunks of about CHUNK_BYTES of the streamed matrix (a multiple of
// 2 rows, at least 8); every chunk is an independent product (row blocks) or adds into the same
// weights (k blocks of a rank-k update).
const CHUNK_BYTES: i32 = 131072;

@inline function chunkRows(cols: i32): i32 {
  const rb = ((cols + 3) & ~3) << 2;
  return max(8, (CHUNK_BYTES / rb) & ~1);
}
@inline function rb(cols: i32): usize {
  return <usize>((cols + 3) & ~3) << 2;
}

/** Y (b×m) = X (b×n) · Wᵀ in row blocks. */
function gemmNTRows(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, name: string): void {
  const c = chunkRows(n);
  for (let r = 0; r < b; r += c) {
    poolName(name);
    gemmNT(Y + <usize>r * rb(m), X + <usize>r * rb(n), W, min(c, b - r), m, n, 0);
  }
}

/** Y (b×n) = X (b×m) · W in row blocks. */
function gemmNNRows(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, name: string): void {
  const c = chunkRows(n);
  for (let r = 0; r < b; r += c) {
    poolName(name);
    gemmNN(Y + <usize>r * rb(n), X + <usize>r * rb(m), W, min(c, b - r), m, n, 0);
  }
}

/** W (m×n) += eta · Aᵀ C (A k×m, C k×n) in blocks of k. */
function gerKChunked(W: usize, A: usize, C: usize, k: i32, m: i32, n: i32, eta: f32): void {
  const c = chunkRows(n);
  for (let p = 0; p < k; p += c) {
    poolName("W");
    gerK(W, A + <usize>p * rb(m), C + <usize>p * rb(n), min(c, k - p), m, n, eta);
  }
}

/** Convolution layer forward: cols = patches(x); y (batch·Ho·Wo × Cout) = cols · Wᵀ. No bias (PBR20). */
export function convnetConvForward(
  y: usize, cols: usize, x: usize, w: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  Cout: i32, stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32,
): void {
  im2col3x3(cols, x, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
  gemmNTRows(y, cols, w, batch * Ho * Wo, Cout, 9 * C, "y");
}

/**
 * Convolution layer backward: when dx ≠ 0, dcols = dy · W and dx = col2im(dcols) (with the old W);
 * then W += eta · dyᵀ · cols (the tags of every shared filter, summed over positions and images).
 */
export function convnetConvBackward(
  dx: usize, dcols: usize, w: usize, dy: usize, cols: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  Cout: i32, stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32, eta: f32,
): void {
  const rows = batch * Ho * Wo;
  if (dx != 0) {
    gemmNNRows(dcols, dy, w, rows, Cout, 9 * C, "dx");
    col2im3x3(dx, dcols, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
  }
  if (eta != 0) gerKChunked(w, dy, cols, rows, Cout, 9 * C, eta);
}

/** Locally connected layer forward: one Cout × 9C filter bank per output position (no sharing, no bias). */
export function convnetLocalForward(
  y: usize, cols: usize, x: usize, w: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  Cout: i32, stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32,
): void {
  im2col3x3(cols, x, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
  localForward(y, cols, w, batch, Ho * Wo, Cout, 9 * C);
}

/** Locally connected layer backward (same contract as convnetConvBackward). */
export function convnetLocalBackward(
  dx: usize, dcols: usize, w: usize, dy: usize, cols: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  Cout: i32, stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32, eta: f32,
): void {
  if (dx != 0) {
    localBackwardData(dcols, dy, w, batch, Ho * Wo, Cout, 9 * C);
    col2im3x3(dx, dcols, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
  }
  if (eta != 0) localUpdate(w, dy, cols, batch, Ho * Wo, Cout, 9 * C, eta);
}

/** Dense layer forward y (batch × m) = x (batch × n) · Wᵀ, no bias. */
export function convnetDenseForward(y: usize, x: usize, w: usize, batch: i32, m: i32, n: i32): void {
  gemmNTRows(y, x, w, batch, m, n, "y");
}

/**
 * Dense layer backward: dx = dy · W when dx ≠ 0 (old W), then W += eta · dyᵀ · x, formed as
 * dyT = eta·dyᵀ (m × batch scratch) and W += dyT · x, which keeps a 16-column panel of x in L1
 * while the rows of W stream past (faster than a rank-batch update for wide layers).
 */
export function convnetDenseBackward(dx: usize, dyT: usize, w: usize, dy: usize, x: usize, batch: i32, m: i32, n: i32, eta: f32): void {
  if (dx != 0) gemmNNRows(dx, dy, w, batch, m, n, "dx");
  if (eta != 0) {
    // dyT is laid out m × ceil4(batch) for this batch size; its padding lanes must be 0
    if (batch & 3) memory.fill(dyT, 0, <usize>m * rb(batch));
    transposeScale(dyT, dy, batch, m, eta);
    poolName("W");
    gemmNN(w, dyT, x, m, batch, n, 1);
  }
}

/** ReLU forward y = max(x, 0) (PBR20: hidden units are rectified). */
export function convnetReluForward(y: usize, x: usize, rows: i32, cols: i32): void {
  relu(y, x, rows, cols);
}

/** ReLU backward dx = [y > 0] ⊙ dy, from the layer's output y (y > 0 exactly where x > 0). */
export function convnetReluBackward(dx: usize, dy: usize, y: usize, rows: i32, cols: i32): void {
  reluGrad(dx, y, rows, cols);
  mul(dx, dx, dy, rows, cols);
}

/**
 * Training-mode dropout: u = uniform variates of stream (seed, stream) from 64-bit counter
 * (counterHi, counterLo), then mask and y = mask ⊙ x (assembly/kernels/dropout.ts).
 */
export function convnetDropoutForward(y: usize, mask: usize, u: usize, x: usize, rows: i32, cols: i32, rate: f32, seed: u32, stream: u32, counterLo: u32, counterHi: u32): void {
  uniform(u, rows, cols, seed, stream, counterLo, counterHi, 0, 1);
  dropoutForward(y, mask, x, u, rows, cols, rate);
}

/** Dropout backward dx = mask ⊙ dy. */
export function convnetDropoutBackward(dx: usize, dy: usize, mask: usize, rows: i32, cols: i32): void {
  dropoutBackward(dx, dy, mask, rows, cols);
}

/**
 * Training-mode batch normalisation over the rows (features = columns): batch statistics, then
 * running statistics runMean += momentum·(mean − runMean), runVar += momentum·(unbiased var − runVar).
 */
export function convnetBatchNormTrain(
  y: usize, xhat: usize, mean: usize, variance: usize, invStd: usize, runMean: usize, runVar: usize,
  x: usize, gamma: usize, beta: usize, rows: i32, cols: i32, eps: f32, momentum: f32,
): void {
  bnStats(mean, variance, x, rows, cols);
  bnInvStd(invStd, variance, cols, eps);
  bnForward(y, xhat, x, mean, invStd, gamma, beta, rows, cols);
  bnRunning(runMean, runVar, mean, variance, cols, momentum, rows > 1 ? <f32>rows / <f32>(rows - 1) : 1);
}

/** Test-mode batch normalisation with the running statistics (invStd is scratch). */
export function convnetBatchNormTest(y: usize, xhat: usize, invStd: usize, x: usize, runMean: usize, runVar: usize, gamma: usize, beta: usize, rows: i32, cols: i32, eps: f32): void {
  bnInvStd(invStd, runVar, cols, eps);
  bnForward(y, xhat, x, runMean, invStd, gamma, beta, rows, cols);
}

/** Batch-norm backward through the batch statistics; γ += eta·∂L/∂γ, β += eta·∂L/∂β. */
export function convnetBatchNormBackward(
  dx: usize, dgamma: usize, dbeta: usize, gamma: usize, beta: usize,
  dy: usize, xhat: usize, invStd: usize, rows: i32, cols: i32, eta: f32,
): void {
  bnBackward(dx, dgamma, dbeta, gamma, beta, dy, xhat, invStd, rows, cols, eta);
}
