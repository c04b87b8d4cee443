// The spiking microcircuit (Yang & Li 2022 design, docs/model.md "Spiking microcircuit"): its event
// kernels against closed forms, a small net's window against a float64 transcription of the
// equations written here, sign routing, the equivalence checks at test size, and determinism.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, type Core } from "../src/index.ts";
import { mulberry32 } from "../src/core/random.ts";
import { Spiking, layerRateFactor, spikingConfig } from "../src/models/spiking/index.ts";
import { angleDeg, equivalenceAngles, signConcordance } from "../src/models/spiking/diagnostics.ts";
import { createModel } from "../src/models/registry.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../src/train/checkpoint.ts";
import { DisposedError, ShapeError, ValueError } from "../src/core/errors.ts";
import type { NamedArray } from "../src/train/model.ts";
import { Trainer } from "../src/train/trainer.ts";
import { bars } from "../src/data/generators.ts";

let simd: Core;
let scalar: Core;

// ---------------------------------------------------------------------------------------------
const kernels = suite("spiking: event kernels against closed forms");
kernels.before(async () => {
  simd = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
});

kernels("sigma-delta pair: net spikes × θ_e = integral of the input − the residual, |residual| < θ_e (constant input)", () => {
  for (const core of [simd, scalar]) {
    const a = core.arena();
    const cols = 7;
    const inputs = [0.013, -0.2, 0.5, -0.75, 1.3, -2.6, 0.999];
    for (const thetaE of [1, 0.5]) {
      const U = a.vector(cols);
      const I = a.from(1, cols, inputs);
      const q = a.vector(cols);
      const idx = a.vector(cols);
      const counts = a.vector(4);
      const net = new Float64Array(cols);
      const steps = 200;
      const sd = core.exports.sigmaDeltaRow;
      let plus = 0;
      let minus = 0;
      for (let t = 0; t < steps; t++) {
        const m = sd(U.ptr, q.ptr, idx.ptr, I.ptr, cols, thetaE, counts.ptr);
        const qv = q.read();
        const list = new Int32Array(a.memory.buffer, idx.ptr, m);
        assert.equal(
          Array.from(list),
          Array.from(qv).flatMap((v, j) => (v !== 0 ? [j] : [])),
          "the list names exactly the pairs that emitted",
        );
        for (let j = 0; j < cols; j++) {
          net[j] += qv[j];
          if (qv[j] > 0) plus += qv[j];
          else minus -= qv[j];
        }
      }
      const c = new Int32Array(a.memory.buffer, counts.ptr, 2);
      assert.equal([c[0], c[1]], [plus, minus], "E⁺ and E⁻ totals");
      const u = U.read();
      for (let j = 0; j < cols; j++) {
        // f32 accumulation of 200 inputs: the identity holds to a few ulp of the integral.
        assert.ok(Math.abs(u[j]) < thetaE, `residual ${u[j]} inside (−θ_e, θ_e)`);
        assert.ok(
          Math.abs(net[j] * thetaE + u[j] - steps * Math.fround(inputs[j])) < 1e-4 * steps,
          `pair ${j}: ${net[j]}·θ_e + ${u[j]} vs ${steps * inputs[j]}`,
        );
      }
    }
    a.dispose();
  }
});

kernels("IF cell with reset by subtraction: rate = clip(drive, 0, 1) within 1/T (constant drive, ϑ = 1)", () => {
  for (const core of [simd, scalar]) {
    const a = core.arena();
    const drives = [-0.3, 0, 0.05, 0.25, 0.5, 0.77, 1, 1.4, 3];
    const cols = drives.length;
    const V = a.vector(cols);
    const A = a.from(1, cols, drives);
    const S = a.vector(cols);
    const idx = a.vector(cols);
    const th = core.exports.thresholdRow;
    const T = 500;
    const count = new Float64Array(cols);
    for (let t = 0; t < T; t++) {
      const m = th(V.ptr, S.ptr, idx.ptr, A.ptr, cols, 1, 1);
      const s = S.read();
      assert.equal(
        Array.from(new Int32Array(a.memory.buffer, idx.ptr, m)),
        Array.from(s).flatMap((v, j) => (v ? [j] : [])),
      );
      s.forEach((v, j) => (count[j] += v));
    }
    drives.forEach((d, j) => {
      const want = Math.min(1, Math.max(0, d));
      assert.ok(Math.abs(count[j] / T - want) <= 1 / T + 1e-12, `drive ${d}: rate ${count[j] / T}, expected ${want}`);
    });
    // Leak: with λ < 1 the potential saturates at a/(1 − λ), so a drive below ϑ(1 − λ) never fires.
    V.fill(0);
    const lam = Math.exp(-1 / 20);
    const sub = a.from(1, 2, [0.9 * (1 - lam), 1.1 * (1 - lam)]);
    const S2 = a.vector(2);
    let fired = [0, 0];
    for (let t = 0; t < 2000; t++) {
      th(V.ptr, S2.ptr, idx.ptr, sub.ptr, 2, lam, 1);
      const s = S2.read();
      fired = [fired[0] + s[0], fired[1] + s[1]];
    }
    assert.is(fired[0], 0, "sub-threshold LIF drive is silent");
    assert.ok(fired[1] > 0, "supra-threshold LIF drive fires");
    a.dispose();
  }
});

