// Layer kernels (3×3 im2col/col2im, batch normalisation, dropout, locally connected) against float64
// transcriptions written here, at sizes straddling the 4-lane tile, on the SIMD and scalar builds.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, type Core, type Tensor, type Arena } from "../src/index.ts";
import { mulberry32 } from "../src/core/random.ts";

type Fn = (...a: number[]) => number;
const ceil4 = (n: number) => (n + 3) & ~3;

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const f32 = Math.fround;

/** A raw buffer of `floats` floats (a 1 × floats tensor) filled through `set(view)`. */
function raw(a: Arena, floats: number): Tensor {
  return a.tensor(1, ceil4(floats));
}

const builds: [string, () => Core][] = [];
let simd: Core;
let scalar: Core;

// ---------------------------------------------------------------------------------------------
const conv = suite("layers: 3×3 im2col / col2im");
async function load(): Promise<void> {
  if (builds.length) return;
  simd = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
  builds.push(["simd", () => simd], ["scalar", () => scalar]);
}
conv.before(load);

interface Geo {
  batch: number;
  H: number;
  W: number;
  C: number;
  pix: number;
  img: number;
  stride: number;
  padT: number;
  padL: number;
  Ho: number;
  Wo: number;
}
function geometry(batch: number, H: number, W: number, C: number, stride: number, padding: "same" | "valid", pixPad: number): Geo {
  let Ho: number, Wo: number, padT: number, padL: number;
  if (padding === "valid") {
    Ho = Math.floor((H - 3) / stride) + 1;
    Wo = Math.floor((W - 3) / stride) + 1;
    padT = padL = 0;
  } else {
    Ho = Math.ceil(H / stride);
    Wo = Math.ceil(W / stride);
    padT = Math.floor(Math.max((Ho - 1) * stride + 3 - H, 0) / 2);
    padL = Math.floor(Math.max((Wo - 1) * stride + 3 - W, 0) / 2);
  }
  const pix = C + pixPad;
  const img = ceil4(H * W * pix) + 4;
  return { batch, H, W, C, pix, img, stride, padT, padL, Ho, Wo };
}
const geoArgs = (g: Geo) => [g.batch, g.H, g.W, g.C, g.pix, g.img, g.stride, g.padT, g.padL, g.Ho, g.Wo];

/** f64 patch matrix, logical (rows batch·Ho·Wo, cols 9C). */
function im2colRef(x: Float64Array, g: Geo): Float64Array {
  const n = 9 * g.C;
  const out = new Float64Array(g.batch * g.Ho * g.Wo * n);
  let r = 0;
  for (let b = 0; b < g.batch; b++)
    for (let oy = 0; oy < g.Ho; oy++)
      for (let ox = 0; ox < g.Wo; ox++, r++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++)
            for (let c = 0; c < g.C; c++) {
              const iy = oy * g.stride - g.padT + ky;
              const ix = ox * g.stride - g.padL + kx;
              const inside = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W;
              out[r * n + (ky * 3 + kx) * g.C + c] = inside ? x[b * g.img + (iy * g.W + ix) * g.pix + c] : 0;
            }
  return out;
}

const geometries: [number, number, number, number, number, "same" | "valid", number][] = [
  // batch, H, W, C, stride, padding, extra pixel padding lanes
  [1, 1, 1, 1, 1, "same", 0],
  [2, 3, 3, 1, 1, "valid", 0],
  [2, 5, 4, 3, 1, "same", 1],
  [3, 7, 6, 5, 2, "same", 3],
  [2, 8, 9, 2, 2, "valid", 2],
  [1, 9, 7, 7, 2, "same", 1],
  [2, 6, 6, 4, 2, "same", 0],
  [1, 28, 28, 1, 1, "same", 0],
  [1, 28, 28, 32, 2, "same", 0],
  [1, 5, 5, 17, 1, "valid", 3],
];

