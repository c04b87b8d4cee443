// Event kernels: thresholding with reset by subtraction and index compaction, signed sigma-delta
// quantisation, and sparse row gathers and scatters driven by index lists.
//
// Contract (shared with every kernel): rows of float tensors are padded to stride = ceil4(cols)
// floats, 16-byte aligned, padding lanes are 0 on input and stay exactly 0. Index lists are i32
// arrays of row numbers (ascending where a kernel produces them). Every SIMD loop has a scalar twin
// right beside it that performs the same IEEE operations on every element in the same order (no
// fused multiply-add, the same summation order over list entries), so the SIMD and scalar builds
// agree bit for bit.

// Lanes of the set bits of a 4-bit mask, ascending, padded with 0: 16 entries of 4 i32. A vector
// path stores an entry (plus the group's first column) at the list's end and advances the length by
// the popcount, so compaction needs no branch per spike (lists have room: a row holds ceil4(cols)).
const LANES = memory.data<i32>([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 1, 2, 0, 0, 0, 1, 2, 0, 3, 0, 0, 0, 0, 3, 0, 0, 1, 3, 0, 0, 0, 1, 3, 0, 2, 3, 0, 0, 0, 2, 3, 0, 1, 2, 3, 0, 0, 1, 2, 3]);

// @ts-ignore: decorator
@inline function appendLanes(idx: usize, count: i32, c: i32, bits: i32): i32 {
  v128.store(idx + ((<usize>count) << 2), i32x4.add(i32x4.splat(c), v128.load(LANES + ((<usize>bits) << 4))));
  return count + <i32>popcnt(bits);
}

// ------------------------------------------------------------------------------------------------
// Thresholding: v ← λ·v + a; s = [v ≥ θ]; v ← v − θ·s. Writes s (0 or 1) and the ascending list of
// columns with s = 1; returns its length. With a ≡ 0 in the padding lanes and θ > 0 the padding of
// v and s stays 0 (padding v starts at 0).

/** One row of `cols` elements. */
export function thresholdRow(v: usize, s: usize, idx: usize, a: usize, cols: i32, lambda: f32, theta: f32): i32 {
  let count = 0;
  const n4 = (cols + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lambda);
    const tv = f32x4.splat(theta);
    const one = f32x4.splat(1);
    for (let c = 0; c < n4; c += 4) {
      const o = (<usize>c) << 2;
      const x = f32x4.add(f32x4.mul(lv, v128.load(v + o)), v128.load(a + o));
      const m = f32x4.ge(x, tv);
      v128.store(v + o, f32x4.sub(x, v128.and(m, tv)));
      v128.store(s + o, v128.and(m, one));
      count = appendLanes(idx, count, c, i32x4.bitmask(m));
    }
  } else {
    for (let c = 0; c < n4; c++) {
      const o = (<usize>c) << 2;
      const x = lambda * load<f32>(v + o) + load<f32>(a + o);
      if (x >= theta) {
        store<f32>(v + o, x - theta);
        store<f32>(s + o, 1);
        store<i32>(idx + ((<usize>count) << 2), c);
        count++;
      } else {
        store<f32>(v + o, x - <f32>0);
        store<f32>(s + o, 0);
      }
    }
  }
  return count;
}

/** s = [u < p] elementwise over one row (Bernoulli spikes from uniforms u); list of firing columns, returns its length. */
export function bernoulliRow(s: usize, idx: usize, u: usize, p: usize, cols: i32): i32 {
  let count = 0;
  const n4 = (cols + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (let c = 0; c < n4; c += 4) {
      const o = (<usize>c) << 2;
      const m = f32x4.lt(v128.load(u + o), v128.load(p + o));
      v128.store(s + o, v128.and(m, one));
      count = appendLanes(idx, count, c, i32x4.bitmask(m));
    }
  } else {
    for (let c = 0; c < n4; c++) {
      const o = (<usize>c) << 2;
      if (load<f32>(u + o) < load<f32>(p + o)) {
        store<f32>(s + o, 1);
        store<i32>(idx + ((<usize>count) << 2), c);
        count++;
      } else store<f32>(s + o, 0);
    }
  }
  return count;
}

// ------------------------------------------------------------------------------------------------
// Signed sigma-delta quantiser over one row: u ← u + x; while u ≥ θ: q += 1, u −= θ; while u ≤ −θ:
// q −= 1, u += θ. Writes the net count q (a small integer as f32) and the ascending list of columns
// with q ≠ 0; returns its length. The total number of +1 and −1 events is added to counts[0] and
// counts[1] (i32). The emission loop is the same scalar code in both builds; the vector path only
// adds and finds the lanes that need it.

