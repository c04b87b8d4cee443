// Elementwise kernels (assembly/kernels/elementwise.ts) against float64 transcriptions of their
// definitions, in every build (SIMD, scalar, and the debug build with assertions on), at sizes straddling the vector width and at the
// model sizes. (The relaxed-SIMD build compiles these kernels to the same code as the SIMD build:
// they use no relaxed instruction; a test below checks that bit for bit, in a child process with
// --experimental-wasm-relaxed-simd where the runtime needs that flag.)
//
// Tolerances. u = 2⁻²⁴ is the unit roundoff of float32. Each bound is stated beside its check as a
// multiple of u times the magnitudes involved, from counting the roundings of the float32
// evaluation; where the kernel rounds an argument (e.g. z = β(x − θ)) before a nonlinear map, the
// bound adds that rounding times the map's slope. The reference evaluates the definition in float64
// from the same float32 inputs.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { init, detectFeatures, kernels, DisposedError, ShapeError, ValueError, type Core, type Tensor } from "../src/index.ts";
import { assertAllClose as assertClose, assertPaddingZero, values } from "./support/numeric.ts";
import { loadBuilds } from "./support/builds.ts";

const U = 2 ** -24;
const TINY = 2 ** -149; // smallest float32 subnormal: absolute slack for results that underflow
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33];
// [rows, cols]: sizes straddling the vector width (1 and 3 rows), the model sizes, a batch of 10.
const SHAPES: [number, number][] = [
  ...SIZES.flatMap((n): [number, number][] => [
    [1, n],
    [3, n],
  ]),
  [1, 784],
  [1, 500],
  [1, 10],
  [10, 500],
  [10, 10],
];

const sigma = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
const f = Math.fround;

interface UnaryCase {
  name: string;
  run: (y: Tensor, x: Tensor) => void;
  ref: (x: number) => number;
  /** Tolerance for one element given its input and reference. */
  tol: (x: number, ref: number) => number;
  lo: number;
  hi: number;
}

const SR = { gamma: 0.1, beta: 1, theta: 3 }; // SCBS18; docs/model.md §1.9 teacher soft rectifier
const SR2 = { gamma: 1.5, beta: 2.5, theta: -0.5 };

const UNARY: UnaryCase[] = [
  // exp: ≤ 1 ulp measured (see the dense sweep below); 2u relative covers that, TINY covers underflow
  { name: "exp", run: (y, x) => kernels.exp(y, x), ref: Math.exp, tol: (_x, r) => 2 * U * 2 * Math.abs(r) + TINY, lo: -20, hi: 20 },
  // logistic: exp (≤ 1 ulp), 1 + e, division, product: ≤ 4 roundings → 8u relative
  { name: "logistic", run: (y, x) => kernels.logistic(y, x), ref: sigma, tol: (_x, r) => 8 * U * Math.abs(r) + TINY, lo: -30, hi: 30 },
  {
    name: "logisticGrad",
    run: (y, x) => kernels.logisticGrad(y, x),
    ref: (x) => sigma(x) * sigma(-x),
    tol: (_x, r) => 10 * U * Math.abs(r) + TINY,
    lo: -30,
    hi: 30,
  },
  { name: "relu", run: (y, x) => kernels.relu(y, x), ref: (x) => Math.max(x, 0), tol: () => 0, lo: -2, hi: 2 },
  { name: "reluGrad", run: (y, x) => kernels.reluGrad(y, x), ref: (x) => (x > 0 ? 1 : 0), tol: () => 0, lo: -2, hi: 2 },
  // tanh: Cephes tanhf, ≤ 2 ulp of the result by its analysis; 8u relative allows the exp path's roundings
  { name: "tanh", run: (y, x) => kernels.tanh(y, x), ref: Math.tanh, tol: (_x, r) => 8 * U * Math.abs(r), lo: -6, hi: 6 },
  // tanh′ = 4e/(1+e)²: exp (1 ulp), 4 further roundings
  { name: "tanhGrad", run: (y, x) => kernels.tanhGrad(y, x), ref: (x) => 1 / Math.cosh(x) ** 2, tol: (_x, r) => 12 * U * Math.abs(r) + TINY, lo: -12, hi: 12 },
  ...[SR, SR2].flatMap(({ gamma, beta, theta }): UnaryCase[] => {
    const g = f(gamma),
      b = f(beta),
      th = f(theta);
    // z = β(x − θ) is rounded twice in float32 (|δz| ≤ 2u|z|), which moves softplus by σ(z)·δz;
    // the rest (exp, log1p, max + log1p, ×γ) is ≤ 8 roundings of the result.
    return [
      {
        name: `softRect(γ=${gamma}, β=${beta}, θ=${theta})`,
        run: (y, x) => kernels.softRect(y, x, gamma, beta, theta),
        ref: (x) => g * softplus(b * (x - th)),
        tol: (x, r) => 16 * U * Math.abs(r) + 2 * U * Math.abs(g * sigma(b * (x - th)) * b * (x - th)) + TINY,
        lo: -20,
        hi: 20,
      },
      {
        name: `softRectGrad(γ=${gamma}, β=${beta}, θ=${theta})`,
        run: (y, x) => kernels.softRectGrad(y, x, gamma, beta, theta),
        ref: (x) => g * b * sigma(b * (x - th)),
        tol: (x, r) => 12 * U * Math.abs(r) + 2 * U * Math.abs(g * b * sigma(b * (x - th)) * sigma(-b * (x - th)) * b * (x - th)) + TINY,
        lo: -20,
        hi: 20,
      },
    ];
  }),
];