kernels("event gathers and scatters equal the dense sums, and SIMD = scalar bit for bit", () => {
  const results: Float32Array[][] = [];
  for (const core of [simd, scalar]) {
    const a = core.arena();
    const r = mulberry32(5);
    const rows = 13;
    const cols = 37;
    const M = a.from(
      rows,
      cols,
      Array.from({ length: rows * cols }, () => r() * 2 - 1),
    );
    const list = [0, 3, 3, 7, 12, 5];
    const idx = a.vector(list.length);
    new Int32Array(a.memory.buffer, idx.ptr, list.length).set(list);
    const w = a.from(
      1,
      rows,
      Array.from({ length: rows }, (_, i) => (i % 3) - 1),
    );
    const y = a.from(
      1,
      cols,
      Array.from({ length: cols }, () => r()),
    );
    const y0 = y.read();
    core.exports.gatherRowsAdd(y.ptr, M.ptr, idx.ptr, list.length, cols);
    const y2 = a.from(1, cols, y0);
    core.exports.gatherRowsAxpy(y2.ptr, M.ptr, idx.ptr, w.ptr, list.length, cols);
    const x = a.from(
      1,
      cols,
      Array.from({ length: cols }, () => r()),
    );
    const M2 = a.from(rows, cols, M.read());
    core.exports.scatterRowsAdd(M2.ptr, idx.ptr, list.length, x.ptr, cols);
    const m = M.read();
    const wv = w.read();
    const xv = x.read();
    for (let c = 0; c < cols; c++) {
      let s = y0[c];
      let s2 = y0[c];
      for (const i of list) {
        s += m[i * cols + c];
        s2 += wv[i] * m[i * cols + c];
      }
      // f64 sums of six f32 terms vs f32 accumulation: a few ulp of values of order 1.
      assert.ok(Math.abs(y.read()[c] - s) < 1e-5 && Math.abs(y2.read()[c] - s2) < 1e-5, `column ${c}`);
    }
    const m2 = M2.read();
    for (let i = 0; i < rows; i++) {
      const times = list.filter((k) => k === i).length;
      for (let c = 0; c < cols; c++) assert.ok(Math.abs(m2[i * cols + c] - (m[i * cols + c] + times * xv[c])) < 1e-5);
    }
    assert.ok(
      M2.peek().every((v, i) => i % M2.stride < cols || v === 0),
      "padding lanes stay 0",
    );
    results.push([y.read(), y2.read(), m2]);
    a.dispose();
  }
  for (let k = 0; k < 3; k++) assert.equal(Array.from(results[0][k]), Array.from(results[1][k]), "SIMD and scalar builds agree bit for bit");
});

kernels.run();

// ---------------------------------------------------------------------------------------------
// Float64 transcription of the circuit (docs/model.md, "Spiking microcircuit"), with the
// presynaptic traces stepped forward in time as written (the library accumulates the same sum
// through its adjoint). Matrices are row-major number[]; W[l] is n_{l+1} × n_l, B[l] is the
// feedback of weight layer l as n_l × n_{l+1} (l ≥ 1).
interface RefCfg {
  arch: number[];
  steps: number;
  settle: number;
  lambda: number;
  theta: number;
  thetaE: number;
  tau: number;
  gain: number;
  rhoOn: number;
  rhoOff: number;
  lr: number;
}