conv("im2col3x3 equals the f64 patch matrix exactly (both builds), row padding stays 0", () => {
  for (const [name, get] of builds) {
    const core = get();
    const im2col = core.fn<Fn>("im2col3x3");
    for (const [B, H, W, C, s, pad, pp] of geometries) {
      const g = geometry(B, H, W, C, s, pad, pp);
      const a = core.arena();
      const r = mulberry32(B * 1000 + H * 10 + C);
      const x = raw(a, B * g.img);
      const xv = new Float64Array(B * g.img);
      for (let b = 0; b < B; b++) for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) xv[b * g.img + p * g.pix + c] = f32(gauss(r));
      x.peek().set(xv.subarray(0, x.peek().length));
      const n = 9 * C;
      const rows = B * g.Ho * g.Wo;
      const cols = a.tensor(rows, n);
      cols.peek().fill(-7); // every logical lane must be overwritten
      for (let i = 0; i < rows; i++) cols.peek().fill(0, i * cols.stride + n, (i + 1) * cols.stride);
      im2col(cols.ptr, x.ptr, ...geoArgs(g));
      const ref = im2colRef(xv, g);
      const got = cols.read();
      for (let i = 0; i < ref.length; i++) if (got[i] !== ref[i]) assert.unreachable(`${name} ${[B, H, W, C, s, pad]} index ${i}: ${got[i]} vs ${ref[i]}`);
      const rawv = cols.peek();
      for (let i = 0; i < rows; i++) for (let c = n; c < cols.stride; c++) assert.is(rawv[i * cols.stride + c], 0);
      a.dispose();
    }
  }
});

conv("col2im3x3 is the transpose of im2col3x3: matches the f64 scatter (tol 1e-6 rel: f32 sums of ≤ 9 terms) and keeps padding 0", () => {
  for (const [name, get] of builds) {
    const core = get();
    const col2im = core.fn<Fn>("col2im3x3");
    for (const [B, H, W, C, s, pad, pp] of geometries) {
      const g = geometry(B, H, W, C, s, pad, pp);
      const a = core.arena();
      const r = mulberry32(7 + B * 31 + W);
      const n = 9 * C;
      const rows = B * g.Ho * g.Wo;
      const d = a.tensor(rows, n);
      const dv = Array.from({ length: rows * n }, () => f32(gauss(r)));
      d.write(dv);
      const dx = raw(a, B * g.img);
      dx.peek().fill(3); // overwritten, including padding lanes (to 0)
      col2im(dx.ptr, d.ptr, ...geoArgs(g));
      // f64 scatter: dx[pixel tap] += d[row, tap]
      const ref = new Float64Array(B * g.img);
      let row = 0;
      for (let b = 0; b < B; b++)
        for (let oy = 0; oy < g.Ho; oy++)
          for (let ox = 0; ox < g.Wo; ox++, row++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = oy * s - g.padT + ky;
                const ix = ox * s - g.padL + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                for (let c = 0; c < C; c++) ref[b * g.img + (iy * W + ix) * g.pix + c] += dv[row * n + (ky * 3 + kx) * C + c];
              }
      const got = dx.peek();
      for (let i = 0; i < B * g.img; i++) {
        const tol = 1e-6 * (1 + Math.abs(ref[i]));
        if (Math.abs(got[i] - ref[i]) > tol) assert.unreachable(`${name} ${[B, H, W, C, s, pad]} index ${i}: ${got[i]} vs ${ref[i]}`);
      }
      a.dispose();
    }
  }
});

conv("SIMD and scalar twins of im2col/col2im are bit-identical", () => {
  for (const [B, H, W, C, s, pad, pp] of geometries) {
    const g = geometry(B, H, W, C, s, pad, pp);
    const outs: Float32Array[] = [];
    for (const core of [simd, scalar]) {
      const a = core.arena();
      const r = mulberry32(99);
      const rows = B * g.Ho * g.Wo;
      const d = a.tensor(rows, 9 * C).write(Array.from({ length: rows * 9 * C }, () => gauss(r)));
      const dx = raw(a, B * g.img);
      core.fn<Fn>("col2im3x3")(dx.ptr, d.ptr, ...geoArgs(g));
      outs.push(dx.peek().slice());
      a.dispose();
    }
    assert.equal(Array.from(outs[0]), Array.from(outs[1]));
  }
});

conv.run();