@inline function quantiseLane(u: usize, q: usize, theta: f32, counts: usize): i32 {
  let x = load<f32>(u);
  let k: i32 = 0;
  while (x >= theta) {
    x -= theta;
    k++;
  }
  while (x <= -theta) {
    x += theta;
    k--;
  }
  store<f32>(u, x);
  store<f32>(q, <f32>k);
  if (k > 0) store<i32>(counts, load<i32>(counts) + k);
  else if (k < 0) store<i32>(counts, load<i32>(counts, 4) - k, 4);
  return k;
}

// @ts-ignore: decorator
@inline function sigmaDeltaCore(u: usize, q: usize, idx: usize, a: usize, gate: usize, cols: i32, theta: f32, g: f32, counts: usize, scaled: bool): i32 {
  let count = 0;
  const n4 = (cols + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const tv = f32x4.splat(theta);
    const nt = f32x4.splat(-theta);
    const gv = f32x4.splat(g);
    const zero = f32x4.splat(0);
    for (let c = 0; c < n4; c += 4) {
      const o = (<usize>c) << 2;
      let x = v128.load(a + o);
      if (scaled) {
        x = f32x4.mul(gv, x);
        if (gate != 0) x = v128.and(x, f32x4.gt(v128.load(gate + o), zero));
      }
      const y = f32x4.add(v128.load(u + o), x);
      v128.store(u + o, y);
      let bits = i32x4.bitmask(v128.or(f32x4.ge(y, tv), f32x4.le(y, nt)));
      v128.store(q + o, zero);
      while (bits != 0) {
        const l = ctz(bits);
        const lo = o + ((<usize>l) << 2);
        quantiseLane(u + lo, q + lo, theta, counts);
        store<i32>(idx + ((<usize>count) << 2), c + l);
        count++;
        bits &= bits - 1;
      }
    }
  } else {
    for (let c = 0; c < n4; c++) {
      const o = (<usize>c) << 2;
      let x = load<f32>(a + o);
      if (scaled) x = gate == 0 || load<f32>(gate + o) > 0 ? g * x : <f32>0;
      const y = load<f32>(u + o) + x;
      store<f32>(u + o, y);
      store<f32>(q + o, 0);
      if (y >= theta || y <= -theta) {
        quantiseLane(u + o, q + o, theta, counts);
        store<i32>(idx + ((<usize>count) << 2), c);
        count++;
      }
    }
  }
  return count;
}

export function sigmaDeltaRow(u: usize, q: usize, idx: usize, x: usize, cols: i32, theta: f32, counts: usize): i32 {
  return sigmaDeltaCore(u, q, idx, x, 0, cols, theta, 1, counts, false);
}

/**
 * sigmaDeltaRow with the input formed on the fly: x = g·a where gate[c] > 0 (or everywhere when
 * gate = 0), else 0 — the gain is applied before the gate, as a separate scale and masked add would.
 */
export function sigmaDeltaGainRow(u: usize, q: usize, idx: usize, a: usize, gate: usize, cols: i32, theta: f32, g: f32, counts: usize): i32 {
  return sigmaDeltaCore(u, q, idx, a, gate, cols, theta, g, counts, true);
}

// ------------------------------------------------------------------------------------------------
// Sparse gathers and scatters over the rows of a matrix M (rows of `cols` floats, stride ceil4).
// Each output element is summed over the list in list order, in both builds.

// @ts-ignore: decorator
@inline function addOrSub(a: v128, b: v128, negate: bool): v128 {
  return negate ? f32x4.sub(a, b) : f32x4.add(a, b);
}

/**
 * y ← y ± Σ_k M[idx[k], :] (one row of y), the listed rows added (or subtracted) in list order.
 * The SIMD path streams four listed rows at a time past the accumulating row (which stays in L1).
 */