function refWindow(c: RefCfg, W: number[][], b: number[][], B: (number[] | null)[], xs: number[][], labels: number[]) {
  const L = c.arch.length - 1;
  const n = xs.length;
  const dW = W.map((w) => new Array<number>(w.length).fill(0));
  const db = b.map((v) => new Array<number>(v.length).fill(0));
  const counts: number[][][] = []; // [sample][pop] learning-window counts
  for (let s = 0; s < n; s++) {
    const V = c.arch.map((k) => new Array<number>(k).fill(0));
    const U = c.arch.map((k) => new Array<number>(k).fill(0));
    const tr = c.arch.map((k) => new Array<number>(k).fill(0));
    const fired = c.arch.map((k) => new Array<number>(k).fill(0));
    const N = c.arch.map((k) => new Array<number>(k).fill(0));
    let cPrev = c.arch.map((k) => new Array<number>(k).fill(0));
    const VT = new Array<number>(c.arch[L]).fill(0);
    for (let t = 0; t < c.steps; t++) {
      const spk: number[][] = [];
      // Input cells: IF with constant current p, threshold 1.
      spk.push(
        xs[s].map((p, i) => {
          V[0][i] += p;
          const f = V[0][i] >= 1 ? 1 : 0;
          V[0][i] -= f;
          return f;
        }),
      );
      for (let l = 1; l <= L; l++) {
        const nin = c.arch[l - 1];
        spk.push(
          V[l].map((v, j) => {
            let a = b[l - 1][j];
            for (let i = 0; i < nin; i++) a += W[l - 1][j * nin + i] * spk[l - 1][i];
            const x = c.lambda * v + a;
            const f = x >= c.theta ? 1 : 0;
            V[l][j] = x - c.theta * f;
            return f;
          }),
        );
      }
      for (let l = 0; l <= L; l++) {
        for (let j = 0; j < c.arch[l]; j++) {
          tr[l][j] += (spk[l][j] - tr[l][j]) / c.tau;
          if (spk[l][j]) fired[l][j] = 1;
          if (t >= c.settle) N[l][j] += spk[l][j];
        }
      }
      if (t < c.settle) continue;
      const cNow = c.arch.map((k) => new Array<number>(k).fill(0));
      for (let l = 1; l <= L; l++) {
        const nl = c.arch[l];
        for (let j = 0; j < nl; j++) {
          let I: number;
          if (l === L) {
            VT[j] += labels[s] === j ? c.rhoOn : c.rhoOff;
            const sT = VT[j] >= 1 ? 1 : 0;
            VT[j] -= sT;
            I = sT - spk[L][j];
          } else {
            let acc = 0;
            const nup = c.arch[l + 1];
            for (let k = 0; k < nup; k++) acc += B[l]![j * nup + k] * cPrev[l + 1][k];
            I = c.gain * fired[l][j] * acc;
          }
          U[l][j] += I;
          let q = 0;
          while (U[l][j] >= c.thetaE) {
            U[l][j] -= c.thetaE;
            q++;
          }
          while (U[l][j] <= -c.thetaE) {
            U[l][j] += c.thetaE;
            q--;
          }
          cNow[l][j] = q;
        }
      }
      for (let l = 1; l <= L; l++) {
        const eta = (c.lr * 1) / ((c.steps - c.settle) * Math.pow(c.gain, L - l)) / n;
        const nin = c.arch[l - 1];
        for (let j = 0; j < c.arch[l]; j++) {
          if (cNow[l][j] === 0) continue;
          for (let i = 0; i < nin; i++) dW[l - 1][j * nin + i] += eta * cNow[l][j] * tr[l - 1][i];
          db[l - 1][j] += eta * cNow[l][j];
        }
      }
      cPrev = cNow;
    }
    counts.push(N);
  }
  return { dW, db, counts };
}

const net = suite("spiking: a 2-3-2 net's first window against the float64 transcription");
const ARCH = [2, 3, 2];
const W0 = [
  [0.9137281, 0.2076413, -0.3019547, 0.8083917, 0.4561237, 0.3527169],
  [0.6071329, -0.5043871, 0.2539413, 0.3061873, -0.4077123, 0.7029473],
];
const B0 = [
  [0.05, -0.02, 0.1],
  [0.3, -0.1],
];
// Inputs, weights and teacher rates that keep every potential away from exact ties with the
// threshold (0.3·10 = 3 exactly in f64 but not in f32), so spike times agree between f32 and f64.
const XS = [
  [0.6180339, 0.2718281],
  [0.1414213, 0.8660254],
];
const LABELS = [0, 1];