// ---------------------------------------------------------------------------------------------
const bn = suite("layers: batch normalisation");
bn.before(load);

function bnRef(x: Float64Array, rows: number, cols: number, gamma: Float64Array, beta: Float64Array, eps: number) {
  const mean = new Float64Array(cols),
    vr = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c] / rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) vr[c] += (x[r * cols + c] - mean[c]) ** 2 / rows;
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = (gamma[c] * (x[r * cols + c] - mean[c])) / Math.sqrt(vr[c] + eps) + beta[c];
  return { mean, vr, y };
}

const bnSizes: [number, number][] = [
  [2, 1],
  [3, 3],
  [5, 4],
  [7, 5],
  [4, 9],
  [16, 17],
  [9, 32],
  [128, 10],
];

bn("bnStats/bnInvStd/bnForward match the f64 transcription (tol 2e-5 rel: f32 sums over ≤ 128 rows) and keep padding 0", () => {
  for (const [name, get] of builds) {
    const core = get();
    for (const [rows, cols] of bnSizes) {
      const a = core.arena();
      const r = mulberry32(rows * 100 + cols);
      const xv = Array.from({ length: rows * cols }, () => f32(2 + 3 * gauss(r)));
      const gv = Array.from({ length: cols }, () => f32(1 + 0.5 * gauss(r)));
      const bv = Array.from({ length: cols }, () => f32(gauss(r)));
      const eps = 1e-3;
      const x = a.from(rows, cols, xv),
        gamma = a.from(1, cols, gv),
        beta = a.from(1, cols, bv);
      const mean = a.vector(cols),
        vr = a.vector(cols),
        inv = a.vector(cols),
        y = a.tensor(rows, cols),
        xh = a.tensor(rows, cols);
      core.fn<Fn>("bnStats")(mean.ptr, vr.ptr, x.ptr, rows, cols);
      core.fn<Fn>("bnInvStd")(inv.ptr, vr.ptr, cols, eps);
      core.fn<Fn>("bnForward")(y.ptr, xh.ptr, x.ptr, mean.ptr, inv.ptr, gamma.ptr, beta.ptr, rows, cols);
      const ref = bnRef(Float64Array.from(xv), rows, cols, Float64Array.from(gv), Float64Array.from(bv), eps);
      const close = (got: Float32Array, want: Float64Array, scale: number, what: string) => {
        for (let i = 0; i < want.length; i++)
          if (Math.abs(got[i] - want[i]) > 2e-5 * (scale + Math.abs(want[i])))
            assert.unreachable(`${name} ${rows}×${cols} ${what}[${i}]: ${got[i]} vs ${want[i]}`);
      };
      close(mean.read(), ref.mean, 3, "mean");
      close(vr.read(), ref.vr, 9, "var");
      close(y.read(), ref.y, 1, "y");
      for (const t of [mean, vr, inv, y, xh]) {
        const v = t.peek();
        for (let i = 0; i < t.rows; i++) for (let c = cols; c < t.stride; c++) assert.is(v[i * t.stride + c], 0, `${name} padding of ${t.rows}×${cols}`);
      }
      a.dispose();
    }
  }
});

