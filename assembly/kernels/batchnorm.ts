// Batch normalisation over the rows of a rows × cols tensor (stride ceil4(cols)): each column is one
// feature (a channel when rows are (image, pixel) pairs), normalised with its mean and variance
// over the rows (Ioffe & Szegedy 2015, Alg. 1):
//   x̂ = (x − μ) / sqrt(σ² + eps),  y = γ x̂ + β.
// Backward (same paper, §3, with dy = ∂L/∂y and N = rows):
//   ∂L/∂β = Σ dy,  ∂L/∂γ = Σ dy x̂,  dx = γ/sqrt(σ² + eps) · (dy − ∂L/∂β / N − x̂ · ∂L/∂γ / N).
// Column vectors (μ, σ², 1/sqrt(σ²+eps), γ, β) are 1 × cols tensors; every kernel keeps their padding
// lanes 0. Column sums run over rows in order 0..rows−1 in both twins (bit-identical results).
import { parallel, parallelRows } from "./pool";
import { J_BN_TRAIN, J_BN_BACKWARD, EW_BN_FORWARD, EW_BN_DX } from "../../src/core/pool-layout";

/** mean = column means of x, variance = biased column variances (two passes). */
export function bnStats(mean: usize, variance: usize, x: usize, rows: i32, cols: i32): void {
  const cs = (cols + 3) & ~3;
  const rs = <usize>cs << 2;
  const inv = <f32>1 / <f32>rows;
  memory.fill(mean, 0, rs);
  memory.fill(variance, 0, rs);
  if (ASC_FEATURE_SIMD) {
    let row = x;
    for (let r = 0; r < rows; r++, row += rs) {
      for (let c = 0; c < cs; c += 4) {
        const o = <usize>c << 2;
        v128.store(mean + o, f32x4.add(v128.load(mean + o), v128.load(row + o)));
      }
    }
    const vinv = f32x4.splat(inv);
    for (let c = 0; c < cs; c += 4) {
      const o = <usize>c << 2;
      v128.store(mean + o, f32x4.mul(v128.load(mean + o), vinv));
    }
    row = x;
    for (let r = 0; r < rows; r++, row += rs) {
      for (let c = 0; c < cs; c += 4) {
        const o = <usize>c << 2;
        const d = f32x4.sub(v128.load(row + o), v128.load(mean + o));
        v128.store(variance + o, f32x4.add(v128.load(variance + o), f32x4.mul(d, d)));
      }
    }
    for (let c = 0; c < cs; c += 4) {
      const o = <usize>c << 2;
      v128.store(variance + o, f32x4.mul(v128.load(variance + o), vinv));
    }
  } else {
    let row = x;
    for (let r = 0; r < rows; r++, row += rs) {
      for (let c = 0; c < cs; c++) {
        const o = <usize>c << 2;
        store<f32>(mean + o, load<f32>(mean + o) + load<f32>(row + o));
      }
    }
    for (let c = 0; c < cs; c++) {
      const o = <usize>c << 2;
      store<f32>(mean + o, load<f32>(mean + o) * inv);
    }
    row = x;
    for (let r = 0; r < rows; r++, row += rs) {
      for (let c = 0; c < cs; c++) {
        const o = <usize>c << 2;
        const d = load<f32>(row + o) - load<f32>(mean + o);
        store<f32>(variance + o, load<f32>(variance + o) + d * d);
      }
    }
    for (let c = 0; c < cs; c++) {
      const o = <usize>c << 2;
      store<f32>(variance + o, load<f32>(variance + o) * inv);
    }
  }
}

/** invStd = 1 / sqrt(variance + eps) on the logical columns only (padding lanes stay 0). */
export function bnInvStd(invStd: usize, variance: usize, cols: i32, eps: f32): void {
  let c = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    const ve = f32x4.splat(eps);
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(invStd + o, f32x4.div(one, f32x4.sqrt(f32x4.add(v128.load(variance + o), ve))));
    }
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    store<f32>(invStd + o, <f32>1 / Mathf.sqrt(load<f32>(variance + o) + eps));
  }
}

