import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, NonFiniteError, ShapeError, ValueError, type Core } from "../src/index.ts";
import { Microcircuit, MicrocircuitClassifier, SCBS18, type MicrocircuitOptions } from "../src/models/microcircuit/index.ts";
import { createModel } from "../src/models/registry.ts";
import { RefMicrocircuit, logistic, type RefParams } from "./microcircuit.ref.ts";
import { values } from "./support/numeric.ts";

const t = suite("microcircuit (SCBS18)");
let core: Core;
let scalar: Core;
t.before(async () => {
  core = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
});

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.is(a.length, b.length, "lengths");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const meanAbs = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s / a.length;
};
/** Deterministic pseudo-random values in [lo, hi) for test inputs. */
const uniformInit = (s: number): MicrocircuitOptions["init"] => ({
  up: { dist: "uniform", scale: s },
  down: { dist: "uniform", scale: s },
  ip: { dist: "uniform", scale: s },
  pi: { dist: "uniform", scale: s },
});

/** The f64 oracle with the network's current weights. */
function refOf(net: Microcircuit, over: Partial<RefParams> = {}): RefMicrocircuit {
  const N = net.depth;
  const p: RefParams = {
    gLk: net.params.gLk,
    gB: net.params.gB,
    gA: net.params.gA,
    gD: net.params.gD,
    gSom: net.params.gSom,
    dt: net.params.dtMs,
    tauIn: net.params.tauInMs,
    tauW: net.params.tauWMs,
    phi: logistic,
    ...over,
  };
  const w = {
    Wup: Array.from({ length: N }, (_, i) => f64(net.weights("up", i + 1))),
    B: Array.from({ length: N - 1 }, (_, i) => f64(net.weights("down", i + 1))),
    WPI: Array.from({ length: N - 1 }, (_, i) => f64(net.weights("pi", i + 1))),
    WIP: Array.from({ length: N - 1 }, (_, i) => f64(net.weights("ip", i + 1))),
  };
  return new RefMicrocircuit(net.sizes.slice(), p, w, { up: net.eta.up.slice(), ip: net.eta.ip.slice(), pi: net.eta.pi.slice() });
}

t(
  "analytic self-predicting state: apical potential ≤ 1e-6 and each interneuron soma equals its partner (30-20-10 and 784-500-500-10 fast mode, 20-15-12-8 dynamics)",
  () => {
    // SCBS18; docs/model.md §1.6. Tolerances: v^A = B φ(u^P) + W^PI φ(u^I) cancels to float32 rounding of sums of ≤ 500
    // terms of size ≤ 1 (≈1e-7 relative per term); u^I − u^P to float32 rounding of potentials ≈ 1–5.
    const net = new Microcircuit(core, { sizes: [30, 20, 10], start: "selfPredicting", sigma: 0, seed: 11 });
    net.present(values(30, 1), { steps: 1000, learn: false });
    assert.ok(net.apicalMismatch()[0] <= 1e-6, `apical ${net.apicalMismatch()[0]}`);
    assert.ok(maxAbsDiff(net.state("uI", 1), net.state("uP", 2)) <= 2e-6, "u^I = u^P of the partner");
    net.dispose();

    // Deeper: the layer under the output uses factor 1, deeper layers 1.1/1.9 (the corrected form).
    const deep = new Microcircuit(core, { sizes: [20, 15, 12, 8], start: "selfPredicting", sigma: 0, seed: 12 });
    deep.present(values(20, 2), { steps: 1500, learn: false });
    for (const [k, a] of deep.apicalMismatch().entries()) assert.ok(a <= 1e-6, `apical of layer ${k + 1}: ${a}`);
    assert.ok(maxAbsDiff(deep.state("uI", 1), deep.state("uP", 2)) <= 2e-6);
    assert.ok(maxAbsDiff(deep.state("uI", 2), deep.state("uP", 3)) <= 2e-6);
    deep.dispose();

    // MNIST size, fast mode, batch 2, Glorot-uniform weights.
    const g = { dist: "glorot", gain: 1 } as const;
    const big = new Microcircuit(core, {
      sizes: [784, 500, 500, 10],
      maxBatch: 2,
      start: "selfPredicting",
      sigma: 0,
      seed: 3,
      init: { up: g, down: g, ip: g, pi: g },
    });
    big.steadyState(values(784 * 2, 3), null, { batch: 2, sweeps: 3, learn: false });
    const a = big.apicalMismatch(2);
    assert.ok(a[0] <= 1e-6 && a[1] <= 1e-6, `apical ${a}`);
    assert.ok(maxAbsDiff(big.state("uI", 2, 2), big.state("uP", 3, 2)) <= 2e-6);
    assert.ok(maxAbsDiff(big.state("uI", 1, 2), big.state("uP", 2, 2)) <= 2e-6);
    big.dispose();
  },
);