// @ts-ignore: decorator
@inline function gatherRowsSigned(y: usize, M: usize, idx: usize, count: i32, cols: i32, negate: bool): void {
  const stride = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    let k = 0;
    for (; k + 4 <= count; k += 4) {
      const ik = idx + ((<usize>k) << 2);
      const r0 = M + <usize>load<i32>(ik) * stride;
      const r1 = M + <usize>load<i32>(ik, 4) * stride;
      const r2 = M + <usize>load<i32>(ik, 8) * stride;
      const r3 = M + <usize>load<i32>(ik, 12) * stride;
      for (let c: usize = 0; c < stride; c += 16) {
        let a = v128.load(y + c);
        a = addOrSub(a, v128.load(r0 + c), negate);
        a = addOrSub(a, v128.load(r1 + c), negate);
        a = addOrSub(a, v128.load(r2 + c), negate);
        a = addOrSub(a, v128.load(r3 + c), negate);
        v128.store(y + c, a);
      }
    }
    for (; k < count; k++) {
      const r = M + <usize>load<i32>(idx + ((<usize>k) << 2)) * stride;
      for (let c: usize = 0; c < stride; c += 16) v128.store(y + c, addOrSub(v128.load(y + c), v128.load(r + c), negate));
    }
  } else {
    for (let c: usize = 0; c < stride; c += 4) {
      let a = load<f32>(y + c);
      for (let k = 0; k < count; k++) {
        const m = load<f32>(M + <usize>load<i32>(idx + ((<usize>k) << 2)) * stride + c);
        a = negate ? a - m : a + m;
      }
      store<f32>(y + c, a);
    }
  }
}

/** y ← y + Σ_k M[idx[k], :] (one row of y), in list order. */
export function gatherRowsAdd(y: usize, M: usize, idx: usize, count: i32, cols: i32): void {
  gatherRowsSigned(y, M, idx, count, cols, false);
}

/** y ← y − Σ_k M[idx[k], :] (one row of y), in list order. */
export function gatherRowsSub(y: usize, M: usize, idx: usize, count: i32, cols: i32): void {
  gatherRowsSigned(y, M, idx, count, cols, true);
}

/** Ascending list of the columns with x > split in one row; returns its length. */
export function listAbove(idx: usize, x: usize, cols: i32, split: f32): i32 {
  let count = 0;
  const n4 = (cols + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const sv = f32x4.splat(split);
    for (let c = 0; c < n4; c += 4) count = appendLanes(idx, count, c, i32x4.bitmask(f32x4.gt(v128.load(x + ((<usize>c) << 2)), sv)));
  } else {
    for (let c = 0; c < n4; c++) {
      if (load<f32>(x + ((<usize>c) << 2)) > split) {
        store<i32>(idx + ((<usize>count) << 2), c);
        count++;
      }
    }
  }
  return count;
}

/**
 * Splits one row of spikes s (0/1) by the drive x against `split`: `add` lists the columns that
 * fired with x ≤ split, `sub` the columns with x > split that stayed silent (both ascending). With
 * base = Σ_{x > split} M[i, :], the drive Σ_{fired} M[i, :] = base + Σ_add − Σ_sub: for cells that
 * fire on most steps the silent ones are the fewer. The lengths are stored at addCount and subCount (i32).
 */
export function splitFired(add: usize, sub: usize, s: usize, x: usize, cols: i32, split: f32, addCount: usize, subCount: usize): void {
  let na = 0;
  let ns = 0;
  const n4 = (cols + 3) & ~3;
  if (ASC_FEATURE_SIMD) {
    const sv = f32x4.splat(split);
    const zero = f32x4.splat(0);
    for (let c = 0; c < n4; c += 4) {
      const o = (<usize>c) << 2;
      const fired = i32x4.bitmask(f32x4.gt(v128.load(s + o), zero));
      const high = i32x4.bitmask(f32x4.gt(v128.load(x + o), sv));
      na = appendLanes(add, na, c, fired & ~high);
      ns = appendLanes(sub, ns, c, high & ~fired);
    }
  } else {
    for (let c = 0; c < n4; c++) {
      const o = (<usize>c) << 2;
      const fired = load<f32>(s + o) > 0;
      const high = load<f32>(x + o) > split;
      if (fired && !high) {
        store<i32>(add + ((<usize>na) << 2), c);
        na++;
      } else if (high && !fired) {
        store<i32>(sub + ((<usize>ns) << 2), c);
        ns++;
      }
    }
  }
  store<i32>(addCount, na);
  store<i32>(subCount, ns);
}