/**
 * xhat = (x − mean) · invStd and y = gamma · xhat + beta. Padding lanes: x, mean, invStd, beta are 0
 * there, so xhat and y stay 0.
 */
export function bnForward(y: usize, xhat: usize, x: usize, mean: usize, invStd: usize, gamma: usize, beta: usize, rows: i32, cols: i32): void {
  const cs = (cols + 3) & ~3;
  const rs = <usize>cs << 2;
  if (ASC_FEATURE_SIMD) {
    for (let r = 0; r < rows; r++) {
      const ro = <usize>r * rs;
      for (let c = 0; c < cs; c += 4) {
        const o = <usize>c << 2;
        const h = f32x4.mul(f32x4.sub(v128.load(x + ro + o), v128.load(mean + o)), v128.load(invStd + o));
        v128.store(xhat + ro + o, h);
        v128.store(y + ro + o, f32x4.add(f32x4.mul(v128.load(gamma + o), h), v128.load(beta + o)));
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const ro = <usize>r * rs;
      for (let c = 0; c < cs; c++) {
        const o = <usize>c << 2;
        const h = (load<f32>(x + ro + o) - load<f32>(mean + o)) * load<f32>(invStd + o);
        store<f32>(xhat + ro + o, h);
        store<f32>(y + ro + o, load<f32>(gamma + o) * h + load<f32>(beta + o));
      }
    }
  }
}

/**
 * Backward pass (header equations): writes dgamma = Σ dy·xhat, dbeta = Σ dy and dx; then, when eta
 * is not 0, gamma += eta·dgamma and beta += eta·dbeta (after dx has used the old gamma).
 * dx may alias dy.
 */
export function bnBackward(
  dx: usize, dgamma: usize, dbeta: usize, gamma: usize, beta: usize,
  dy: usize, xhat: usize, invStd: usize,
  rows: i32, cols: i32, eta: f32,
): void {
  // The pool's pieces run one after the other on this thread (bnBackwardParallel splits them).
  const cs = (cols + 3) & ~3;
  bnBackwardSumsRange(dgamma, dbeta, dy, xhat, rows, cols, 0, cs);
  bnBackwardDx(dx, dy, xhat, dgamma, dbeta, gamma, invStd, rows, cols, <f32>1 / <f32>rows);
  if (eta != 0) bnUpdate(gamma, beta, dgamma, dbeta, cols, eta);
}

/**
 * Running statistics for test mode: runMean += momentum·(mean − runMean),
 * runVar += momentum·(varScale·variance − runVar) (varScale = N/(N−1) gives the unbiased estimate).
 */
export function bnRunning(runMean: usize, runVar: usize, mean: usize, variance: usize, cols: i32, momentum: f32, varScale: f32): void {
  const cs = (cols + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(momentum);
    const vs = f32x4.splat(varScale);
    for (let c = 0; c < cs; c += 4) {
      const o = <usize>c << 2;
      const rm = v128.load(runMean + o);
      v128.store(runMean + o, f32x4.add(rm, f32x4.mul(vm, f32x4.sub(v128.load(mean + o), rm))));
      const rv = v128.load(runVar + o);
      v128.store(runVar + o, f32x4.add(rv, f32x4.mul(vm, f32x4.sub(f32x4.mul(vs, v128.load(variance + o)), rv))));
    }
  } else {
    for (let c = 0; c < cs; c++) {
      const o = <usize>c << 2;
      const rm = load<f32>(runMean + o);
      store<f32>(runMean + o, rm + momentum * (load<f32>(mean + o) - rm));
      const rv = load<f32>(runVar + o);
      store<f32>(runVar + o, rv + momentum * (varScale * load<f32>(variance + o) - rv));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// The same passes cut for the thread pool (assembly/kernels/pool.ts): the column statistics by
// columns (each column's sums run over the rows in order 0..rows−1, whoever computes them, so every
// column gets the bits of bnStats and bnBackward), the row passes by rows. Column ranges [c0, c1)
// are in floats, c0 a multiple of 16 (a 64-byte line of a row), c1 too or the padded width.

/**
 * Columns [c0, c1) of the training statistics: mean and biased variance (as bnStats), invStd on the
 * logical columns (as bnInvStd) and the running statistics (as bnRunning). Sums are kept in
 * registers, four vectors (one 64-byte line of a row) at a time.
 */
export function bnTrainRange(
  mean: usize, variance: usize, invStd: usize, runMean: usize, runVar: usize, x: usize,
  rows: i32, cols: i32, eps: f32, momentum: f32, varScale: f32, c0: i32, c1: i32,
): void {
  const rs = rowBytes(cols);
  const inv = <f32>1 / <f32>rows;
  if (ASC_FEATURE_SIMD) {
    const vinv = f32x4.splat(inv);
    let c = c0;
    for (; c < c1; ) {
      const o = <usize>c << 2;
      if (c + 16 <= c1) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let row = x + o;
        for (let r = 0; r < rows; r++, row += rs) {
          s0 = f32x4.add(s0, v128.load(row));
          s1 = f32x4.add(s1, v128.load(row, 16));
          s2 = f32x4.add(s2, v128.load(row, 32));
          s3 = f32x4.add(s3, v128.load(row, 48));
        }
        const m0 = f32x4.mul(s0, vinv), m1 = f32x4.mul(s1, vinv), m2 = f32x4.mul(s2, vinv), m3 = f32x4.mul(s3, vinv);
        v128.store(mean + o, m0);
        v128.store(mean + o, m1, 16);
        v128.store(mean + o, m2, 32);
        v128.store(mean + o, m3, 48);
        let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0);
        row = x + o;
        for (let r = 0; r < rows; r++, row += rs) {
          const d0 = f32x4.sub(v128.load(row), m0);
          const d1 = f32x4.sub(v128.load(row, 16), m1);
          const d2 = f32x4.sub(v128.load(row, 32), m2);
          const d3 = f32x4.sub(v128.load(row, 48), m3);
          q0 = f32x4.add(q0, f32x4.mul(d0, d0));
          q1 = f32x4.add(q1, f32x4.mul(d1, d1));
          q2 = f32x4.add(q2, f32x4.mul(d2, d2));
          q3 = f32x4.add(q3, f32x4.mul(d3, d3));
        }
        v128.store(variance + o, f32x4.mul(q0, vinv));
        v128.store(variance + o, f32x4.mul(q1, vinv), 16);
        v128.store(variance + o, f32x4.mul(q2, vinv), 32);
        v128.store(variance + o, f32x4.mul(q3, vinv), 48);
        c += 16;
      } else {
        let s0 = f32x4.splat(0);
        let row = x + o;
        for (let r = 0; r < rows; r++, row += rs) s0 = f32x4.add(s0, v128.load(row));
        const m0 = f32x4.mul(s0, vinv);
        v128.store(mean + o, m0);
        let q0 = f32x4.splat(0);
        row = x + o;
        for (let r = 0; r < rows; r++, row += rs) {
          const d0 = f32x4.sub(v128.load(row), m0);
          q0 = f32x4.add(q0, f32x4.mul(d0, d0));
        }
        v128.store(variance + o, f32x4.mul(q0, vinv));
        c += 4;
      }
    }
  } else {
    for (let c = c0; c < c1; c++) {
      const o = <usize>c << 2;
      let s: f32 = 0;
      let row = x + o;
      for (let r = 0; r < rows; r++, row += rs) s += load<f32>(row);
      const m = s * inv;
      store<f32>(mean + o, m);
      let q: f32 = 0;
      row = x + o;
      for (let r = 0; r < rows; r++, row += rs) {
        const d = load<f32>(row) - m;
        q += d * d;
      }
      store<f32>(variance + o, q * inv);
    }
  }
  // invStd on the logical columns of the range (bnInvStd), the running statistics (bnRunning).
  const lend = min(c1, cols);
  for (let c = c0; c < lend; c++) {
    const o = <usize>c << 2;
    store<f32>(invStd + o, <f32>1 / Mathf.sqrt(load<f32>(variance + o) + eps));
  }
  for (let c = c0; c < c1; c++) {
    const o = <usize>c << 2;
    const rm = load<f32>(runMean + o);
    store<f32>(runMean + o, rm + momentum * (load<f32>(mean + o) - rm));
    const rv = load<f32>(runVar + o);
    store<f32>(runVar + o, rv + momentum * (varScale * load<f32>(variance + o) - rv));
  }
}

/** Columns [c0, c1) of bnBackward's sums: dbeta = Σ dy, dgamma = Σ dy·xhat (rows in order). */
export function bnBackwardSumsRange(dgamma: usize, dbeta: usize, dy: usize, xhat: usize, rows: i32, cols: i32, c0: i32, c1: i32): void {
  const rs = rowBytes(cols);
  if (ASC_FEATURE_SIMD) {
    let c = c0;
    for (; c < c1; ) {
      const o = <usize>c << 2;
      let g = dy + o, h = xhat + o;
      if (c + 16 <= c1) {
        let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let r = 0; r < rows; r++, g += rs, h += rs) {
          const g0 = v128.load(g), g1 = v128.load(g, 16), g2 = v128.load(g, 32), g3 = v128.load(g, 48);
          b0 = f32x4.add(b0, g0);
          b1 = f32x4.add(b1, g1);
          b2 = f32x4.add(b2, g2);
          b3 = f32x4.add(b3, g3);
          a0 = f32x4.add(a0, f32x4.mul(g0, v128.load(h)));
          a1 = f32x4.add(a1, f32x4.mul(g1, v128.load(h, 16)));
          a2 = f32x4.add(a2, f32x4.mul(g2, v128.load(h, 32)));
          a3 = f32x4.add(a3, f32x4.mul(g3, v128.load(h, 48)));
        }
        v128.store(dbeta + o, b0);
        v128.store(dbeta + o, b1, 16);
        v128.store(dbeta + o, b2, 32);
        v128.store(dbeta + o, b3, 48);
        v128.store(dgamma + o, a0);
        v128.store(dgamma + o, a1, 16);
        v128.store(dgamma + o, a2, 32);
        v128.store(dgamma + o, a3, 48);
        c += 16;
      } else {
        let b0 = f32x4.splat(0), a0 = f32x4.splat(0);
        for (let r = 0; r < rows; r++, g += rs, h += rs) {
          const g0 = v128.load(g);
          b0 = f32x4.add(b0, g0);
          a0 = f32x4.add(a0, f32x4.mul(g0, v128.load(h)));
        }
        v128.store(dbeta + o, b0);
        v128.store(dgamma + o, a0);
        c += 4;
      }
    }
  } else {
    for (let c = c0; c < c1; c++) {
      const o = <usize>c << 2;
      let sb: f32 = 0, sg: f32 = 0;
      let g = dy + o, h = xhat + o;
      for (let r = 0; r < rows; r++, g += rs, h += rs) {
        const v = load<f32>(g);
        sb += v;
        sg += v * load<f32>(h);
      }
      store<f32>(dbeta + o, sb);
      store<f32>(dgamma + o, sg);
    }
  }
}

/** bnBackward's dx for `rows` rows, from the column sums (dx may alias dy). */
export function bnBackwardDx(dx: usize, dy: usize, xhat: usize, dgamma: usize, dbeta: usize, gamma: usize, invStd: usize, rows: i32, cols: i32, invN: f32): void {
  const cs = (cols + 3) & ~3;
  const rs = <usize>cs << 2;
  if (ASC_FEATURE_SIMD) {
    const vn = f32x4.splat(invN);
    for (let r = 0; r < rows; r++) {
      const ro = <usize>r * rs;
      for (let c = 0; c < cs; c += 4) {
        const o = <usize>c << 2;
        const k = f32x4.mul(v128.load(gamma + o), v128.load(invStd + o));
        const t = f32x4.sub(
          f32x4.sub(v128.load(dy + ro + o), f32x4.mul(v128.load(dbeta + o), vn)),
          f32x4.mul(v128.load(xhat + ro + o), f32x4.mul(v128.load(dgamma + o), vn)),
        );
        v128.store(dx + ro + o, f32x4.mul(k, t));
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const ro = <usize>r * rs;
      for (let c = 0; c < cs; c++) {
        const o = <usize>c << 2;
        const k = load<f32>(gamma + o) * load<f32>(invStd + o);
        const t = (load<f32>(dy + ro + o) - load<f32>(dbeta + o) * invN) - load<f32>(xhat + ro + o) * (load<f32>(dgamma + o) * invN);
        store<f32>(dx + ro + o, k * t);
      }
    }
  }
}

/** γ += eta·dgamma, β += eta·dbeta (bnBackward's last step). */
export function bnUpdate(gamma: usize, beta: usize, dgamma: usize, dbeta: usize, cols: i32, eta: f32): void {
  const cs = (cols + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const ve = f32x4.splat(eta);
    for (let c = 0; c < cs; c += 4) {
      const o = <usize>c << 2;
      v128.store(gamma + o, f32x4.add(v128.load(gamma + o), f32x4.mul(ve, v128.load(dgamma + o))));
      v128.store(beta + o, f32x4.add(v128.load(beta + o), f32x4.mul(ve, v128.load(dbeta + o))));
    }
  } else {
    for (let c = 0; c < cs; c++) {
      const o = <usize>c << 2;
      store<f32>(gamma + o, load<f32>(gamma + o) + eta * load<f32>(dgamma + o));
      store<f32>(beta + o, load<f32>(beta + o) + eta * load<f32>(dbeta + o));
    }
  }
}

/**
 * Training-mode forward on every thread of the pool: the statistics split by columns, then x̂ and
 * y split by rows. The same bits as bnStats, bnInvStd, bnForward and bnRunning in turn.
 */
export function bnTrainForward(
  y: usize, xhat: usize, mean: usize, variance: usize, invStd: usize, runMean: usize, runVar: usize,
  x: usize, gamma: usize, beta: usize, rows: i32, cols: i32, eps: f32, momentum: f32, varScale: f32,
): void {
  const cs = (cols + 3) & ~3;
  const work = <i64>rows * <i64>cs * 4;
  if (!(cs >= 32 && parallel(J_BN_TRAIN, work, <i32>mean, <i32>variance, <i32>invStd, <i32>runMean, <i32>runVar, <i32>x, rows, cols, reinterpret<i32>(eps), reinterpret<i32>(momentum), reinterpret<i32>(varScale)))) {
    bnTrainRange(mean, variance, invStd, runMean, runVar, x, rows, cols, eps, momentum, varScale, 0, cs);
  }
  if (parallelRows(EW_BN_FORWARD, work, rows, cols, <i32>y, <i32>xhat, <i32>x, <i32>mean, <i32>invStd, <i32>gamma, <i32>beta)) return;
  bnForward(y, xhat, x, mean, invStd, gamma, beta, rows, cols);
}

/** bnBackward on every thread of the pool: the sums split by columns, dx by rows (the same bits). */
export function bnBackwardParallel(
  dx: usize, dgamma: usize, dbeta: usize, gamma: usize, beta: usize,
  dy: usize, xhat: usize, invStd: usize,
  rows: i32, cols: i32, eta: f32,
): void {
  const cs = (cols + 3) & ~3;
  const work = <i64>rows * <i64>cs * 4;
  if (!(cs >= 32 && parallel(J_BN_BACKWARD, work, <i32>dgamma, <i32>dbeta, <i32>dy, <i32>xhat, rows, cols))) {
    bnBackwardSumsRange(dgamma, dbeta, dy, xhat, rows, cols, 0, cs);
  }
  const invN = <f32>1 / <f32>rows;
  if (!parallelRows(EW_BN_DX, work, rows, cols, <i32>dx, <i32>dy, <i32>xhat, <i32>dgamma, <i32>dbeta, <i32>gamma, <i32>invStd, reinterpret<i32>(invN))) {
    bnBackwardDx(dx, dy, xhat, dgamma, dbeta, gamma, invStd, rows, cols, invN);
  }
  if (eta != 0) bnUpdate(gamma, beta, dgamma, dbeta, cols, eta);
}

// @ts-ignore: decorator
@inline function rowBytes(cols: i32): usize {
  return (<usize>((cols + 3) & ~3)) << 2;
}