t("the naive 1.1/1.9 factor under the output leaves a large apical residual (why the corrected factor)", () => {
  const net = new Microcircuit(core, { sizes: [30, 20, 10], start: "selfPredicting", sigma: 0, seed: 11 });
  net.setWeights(
    "ip",
    1,
    net.weights("up", 2).map((w) => (w * 1.1) / 1.9),
  );
  net.present(values(30, 1), { steps: 1000, learn: false });
  assert.ok(net.apicalMismatch()[0] > 0.05, `apical ${net.apicalMismatch()[0]}`);
  net.dispose();
});

t("fast steady-state mode equals the full dynamics run to convergence at σ = 0 (≤ 1e-4)", () => {
  // Random (not self-predicting) weights, with a target; full dynamics 300 ms (≫ τ_in = 3 ms and the
  // somatic time constants < 1 ms), fast mode iterated to its fixed point. Tolerance 1e-4: both
  // converge to float32 precision of the same fixed point (≈1e-6); 1e-4 leaves room for the slowest mode.
  for (const sizes of [
    [30, 20, 10],
    [12, 9, 7, 5],
  ]) {
    const opts: MicrocircuitOptions = { sizes, sigma: 0, seed: 21, init: uniformInit(0.5) };
    const a = new Microcircuit(core, opts);
    const b = new Microcircuit(core, opts);
    const x = values(sizes[0], 5);
    const tgt = values(sizes.at(-1)!, 6, -1, 1);
    a.present(x, { target: tgt, steps: 3000, learn: false });
    b.steadyState(x, tgt, { sweeps: 300, learn: false });
    for (let k = 1; k < sizes.length; k++) {
      assert.ok(maxAbsDiff(a.state("uP", k), b.state("uP", k)) <= 1e-4, `u^P layer ${k}`);
      if (k < sizes.length - 1) {
        assert.ok(maxAbsDiff(a.state("uI", k), b.state("uI", k)) <= 1e-4, `u^I layer ${k}`);
        assert.ok(maxAbsDiff(a.state("vA", k), b.state("vA", k)) <= 1e-4, `v^A layer ${k}`);
      }
    }
    // Both are non-trivially nudged: the apical potential is far from 0.
    assert.ok(a.apicalMismatch()[0] > 1e-2);
    a.dispose();
    b.dispose();
  }
});