/** y ← y + Σ_k w[idx[k]] · M[idx[k], :] (one row of y; w indexed by the same list, e.g. signed counts). */
export function gatherRowsAxpy(y: usize, M: usize, idx: usize, w: usize, count: i32, cols: i32): void {
  const stride = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    let c: usize = 0;
    const end16 = (<usize>(cols & ~15)) << 2;
    for (; c < end16; c += 64) {
      let a0 = v128.load(y + c), a1 = v128.load(y + c, 16), a2 = v128.load(y + c, 32), a3 = v128.load(y + c, 48);
      for (let k = 0; k < count; k++) {
        const i = <usize>load<i32>(idx + ((<usize>k) << 2));
        const s = v128.load32_splat(w + (i << 2));
        const r = M + i * stride + c;
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(r)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(r, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(r, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(r, 48)));
      }
      v128.store(y + c, a0);
      v128.store(y + c, a1, 16);
      v128.store(y + c, a2, 32);
      v128.store(y + c, a3, 48);
    }
    for (; c < stride; c += 16) {
      let a0 = v128.load(y + c);
      for (let k = 0; k < count; k++) {
        const i = <usize>load<i32>(idx + ((<usize>k) << 2));
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(w + (i << 2)), v128.load(M + i * stride + c)));
      }
      v128.store(y + c, a0);
    }
  } else {
    for (let c: usize = 0; c < stride; c += 4) {
      let a = load<f32>(y + c);
      for (let k = 0; k < count; k++) {
        const i = <usize>load<i32>(idx + ((<usize>k) << 2));
        a += load<f32>(w + (i << 2)) * load<f32>(M + i * stride + c);
      }
      store<f32>(y + c, a);
    }
  }
}