bn("bnBackward equals central finite differences of the f64 forward (tol 1e-4 rel) and updates γ, β by eta·grad", () => {
  for (const [name, get] of builds) {
    const core = get();
    for (const [rows, cols] of bnSizes) {
      const a = core.arena();
      const r = mulberry32(rows * 7 + cols * 13);
      const xv = Array.from({ length: rows * cols }, () => f32(1 + gauss(r)));
      const gv = Array.from({ length: cols }, () => f32(1 + 0.5 * gauss(r)));
      const bv = Array.from({ length: cols }, () => f32(gauss(r)));
      const dyv = Array.from({ length: rows * cols }, () => f32(gauss(r)));
      const eps = 1e-3;
      const x = a.from(rows, cols, xv),
        gamma = a.from(1, cols, gv),
        beta = a.from(1, cols, bv);
      const mean = a.vector(cols),
        vr = a.vector(cols),
        inv = a.vector(cols),
        y = a.tensor(rows, cols),
        xh = a.tensor(rows, cols);
      const dy = a.from(rows, cols, dyv),
        dx = a.tensor(rows, cols),
        dg = a.vector(cols),
        db = a.vector(cols);
      core.fn<Fn>("bnStats")(mean.ptr, vr.ptr, x.ptr, rows, cols);
      core.fn<Fn>("bnInvStd")(inv.ptr, vr.ptr, cols, eps);
      core.fn<Fn>("bnForward")(y.ptr, xh.ptr, x.ptr, mean.ptr, inv.ptr, gamma.ptr, beta.ptr, rows, cols);
      const eta = -0.25;
      core.fn<Fn>("bnBackward")(dx.ptr, dg.ptr, db.ptr, gamma.ptr, beta.ptr, dy.ptr, xh.ptr, inv.ptr, rows, cols, eta);
      // L = Σ dy ⊙ y(x, γ, β) in f64; central differences with h = 1e-5
      const X = Float64Array.from(xv),
        G = Float64Array.from(gv),
        Bt = Float64Array.from(bv);
      const L = () => bnRef(X, rows, cols, G, Bt, eps).y.reduce((s, v, i) => s + v * dyv[i], 0);
      const h = 1e-5;
      const fd = (arr: Float64Array, i: number) => {
        const o = arr[i];
        arr[i] = o + h;
        const lp = L();
        arr[i] = o - h;
        const lm = L();
        arr[i] = o;
        return (lp - lm) / (2 * h);
      };
      const dxg = dx.read(),
        dgg = dg.read(),
        dbg = db.read();
      // dx is a difference of terms of size |γ·invStd·dy| that cancel (completely for rows = 2); the
      // tolerance is relative to that term size, not to dx itself
      const invg = inv.read();
      let scale = 0;
      for (let i = 0; i < rows * cols; i++) scale = Math.max(scale, Math.abs(gv[i % cols] * invg[i % cols] * dyv[i]));
      for (let k = 0; k < Math.min(40, rows * cols); k++) {
        const i = (k * 7919) % (rows * cols);
        const want = fd(X, i);
        if (Math.abs(dxg[i] - want) > 1e-4 * (scale + Math.abs(want))) assert.unreachable(`${name} ${rows}×${cols} dx[${i}]: ${dxg[i]} vs fd ${want}`);
      }
      for (let c = 0; c < cols; c++) {
        const wg = fd(G, c),
          wb = fd(Bt, c);
        assert.ok(Math.abs(dgg[c] - wg) <= 1e-4 * (1 + Math.abs(wg)), `${name} dgamma[${c}] ${dgg[c]} vs ${wg}`);
        assert.ok(Math.abs(dbg[c] - wb) <= 1e-4 * (1 + Math.abs(wb)), `${name} dbeta[${c}] ${dbg[c]} vs ${wb}`);
      }
      const g2 = gamma.read(),
        b2 = beta.read();
      for (let c = 0; c < cols; c++) {
        assert.is(g2[c], f32(gv[c] + f32(eta * dgg[c])), "gamma update");
        assert.is(b2[c], f32(bv[c] + f32(eta * dbg[c])), "beta update");
      }
      for (const t of [dx, dg, db, gamma, beta]) {
        const v = t.peek();
        for (let i = 0; i < t.rows; i++) for (let c = cols; c < t.stride; c++) assert.is(v[i * t.stride + c], 0);
      }
      a.dispose();
    }
  }
});

bn("bnRunning moves running statistics toward the batch ones by momentum (tol 1 ulp-level 1e-7 abs)", () => {
  for (const [, get] of builds) {
    const core = get();
    const a = core.arena();
    const cols = 7;
    const rm = a.from(1, cols, [0, 1, 2, 3, 4, 5, 6]),
      rv = a.from(1, cols, [1, 1, 1, 1, 1, 1, 1]);
    const m = a.from(1, cols, [1, 1, 1, 1, 1, 1, 1]),
      v = a.from(1, cols, [2, 3, 4, 5, 6, 7, 8]);
    core.fn<Fn>("bnRunning")(rm.ptr, rv.ptr, m.ptr, v.ptr, cols, 0.1, 1.5);
    const want = [0, 1, 2, 3, 4, 5, 6].map((x) => x + 0.1 * (1 - x));
    const wantV = [2, 3, 4, 5, 6, 7, 8].map((x) => 1 + 0.1 * (1.5 * x - 1));
    rm.read().forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `runMean[${i}]`));
    rv.read().forEach((x, i) => assert.ok(Math.abs(x - wantV[i]) < 1e-6, `runVar[${i}]`));
    assert.is(rm.peek()[7], 0);
    a.dispose();
  }
});