/** FNV-1a over the output bits of every elementwise and noise kernel on fixed inputs (10×37 and 1×500). */
function digests(core: Core): Record<string, string> {
  const out: Record<string, string> = {};
  const a = core.arena();
  for (const [rows, cols] of [
    [10, 37],
    [1, 500],
  ] as [number, number][]) {
    const n = rows * cols;
    const xs = values(n, 99, -30, 30);
    const digest = (t: Tensor) => {
      let h = 0x811c9dc5;
      for (const w of new Uint32Array(t.read().buffer)) h = Math.imul(h ^ w, 0x01000193) >>> 0;
      return h.toString(16);
    };
    const x = a.from(rows, cols, xs);
    const y = a.tensor(rows, cols);
    for (const c of UNARY) {
      c.run(y, x);
      out[`${c.name} ${rows}×${cols}`] = digest(y);
    }
    const u = a.from(rows, cols, values(n, 98, -2, 2));
    kernels.compartmentStep(u, x, y, x, { dt: 0.1, gL: 0.1, g1: 1, g2: 0.8, sigma: 0.3 });
    out[`compartmentStep ${rows}×${cols}`] = digest(u);
    kernels.lowpass(u, x, 1 / 300);
    kernels.axpy(u, y, -0.5);
    out[`lowpass+axpy ${rows}×${cols}`] = digest(u);
    kernels.gaussian(y, 5, 6, 2 ** 33 + 3);
    out[`gaussian ${rows}×${cols}`] = digest(y);
    kernels.uniform(y, 5, 6, 7, -1, 1);
    out[`uniform ${rows}×${cols}`] = digest(y);
  }
  a.dispose();
  return out;
}

const CHILD = process.env.ELEMENTWISE_DIGEST as "relaxed" | undefined;
if (CHILD) void init({ impl: CHILD }).then((core) => process.stdout.write(JSON.stringify(digests(core))));

let simd: Core;
let scalar: Core;
// Every build: simd, scalar, relaxed and debug (assertions on).
let all: Core[] = [];
const builds = () => all;

const t = suite("elementwise kernels");

t.before(async () => {
  simd = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
  all = (await loadBuilds()).loaded.map((b) => b.core);
});