function tinyState(m: Spiking, W: number[][], b: number[][]): Record<string, NamedArray> {
  const st = m.exportState();
  st["layers.0.W"] = { shape: [3, 2], data: Float32Array.from(W[0]) };
  st["layers.1.W"] = { shape: [2, 3], data: Float32Array.from(W[1]) };
  st["layers.0.b"] = { shape: [3], data: Float32Array.from(b[0]) };
  st["layers.1.b"] = { shape: [2], data: Float32Array.from(b[1]) };
  return st;
}

function checkAgainstRef(m: Spiking, c: RefCfg, W: number[][], b: number[][], what: string) {
  const st = m.exportState();
  const R = st["layers.1.R"]?.data;
  const rule = m.config().rule;
  // B of weight layer 1 (n_1 × n_2): sign(W)ᵀ ⊙ R for SCFA, Wᵀ for bp.
  const B1 = Array.from({ length: 6 }, (_, idx) => {
    const j = Math.floor(idx / 2);
    const k = idx % 2;
    return rule === "bp" ? W[1][k * 3 + j] : Math.sign(W[1][k * 3 + j]) * R![idx];
  });
  // The transcription runs in f64 on the f32 values the model holds.
  const f = (a: number[]) => a.map(Math.fround);
  const ref = refWindow({ ...c, rhoOn: Math.fround(c.rhoOn), rhoOff: Math.fround(c.rhoOff) }, W.map(f), b.map(f), [null, f(B1)], XS.map(f), LABELS);
  const x = Float32Array.from(XS.flat());
  const out = m.accumulate({ n: 2, x, labels: Int32Array.from(LABELS) });
  for (let p = 0; p <= 2; p++) {
    const got = Array.from(m.spikeCounts(p, "learning"));
    const want = ref.counts.flatMap((N) => N[p]);
    assert.equal(got, want, `${what}: spike counts of population ${p}`);
  }
  for (let l = 0; l < 2; l++) {
    const scale = Math.max(...ref.dW[l].map(Math.abs), 1e-12);
    assert.ok(scale > 1e-6, `${what}: the window produced an update in layer ${l}`);
    ref.dW[l].forEach((v, i) => {
      // f32 accumulation of ≤ 2·T·n terms of similar size against f64: 1e-5 of the largest entry.
      assert.ok(Math.abs(out.dW[l][i] - v) <= 1e-5 * scale, `${what}: ΔW layer ${l} [${i}] ${out.dW[l][i]} vs ${v}`);
    });
    ref.db[l].forEach((v, i) => assert.ok(Math.abs(out.db[l][i] - v) <= 1e-5 * Math.max(scale, Math.abs(v)), `${what}: Δb layer ${l} [${i}]`));
  }
  return ref;
}

const REF: RefCfg = { arch: ARCH, steps: 30, settle: 5, lambda: 1, theta: 1, thetaE: 1, tau: 10, gain: 4, rhoOn: 0.4142136, rhoOff: 0.0271828, lr: 0.5 };
const RHO = { rhoOn: REF.rhoOn, rhoOff: REF.rhoOff };

net("spike counts match exactly and ΔW, Δb to 1e-5 (scfa-frsf and bp, event paths with both accumulation orders and dense, IF and LIF)", () => {
  const b = [
    [0.0517389, -0.0213417, 0.1037271],
    [0.0219347, 0.0107713],
  ];
  // XS has inputs on both sides of the event path's split (drive 0.5): layer 1's drive is summed
  // from the mostly-firing inputs once and corrected per step, which must give the same spikes.
  assert.ok(XS.flat().some((v) => v > 0.5) && XS.flat().some((v) => v <= 0.5));
  const paths = [{ propagation: "events", accumulation: "spikes" }, { propagation: "events", accumulation: "errors" }, { propagation: "dense" }] as const;
  for (const core of [simd, scalar]) {
    for (const rule of ["scfa-frsf", "bp"] as const) {
      for (const path of paths) {
        for (const cell of ["if", "lif"] as const) {
          const m = new Spiking(core, {
            arch: ARCH,
            rule,
            ...path,
            cell,
            steps: REF.steps,
            settle: REF.settle,
            dither: false,
            maxBatch: 2,
            seed: 3,
            feedbackScale: 8,
            ...RHO,
          });
          m.importState(tinyState(m, W0, b));
          const lambda = cell === "lif" ? Math.exp(-1 / 20) : 1;
          const ref = checkAgainstRef(m, { ...REF, lambda }, W0, b, `${core.impl} ${rule} ${JSON.stringify(path)} ${cell}`);
          assert.ok(ref.counts[0][2].some((v) => v > 0) && ref.counts[0][1].some((v) => v > 0), "hidden and output cells fire");
          m.dispose();
        }
      }
    }
  }
});