bn("SIMD and scalar twins of the batch-norm kernels are bit-identical", () => {
  const res: Float32Array[][] = [];
  for (const core of [simd, scalar]) {
    const a = core.arena();
    const r = mulberry32(5);
    const rows = 13,
      cols = 11;
    const x = a.from(
      rows,
      cols,
      Array.from({ length: rows * cols }, () => gauss(r)),
    );
    const gamma = a.from(
        1,
        cols,
        Array.from({ length: cols }, () => 1 + gauss(r)),
      ),
      beta = a.from(
        1,
        cols,
        Array.from({ length: cols }, () => gauss(r)),
      );
    const mean = a.vector(cols),
      vr = a.vector(cols),
      inv = a.vector(cols),
      y = a.tensor(rows, cols),
      xh = a.tensor(rows, cols);
    const dy = a.from(
        rows,
        cols,
        Array.from({ length: rows * cols }, () => gauss(r)),
      ),
      dx = a.tensor(rows, cols),
      dg = a.vector(cols),
      db = a.vector(cols);
    core.fn<Fn>("bnStats")(mean.ptr, vr.ptr, x.ptr, rows, cols);
    core.fn<Fn>("bnInvStd")(inv.ptr, vr.ptr, cols, 1e-3);
    core.fn<Fn>("bnForward")(y.ptr, xh.ptr, x.ptr, mean.ptr, inv.ptr, gamma.ptr, beta.ptr, rows, cols);
    core.fn<Fn>("bnBackward")(dx.ptr, dg.ptr, db.ptr, gamma.ptr, beta.ptr, dy.ptr, xh.ptr, inv.ptr, rows, cols, -0.1);
    res.push([mean, vr, inv, y, dx, dg, db, gamma, beta].map((t) => t.peek().slice()));
    a.dispose();
  }
  res[0].forEach((v, i) => assert.equal(Array.from(v), Array.from(res[1][i]), `buffer ${i}`));
});

bn.run();

// ---------------------------------------------------------------------------------------------
const drop = suite("layers: dropout");
drop.before(load);

drop("dropoutForward keeps exactly the units with u ≥ rate, scaled by 1/(1 − rate); backward multiplies by the same mask; padding 0", () => {
  for (const [name, get] of builds) {
    const core = get();
    for (const [rows, cols, rate] of [
      [1, 1, 0.3],
      [3, 5, 0.3],
      [4, 8, 0.5],
      [2, 17, 0],
      [5, 9, 0.9],
    ] as const) {
      const a = core.arena();
      const r = mulberry32(rows + cols);
      const uv = Array.from({ length: rows * cols }, () => f32(r()));
      uv[0] = f32(rate); // the boundary u = rate keeps the unit
      const xv = Array.from({ length: rows * cols }, () => f32(gauss(r)));
      const dyv = Array.from({ length: rows * cols }, () => f32(gauss(r)));
      const u = a.from(rows, cols, uv),
        x = a.from(rows, cols, xv),
        y = a.tensor(rows, cols),
        m = a.tensor(rows, cols);
      const dy = a.from(rows, cols, dyv),
        dx = a.tensor(rows, cols);
      core.fn<Fn>("dropoutForward")(y.ptr, m.ptr, x.ptr, u.ptr, rows, cols, rate);
      core.fn<Fn>("dropoutBackward")(dx.ptr, dy.ptr, m.ptr, rows, cols);
      const scale = f32(1 / f32(1 - f32(rate)));
      const yg = y.read(),
        mg = m.read(),
        dg = dx.read();
      for (let i = 0; i < rows * cols; i++) {
        const keep = uv[i] >= f32(rate);
        assert.is(mg[i], keep ? scale : 0, `${name} mask[${i}]`);
        assert.is(yg[i], keep ? f32(scale * xv[i]) : 0, `${name} y[${i}]`);
        assert.is(dg[i], keep ? f32(scale * dyv[i]) : 0, `${name} dx[${i}]`);
      }
      for (const t of [y, m, dx]) {
        const v = t.peek();
        for (let i = 0; i < rows; i++) for (let c = cols; c < t.stride; c++) assert.is(v[i * t.stride + c], 0);
      }
      a.dispose();
    }
  }
});