t("fast mode (single pass, batch 3, thresholds) matches a float64 transcription of docs/model.md §1.8 (SCBS18), weights included", () => {
  // Tolerance 2e-5: float32 sums of ≤ 30 terms against float64.
  const net = new Microcircuit(core, { sizes: [6, 5, 4], maxBatch: 3, sigma: 0, seed: 31, init: uniformInit(1), eta: { up: [0.3, 0.2], ip: 0.25, pi: 0.15 } });
  const ref = refOf(net);
  const x = values(18, 7);
  const tgt = values(12, 8, -2, 2);
  net.steadyState(x, tgt, { batch: 3, sweeps: 1, learn: true });
  // f64: per-example induction terms at the same starting weights, averaged over the batch.
  const N = 2;
  const w0 = { Wup: ref.w.Wup.map((w) => w.slice()), WIP: ref.w.WIP.map((w) => w.slice()), WPI: ref.w.WPI.map((w) => w.slice()) };
  const acc = {
    Wup: w0.Wup.map((w) => new Float64Array(w.length)),
    WIP: w0.WIP.map((w) => new Float64Array(w.length)),
    WPI: w0.WPI.map((w) => new Float64Array(w.length)),
  };
  for (let r = 0; r < 3; r++) {
    ref.w.Wup = w0.Wup.map((w) => w.slice());
    ref.w.WIP = w0.WIP.map((w) => w.slice());
    ref.w.WPI = w0.WPI.map((w) => w.slice());
    ref.fast(x.subarray(r * 6, r * 6 + 6), tgt.subarray(r * 4, r * 4 + 4), 1, true);
    for (const key of ["Wup", "WIP", "WPI"] as const) ref.w[key].forEach((w, i) => w.forEach((v, j) => (acc[key][i][j] += (v - w0[key][i][j]) / 3)));
  }
  for (let k = 1; k <= N; k++)
    assert.ok(
      maxAbsDiff(
        net.weights("up", k),
        w0.Wup[k - 1].map((w, j) => w + acc.Wup[k - 1][j]),
      ) <= 2e-5,
      `W^up_${k}`,
    );
  assert.ok(
    maxAbsDiff(
      net.weights("ip", 1),
      w0.WIP[0].map((w, j) => w + acc.WIP[0][j]),
    ) <= 2e-5,
    "W^IP",
  );
  assert.ok(
    maxAbsDiff(
      net.weights("pi", 1),
      w0.WPI[0].map((w, j) => w + acc.WPI[0][j]),
    ) <= 2e-5,
    "W^PI",
  );
  // The update is not negligible (so the comparison can fail).
  assert.ok(maxAbsDiff(net.weights("up", 1), w0.Wup[0]) > 1e-3);
  net.dispose();
});

t("zero prediction error leaves every weight bit-identical (fast mode and full dynamics)", () => {
  // Conductances that make the steady-state factors exact in float32 (c_out = c_I = 1, λ_I = λ_out = 0,
  // c_hid = λ_A = 1/2) and exact self-predicting weights: every induction term is exactly 0.
  const opts: MicrocircuitOptions = {
    sizes: [9, 7, 5],
    maxBatch: 2,
    sigma: 0,
    gLk: 0,
    gB: 1,
    gA: 1,
    gD: 1,
    gSom: 0,
    start: "selfPredicting",
    seed: 41,
    eta: { up: 0.5, ip: 0.5, pi: 0.5 },
  };
  const net = new Microcircuit(core, opts);
  const before = net.exportState({ neurons: false });
  net.steadyState(values(18, 9), null, { batch: 2, sweeps: 1, learn: true });
  const after = net.exportState({ neurons: false });
  for (const [name, v] of Object.entries(before)) assert.equal(Array.from(after[name].data), Array.from(v.data), name);
  // Breaking the self-prediction makes the errors non-zero: the same call then changes the weights.
  net.setWeights(
    "ip",
    1,
    net.weights("ip", 1).map((w) => 0.9 * w),
  );
  net.steadyState(values(18, 9), null, { batch: 2, sweeps: 1, learn: true });
  assert.not.equal(Array.from(net.weights("up", 1)), Array.from(before["layer1.Wup"].data));
  net.dispose();
});

