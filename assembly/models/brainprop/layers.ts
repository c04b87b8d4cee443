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
import { poolName, poolThreads, parallel, parallelRows } from "../../kernels/pool";
import { J_GEMM_NT_ROWS, J_GEMM_NN_ROWS, EW_RELU, EW_RELU_BACKWARD, EW_DROPOUT, EW_DROPOUT_BACKWARD } from "../../../src/core/pool-layout";
import { transposeScale } from "../../kernels/transpose";
import { relu, reluGrad, mul } from "../../kernels/elementwise";
import { uniform } from "../../kernels/noise";
import { bnInvStd, bnForward, bnTrainForward, bnBackwardParallel } from "../../kernels/batchnorm";
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

/**
 * Y (b×m) = X (b×n) · Wᵀ in row blocks. With enough blocks for every thread the pool shares out
 * whole blocks (one job instead of one per block); otherwise each block's product is split. Either
 * way every block is the same product, so the bits do not change.
 */
function gemmNTRows(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, name: string): void {
  // Every block reads all of W; with very long rows (the dense layer's 6 272 inputs: 25 KB) a block
  // of 8 rows would read its 12.5 MB W 16 times per batch, so blocks grow to 16 rows (400 KB of X,
  // still within L2) where 4 × CHUNK_BYTES allows.
  const c = max(chunkRows(n), min(16, ((4 * CHUNK_BYTES) / <i32>rb(n)) & ~1));
  poolName(name);
  if (b >= 4 * c * poolThreads() && parallel(J_GEMM_NT_ROWS, <i64>b * <i64>m * <i64>n, <i32>Y, <i32>X, <i32>W, b, m, n, c)) return;
  for (let r = 0; r < b; r += c) {
    poolName(name);
    gemmNT(Y + <usize>r * rb(m), X + <usize>r * rb(n), W, min(c, b - r), m, n, 0);
  }
}

/**
 * Y (b×n) = X (b×m) · W in row blocks (shared out as gemmNTRows's). Here X is the operand that
 * streams past each panel of W, so the blocks hold about CHUNK_BYTES of X (at most 256 rows):
 * the dense layer's W (m × n, several MB) is then read once per block of 64 rows, not once per 8.
 */
function gemmNNRows(Y: usize, X: usize, W: usize, b: i32, m: i32, n: i32, name: string): void {
  const c = min(256, chunkRows(m));
  poolName(name);
  if (b >= 4 * c * poolThreads() && parallel(J_GEMM_NN_ROWS, <i64>b * <i64>m * <i64>n, <i32>Y, <i32>X, <i32>W, b, m, n, c)) return;
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

// The elementwise layers below are split by rows over the thread pool when large (work: about the
// multiply-adds of the same time); every row is computed by the one-thread kernel's instructions.

/** ReLU forward y = max(x, 0) (PBR20: hidden units are rectified). */
export function convnetReluForward(y: usize, x: usize, rows: i32, cols: i32): void {
  poolName("y");
  if (parallelRows(EW_RELU, <i64>rows * <i64>cols * 4, rows, cols, <i32>y, <i32>x)) return;
  relu(y, x, rows, cols);
}

/** ReLU backward dx = [y > 0] ⊙ dy, from the layer's output y (y > 0 exactly where x > 0). */
export function convnetReluBackward(dx: usize, dy: usize, y: usize, rows: i32, cols: i32): void {
  poolName("dx");
  if (parallelRows(EW_RELU_BACKWARD, <i64>rows * <i64>cols * 6, rows, cols, <i32>dx, <i32>dy, <i32>y)) return;
  reluGrad(dx, y, rows, cols);
  mul(dx, dx, dy, rows, cols);
}

/**
 * Training-mode dropout: u = uniform variates of stream (seed, stream) from 64-bit counter
 * (counterHi, counterLo), then mask and y = mask ⊙ x (assembly/kernels/dropout.ts).
 */
export function convnetDropoutForward(y: usize, mask: usize, u: usize, x: usize, rows: i32, cols: i32, rate: f32, seed: u32, stream: u32, counterLo: u32, counterHi: u32): void {
  poolName("y");
  if (parallelRows(EW_DROPOUT, <i64>rows * <i64>cols * 24, rows, cols, <i32>y, <i32>mask, <i32>u, <i32>x, <i32>seed, <i32>stream, <i32>counterLo, <i32>counterHi, reinterpret<i32>(rate))) return;
  uniform(u, rows, cols, seed, stream, counterLo, counterHi, 0, 1);
  dropoutForward(y, mask, x, u, rows, cols, rate);
}

/** Dropout backward dx = mask ⊙ dy. */
export function convnetDropoutBackward(dx: usize, dy: usize, mask: usize, rows: i32, cols: i32): void {
  poolName("dx");
  if (parallelRows(EW_DROPOUT_BACKWARD, <i64>rows * <i64>cols * 4, rows, cols, <i32>dx, <i32>dy, <i32>mask)) return;
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
  poolName("y");
  bnTrainForward(y, xhat, mean, variance, invStd, runMean, runVar, x, gamma, beta, rows, cols, eps, momentum, rows > 1 ? <f32>rows / <f32>(rows - 1) : 1);
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
  poolName("dx");
  bnBackwardParallel(dx, dgamma, dbeta, gamma, beta, dy, xhat, invStd, rows, cols, eta);
}