drop.run();

// ---------------------------------------------------------------------------------------------
const lc = suite("layers: locally connected");
lc.before(load);

lc("localForward / localBackwardData / localUpdate match f64 (tol 1e-5 rel: f32 dot products of ≤ 300 terms)", () => {
  for (const [name, get] of builds) {
    const core = get();
    for (const [B, P, m, n] of [
      [1, 1, 1, 1],
      [2, 3, 3, 5],
      [3, 5, 4, 9],
      [2, 4, 7, 17],
      [2, 6, 32, 288],
      [5, 2, 9, 12],
    ]) {
      const a = core.arena();
      const r = mulberry32(B * 17 + P * 5 + m + n);
      const xv = Array.from({ length: B * P * n }, () => f32(gauss(r)));
      const wv = Array.from({ length: P * m * n }, () => f32(0.3 * gauss(r)));
      const gv = Array.from({ length: B * P * m }, () => f32(gauss(r)));
      const x = a.from(B * P, n, xv),
        w = a.from(P * m, n, wv),
        dy = a.from(B * P, m, gv);
      const y = a.tensor(B * P, m),
        dx = a.tensor(B * P, n);
      core.fn<Fn>("localForward")(y.ptr, x.ptr, w.ptr, B, P, m, n);
      core.fn<Fn>("localBackwardData")(dx.ptr, dy.ptr, w.ptr, B, P, m, n);
      const eta = -0.05;
      core.fn<Fn>("localUpdate")(w.ptr, dy.ptr, x.ptr, B, P, m, n, eta);
      const yg = y.read(),
        dxg = dx.read(),
        wg = w.read();
      for (let b = 0; b < B; b++)
        for (let p = 0; p < P; p++) {
          const row = b * P + p;
          for (let i = 0; i < m; i++) {
            let s = 0,
              mag = 0;
            for (let k = 0; k < n; k++) {
              s += wv[(p * m + i) * n + k] * xv[row * n + k];
              mag += Math.abs(wv[(p * m + i) * n + k] * xv[row * n + k]);
            }
            assert.ok(Math.abs(yg[row * m + i] - s) <= 1e-5 * (1 + mag), `${name} y ${[B, P, m, n]} [${row},${i}] ${yg[row * m + i]} vs ${s}`);
          }
          for (let k = 0; k < n; k++) {
            let s = 0,
              mag = 0;
            for (let i = 0; i < m; i++) {
              s += wv[(p * m + i) * n + k] * gv[row * m + i];
              mag += Math.abs(wv[(p * m + i) * n + k] * gv[row * m + i]);
            }
            assert.ok(Math.abs(dxg[row * n + k] - s) <= 1e-5 * (1 + mag), `${name} dx [${row},${k}]`);
          }
        }
      for (let p = 0; p < P; p++)
        for (let i = 0; i < m; i++)
          for (let k = 0; k < n; k++) {
            let s = wv[(p * m + i) * n + k],
              mag = Math.abs(s);
            for (let b = 0; b < B; b++) {
              const t = eta * gv[(b * P + p) * m + i] * xv[(b * P + p) * n + k];
              s += t;
              mag += Math.abs(t);
            }
            assert.ok(Math.abs(wg[(p * m + i) * n + k] - s) <= 1e-5 * (1 + mag), `${name} W [${p},${i},${k}]`);
          }
      for (const t of [y, dx, w]) {
        const v = t.peek();
        for (let i = 0; i < t.rows; i++) for (let c = t.cols; c < t.stride; c++) assert.is(v[i * t.stride + c], 0);
      }
      a.dispose();
    }
  }
});