t("a 2-3-2 net's first 50 Euler steps match a float64 transcription of docs/model.md §1.3–1.5 (SCBS18) across target onset", () => {
  // σ = 0, fast filters (τ_w = 1 ms) and large rates so that the weights visibly move in 50 steps.
  // Tolerance 1e-5: float32 against float64 over 50 steps of an O(1) system.
  for (const c of [core, scalar]) {
    const net = new Microcircuit(c, { sizes: [2, 3, 2], sigma: 0, seed: 51, tauWMs: 1, eta: { up: [4, 3], ip: 5, pi: 2 } });
    const ref = refOf(net);
    const x = [0.9, 0.2];
    const tgt = [1.5, -1.0];
    for (let s = 0; s < 50; s++) {
      const target = s >= 25 ? tgt : undefined;
      net.present(x, { steps: 1, target, learn: true, newPattern: s === 0 });
      ref.step(x, target ?? null, true);
      const where = `${c.impl} step ${s}`;
      assert.ok(maxAbsDiff(net.state("uP", 1), ref.uP[0]) <= 1e-5, `u^P_1 ${where}`);
      assert.ok(maxAbsDiff(net.state("uP", 2), ref.uP[1]) <= 1e-5, `u^P_2 ${where}`);
      assert.ok(maxAbsDiff(net.state("uI", 1), ref.uI[0]) <= 1e-5, `u^I ${where}`);
      assert.ok(maxAbsDiff(net.state("vA", 1), ref.vA[0]) <= 1e-5, `v^A ${where}`);
      assert.ok(maxAbsDiff(net.state("r0"), ref.r0) <= 1e-6, `r_0 ${where}`);
      assert.ok(maxAbsDiff(net.weights("up", 1), ref.w.Wup[0]) <= 1e-5, `W^up_1 ${where}`);
      assert.ok(maxAbsDiff(net.weights("up", 2), ref.w.Wup[1]) <= 1e-5, `W^up_2 ${where}`);
      assert.ok(maxAbsDiff(net.weights("ip", 1), ref.w.WIP[0]) <= 1e-5, `W^IP ${where}`);
      assert.ok(maxAbsDiff(net.weights("pi", 1), ref.w.WPI[0]) <= 1e-5, `W^PI ${where}`);
    }
    // The target moved the output toward it and the weights moved.
    assert.ok(Math.abs(ref.uP[1][0] - net.state("uP", 2)[0]) <= 1e-5);
    assert.ok(maxAbsDiff(ref.w.Wup[1], net.weights("up", 2)) <= 1e-5);
    net.dispose();
  }
});

t("angleBP < 10° at small g_som with symmetric top-down weights; angleFA small with random B", () => {
  // SCBS18; docs/model.md §1.7: B = (W^up)ᵀ gives backprop in the weak-nudging limit (≈2.2° at g_som = 0.1);
  // random B gives the FA update of the same B.
  const sym = new Microcircuit(core, { sizes: [30, 20, 10], sigma: 0, gSom: 0.1, seed: 61, topDown: "symmetric", start: "selfPredicting" });
  const x = values(30, 12);
  const tgt = values(10, 13, -1, 1);
  const a = sym.alignment(x, tgt);
  assert.ok(a.angleBP < 10, `angleBP ${a.angleBP}`);
  const strong = new Microcircuit(core, { sizes: [30, 20, 10], sigma: 0, gSom: 0.8, seed: 61, topDown: "symmetric", start: "selfPredicting" });
  assert.ok(strong.alignment(x, tgt).angleBP > a.angleBP, "weaker nudging aligns better");
  const fa = new Microcircuit(core, { sizes: [30, 20, 10], sigma: 0, gSom: 0.1, seed: 62, start: "selfPredicting" });
  const b = fa.alignment(x, tgt);
  assert.ok(b.angleFA < 10, `angleFA ${b.angleFA}`);
  assert.ok(b.angleBP > 30, `random B is far from backprop: ${b.angleBP}`);
  sym.dispose();
  strong.dispose();
  fa.dispose();
});

t("learning the self-predicting state lowers the apical potential more than 10× (SCBS18; docs/model.md §1.6)", () => {
  const net = new Microcircuit(core, {
    sizes: [30, 20, 10],
    seed: 71,
    sigma: SCBS18.sigma,
    plastic: { up: false, down: false, ip: true, pi: true },
    eta: { ip: SCBS18.etaIPSps, pi: SCBS18.etaPISps },
  });
  // 4000 patterns of 100 ms (400 s simulated). W^PI cancels most of the top-down input within tens
  // of patterns; W^IP, at SCBS18's SPS rate, takes thousands of patterns to match W^up.
  const apical = net.monitor("apical", { layer: 1, intervalSteps: 100, capacity: 10 * 4000 });
  for (let p = 0; p < 4000; p++) net.present(values(30, 1000 + p), { learn: true });
  const v = apical.values();
  const first = meanAbs(v.subarray(0, 100));
  const last = meanAbs(v.subarray(v.length - 1000));
  assert.ok(first / last > 10, `apical first ${first} last ${last}`);
  net.dispose();
});