for (const c of UNARY) {
  t(`${c.name} matches the float64 definition at every size, keeps padding 0, in SIMD and scalar builds`, () => {
    for (const core of builds()) {
      const a = core.arena();
      for (const [rows, cols] of SHAPES) {
        const xs = values(rows * cols, rows * 1000 + cols, c.lo, c.hi);
        const x = a.from(rows, cols, xs);
        const y = a.tensor(rows, cols);
        c.run(y, x);
        const ref = Array.from(xs, c.ref);
        const what = `${core.impl} ${c.name} ${rows}×${cols}`;
        assertClose(y.read(), ref, (i) => c.tol(xs[i], ref[i]), what);
        assertPaddingZero(y, what);
        // in place (y = x) gives the same values
        c.run(x, x);
        assert.equal(Array.from(x.read()), Array.from(y.read()), `${what} in place`);
        assertPaddingZero(x, `${what} in place`);
        x.dispose();
        y.dispose();
      }
      a.dispose();
    }
  });
}

t("SIMD and scalar builds give bit-identical activations (same operations in the same order)", () => {
  const xs = values(10 * 500, 7, -40, 40);
  for (const c of UNARY) {
    const outs = builds().map((core) => {
      const a = core.arena();
      const y = a.tensor(10, 500);
      c.run(y, a.from(10, 500, xs));
      const r = y.read();
      a.dispose();
      return new Uint32Array(r.buffer);
    });
    for (let i = 0; i < outs[0].length; i++) {
      if (outs[0][i] !== outs[1][i]) assert.unreachable(`${c.name}: element ${i} differs between builds (x = ${xs[i]})`);
    }
  }
});

t("exp is within 1 ulp of Math.exp over [−87.3, 88.7] (2²¹ points) and rounds under/overflow correctly", () => {
  const N = 1 << 21;
  for (const core of builds()) {
    const a = core.arena();
    const xs = Float32Array.from({ length: N }, (_, i) => -87.3 + (88.7 + 87.3) * (i / N));
    const y = a.vector(N);
    kernels.exp(y, a.from(1, N, xs));
    const ys = y.read();
    let worst = 0;
    for (let i = 0; i < N; i++) {
      const r = Math.exp(xs[i]);
      const ulp = 2 ** (Math.floor(Math.log2(r)) - 23);
      worst = Math.max(worst, Math.abs(ys[i] - r) / ulp);
    }
    assert.ok(worst <= 1, `${core.impl}: max error ${worst} ulp`);
    const special = a.from(1, 8, [-Infinity, -200, -104, 0, 88.8, 200, Infinity, NaN]);
    kernels.exp(special, special);
    const s = special.read();
    assert.equal(Array.from(s.subarray(0, 7)), [0, 0, 0, 1, Infinity, Infinity, Infinity], core.impl);
    assert.ok(Number.isNaN(s[7]), `${core.impl}: exp(NaN) is NaN`);
    // subnormal results: exp(−100) = 3.72e−44 is 26.6 subnormal steps; within one step
    const sub = a.from(1, 2, [-100, -95]);
    kernels.exp(sub, sub);
    assert.ok(Math.abs(sub.read()[0] - Math.exp(-100)) <= TINY, `${core.impl}: exp(−100)`);
    assert.ok(Math.abs(sub.read()[1] - Math.exp(-95)) <= TINY, `${core.impl}: exp(−95)`);
    a.dispose();
  }
});