lc("SIMD and scalar twins of the locally connected kernels are bit-identical", () => {
  const res: Float32Array[][] = [];
  for (const core of [simd, scalar]) {
    const a = core.arena();
    const r = mulberry32(3);
    const [B, P, m, n] = [3, 4, 5, 13];
    const x = a.from(
      B * P,
      n,
      Array.from({ length: B * P * n }, () => gauss(r)),
    );
    const w = a.from(
      P * m,
      n,
      Array.from({ length: P * m * n }, () => gauss(r)),
    );
    const dy = a.from(
      B * P,
      m,
      Array.from({ length: B * P * m }, () => gauss(r)),
    );
    const y = a.tensor(B * P, m),
      dx = a.tensor(B * P, n);
    core.fn<Fn>("localForward")(y.ptr, x.ptr, w.ptr, B, P, m, n);
    core.fn<Fn>("localBackwardData")(dx.ptr, dy.ptr, w.ptr, B, P, m, n);
    core.fn<Fn>("localUpdate")(w.ptr, dy.ptr, x.ptr, B, P, m, n, -0.1);
    res.push([y, dx, w].map((t) => t.peek().slice()));
    a.dispose();
  }
  res[0].forEach((v, i) => assert.equal(Array.from(v), Array.from(res[1][i]), `buffer ${i}`));
});

lc.run();

// ---------------------------------------------------------------------------------------------
const tr = suite("layers: scaled transpose");
tr.before(load);

tr("transposeScale writes s·Xᵀ exactly (one f32 product per element), never touches Y's padding lanes", () => {
  for (const [name, get] of builds) {
    const core = get();
    for (const [rows, cols] of [
      [1, 1],
      [3, 5],
      [4, 4],
      [5, 3],
      [7, 9],
      [8, 16],
      [13, 17],
      [128, 500],
      [2, 288],
    ]) {
      const a = core.arena();
      const r = mulberry32(rows * 31 + cols);
      const xv = Array.from({ length: rows * cols }, () => f32(gauss(r)));
      const x = a.from(rows, cols, xv);
      const y = a.tensor(cols, rows);
      const s = -0.3;
      core.fn<Fn>("transposeScale")(y.ptr, x.ptr, rows, cols, s);
      const got = y.read();
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) if (got[j * rows + i] !== f32(xv[i * cols + j] * f32(s))) assert.unreachable(`${name} ${rows}×${cols} [${i},${j}]`);
      const v = y.peek();
      for (let j = 0; j < cols; j++) for (let c = rows; c < y.stride; c++) assert.is(v[j * y.stride + c], 0);
      a.dispose();
    }
  }
});

tr.run();

// ---------------------------------------------------------------------------------------------
const cl = suite("layers: 3×3 convolution and locally connected layers (im2col + matrix kernels)");
cl.before(load);