t("same seed gives identical weights, filters and noise state after noisy learning; another seed differs", () => {
  const run = (seed: number) => {
    const net = new Microcircuit(core, { sizes: [10, 8, 4], seed, sigma: 0.3 });
    for (let p = 0; p < 5; p++) net.present(values(10, p), { target: values(4, 50 + p, -1, 1), steps: 200 });
    const s = net.exportState();
    net.dispose();
    return s;
  };
  const a = run(5);
  const b = run(5);
  const c = run(6);
  for (const name of Object.keys(a)) assert.equal(Array.from(a[name].data), Array.from(b[name].data), name);
  assert.not.equal(Array.from(a["layer1.Wup"].data), Array.from(c["layer1.Wup"].data));
});

t("noise enters as dt·σ·ξ: the free-running soma fluctuates with the expected spread", () => {
  // With zero weights and inputs, u^P is an Ornstein–Uhlenbeck process: u ← (1 − dt·g)u + dt·σ·ξ,
  // g = g_lk + g_B + g_A, stationary variance (dt·σ)²/(1 − (1 − dt·g)²). 200 cells × 2000 steps:
  // the sample variance is within 10 % (≈ 20 effective samples per cell per correlation time).
  const net = new Microcircuit(core, { sizes: [4, 200, 3], sigma: 0.5, seed: 81, init: uniformInit(0) });
  net.present([0, 0, 0, 0], { steps: 500, learn: false });
  const m = net.monitor("uP", { layer: 1, index: -1, intervalSteps: 20, capacity: 100 });
  net.present([0, 0, 0, 0], { steps: 2000, learn: false });
  let s = 0;
  let n = 0;
  for (const r of m.read())
    for (const u of r) {
      s += u * u;
      n++;
    }
  const g = 0.1 + 1 + 0.8;
  const a = 1 - 0.1 * g;
  const expected = (0.1 * 0.5) ** 2 / (1 - a * a);
  assert.ok(Math.abs(s / n / expected - 1) < 0.1, `variance ${s / n} expected ${expected}`);
  net.dispose();
});

t("monitors keep the newest records in preallocated memory; steps never grow memory", () => {
  const net = new Microcircuit(core, { sizes: [5, 4, 3], seed: 91 });
  const m = net.monitor("uP", { layer: 2, index: 1, intervalSteps: 5, capacity: 8 });
  const vec = net.monitor("rP", { layer: 1, intervalSteps: 50, capacity: 4 });
  const bytes = core.memory.buffer.byteLength;
  net.present(values(5, 1), { steps: 100 });
  assert.is(m.written, 20);
  assert.is(m.values().length, 8);
  assert.is(vec.read()[0].length, 4);
  const last = m.values()[7];
  assert.is(last, net.state("uP", 2)[1]);
  for (let i = 0; i < 200; i++) net.present(values(5, i), { steps: 50 });
  assert.is(core.memory.buffer.byteLength, bytes);
  net.dispose();
});

t("non-finite state stops with an error naming the layer and variable", () => {
  // An unbounded φ with large weights and no self-predicting interneurons diverges (SCBS18; docs/model.md §1.9).
  const net = new Microcircuit(core, { sizes: [10, 30, 10], activation: "linear", seed: 3, init: uniformInit(3), eta: { up: 0.001, ip: 0.001, pi: 0.001 } });
  assert.throws(
    () => {
      for (let i = 0; i < 20; i++) net.present(values(10, i, 0, 1), { target: values(10, 5, 0, 1) });
    },
    (e: Error) => e instanceof NonFiniteError && /layer \d/.test(e.message) && /layer 1/.test(e.message) && /apical potential v\^A/.test(e.message),
  );
  net.dispose();
});