net("sign routing: after a weight crosses zero the next window routes errors through the new sign", () => {
  const core = simd;
  const m = new Spiking(core, {
    arch: ARCH,
    rule: "scfa-frsf",
    steps: REF.steps,
    settle: REF.settle,
    dither: false,
    maxBatch: 2,
    seed: 3,
    feedbackScale: 1,
    lr: 1,
    ...RHO,
  });
  const b = [
    [0.0517389, -0.0213417, 0.1037271],
    [0.0219347, 0.0107713],
  ];
  // W_{1,0} (output 1 ← hidden 0) starts just below zero; label 1 on both samples drives it up.
  const W = [W0[0].slice(), W0[1].slice()];
  W[1][3] = -1e-4;
  m.importState(tinyState(m, W, b));
  assert.ok(m.feedback(1)[0 * 2 + 1] < 0, "contact crossed (E⁺→E⁻) while W < 0");
  m.trainBatch({ n: 2, x: Float32Array.from(XS.flat()), labels: Int32Array.of(1, 1) });
  const after = m.exportState();
  const Wn = after["layers.1.W"].data;
  assert.ok(Wn[3] > 0, `the weight crossed zero (now ${Wn[3]})`);
  const B = m.feedback(1);
  assert.ok(B[0 * 2 + 1] > 0, "the contact is now parallel");
  assert.is(signConcordance(Wn, B, 2, 3), 1, "every contact matches its weight's sign");
  // The next window uses the new routing: compare it with the transcription at the new weights.
  const Wnew = [Array.from(after["layers.0.W"].data), Array.from(Wn)];
  const bnew = [Array.from(after["layers.0.b"].data), Array.from(after["layers.1.b"].data)];
  checkAgainstRef(m, { ...REF, lr: 1 }, Wnew, bnew, "after the crossing");
  // W = 0 means no contact.
  const st = m.exportState();
  (st["layers.1.W"].data as Float32Array)[3] = 0;
  m.importState(st);
  assert.is(m.feedback(1)[1], 0, "a zero weight has no contact");
  m.dispose();
});

net.before(async () => {
  simd ??= await init({ impl: "simd" });
  scalar ??= await init({ impl: "scalar" });
});
net.run();

// ---------------------------------------------------------------------------------------------
const equiv = suite("spiking: equivalence to sign-concordant FA at test size (checks A–E)");

/** A synthetic 4-class task on 48 sparse inputs (20 % active, intensities 0.6–1 like pen strokes): labels from a fixed random linear map. */
function task(n: number, seed: number) {
  const r = mulberry32(seed);
  const nin = 48;
  const K = 4;
  const M = Array.from({ length: K * nin }, () => r() * 2 - 1);
  const x = new Float32Array(n * nin);
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    let best = -Infinity;
    for (let i = 0; i < nin; i++) x[s * nin + i] = r() < 0.2 ? 0.6 + 0.4 * r() : 0;
    for (let k = 0; k < K; k++) {
      let a = 0;
      for (let i = 0; i < nin; i++) a += M[k * nin + i] * x[s * nin + i];
      if (a > best) {
        best = a;
        labels[s] = k;
      }
    }
  }
  return { x, labels, nin, K };
}

/**
 * Angles of the window-summed ΔW averaged over `repeats` dithered windows to analytic SCFA. At
 * test size (60 hidden cells instead of 500) one window's quantisation noise alone is ≈ 10° in
 * layer 1; averaging over repeats removes it (the same criterion's averaged form at MNIST size).
 */
function averagedAnalytic(m: Spiking, batch: { n: number; x: Float32Array; labels: Int32Array }, repeats: number): number[] {
  let sum: Float64Array[] = [];
  let ref: Float64Array[] = [];
  for (let w = 0; w < repeats; w++) {
    const a = equivalenceAngles(m, batch, w);
    ref = a.analyticDW;
    sum = w === 0 ? a.dW.map((g) => Float64Array.from(g)) : sum.map((v, l) => v.map((x, i) => x + a.dW[l][i]));
  }
  return sum.map((v, l) => angleDeg(v, ref[l]));
}