t("activations are finite and correct at extreme inputs (±100, ±1e4, ±Infinity)", () => {
  const xs = [-1e4, -100, -88, 88, 100, 1e4, -Infinity, Infinity];
  for (const core of builds()) {
    const a = core.arena();
    const x = a.from(1, xs.length, xs);
    const y = a.vector(xs.length);
    const check = (name: string, ref: number[], tol: number) => {
      const got = y.read();
      for (let i = 0; i < xs.length; i++) {
        if (!(Math.abs(got[i] - ref[i]) <= tol * Math.abs(ref[i]) + TINY) && got[i] !== ref[i]) {
          assert.unreachable(`${core.impl} ${name}(${xs[i]}) = ${got[i]}, expected ${ref[i]}`);
        }
      }
    };
    kernels.logistic(y, x);
    check("logistic", xs.map(sigma), 8 * U);
    kernels.logisticGrad(y, x);
    check(
      "logisticGrad",
      xs.map((v) => (Number.isFinite(v) ? sigma(v) * sigma(-v) : 0)),
      10 * U,
    );
    kernels.tanh(y, x);
    check("tanh", xs.map(Math.tanh), 8 * U);
    kernels.tanhGrad(y, x);
    check(
      "tanhGrad",
      xs.map((v) => (Number.isFinite(v) ? 1 / Math.cosh(v) ** 2 : 0)),
      12 * U,
    );
    // γ log(1+e^{β(x−θ)}): x itself at +1e4 (γ = 0.1), e^{x−3} at −100 (relative error grows with |z|: 2u|z|)
    kernels.softRect(y, x, 0.1, 1, 3);
    check(
      "softRect",
      xs.map((v) => f(0.1) * softplus(v - 3)),
      16 * U + 2 * U * 1e4,
    );
    kernels.softRectGrad(y, x, 0.1, 1, 3);
    check(
      "softRectGrad",
      xs.map((v) => f(0.1) * sigma(v - 3)),
      12 * U + 2 * U * 1e4,
    );
    kernels.relu(y, x);
    check(
      "relu",
      xs.map((v) => Math.max(v, 0)),
      0,
    );
    a.dispose();
  }
});

t("NaN inputs give NaN outputs (so non-finite state is not hidden)", () => {
  for (const core of builds()) {
    const a = core.arena();
    const x = a.from(1, 3, [NaN, 1, NaN]);
    const y = a.vector(3);
    for (const op of [kernels.exp, kernels.logistic, kernels.logisticGrad, kernels.tanh, kernels.tanhGrad, kernels.relu]) {
      op(y, x);
      const r = y.read();
      assert.ok(Number.isNaN(r[0]) && Number.isNaN(r[2]) && Number.isFinite(r[1]), `${core.impl} ${op.name}`);
    }
    kernels.softRect(y, x, 0.1, 1, 3);
    assert.ok(Number.isNaN(y.read()[0]), `${core.impl} softRect`);
    a.dispose();
  }
});

t("compartmentStep is one Euler step of du/dt = −gL u + g1(v1−u) + g2(v2−u) + σξ in all four variants", () => {
  const p = { dt: 0.1, gL: 0.1, g1: 1.0, g2: 0.8, sigma: 0.3 }; // SCBS18; docs/model.md §1.9 conductances, dt
  for (const core of builds()) {
    const a = core.arena();
    for (const [rows, cols] of SHAPES) {
      const n = rows * cols;
      const us = values(n, 11 + n, -3, 3),
        v1s = values(n, 12 + n, -3, 3),
        v2s = values(n, 13 + n, -3, 3),
        xis = values(n, 14 + n, -3, 3);
      for (const withV2 of [true, false]) {
        for (const withXi of [true, false]) {
          const u = a.from(rows, cols, us);
          const v1 = a.from(rows, cols, v1s);
          const v2 = withV2 ? a.from(rows, cols, v2s) : null;
          const xi = withXi ? a.from(rows, cols, xis) : null;
          kernels.compartmentStep(u, v1, v2, xi, p);
          const [dt, gL, g1, g2, s] = [p.dt, p.gL, p.g1, p.g2, p.sigma].map(f);
          const ref: number[] = [];
          const mag: number[] = [];
          for (let i = 0; i < n; i++) {
            const du = -gL * us[i] + g1 * (v1s[i] - us[i]) + (withV2 ? g2 * (v2s[i] - us[i]) : 0) + (withXi ? s * xis[i] : 0);
            ref.push(us[i] + dt * du);
            mag.push(Math.abs(us[i]) + dt * (g1 * Math.abs(v1s[i]) + (withV2 ? g2 * Math.abs(v2s[i]) : 0) + (withXi ? s * Math.abs(xis[i]) : 0)));
          }
          // kernel: a·u + b1·v1 + b2·v2 + c·ξ with a, b1, b2, c rounded once: ≤ 8 roundings of the terms' magnitudes
          const what = `${core.impl} ${rows}×${cols} v2=${withV2} xi=${withXi}`;
          assertClose(u.read(), ref, (i) => 8 * U * mag[i], what);
          assertPaddingZero(u, what);
          for (const tt of [u, v1, v2, xi]) tt?.dispose();
        }
      }
    }
    a.dispose();
  }
});