t("bad options and inputs are specific errors", () => {
  assert.throws(
    () => new Microcircuit(core, { sizes: [3] }),
    (e: Error) => e instanceof ValueError && /sizes/.test(e.message),
  );
  assert.throws(
    () => new Microcircuit(core, { sizes: [3, 2], gSom: -1 }),
    (e: Error) => e instanceof ValueError && /gSom/.test(e.message),
  );
  assert.throws(
    () => new Microcircuit(core, { sizes: [3, 2, 2], eta: { up: [1, 2, 3] } }),
    (e: Error) => e instanceof ValueError && /eta\.up/.test(e.message),
  );
  const net = new Microcircuit(core, { sizes: [3, 2, 2] });
  assert.throws(
    () => net.present([1, 2]),
    (e: Error) => e instanceof ShapeError && /x must hold/.test(e.message),
  );
  assert.throws(
    () => net.present([1, 2, 3], { target: [NaN, 1] }),
    (e: Error) => e instanceof ValueError && /target/.test(e.message),
  );
  assert.throws(
    () => net.weights("pi", 2),
    (e: Error) => e instanceof ValueError && /output layer/.test(e.message),
  );
  net.dispose();
  assert.throws(() => net.present([1, 2, 3]), /after dispose/);
  assert.throws(
    () => createModel(core, "microcircuit", { sizes: [4, 3, 2], bogus: 1 }),
    (e: Error) => e instanceof ValueError && /bogus/.test(e.message),
  );
});

t("the registered classifier learns a separable toy problem in fast mode and round-trips its state", () => {
  const m = createModel(core, "microcircuit", { sizes: [4, 16, 2], maxBatch: 5, eta: 0.1, seed: 7 });
  const x = new Float32Array(5 * 4);
  const labels = new Int32Array(5);
  const sample = (i: number) => {
    const v = values(4, 1000 + i);
    labels[i % 5] = v[0] + v[1] > v[2] + v[3] ? 1 : 0;
    x.set(v, (i % 5) * 4);
  };
  const evalErr = () => {
    let wrong = 0;
    for (let i = 0; i < 200; i++) {
      const v = values(4, 90000 + i);
      const y = v[0] + v[1] > v[2] + v[3] ? 1 : 0;
      const o = m.predict(v, 1);
      if ((o[1] > o[0] ? 1 : 0) !== y) wrong++;
    }
    return wrong / 200;
  };
  const before = evalErr();
  for (let i = 0; i < 20000; i++) {
    sample(i);
    if (i % 5 === 4) m.trainBatch({ n: 5, x, labels });
  }
  const after = evalErr();
  assert.ok(after < 0.1 && after < before, `error before ${before}, after ${after}`);
  const s = m.exportState();
  const m2 = createModel(core, "microcircuit", m.config());
  m2.importState(s);
  const v = values(4 * 7, 5);
  assert.equal(Array.from(m2.predict(v, 7)), Array.from(m.predict(v, 7)));
  assert.throws(
    () => createModel(core, "microcircuit", { sizes: [4, 8, 2] }).importState(s),
    (e: Error) => e instanceof ShapeError && /shape/.test(e.message),
  );
  m.dispose();
  m2.dispose();
});

t("tying W^PI to −B (tiePI) gives the same fast-mode state and updates as the two-product form", () => {
  // Equal in exact arithmetic; float32 rounding of B·r^P + (−B)·r^I vs B·(r^P − r^I): ≤ 1e-5 on
  // potentials O(1) and on weights after one update.
  const base: MicrocircuitOptions = {
    sizes: [20, 12, 8, 5],
    maxBatch: 4,
    sigma: 0,
    seed: 101,
    start: "selfPredicting",
    plastic: { up: true, ip: true, pi: false, down: false },
    thresholds: { up: true, ip: true },
    eta: { up: 0.2, ip: 0.3 },
  };
  const a = new Microcircuit(core, base);
  const b = new Microcircuit(core, { ...base, tiePI: true });
  const x = values(80, 3);
  const tgt = values(20, 4, -2, 2);
  for (let i = 0; i < 3; i++) {
    a.steadyState(x, tgt, { batch: 4, sweeps: 2 });
    b.steadyState(x, tgt, { batch: 4, sweeps: 2 });
  }
  for (const k of [1, 2]) assert.ok(maxAbsDiff(a.state("vA", k, 4), b.state("vA", k, 4)) <= 1e-5, `v^A_${k}`);
  for (const k of [1, 2, 3]) assert.ok(maxAbsDiff(a.weights("up", k), b.weights("up", k)) <= 1e-5, `W^up_${k}`);
  assert.ok(a.apicalMismatch(4)[0] > 1e-3, "the target produced apical errors");
  assert.throws(
    () => b.setWeights("pi", 1, new Float32Array(12 * 8)),
    (e: Error) => e instanceof ValueError && /tied/.test(e.message),
  );
  assert.throws(
    () => new Microcircuit(core, { ...base, tiePI: true, plastic: { pi: true } }),
    (e: Error) => e instanceof ValueError && /tiePI/.test(e.message),
  );
  a.dispose();
  b.dispose();
});

