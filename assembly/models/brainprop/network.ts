// The output step of BrainProp and of its backprop baseline (PBR20; docs/model.md §3).
//
// PBR20: the output units are linear action values Q; one unit s is selected
// (ε-greedy over a softmax), reward r = [s = label], reward-prediction error δ = r − Q_s. Only the
// selected unit sends feedback (attention gating); a synapse's tag is presynaptic rate ×
// postsynaptic derivative × that feedback, and it changes by α·δ·tag. Because feedback weights equal
// the forward weights, propagating g = −δ·e_s (e_s one-hot at s) backwards through the network
// yields tag·δ at every synapse: the update is gradient descent on ½(r − Q_s)² with every other
// output's error zero. The δ factor is folded into the propagated feedback (the tag is linear in
// the feedback), so one backward sweep computes δ·tag.
//
// Labels and selected actions are stored as f32 class indices (exact below 2^24).

@inline function argmaxRow(q: usize, n: i32): i32 {
  let best = 0;
  let bv = load<f32>(q);
  for (let k = 1; k < n; k++) {
    const v = load<f32>(q + (<usize>k << 2));
    if (v > bv) {
      bv = v;
      best = k;
    }
  }
  return best;
}

/**
 * PBR20 action selection: for each example, with probability 1 − epsilon the greedy action
 * argmax Q (first maximum on ties); otherwise an action sampled from softmax(Q).
 * u holds two uniforms in [0, 1) per example (row stride 4): u0 decides exploration, u1 samples.
 * Writes the selected class indices to sel (f32) and returns how many were exploratory.
 */
export function brainpropSelect(sel: usize, q: usize, u: usize, batch: i32, nOut: i32, epsilon: f32): i32 {
  const qs = <usize>((nOut + 3) & ~3) << 2;
  let explored = 0;
  for (let b = 0; b < batch; b++) {
    const row = q + <usize>b * qs;
    const u0 = load<f32>(u + (<usize>b << 4));
    const u1 = load<f32>(u + (<usize>b << 4), 4);
    let s = argmaxRow(row, nOut);
    if (u0 < epsilon) {
      explored++;
      // softmax sampling by inverting the cumulative distribution (max subtracted for range)
      const qmax = load<f32>(row + (<usize>s << 2));
      let z: f64 = 0;
      for (let k = 0; k < nOut; k++) z += Math.exp(<f64>(load<f32>(row + (<usize>k << 2)) - qmax));
      const target = <f64>u1 * z;
      let c: f64 = 0;
      s = nOut - 1;
      for (let k = 0; k < nOut; k++) {
        c += Math.exp(<f64>(load<f32>(row + (<usize>k << 2)) - qmax));
        if (target < c) {
          s = k;
          break;
        }
      }
    }
    store<f32>(sel + (<usize>b << 2), <f32>s);
  }
  return explored;
}

/**
 * PBR20 output step for a fixed selection: r = [sel = label], δ = r − Q_s. Writes
 * dq = −scale·δ·e_s per example (the attention-gated feedback; scale = 1/batch averages the
 * update over the batch) and returns Σ r (correct selections).
 */
export function brainpropError(dq: usize, q: usize, sel: usize, labels: usize, batch: i32, nOut: i32, scale: f32): i32 {
  const qs = <usize>((nOut + 3) & ~3) << 2;
  memory.fill(dq, 0, <usize>batch * qs);
  let rewarded = 0;
  for (let b = 0; b < batch; b++) {
    const s = <i32>load<f32>(sel + (<usize>b << 2));
    const label = <i32>load<f32>(labels + (<usize>b << 2));
    const r: f32 = s == label ? 1 : 0;
    if (s == label) rewarded++;
    const o = <usize>b * qs + (<usize>s << 2);
    const delta = r - load<f32>(q + o);
    store<f32>(dq + o, -scale * delta);
  }
  return rewarded;
}

/**
 * Backprop baseline output step: softmax cross-entropy. dq = scale·(softmax(q) − onehot(label));
 * returns the summed loss Σ −log softmax(q)_label (f64).
 */
export function convnetSoftmaxXent(dq: usize, q: usize, labels: usize, batch: i32, nOut: i32, scale: f32): f64 {
  const qs = <usize>((nOut + 3) & ~3) << 2;
  let loss: f64 = 0;
  for (let b = 0; b < batch; b++) {
    const row = q + <usize>b * qs;
    const drow = dq + <usize>b * qs;
    const label = <i32>load<f32>(labels + (<usize>b << 2));
    const qmax = load<f32>(row + (<usize>argmaxRow(row, nOut) << 2));
    let z: f64 = 0;
    for (let k = 0; k < nOut; k++) z += Math.exp(<f64>(load<f32>(row + (<usize>k << 2)) - qmax));
    const logZ = Math.log(z);
    for (let k = 0; k < nOut; k++) {
      const lp = <f64>(load<f32>(row + (<usize>k << 2)) - qmax) - logZ;
      store<f32>(drow + (<usize>k << 2), <f32>(<f64>scale * (Math.exp(lp) - (k == label ? 1.0 : 0.0))));
      if (k == label) loss -= lp;
    }
  }
  return loss;
}

/** Greedy test-mode decisions: writes argmax Q of every row to sel and returns how many equal the label. */
export function convnetGreedyCorrect(sel: usize, q: usize, labels: usize, batch: i32, nOut: i32): i32 {
  const qs = <usize>((nOut + 3) & ~3) << 2;
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    const s = argmaxRow(q + <usize>b * qs, nOut);
    store<f32>(sel + (<usize>b << 2), <f32>s);
    if (s == <i32>load<f32>(labels + (<usize>b << 2))) correct++;
  }
  return correct;
}
