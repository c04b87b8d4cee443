// Batch normalisation over the rows of a rows × cols tensor (stride ceil4(cols)): each column is one
// feature (a channel when rows are (image, pixel) pairs), normalised with its mean and variance
// over the rows (Ioffe & Szegedy 2015, Alg. 1):
//   x̂ = (x − μ) / sqrt(σ² + eps),  y = γ x̂ + β.
// Backward (same paper, §3, with dy = ∂L/∂y and N = rows):
//   ∂L/∂β = Σ dy,  ∂L/∂γ = Σ dy x̂,  dx = γ/sqrt(σ² + eps) · (dy − ∂L/∂β / N − x̂ · ∂L/∂γ / N).
// Column vectors (μ, σ², 1/sqrt(σ²+eps), γ, β) are 1 × cols tensors; every kernel keeps their padding
// lanes 0. Column sums run over rows in order 0..rows−1 in both twins (bit-identical results).

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
  const cs = (cols + 3) & ~3;
  const rs = <usize>cs << 2;
  const invN = <f32>1 / <f32>rows;
  memory.fill(dgamma, 0, rs);
  memory.fill(dbeta, 0, rs);
  if (ASC_FEATURE_SIMD) {
    for (let r = 0; r < rows; r++) {
      const ro = <usize>r * rs;
      for (let c = 0; c < cs; c += 4) {
        const o = <usize>c << 2;
        const g = v128.load(dy + ro + o);
        v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), g));
        v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(g, v128.load(xhat + ro + o))));
      }
    }
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
    if (eta != 0) {
      const ve = f32x4.splat(eta);
      for (let c = 0; c < cs; c += 4) {
        const o = <usize>c << 2;
        v128.store(gamma + o, f32x4.add(v128.load(gamma + o), f32x4.mul(ve, v128.load(dgamma + o))));
        v128.store(beta + o, f32x4.add(v128.load(beta + o), f32x4.mul(ve, v128.load(dbeta + o))));
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const ro = <usize>r * rs;
      for (let c = 0; c < cs; c++) {
        const o = <usize>c << 2;
        const g = load<f32>(dy + ro + o);
        store<f32>(dbeta + o, load<f32>(dbeta + o) + g);
        store<f32>(dgamma + o, load<f32>(dgamma + o) + g * load<f32>(xhat + ro + o));
      }
    }
    for (let r = 0; r < rows; r++) {
      const ro = <usize>r * rs;
      for (let c = 0; c < cs; c++) {
        const o = <usize>c << 2;
        const k = load<f32>(gamma + o) * load<f32>(invStd + o);
        const t = (load<f32>(dy + ro + o) - load<f32>(dbeta + o) * invN) - load<f32>(xhat + ro + o) * (load<f32>(dgamma + o) * invN);
        store<f32>(dx + ro + o, k * t);
      }
    }
    if (eta != 0) {
      for (let c = 0; c < cs; c++) {
        const o = <usize>c << 2;
        store<f32>(gamma + o, load<f32>(gamma + o) + eta * load<f32>(dgamma + o));
        store<f32>(beta + o, load<f32>(beta + o) + eta * load<f32>(dbeta + o));
      }
    }
  }
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