equiv("A–E on a 48-60-60-4 net (T = 100, T₀ = 10, dither on, 100 samples)", () => {
  const { x, labels, nin, K } = task(100, 13);
  const arch = [nin, 60, 60, K];
  const m = new Spiking(simd, { arch, steps: 100, settle: 10, maxBatch: 100, seed: 2 });
  const batch = { n: 100, x, labels };
  const a0 = equivalenceAngles(m, batch);
  // A: one window against SCFA from the measured rates and gates.
  a0.matched.forEach((v, l) => assert.ok(v <= 5, `A init: layer ${l + 1} angle to matched SCFA ${v.toFixed(2)}° ≤ 5°`));
  // B: against analytic SCFA of the clip-rate net.
  averagedAnalytic(m, batch, 4).forEach((v, l) => assert.ok(v <= 10, `B init: layer ${l + 1} angle to analytic SCFA ${v.toFixed(2)}° ≤ 10° (4 windows)`));
  // C: hidden layers far from FA with random signs, and clearly nearer SCFA than backprop.
  for (const l of [0, 1]) {
    assert.ok(a0.fa[l] >= 75, `C: layer ${l + 1} angle to FA ${a0.fa[l].toFixed(1)}° ≥ 75°`);
    assert.ok(a0.bp[l] > a0.analytic[l] + 20, `C: layer ${l + 1} angle to BP ${a0.bp[l].toFixed(1)}° clearly above SCFA ${a0.analytic[l].toFixed(1)}°`);
  }
  // E at init.
  const st = m.exportState();
  for (let l = 1; l < 3; l++) assert.is(signConcordance(st[`layers.${l}.W`].data, m.feedback(l), arch[l + 1], arch[l]), 1, `E: layer ${l} contacts`);
  // Train 30 windows (T = 60) on fresh batches of the same task, then A, B and E again.
  const train = new Spiking(simd, { arch, maxBatch: 100, seed: 2 });
  for (let w = 0; w < 30; w++) {
    const d = task(100, 100 + w);
    train.trainBatch({ n: 100, x: d.x, labels: d.labels });
  }
  m.importState(train.exportState());
  const a1 = equivalenceAngles(m, batch);
  a1.matched.forEach((v, l) => assert.ok(v <= 12, `A trained: layer ${l + 1} angle to matched SCFA ${v.toFixed(2)}° ≤ 12°`));
  a1.analytic.forEach((v, l) => assert.ok(v <= 25, `B trained: layer ${l + 1} angle to analytic SCFA ${v.toFixed(2)}° ≤ 25° (one window)`));
  averagedAnalytic(m, batch, 4).forEach((v, l) =>
    assert.ok(v <= 12.5, `B trained: layer ${l + 1} angle to analytic SCFA ${v.toFixed(2)}° ≤ 12.5° (4 windows)`),
  );
  const st1 = m.exportState();
  for (let l = 1; l < 3; l++) assert.is(signConcordance(st1[`layers.${l}.W`].data, m.feedback(l), arch[l + 1], arch[l]), 1, `E trained: layer ${l} contacts`);
  // D: the angle to analytic SCFA falls as the window grows.
  const byT = [30, 100].map((T) => {
    const mt = new Spiking(simd, { arch, steps: T, settle: 10, maxBatch: 100, seed: 2 });
    mt.importState(train.exportState());
    const a = averagedAnalytic(mt, batch, 2);
    mt.dispose();
    return a[0];
  });
  assert.ok(byT[1] < byT[0], `D: layer-1 angle at T = 30 (${byT[0].toFixed(1)}°) > at T = 100 (${byT[1].toFixed(1)}°)`);
  m.dispose();
  train.dispose();
});

equiv.before(async () => {
  simd ??= await init({ impl: "simd" });
  scalar ??= await init({ impl: "scalar" });
});
equiv.run();

// ---------------------------------------------------------------------------------------------
const det = suite("spiking: determinism, resume, builds, errors");
det.before(async () => {
  simd ??= await init({ impl: "simd" });
  scalar ??= await init({ impl: "scalar" });
});