t("compartmentStep relaxes to the conductance-weighted steady state (SCBS18; docs/model.md §1.4) after many steps", () => {
  // With v1, v2 fixed and σ = 0 the fixed point is u* = (g1 v1 + g2 v2)/(gL + g1 + g2).
  for (const core of builds()) {
    const a = core.arena();
    const u = a.tensor(1, 5);
    const v1 = a.from(1, 5, [1, -1, 0.5, 2, 0]);
    const v2 = a.from(1, 5, [0, 1, -0.5, 2, 3]);
    for (let i = 0; i < 2000; i++) kernels.compartmentStep(u, v1, v2, null, { dt: 0.1, gL: 0.1, g1: 1, g2: 0.8 });
    const ref = [0, 1, 2, 3, 4].map((i) => (1 * v1.read()[i] + 0.8 * v2.read()[i]) / 1.9);
    // contraction factor 1 − 0.19 per step: converged far below float32 resolution; 4u relative to |v| ≤ 3
    assertClose(u.read(), ref, () => 4 * U * 3, `${core.impl} steady state`);
    a.dispose();
  }
});

t("lowpass, axpy, scale, sub, mul, copy and fill match float64 at every size and keep padding 0", () => {
  for (const core of builds()) {
    const a = core.arena();
    for (const [rows, cols] of SHAPES) {
      const n = rows * cols;
      const as = values(n, 21 + n, -5, 5),
        bs = values(n, 22 + n, -5, 5);
      const what = (op: string) => `${core.impl} ${op} ${rows}×${cols}`;
      const A = () => a.from(rows, cols, as);
      const B = () => a.from(rows, cols, bs);
      const k = f(1 / 300); // dt/τ_w with dt = 0.1, τ_w = 30 (SCBS18; docs/model.md §1.5)
      // lowpass: D + k(G − D), 3 roundings
      let y = kernels.lowpass(A(), B(), 1 / 300);
      assertClose(
        y.read(),
        Array.from(as, (d, i) => d + k * (bs[i] - d)),
        (i) => 3 * U * (Math.abs(as[i]) + k * (Math.abs(bs[i]) + Math.abs(as[i]))),
        what("lowpass"),
      );
      assertPaddingZero(y, what("lowpass"));
      // axpy: y + a·x, 2 roundings
      y = kernels.axpy(A(), B(), -0.75);
      assertClose(
        y.read(),
        Array.from(as, (v, i) => v - 0.75 * bs[i]),
        (i) => 2 * U * (Math.abs(as[i]) + 0.75 * Math.abs(bs[i])),
        what("axpy"),
      );
      assertPaddingZero(y, what("axpy"));
      // scale by a negative factor: 1 rounding, and padding must stay +0 (not −0)
      y = kernels.scale(a.tensor(rows, cols), A(), -1.3);
      assertClose(
        y.read(),
        Array.from(as, (v) => f(-1.3) * v),
        (i) => U * Math.abs(1.3 * as[i]),
        what("scale"),
      );
      assertPaddingZero(y, what("scale"));
      // sub, mul: 1 rounding each
      y = kernels.sub(a.tensor(rows, cols), A(), B());
      assertClose(
        y.read(),
        Array.from(as, (v, i) => v - bs[i]),
        (i) => U * Math.abs(as[i] - bs[i]),
        what("sub"),
      );
      assertPaddingZero(y, what("sub"));
      y = kernels.mul(a.tensor(rows, cols), A(), B());
      assertClose(
        y.read(),
        Array.from(as, (v, i) => v * bs[i]),
        (i) => U * Math.abs(as[i] * bs[i]),
        what("mul"),
      );
      assertPaddingZero(y, what("mul"));
      // copy and fill: exact
      y = kernels.copy(a.tensor(rows, cols), A());
      assert.equal(Array.from(y.read()), Array.from(as), what("copy"));
      assertPaddingZero(y, what("copy"));
      y = kernels.fill(a.tensor(rows, cols), -2.5);
      assert.equal(Array.from(y.read()), new Array(n).fill(-2.5), what("fill"));
      assertPaddingZero(y, what("fill"));
    }
    a.dispose();
  }
});