/** M[idx[k], :] ← M[idx[k], :] + x for every k (x one row of `cols` floats). */
export function scatterRowsAdd(M: usize, idx: usize, count: i32, x: usize, cols: i32): void {
  const stride = (<usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    for (let k = 0; k < count; k++) {
      const r = M + <usize>load<i32>(idx + ((<usize>k) << 2)) * stride;
      for (let c: usize = 0; c < stride; c += 16) v128.store(r + c, f32x4.add(v128.load(r + c), v128.load(x + c)));
    }
  } else {
    for (let k = 0; k < count; k++) {
      const r = M + <usize>load<i32>(idx + ((<usize>k) << 2)) * stride;
      for (let c: usize = 0; c < stride; c += 4) store<f32>(r + c, load<f32>(r + c) + load<f32>(x + c));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Elementwise helpers of the event pathway.

/** z ← d·z + x over rows × cols (padding stays 0). */
export function decayAdd(z: usize, x: usize, rows: i32, cols: i32, d: f32): void {
  const n = (<usize>rows * <usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const dv = f32x4.splat(d);
    for (let i: usize = 0; i < n; i += 16) v128.store(z + i, f32x4.add(f32x4.mul(dv, v128.load(z + i)), v128.load(x + i)));
  } else {
    for (let i: usize = 0; i < n; i += 4) store<f32>(z + i, d * load<f32>(z + i) + load<f32>(x + i));
  }
}

/** y ← y + x where m > 0, elementwise (a gated accumulate; m ≥ 0). */
export function addWherePositive(y: usize, x: usize, m: usize, rows: i32, cols: i32): void {
  const n = (<usize>rows * <usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (let i: usize = 0; i < n; i += 16) {
      const g = f32x4.gt(v128.load(m + i), zero);
      v128.store(y + i, f32x4.add(v128.load(y + i), v128.and(g, v128.load(x + i))));
    }
  } else {
    for (let i: usize = 0; i < n; i += 4) {
      const xv = load<f32>(m + i) > 0 ? load<f32>(x + i) : <f32>0;
      store<f32>(y + i, load<f32>(y + i) + xv);
    }
  }
}

/** y ← min(max(x, lo), hi) elementwise (padding lanes become clamp(0), so callers keep lo ≤ 0 ≤ hi). */
export function clampInto(y: usize, x: usize, rows: i32, cols: i32, lo: f32, hi: f32): void {
  const n = (<usize>rows * <usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const l = f32x4.splat(lo);
    const h = f32x4.splat(hi);
    for (let i: usize = 0; i < n; i += 16) v128.store(y + i, f32x4.pmin(h, f32x4.pmax(l, v128.load(x + i))));
  } else {
    for (let i: usize = 0; i < n; i += 4) {
      let v = load<f32>(x + i);
      v = lo < v ? v : lo; // f32x4.pmax(lo, x)
      v = v < hi ? v : hi; // f32x4.pmin(hi, v)
      store<f32>(y + i, v);
    }
  }
}

/** y ← s · sign(x) elementwise with sign(0) = 0 (Batch Manhattan steps). */
export function signStep(y: usize, x: usize, rows: i32, cols: i32, s: f32): void {
  const n = (<usize>rows * <usize>((cols + 3) & ~3)) << 2;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    const sv = f32x4.splat(s);
    for (let i: usize = 0; i < n; i += 16) {
      const xv = v128.load(x + i);
      v128.store(y + i, f32x4.sub(v128.and(f32x4.gt(xv, zero), sv), v128.and(f32x4.lt(xv, zero), sv)));
    }
  } else {
    for (let i: usize = 0; i < n; i += 4) {
      const xv = load<f32>(x + i);
      store<f32>(y + i, xv > 0 ? s : xv < 0 ? -s : <f32>0);
    }
  }
}

/**
 * Hebbian accumulation driven by error events: for each sample b and each listed pair j of its
 * error list (entries idx_b, net counts q_b[j]), D[j, :] ← D[j, :] + q_b[j] · X[b, :]. Samples in
 * order, list entries in order, the product rounded before the add in both builds.
 */
export function errorRowsAxpy(D: usize, X: usize, q: usize, qRowBytes: usize, idx: usize, idxRowBytes: usize, cnt: usize, n: i32, xcols: i32): void {
  const xs = (<usize>((xcols + 3) & ~3)) << 2;
  for (let b = 0; b < n; b++) {
    const c = load<i32>(cnt + ((<usize>b) << 2));
    const ix = idx + <usize>b * idxRowBytes;
    const qb = q + <usize>b * qRowBytes;
    const xb = X + <usize>b * xs;
    for (let k = 0; k < c; k++) {
      const j = <usize>load<i32>(ix + ((<usize>k) << 2));
      const s = load<f32>(qb + (j << 2));
      const r = D + j * xs;
      if (ASC_FEATURE_SIMD) {
        const sv = f32x4.splat(s);
        for (let o: usize = 0; o < xs; o += 16) v128.store(r + o, f32x4.add(v128.load(r + o), f32x4.mul(sv, v128.load(xb + o))));
      } else {
        for (let o: usize = 0; o < xs; o += 4) store<f32>(r + o, load<f32>(r + o) + s * load<f32>(xb + o));
      }
    }
  }
}

/**
 * Regroups one step's firing lists (sample b's list at idx + b·idxRowBytes, cnt[b] entries) by
 * cell, a counting sort: on return the samples in which cell i fired are list[pos[i − 1] … pos[i])
 * (pos[−1] = 0), ascending. pos holds cells + 1 i32 (the last is scratch). Returns the number of
 * spikes. Scalar code in both builds.
 */
export function groupByCell(pos: usize, list: usize, idx: usize, idxRowBytes: usize, cnt: usize, n: i32, cells: i32): i32 {
  memory.fill(pos, 0, (<usize>(cells + 1)) << 2);
  let total: i32 = 0;
  for (let b = 0; b < n; b++) {
    const c = load<i32>(cnt + ((<usize>b) << 2));
    const ix = idx + <usize>b * idxRowBytes;
    for (let k = 0; k < c; k++) {
      const q = pos + ((<usize>(load<i32>(ix + ((<usize>k) << 2)) + 1)) << 2);
      store<i32>(q, load<i32>(q) + 1);
    }
    total += c;
  }
  if (total == 0) return 0;
  // pos[i] = start of cell i's block; filling advances it to the start of cell i + 1.
  for (let i = 1; i <= cells; i++) {
    const q = pos + ((<usize>i) << 2);
    store<i32>(q, load<i32>(q) + load<i32>(q - 4));
  }
  for (let b = 0; b < n; b++) {
    const c = load<i32>(cnt + ((<usize>b) << 2));
    const ix = idx + <usize>b * idxRowBytes;
    for (let k = 0; k < c; k++) {
      const q = pos + ((<usize>load<i32>(ix + ((<usize>k) << 2))) << 2);
      const at = load<i32>(q);
      store<i32>(list + ((<usize>at) << 2), b);
      store<i32>(q, at + 1);
    }
  }
  return total;
}

/**
 * D[i, :] ← D[i, :] ± Σ_{b in cell i's block} X[b, :] for cell-grouped lists (groupByCell), blocks
 * summed in list order. The SIMD path works in strips of 16 columns (then 4): the strip of X for all
 * samples stays in L1 while four vectors of D's row accumulate in registers. The scalar twin sums in
 * the same order for every element.
 */
// @ts-ignore: decorator
@inline function gatherCellRowsSigned(D: usize, X: usize, pos: usize, list: usize, rows: i32, cols: i32, negate: bool): void {
  const nv = (cols + 3) >> 2;
  const stride = (<usize>nv) << 4;
  if (ASC_FEATURE_SIMD) {
    let v = 0;
    while (v < nv) {
      const wide = nv - v >= 4;
      const co = (<usize>v) << 4;
      const Xc = X + co;
      let start: i32 = 0;
      for (let i = 0; i < rows; i++) {
        const end = load<i32>(pos + ((<usize>i) << 2));
        if (end == start) continue;
        const y = D + <usize>i * stride + co;
        if (wide) {
          let a0 = v128.load(y), a1 = v128.load(y, 16), a2 = v128.load(y, 32), a3 = v128.load(y, 48);
          for (let k = start; k < end; k++) {
            const x = Xc + <usize>load<i32>(list + ((<usize>k) << 2)) * stride;
            a0 = addOrSub(a0, v128.load(x), negate);
            a1 = addOrSub(a1, v128.load(x, 16), negate);
            a2 = addOrSub(a2, v128.load(x, 32), negate);
            a3 = addOrSub(a3, v128.load(x, 48), negate);
          }
          v128.store(y, a0);
          v128.store(y, a1, 16);
          v128.store(y, a2, 32);
          v128.store(y, a3, 48);
        } else {
          let a0 = v128.load(y);
          for (let k = start; k < end; k++) a0 = addOrSub(a0, v128.load(Xc + <usize>load<i32>(list + ((<usize>k) << 2)) * stride), negate);
          v128.store(y, a0);
        }
        start = end;
      }
      v += wide ? 4 : 1;
    }
  } else {
    let start: i32 = 0;
    for (let i = 0; i < rows; i++) {
      const end = load<i32>(pos + ((<usize>i) << 2));
      const y = D + <usize>i * stride;
      for (let o: usize = 0; o < stride; o += 4) {
        let a = load<f32>(y + o);
        for (let k = start; k < end; k++) {
          const x = load<f32>(X + <usize>load<i32>(list + ((<usize>k) << 2)) * stride + o);
          a = negate ? a - x : a + x;
        }
        store<f32>(y + o, a);
      }
      start = end;
    }
  }
}

/** D[i, :] += Σ_{b in cell i's block} X[b, :] (see gatherCellRowsSigned). */
export function gatherCellRows(D: usize, X: usize, pos: usize, list: usize, rows: i32, cols: i32): void {
  gatherCellRowsSigned(D, X, pos, list, rows, cols, false);
}

/** D[i, :] −= Σ_{b in cell i's block} X[b, :] (see gatherCellRowsSigned). */
export function gatherCellRowsSub(D: usize, X: usize, pos: usize, list: usize, rows: i32, cols: i32): void {
  gatherCellRowsSigned(D, X, pos, list, rows, cols, true);
}

/** N[b, idx_b[k]] += 1 for the listed columns of every sample b < n (spike counts from firing lists). */
export function countSpikes(N: usize, idx: usize, idxRowBytes: usize, cnt: usize, n: i32, cols: i32): void {
  const stride = (<usize>((cols + 3) & ~3)) << 2;
  for (let b = 0; b < n; b++) {
    const c = load<i32>(cnt + ((<usize>b) << 2));
    const ix = idx + <usize>b * idxRowBytes;
    const row = N + <usize>b * stride;
    for (let k = 0; k < c; k++) {
      const q = row + ((<usize>load<i32>(ix + ((<usize>k) << 2))) << 2);
      store<f32>(q, load<f32>(q) + 1);
    }
  }
}

/** acc[idx_b[k]] += q_b[idx_b[k]] over the listed columns of every sample b < n (net error spikes per pair). */
export function sumListed(acc: usize, q: usize, qRowBytes: usize, idx: usize, idxRowBytes: usize, cnt: usize, n: i32): void {
  for (let b = 0; b < n; b++) {
    const c = load<i32>(cnt + ((<usize>b) << 2));
    const ix = idx + <usize>b * idxRowBytes;
    const qb = q + <usize>b * qRowBytes;
    for (let k = 0; k < c; k++) {
      const o = (<usize>load<i32>(ix + ((<usize>k) << 2))) << 2;
      store<f32>(acc + o, load<f32>(acc + o) + load<f32>(qb + o));
    }
  }
}
