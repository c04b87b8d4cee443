// softmaxRows, signMul, signScale (assembly/kernels/softmax.ts, sign.ts) against float64 references,
// SIMD against the scalar twin, padding lanes kept 0.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, type Core, type Tensor } from "../src/index.ts";

type Fn = (...a: number[]) => number;
let simd: Core;
let scalar: Core;

function rand(n: number, seed: number, scale: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return (a / 2 ** 32 - 0.5) * 2 * scale;
  });
}

function paddingIsZero(t: Tensor): boolean {
  const v = t.peek();
  for (let r = 0; r < t.rows; r++) for (let c = t.cols; c < t.stride; c++) if (v[r * t.stride + c] !== 0) return false;
  return true;
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 500];

const t = suite("kernels: softmax rows, sign with magnitude");
t.before(async () => {
  simd = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
});

t("softmaxRows equals the float64 softmax to 2e-7 absolute and the scalar twin bit for bit", () => {
  // Outputs are ≤ 1; exp is correctly rounded to ≲ 1 ulp (Mathf.exp) and the row sum of ≤ 500
  // terms in four partial sums adds ≲ 130 ulp relative error at n = 500, 2e-7 absolute covers the
  // largest output (≤ 1) at the small sizes and the tiny outputs of the wide rows alike.
  for (const cols of SIZES) {
    const rows = 3;
    const x = rand(rows * cols, cols, 8);
    x[0] = 80; // a large logit: the max subtraction must prevent overflow
    const outs: Float32Array[] = [];
    for (const c of [simd, scalar]) {
      const a = c.arena();
      const X = a.from(rows, cols, x);
      const Y = a.matrix(rows, cols).fill(7); // stale values, including where padding would be
      c.fn<Fn>("softmaxRows")(Y.ptr, X.ptr, rows, cols);
      assert.ok(paddingIsZero(Y), `padding at cols=${cols}`);
      outs.push(Y.read());
      // In place.
      c.fn<Fn>("softmaxRows")(X.ptr, X.ptr, rows, cols);
      assert.equal(X.read(), Y.read(), `aliasing at cols=${cols}`);
      a.dispose();
    }
    assert.equal(outs[0], outs[1], `SIMD vs scalar at cols=${cols}`);
    const xf = Float32Array.from(x);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(xf.subarray(r * cols, (r + 1) * cols));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const z = e.reduce((p, q) => p + q, 0);
      for (let j = 0; j < cols; j++) {
        const err = Math.abs(outs[0][r * cols + j] - e[j] / z);
        assert.ok(err < 2e-7, `cols=${cols} r=${r} j=${j}: ${err}`);
      }
    }
  }
});

t("softmaxRows turns a NaN or +Infinity logit into NaN outputs (detectable), never a silent finite row", () => {
  const a = simd.arena();
  const X = a.from(2, 5, [0, 1, NaN, 2, 3, 0, Infinity, 1, 2, 3]);
  const Y = a.matrix(2, 5);
  simd.fn<Fn>("softmaxRows")(Y.ptr, X.ptr, 2, 5);
  const y = Y.read();
  assert.ok(y.slice(0, 5).every(Number.isNaN));
  assert.ok(y.slice(5).some(Number.isNaN));
  a.dispose();
});

t("signMul and signScale give m·sign(x) and s·sign(x) exactly, sign(0) = 0, in both builds", () => {
  for (const cols of SIZES) {
    const rows = 3;
    const x = rand(rows * cols, 3 * cols, 1);
    x[0] = 0;
    if (x.length > 1) x[1] = -0;
    const m = rand(rows * cols, 5 * cols, 2).map(Math.abs);
    const res: Float32Array[] = [];
    for (const c of [simd, scalar]) {
      const a = c.arena();
      const X = a.from(rows, cols, x);
      const M = a.from(rows, cols, m);
      const Y = a.matrix(rows, cols);
      const Z = a.matrix(rows, cols);
      c.fn<Fn>("signMul")(Y.ptr, M.ptr, X.ptr, rows, cols);
      c.fn<Fn>("signScale")(Z.ptr, X.ptr, rows, cols, 0.25);
      assert.ok(paddingIsZero(Y) && paddingIsZero(Z), `padding at cols=${cols}`);
      res.push(Y.read(), Z.read());
      a.dispose();
    }
    assert.equal(res[0], res[2], `signMul SIMD vs scalar, cols=${cols}`);
    assert.equal(res[1], res[3], `signScale SIMD vs scalar, cols=${cols}`);
    const mf = Float32Array.from(m);
    for (let i = 0; i < rows * cols; i++) {
      // Products with −1, 0, +1 are exact: compare for equality (−0 and +0 both count as 0).
      assert.ok(res[0][i] === mf[i] * Math.sign(x[i]) || (res[0][i] === 0 && x[i] === 0), `signMul cols=${cols} i=${i}`);
      assert.ok(res[1][i] === 0.25 * Math.sign(x[i]) || (res[1][i] === 0 && x[i] === 0), `signScale cols=${cols} i=${i}`);
    }
  }
});

t.run();