function trainWindows(m: Spiking, from: number, count: number) {
  for (let w = from; w < from + count; w++) {
    const d = task(20, 500 + w);
    m.trainBatch({ n: 20, x: d.x, labels: d.labels });
  }
}
const ARCH2 = [48, 24, 16, 4];
const sameState = (a: Record<string, NamedArray>, b: Record<string, NamedArray>, what: string) => {
  assert.equal(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: names`);
  for (const k of Object.keys(a)) assert.equal(Array.from(a[k].data), Array.from(b[k].data), `${what}: ${k}`);
};

det("SIMD = scalar bit for bit: weights and predictions after training (every rule, both paths, Bernoulli input, LIF, Batch Manhattan)", () => {
  const variants: Record<string, unknown>[] = [
    { rule: "scfa-frsf" },
    { rule: "scfa-frsf", accumulation: "spikes" },
    { rule: "scfa-frsf", accumulation: "errors" },
    { rule: "scfa-usf", propagation: "dense" },
    { rule: "scfa-brsf", input: "bernoulli" },
    { rule: "fa", cell: "lif" },
    { rule: "bp", update: "manhattan", gate: "none" },
  ];
  for (const v of variants) {
    const cfg = { arch: ARCH2, maxBatch: 20, seed: 9, steps: 25, settle: 5, ...v };
    const a = new Spiking(simd, cfg);
    const b = new Spiking(scalar, cfg);
    trainWindows(a, 0, 3);
    trainWindows(b, 0, 3);
    sameState(a.exportState(), b.exportState(), JSON.stringify(v));
    const d = task(20, 77);
    assert.equal(Array.from(a.predict(d.x, 20)), Array.from(b.predict(d.x, 20)), `${JSON.stringify(v)}: predictions`);
    assert.equal(a.windowStats(), b.windowStats(), "event counts");
    a.dispose();
    b.dispose();
  }
});

det("same seed → identical weights; another seed → different; predictions do not change training", () => {
  const cfg = { arch: ARCH2, maxBatch: 20, seed: 4, steps: 25, settle: 5 };
  const a = new Spiking(simd, cfg);
  const b = new Spiking(simd, cfg);
  const c = new Spiking(simd, { ...cfg, seed: 5 });
  trainWindows(a, 0, 2);
  b.predict(task(20, 1).x, 20);
  trainWindows(b, 0, 1);
  b.predict(task(20, 2).x, 20);
  trainWindows(b, 1, 1);
  trainWindows(c, 0, 2);
  sameState(a.exportState(), b.exportState(), "same seed");
  assert.not.equal(Array.from(a.exportState()["layers.0.W"].data), Array.from(c.exportState()["layers.0.W"].data));
  for (const m of [a, b, c]) m.dispose();
});

det("resume through a checkpoint is bit-identical (window counter and magnitudes included)", () => {
  for (const rule of ["scfa-frsf", "scfa-brsf", "fa"] as const) {
    const cfg = { arch: ARCH2, maxBatch: 20, seed: 6, steps: 25, settle: 5, rule };
    const straight = new Spiking(simd, cfg);
    trainWindows(straight, 0, 4);
    const first = new Spiking(simd, cfg);
    trainWindows(first, 0, 2);
    const ckpt = decodeCheckpoint(encodeCheckpoint(first), "mem");
    first.dispose();
    const resumed = createModel(simd, ckpt.kind, ckpt.config) as Spiking;
    resumed.importState(ckpt.tensors);
    assert.is(resumed.windows, 2);
    trainWindows(resumed, 2, 2);
    sameState(straight.exportState(), resumed.exportState(), rule);
    straight.dispose();
    resumed.dispose();
  }
});

det(
  "exportState → importState restores the state exactly: the next window is bit-identical (spikes, error spikes, weights), also when rolling back the same model",
  () => {
    for (const rule of ["scfa-frsf", "scfa-brsf", "fa", "bp"] as const) {
      for (const accumulation of ["spikes", "errors"] as const) {
        const cfg = { arch: ARCH2, maxBatch: 20, seed: 8, steps: 25, settle: 5, rule, accumulation };
        const a = new Spiking(simd, cfg);
        trainWindows(a, 0, 2);
        const saved = a.exportState();
        trainWindows(a, 2, 1);
        const after = a.exportState();
        const spikes = [0, 1, 2, 3].map((p) => Array.from(a.raster(p, 3).spikes));
        const errors = [1, 2, 3].map((p) => Array.from(a.errorRaster(p, 3).spikes));
        const stats = a.windowStats();
        // A fresh model restored from the export, and the same model rolled back to it.
        const b = new Spiking(simd, cfg);
        b.importState(saved);
        a.importState(saved);
        for (const m of [b, a]) {
          trainWindows(m, 2, 1);
          const what = `${rule} ${accumulation} ${m === a ? "rolled back" : "fresh"}`;
          sameState(m.exportState(), after, what);
          assert.equal(
            [0, 1, 2, 3].map((p) => Array.from(m.raster(p, 3).spikes)),
            spikes,
            `${what}: spikes`,
          );
          assert.equal(
            [1, 2, 3].map((p) => Array.from(m.errorRaster(p, 3).spikes)),
            errors,
            `${what}: error spikes`,
          );
          assert.equal(m.windowStats(), stats, `${what}: counts`);
        }
        a.dispose();
        b.dispose();
      }
    }
  },
);

det("a window neither allocates nor grows memory; monitors report rasters and event counts", () => {
  const m = new Spiking(simd, { arch: ARCH2, maxBatch: 20, seed: 1, steps: 25, settle: 5 });
  trainWindows(m, 0, 1);
  const bytes = simd.memory.buffer.byteLength;
  trainWindows(m, 1, 20);
  assert.is(simd.memory.buffer.byteLength, bytes);
  const s = m.windowStats();
  const r = m.raster(1, 3, 10);
  assert.is(r.spikes.length, 25 * 10);
  const counted = Array.from(m.spikeCounts(1, "window"))
    .slice(3 * 24, 3 * 24 + 10)
    .reduce((x, y) => x + y, 0);
  assert.is(
    r.spikes.reduce((x, y) => x + y, 0),
    counted,
    "raster sums to the window's counts",
  );
  assert.is(
    s.spikes[1],
    Array.from(m.spikeCounts(1, "window")).reduce((x, y) => x + y, 0),
  );
  assert.ok(s.forwardEvents[1] === s.spikes[0] * 24, "forward events = input spikes × fan-out");
  assert.ok(s.denseOps[1] > s.forwardEvents[1] + s.plasticityEvents[1], "event work below dense work");
  const e = m.errorRaster(3, 0);
  assert.is(e.spikes.length, 20 * 4);
  m.predict(task(20, 3).x, 20);
  assert.throws(() => m.errorRaster(3, 0), /prediction/);
  m.dispose();
  assert.throws(
    () => m.predict(task(1, 1).x, 1),
    (e: Error) => e instanceof DisposedError,
  );
});

det("bad configurations and inputs are rejected with the field named", () => {
  assert.throws(
    () => spikingConfig({ arch: [4, 2], rule: "scfa" }),
    (e: Error) => e instanceof ValueError && /rule must be one of scfa-frsf/.test(e.message),
  );
  assert.throws(() => spikingConfig({ arch: [4, 2], steps: 10, settle: 10 }), /settle must be an integer in \[0, steps − 1 = 9\]/);
  assert.throws(() => spikingConfig({ arch: [4, 2], rhoOn: 2 }), /rhoOn/);
  assert.throws(() => spikingConfig({ arch: [4, 2], bogus: 1 }), /unknown field 'bogus'/);
  const m = new Spiking(simd, { arch: [4, 3, 2], maxBatch: 2 });
  assert.throws(() => m.trainBatch({ n: 3, x: new Float32Array(12), labels: new Int32Array(3) }), /n must be an integer in \[1, 2\]/);
  assert.throws(() => m.trainBatch({ n: 1, x: new Float32Array(4), labels: Int32Array.of(5) }), /labels\[0\] must be a class in \[0, 1\]/);
  assert.throws(() => m.predict(Float32Array.of(0, NaN, 0, 0), 1), /non-finite value at position 1/);
  assert.throws(
    () => m.predict(new Float32Array(3), 1),
    (e: Error) => e instanceof ShapeError,
  );
  const st = m.exportState();
  st["layers.0.W"] = { shape: [3, 5], data: new Float32Array(15) };
  assert.throws(() => m.importState(st), /'layers.0.W' must be a float32 array of shape \[3, 4\]/);
  assert.is(layerRateFactor(spikingConfig({ arch: [4, 3, 3, 2], steps: 60, settle: 10, gain: 4 }), 1), 1 / (50 * 16));
  m.dispose();
});

det("trains through the Trainer on bars (9-30-3): error falls, the rate readout is reported beside the spike readout", async () => {
  const data = bars({ size: 3, noise: 0.1, seed: 3, train: 600 });
  const m = createModel(simd, "spiking", { arch: [9, 30, 3], maxBatch: 20, seed: 1, steps: 40 }) as Spiking;
  const trainer = new Trainer(m, data, { epochs: 3, batchSize: 20, seed: 1, monitorEvery: 0 });
  const before = trainer.evaluate("test").error!;
  const s = await trainer.run();
  assert.ok(s.testError! < Math.min(0.2, before), `test error ${before} → ${s.testError}`);
  assert.ok(s.readouts?.rate?.testError !== undefined && s.readouts.rate.testError < 0.3, `rate readout ${JSON.stringify(s.readouts)}`);
  assert.ok(s.epochs.every((e) => e.readouts?.rate?.valError !== undefined));
  m.dispose();
});

det.run();