t("sumAbs, maxAbsOrNaN and allFinite reduce over the logical elements", () => {
  for (const core of builds()) {
    const a = core.arena();
    for (const [rows, cols] of SHAPES) {
      const n = rows * cols;
      const xs = values(n, 31 + n, -4, 4);
      const x = a.from(rows, cols, xs);
      const refSum = xs.reduce((s, v) => s + Math.abs(v), 0);
      // float64 accumulation in a different order: relative error ≤ n·2⁻⁵³
      assert.ok(Math.abs(kernels.sumAbs(x) - refSum) <= n * 2 ** -53 * refSum, `${core.impl} sumAbs ${rows}×${cols}`);
      assert.is(
        kernels.maxAbsOrNaN(x),
        xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
        `${core.impl} maxAbs ${rows}×${cols}`,
      );
      assert.is(kernels.allFinite(x), true);
      // a non-finite value in the last logical element of the last row is seen
      for (const bad of [NaN, Infinity, -Infinity]) {
        const v = x.peek();
        v[(rows - 1) * x.stride + cols - 1] = bad;
        assert.is(kernels.allFinite(x), false, `${core.impl} allFinite with ${bad} at ${rows}×${cols}`);
        const m = kernels.maxAbsOrNaN(x);
        assert.ok(Number.isNaN(bad) ? Number.isNaN(m) : m === Infinity, `${core.impl} maxAbsOrNaN with ${bad}`);
      }
      x.dispose();
    }
    a.dispose();
  }
});

t("thousands of kernel calls leave WebAssembly memory unchanged", () => {
  for (const core of builds()) {
    const a = core.arena();
    const x = a.from(10, 500, values(5000, 5, -3, 3));
    const y = a.tensor(10, 500);
    const v = a.tensor(10, 500);
    const before = core.memory.buffer.byteLength;
    for (let i = 0; i < 2000; i++) {
      kernels.logistic(y, x);
      kernels.softRect(y, x, 0.1, 1, 3);
      kernels.compartmentStep(v, x, y, x, { dt: 0.1, gL: 0.1, g1: 1, g2: 0.8, sigma: 0.1 });
      kernels.lowpass(y, x, 0.01);
      kernels.sumAbs(v);
    }
    assert.is(core.memory.buffer.byteLength, before);
    a.dispose();
  }
});

t("mismatched shapes raise ShapeError naming the argument", () => {
  const a = simd.arena();
  const x = a.tensor(2, 5);
  const y = a.tensor(2, 6);
  assert.throws(
    () => kernels.logistic(y, x),
    (e: Error) => e instanceof ShapeError && /logistic: x must be 2×6, got 2×5/.test(e.message),
  );
  assert.throws(
    () => kernels.sub(y, y, x),
    (e: Error) => e instanceof ShapeError && /sub: b must be 2×6/.test(e.message),
  );
  assert.throws(
    () => kernels.compartmentStep(y, y, x, null, { dt: 0.1, gL: 0.1, g1: 1 }),
    (e: Error) => e instanceof ShapeError && /compartmentStep: v2/.test(e.message),
  );
  assert.throws(
    () => kernels.compartmentStep(y, y, null, x, { dt: 0.1, gL: 0.1, g1: 1 }),
    (e: Error) => e instanceof ShapeError && /compartmentStep: xi/.test(e.message),
  );
  assert.throws(
    () => kernels.lowpass(y, x, 0.1),
    (e: Error) => e instanceof ShapeError && /lowpass: G/.test(e.message),
  );
  assert.throws(
    () => kernels.relu(y, [1, 2] as never),
    (e: Error) => e instanceof ShapeError && /relu: x must be a Tensor/.test(e.message),
  );
  a.dispose();
});