t("classifier default rates: η at the output, 2^(N−k+1)·η below it (8, 4, 1 at depth 3)", () => {
  for (const [sizes, factors] of [
    [
      [6, 5, 4, 3],
      [8, 4, 1],
    ],
    [
      [4, 3, 2],
      [4, 1],
    ],
    [
      [7, 6, 5, 4, 3],
      [16, 8, 4, 1],
    ],
  ] as const) {
    const m = new MicrocircuitClassifier(core, { sizes: [...sizes], eta: 0.01 });
    const up = m.net.eta.up;
    assert.is(up.length, factors.length);
    factors.forEach((f, i) => assert.ok(Math.abs(up[i] - 0.01 * f) < 1e-12, `sizes ${sizes}: η_up[${i}] = ${up[i]}, expected ${0.01 * f}`));
    m.dispose();
  }
  const m = new MicrocircuitClassifier(core, { sizes: [6, 5, 4, 3], eta: 0.01, etaLayerFactors: [1, 2, 3] });
  assert.equal(
    Array.from(m.net.eta.up, (x) => Math.round(x * 1e6) / 1e6),
    [0.01, 0.02, 0.03],
  );
  m.dispose();
});

t("classifier readout: 'potential' predicts u_N, the inverse logistic of the 'rate' prediction on the same weights", () => {
  const sizes = [4, 6, 3];
  const a = new MicrocircuitClassifier(core, { sizes, seed: 5, maxBatch: 4 });
  const b = new MicrocircuitClassifier(core, { sizes, seed: 5, maxBatch: 4, readout: "potential" });
  const n = 9;
  const x = Float32Array.from({ length: n * 4 }, (_, i) => ((i * 37) % 11) / 11);
  const r = a.predict(x, n);
  const u = b.predict(x, n);
  assert.is(u.length, n * 3);
  for (let i = 0; i < u.length; i++)
    assert.ok(Math.abs(u[i] - Math.log(r[i] / (1 - r[i]))) < 1e-3, `row ${Math.floor(i / 3)}: u ${u[i]}, logit(rate) ${Math.log(r[i] / (1 - r[i]))}`);
  assert.throws(
    () => new MicrocircuitClassifier(core, { sizes, readout: "rates" }),
    (e: Error) => e instanceof ValueError && /readout/.test(e.message),
  );
  a.dispose();
  b.dispose();
});

