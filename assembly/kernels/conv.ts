// 3×3 convolution as patch matrices (im2col) for the batched matrix kernels, and the transpose
// scatter (col2im) for the backward pass.
//
// Image layout (NHWC): image b, pixel (h, w), channel c is the float at
//   x + 4·(b·imgStride + (h·W + w)·pixStride + c),
// with pixStride ≥ C (ceil4(C) when the image is a gemm output of rows (b, pixel)) and
// imgStride ≥ H·W·pixStride. Lanes c ≥ C of a pixel and the tail of an image are padding (0).
//
// Patch layout: row (b, oy, ox) of `cols` (rows batch·Ho·Wo, stride ceil4(9·C)) holds the input
// taps (ky, kx, c) in that order, ky, kx ∈ {0, 1, 2}, read at
//   (iy, ix) = (oy·stride − padTop + ky, ox·stride − padLeft + kx);
// taps outside the image are 0 (zero padding). Row padding lanes are never written (stay 0).
// A weight matrix W (Cout × 9·C, same (ky, kx, c) column order) then gives the convolution as
// Y = cols · Wᵀ (rows (b, oy, ox), stride ceil4(Cout)).
import { parallel } from "./pool";
import { J_IM2COL, J_COL2IM } from "../../src/core/pool-layout";

@inline function copyRun(dst: usize, src: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
    for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
  } else {
    for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
  }
}

@inline function zeroRun(dst: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
    for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
  } else {
    for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
  }
}

@inline function addRun(dst: usize, src: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const p = dst + (<usize>i << 2);
      v128.store(p, f32x4.add(v128.load(p), v128.load(src + (<usize>i << 2))));
    }
    for (; i < n; i++) {
      const p = dst + (<usize>i << 2);
      store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>i << 2)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const p = dst + (<usize>i << 2);
      store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>i << 2)));
    }
  }
}

/**
 * Writes the 3×3 patch matrix of `batch` images (layout above) into `cols`. Images are independent:
 * large batches are split over the thread pool by images (pool.ts).
 */
export function im2col3x3(
  cols: usize, x: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32,
): void {
  if (parallel(J_IM2COL, <i64>batch * <i64>(Ho * Wo) * <i64>(9 * C), <i32>cols, <i32>x, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo)) return;
  im2colImages(cols, x, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
}

/** Images b0 ≤ b < b1 of im2col3x3 (pointers and counts of the whole call). */
export function im2col3x3Range(
  cols: usize, x: usize,
  H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32, b0: i32, b1: i32,
): void {
  const rows = <usize>b0 * <usize>(Ho * Wo);
  im2colImages(cols + rows * (<usize>((9 * C + 3) & ~3) << 2), x + (<usize>b0 * <usize>imgStride << 2), b1 - b0, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
}

function im2colImages(
  cols: usize, x: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32,
): void {
  const rowStride = <usize>((9 * C + 3) & ~3) << 2;
  let row = cols;
  for (let b = 0; b < batch; b++) {
    const img = x + (<usize>b * <usize>imgStride << 2);
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let ky = 0; ky < 3; ky++) {
          const iy = oy * stride - padTop + ky;
          for (let kx = 0; kx < 3; kx++) {
            const ix = ox * stride - padLeft + kx;
            const dst = row + (<usize>((ky * 3 + kx) * C) << 2);
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
              copyRun(dst, img + (<usize>((iy * W + ix) * pixStride) << 2), C);
            } else {
              zeroRun(dst, C);
            }
          }
        }
        row += rowStride;
      }
    }
  }
}

/**
 * Transpose of im2col3x3: dx = Σ over patches of their taps (zero-padding taps dropped).
 * Overwrites the first batch·imgStride floats of dx (padding lanes end 0 because dcols' do not
 * reach them).
 */
export function col2im3x3(
  dx: usize, dcols: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32,
): void {
  if (parallel(J_COL2IM, <i64>batch * <i64>(Ho * Wo) * <i64>(9 * C), <i32>dx, <i32>dcols, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo)) return;
  col2imImages(dx, dcols, batch, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
}

/** Images b0 ≤ b < b1 of col2im3x3 (pointers and counts of the whole call). */
export function col2im3x3Range(
  dx: usize, dcols: usize,
  H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32, b0: i32, b1: i32,
): void {
  const rows = <usize>b0 * <usize>(Ho * Wo);
  col2imImages(dx + (<usize>b0 * <usize>imgStride << 2), dcols + rows * (<usize>((9 * C + 3) & ~3) << 2), b1 - b0, H, W, C, pixStride, imgStride, stride, padTop, padLeft, Ho, Wo);
}

function col2imImages(
  dx: usize, dcols: usize,
  batch: i32, H: i32, W: i32, C: i32, pixStride: i32, imgStride: i32,
  stride: i32, padTop: i32, padLeft: i32, Ho: i32, Wo: i32,
): void {
  memory.fill(dx, 0, <usize>batch * <usize>imgStride << 2);
  const rowStride = <usize>((9 * C + 3) & ~3) << 2;
  let row = dcols;
  for (let b = 0; b < batch; b++) {
    const img = dx + (<usize>b * <usize>imgStride << 2);
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let ky = 0; ky < 3; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < 3; kx++) {
            const ix = ox * stride - padLeft + kx;
            if (ix < 0 || ix >= W) continue;
            addRun(img + (<usize>((iy * W + ix) * pixStride) << 2), row + (<usize>((ky * 3 + kx) * C) << 2), C);
          }
        }
        row += rowStride;
      }
    }
  }
}