t("non-finite scalars raise ValueError naming the argument", () => {
  const a = simd.arena();
  const x = a.tensor(1, 5);
  assert.throws(
    () => kernels.softRect(x, x, 0.1, NaN, 3),
    (e: Error) => e instanceof ValueError && /softRect: beta/.test(e.message),
  );
  assert.throws(
    () => kernels.softRectGrad(x, x, Infinity, 1, 3),
    (e: Error) => e instanceof ValueError && /softRectGrad: gamma/.test(e.message),
  );
  assert.throws(
    () => kernels.compartmentStep(x, x, null, null, { dt: NaN, gL: 0.1, g1: 1 }),
    (e: Error) => e instanceof ValueError && /compartmentStep: dt/.test(e.message),
  );
  assert.throws(
    () => kernels.compartmentStep(x, x, null, x, { dt: 0.1, gL: 0.1, g1: 1, sigma: -Infinity }),
    (e: Error) => e instanceof ValueError && /compartmentStep: sigma/.test(e.message),
  );
  assert.throws(
    () => kernels.lowpass(x, x, Infinity),
    (e: Error) => e instanceof ValueError && /lowpass: a/.test(e.message),
  );
  assert.throws(
    () => kernels.axpy(x, x, NaN),
    (e: Error) => e instanceof ValueError && /axpy: a/.test(e.message),
  );
  assert.throws(
    () => kernels.scale(x, x, NaN),
    (e: Error) => e instanceof ValueError && /scale: a/.test(e.message),
  );
  assert.throws(
    () => kernels.fill(x, NaN),
    (e: Error) => e instanceof ValueError && /fill: c/.test(e.message),
  );
  a.dispose();
});

t("scalars beyond the float32 range raise ValueError (they would reach the core as ±Infinity)", () => {
  const a = simd.arena();
  const x = a.tensor(1, 5);
  assert.throws(
    () => kernels.scale(x, x, 1e39),
    (e: Error) => e instanceof ValueError && /scale: a must fit in float32/.test(e.message),
  );
  assert.throws(
    () => kernels.lowpass(x, x, -3.5e38),
    (e: Error) => e instanceof ValueError && /lowpass: a must fit in float32/.test(e.message),
  );
  // The largest float32 itself is accepted and arrives unchanged.
  kernels.fill(x, 3.4028234663852886e38);
  assert.equal(Array.from(x.read()), [3.4028234663852886e38, 3.4028234663852886e38, 3.4028234663852886e38, 3.4028234663852886e38, 3.4028234663852886e38]);
  a.dispose();
});

t("use after dispose raises DisposedError naming the argument", () => {
  const a = simd.arena();
  const x = a.tensor(1, 5);
  const y = a.tensor(1, 5);
  x.dispose();
  assert.throws(
    () => kernels.tanh(y, x),
    (e: Error) => e instanceof DisposedError && /tanh: x/.test(e.message),
  );
  assert.throws(
    () => kernels.sumAbs(x),
    (e: Error) => e instanceof DisposedError && /sumAbs: x/.test(e.message),
  );
  a.dispose();
  assert.throws(
    () => kernels.tanh(y, y),
    (e: Error) => e instanceof DisposedError,
  );
});

t("tensors from two different cores are rejected", () => {
  const a = simd.arena();
  const b = scalar.arena();
  assert.throws(
    () => kernels.logistic(a.tensor(1, 4), b.tensor(1, 4)),
    (e: Error) => e instanceof ShapeError && /another core/.test(e.message),
  );
  a.dispose();
  b.dispose();
});

t("the relaxed-SIMD build gives the SIMD build's bits for every elementwise and noise kernel", async () => {
  const want = digests(simd);
  let got: Record<string, string>;
  if (detectFeatures().relaxedSimd) {
    got = digests(await init({ impl: "relaxed" }));
  } else {
    const file = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", file], {
      encoding: "utf8",
      env: { ...process.env, ELEMENTWISE_DIGEST: "relaxed", FORCE_COLOR: "0" },
    });
    assert.is(child.status, 0, `child failed: ${child.stderr.slice(-2000)}`);
    got = JSON.parse(child.stdout) as Record<string, string>;
  }
  assert.equal(got, want);
  assert.ok(Object.keys(want).length >= 2 * (UNARY.length + 4));
});

if (!CHILD) t.run();