t("a threshold fed by a constant input of rate c equals an extra input unit of rate c (fast mode and full dynamics)", () => {
  // Oracle: the same net with the threshold replaced by an explicit input column at rate c. One
  // layer (no hidden cells), so every threshold of the first net is an input weight of the second.
  const c = 0.5;
  const x = values(3 * 4, 3);
  const xb = new Float32Array(3 * 5);
  for (let r = 0; r < 3; r++) {
    xb.set(x.subarray(r * 4, r * 4 + 4), r * 5);
    xb[r * 5 + 4] = c;
  }
  const tgt = values(3 * 3, 4, 0, 1);
  for (const mode of ["fast", "full"] as const) {
    const common: MicrocircuitOptions = { sizes: [4, 3], maxBatch: 3, sigma: 0, seed: 9, init: uniformInit(1), eta: { up: 0.5 } };
    const a = new Microcircuit(core, { ...common, thresholds: { up: true, input: c } });
    const b = new Microcircuit(core, { ...common, sizes: [5, 3] });
    const t0 = Float32Array.of(0.2, -0.1, 0.05);
    a.setWeights("thresholdUp", 1, t0);
    const wA = a.weights("up", 1);
    const wB = new Float32Array(15);
    for (let i = 0; i < 3; i++) {
      wB.set(wA.subarray(i * 4, i * 4 + 4), i * 5);
      wB[i * 5 + 4] = t0[i] / c;
    }
    b.setWeights("up", 1, wB);
    if (mode === "fast") {
      for (let s = 0; s < 5; s++) {
        a.steadyState(x, tgt, { batch: 3 });
        b.steadyState(xb, tgt, { batch: 3 });
      }
    } else {
      // Settle the input filters without plasticity, then learn.
      a.present(x, { batch: 3, steps: 3000, learn: false });
      b.present(xb, { batch: 3, steps: 3000, learn: false });
      a.present(x, { batch: 3, target: tgt, steps: 400 });
      b.present(xb, { batch: 3, target: tgt, steps: 400 });
      assert.ok(maxAbsDiff(a.state("uP", 1, 3), b.state("uP", 1, 3)) <= 1e-5, `${mode}: u^P`);
    }
    const wb = b.weights("up", 1);
    const ta = a.weights("thresholdUp", 1);
    for (let i = 0; i < 3; i++) {
      assert.ok(Math.abs(ta[i] - c * wb[i * 5 + 4]) <= 1e-5, `${mode}: threshold ${i}: ${ta[i]} vs c·w ${c * wb[i * 5 + 4]}`);
      assert.ok(maxAbsDiff(a.weights("up", 1).subarray(i * 4, i * 4 + 4), wb.subarray(i * 5, i * 5 + 4)) <= 1e-5, `${mode}: W^up row ${i}`);
    }
    // The thresholds moved (so the comparison can fail), by less than with input 1.
    assert.ok(maxAbsDiff(ta, t0) > 1e-3, `${mode}: thresholds moved`);
    a.dispose();
    b.dispose();
  }
  assert.throws(
    () => new Microcircuit(core, { sizes: [4, 3], thresholds: { up: true, input: 0 } }),
    (e: Error) => e instanceof ValueError && /thresholds.input/.test(e.message),
  );
});

t("target low-pass (tauTargetMs) equals presenting the filtered target step by step", () => {
  // Oracle: a net without the filter, given at step s the closed form T·(1 − (1 − dt/τ)^s).
  const tau = 3;
  const a1 = 0.1 / tau;
  const opts: MicrocircuitOptions = { sizes: [4, 5, 3], sigma: 0, seed: 13, init: uniformInit(1), start: "selfPredicting" };
  const a = new Microcircuit(core, { ...opts, tauTargetMs: tau });
  const b = new Microcircuit(core, opts);
  const x = values(4, 5);
  const tgt = Float32Array.of(1, 0.1, 0.1);
  let diff = 0;
  for (let s = 1; s <= 60; s++) {
    a.present(x, { target: tgt, steps: 1, newPattern: s === 1 });
    b.present(x, { target: tgt.map((v) => v * (1 - (1 - a1) ** s)), steps: 1, newPattern: s === 1 });
    for (let k = 1; k <= 2; k++) diff = Math.max(diff, maxAbsDiff(a.state("uP", k), b.state("uP", k)));
  }
  assert.ok(diff <= 1e-5, `max |Δu^P| ${diff}`);
  // Without the filter the output moves differently (so the comparison can fail).
  const c = new Microcircuit(core, opts);
  c.present(x, { target: tgt, steps: 60 });
  assert.ok(maxAbsDiff(a.state("uP", 2), c.state("uP", 2)) > 1e-3);
  // The filter is part of the saved state: a copy continues identically.
  const d = new Microcircuit(core, { ...opts, tauTargetMs: tau });
  d.importState(a.exportState());
  a.present(x, { target: tgt, steps: 20, newPattern: false });
  d.present(x, { target: tgt, steps: 20, newPattern: false });
  assert.equal(Array.from(d.state("uP", 2)), Array.from(a.state("uP", 2)));
  for (const n of [a, b, c, d]) n.dispose();
});

t.run();