cl("conv/local forward = f64 direct convolution; backward dx and ΔW = f64 finite differences of Σ g⊙y (tol 1e-5 of the term magnitudes)", () => {
  for (const [name, get] of builds) {
    const core = get();
    for (const [B, H, W, C, Cout, s, pad, pp] of [
      [2, 5, 4, 3, 5, 1, "same", 1],
      [3, 7, 6, 5, 4, 2, "same", 3],
      [2, 8, 9, 2, 7, 2, "valid", 2],
      [1, 6, 6, 4, 8, 1, "valid", 0],
      [2, 9, 7, 1, 3, 2, "same", 0],
    ] as [number, number, number, number, number, number, "same" | "valid", number][]) {
      for (const kind of ["conv", "local"] as const) {
        const g = geometry(B, H, W, C, s, pad, pp);
        const a = core.arena();
        const r = mulberry32(B * 7 + H * 3 + Cout + (kind === "local" ? 100 : 0));
        const P = g.Ho * g.Wo,
          n = 9 * C;
        const xv = new Float64Array(B * g.img);
        for (let b = 0; b < B; b++) for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) xv[b * g.img + p * g.pix + c] = f32(gauss(r));
        const x = raw(a, B * g.img);
        x.peek().set(xv.subarray(0, x.peek().length));
        const wRows = kind === "conv" ? Cout : P * Cout;
        const wv = Array.from({ length: wRows * n }, () => f32(0.3 * gauss(r)));
        const w = a.from(wRows, n, wv);
        const gv = Array.from({ length: B * P * Cout }, () => f32(gauss(r)));
        const dy = a.from(B * P, Cout, gv);
        const y = a.tensor(B * P, Cout),
          cols = a.tensor(B * P, n),
          dcols = a.tensor(B * P, n),
          dx = raw(a, B * g.img);
        const geo = [g.H, g.W, g.C, g.pix, g.img, Cout, g.stride, g.padT, g.padL, g.Ho, g.Wo];
        const fwd = core.fn<Fn>(kind === "conv" ? "convnetConvForward" : "convnetLocalForward");
        const bwd = core.fn<Fn>(kind === "conv" ? "convnetConvBackward" : "convnetLocalBackward");
        fwd(y.ptr, cols.ptr, x.ptr, w.ptr, B, ...geo);
        const eta = -0.01;
        bwd(dx.ptr, dcols.ptr, w.ptr, dy.ptr, cols.ptr, B, ...geo, eta);
        // f64 forward as a function of (x, W)
        const X = Float64Array.from(xv),
          Wt = Float64Array.from(wv);
        const forward = () => {
          const out = new Float64Array(B * P * Cout);
          for (let b = 0; b < B; b++)
            for (let oy = 0; oy < g.Ho; oy++)
              for (let ox = 0; ox < g.Wo; ox++) {
                const p = oy * g.Wo + ox;
                for (let f = 0; f < Cout; f++) {
                  let acc = 0;
                  for (let ky = 0; ky < 3; ky++)
                    for (let kx = 0; kx < 3; kx++) {
                      const iy = oy * s - g.padT + ky,
                        ix = ox * s - g.padL + kx;
                      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                      for (let c = 0; c < C; c++)
                        acc += Wt[((kind === "conv" ? f : p * Cout + f) * 9 + ky * 3 + kx) * C + c] * X[b * g.img + (iy * W + ix) * g.pix + c];
                    }
                  out[(b * P + p) * Cout + f] = acc;
                }
              }
          return out;
        };
        const ref = forward();
        const yg = y.read();
        const mag = ref.reduce((t, v) => Math.max(t, Math.abs(v)), 1);
        ref.forEach((v, i) => assert.ok(Math.abs(yg[i] - v) <= 1e-5 * mag, `${name} ${kind} y[${i}] ${yg[i]} vs ${v}`));
        // L = Σ g ⊙ y is linear: central differences with h = 1 are exact up to rounding
        const L = () => forward().reduce((t, v, i) => t + v * gv[i], 0);
        const fd = (arr: Float64Array, i: number) => {
          const o = arr[i];
          arr[i] = o + 1;
          const lp = L();
          arr[i] = o - 1;
          const lm = L();
          arr[i] = o;
          return (lp - lm) / 2;
        };
        const dxg = dx.peek();
        for (let k = 0; k < 25; k++) {
          const b = k % B,
            p = (k * 7) % (H * W),
            c = (k * 3) % C;
          const i = b * g.img + p * g.pix + c;
          const want = fd(X, i);
          assert.ok(Math.abs(dxg[i] - want) <= 1e-5 * (1 + Math.abs(want)) * 10, `${name} ${kind} dx[${i}] ${dxg[i]} vs ${want}`);
        }
        for (let b = 0; b < B; b++)
          for (let p = 0; p < H * W; p++) for (let c = C; c < g.pix; c++) assert.is(dxg[b * g.img + p * g.pix + c], 0, "pixel padding lanes of dx");
        const w1 = w.read();
        for (let k = 0; k < 25; k++) {
          const i = (k * 13) % (wRows * n);
          const want = wv[i] + eta * fd(Wt, i);
          assert.ok(Math.abs(w1[i] - want) <= 1e-6 * (1 + Math.abs(want)), `${name} ${kind} W[${i}] ${w1[i]} vs ${want}`);
        }
        a.dispose();
      }
    }
  }
});

cl.run();
