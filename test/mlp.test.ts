// MLP baselines (docs/model.md §2) against a float64 transcription of the equations written here, and the
// transcription itself against central finite differences of the loss.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createModel } from "../src/models/registry.ts";
import { init, Mlp, mlpConfig, DisposedError, NonFiniteError, ShapeError, ValueError, type Core } from "../src/index.ts";
import type { NamedArray } from "../src/train/model.ts";
import { mulberry32 } from "../src/core/random.ts";

let core: Core;
let scalar: Core;

// ---------------------------------------------------------------------------------------------
// Deterministic test data (mulberry32; independent of the library's generators).
function randArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

// ---------------------------------------------------------------------------------------------
// Float64 transcription of docs/model.md §2. Matrices are row-major number[]; W_l is n_{l+1} × n_l.
type Act = "logistic" | "relu" | "tanh" | "linear";
const phi = (k: Act, a: number): number => (k === "logistic" ? 1 / (1 + Math.exp(-a)) : k === "relu" ? Math.max(0, a) : k === "tanh" ? Math.tanh(a) : a);
const dphi = (k: Act, a: number): number => {
  if (k === "logistic") {
    const s = 1 / (1 + Math.exp(-a));
    return s * (1 - s);
  }
  if (k === "relu") return a > 0 ? 1 : 0;
  if (k === "tanh") return 1 - Math.tanh(a) ** 2;
  return 1;
};

interface RefNet {
  arch: number[];
  W: number[][];
  b: number[][] | null;
  act: Act;
  loss: "softmax-ce" | "mse";
  outAct: Act;
}

/** a_l, h_l for a batch (n rows). */
function refForward(net: RefNet, x: ArrayLike<number>, n: number): { a: number[][]; h: number[][] } {
  const L = net.arch.length - 1;
  const a: number[][] = [];
  const h: number[][] = [];
  let prev = Array.from(x).slice(0, n * net.arch[0]);
  for (let l = 0; l < L; l++) {
    const nIn = net.arch[l];
    const nOut = net.arch[l + 1];
    const al = new Array(n * nOut).fill(0);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < nOut; i++) {
        let s = net.b ? net.b[l][i] : 0;
        for (let j = 0; j < nIn; j++) s += net.W[l][i * nIn + j] * prev[r * nIn + j];
        al[r * nOut + i] = s;
      }
    let hl: number[];
    if (l < L - 1) hl = al.map((v) => phi(net.act, v));
    else if (net.loss === "softmax-ce") {
      hl = new Array(n * nOut);
      for (let r = 0; r < n; r++) {
        const row = al.slice(r * nOut, (r + 1) * nOut);
        const m = Math.max(...row);
        const e = row.map((v) => Math.exp(v - m));
        const z = e.reduce((p, q) => p + q, 0);
        for (let i = 0; i < nOut; i++) hl[r * nOut + i] = e[i] / z;
      }
    } else hl = al.map((v) => phi(net.outAct, v));
    a.push(al);
    h.push(hl);
    prev = hl;
  }
  return { a, h };
}

/** Mean loss over the batch: cross-entropy −Σ t log softmax, or ½‖h − t‖². */
function refLoss(net: RefNet, x: ArrayLike<number>, t: number[], n: number): number {
  const { h } = refForward(net, x, n);
  const out = h[h.length - 1];
  let s = 0;
  for (let i = 0; i < out.length; i++) s += net.loss === "softmax-ce" ? (t[i] ? -t[i] * Math.log(out[i]) : 0) : 0.5 * (out[i] - t[i]) ** 2;
  return s / n;
}

type Rule = "bp" | "fa" | "dfa" | "usf" | "frsf" | "brsf";

/**
 * Batch-mean weight and bias "gradients" (g_W = (1/n) Σ δ_l h_{l−1}ᵀ, g_b = (1/n) Σ δ_l) for a rule.
 * fb[l] is the B of docs/model.md §2 in that orientation: FA/SCFA B_l is n_l × n_{l+1} (used for δ_{l−1}),
 * DFA B_l is n_{l+1} × n_L (used for δ_l).
 */
function refGrads(net: RefNet, rule: Rule, fb: (number[] | null)[], x: ArrayLike<number>, t: number[], n: number) {
  const L = net.arch.length - 1;
  const { a, h } = refForward(net, x, n);
  const nL = net.arch[L];
  const delta: number[][] = new Array(L);
  const top = new Array(n * nL);
  for (let i = 0; i < n * nL; i++) {
    top[i] = net.loss === "softmax-ce" ? h[L - 1][i] - t[i] : (h[L - 1][i] - t[i]) * dphi(net.outAct, a[L - 1][i]);
  }
  delta[L - 1] = top;
  for (let l = L - 2; l >= 0; l--) {
    const nOut = net.arch[l + 1];
    const d = new Array(n * nOut).fill(0);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < nOut; i++) {
        let s = 0;
        if (rule === "dfa") {
          for (let k = 0; k < nL; k++) s += fb[l]![i * nL + k] * top[r * nL + k];
        } else {
          const nUp = net.arch[l + 2];
          for (let k = 0; k < nUp; k++) {
            // BP: (W_{l+1}ᵀ δ)_i = Σ_k W[k, i] δ_k; FA/SCFA: (B_{l+1} δ)_i = Σ_k B[i, k] δ_k.
            const w = rule === "bp" ? net.W[l + 1][k * nOut + i] : fb[l + 1]![i * nUp + k];
            s += w * delta[l + 1][r * nUp + k];
          }
        }
        d[r * nOut + i] = s * dphi(net.act, a[l][r * nOut + i]);
      }
    delta[l] = d;
  }
  const gW: number[][] = [];
  const gb: number[][] = [];
  for (let l = 0; l < L; l++) {
    const nIn = net.arch[l];
    const nOut = net.arch[l + 1];
    const prev = l === 0 ? Array.from(x) : h[l - 1];
    const g = new Array(nOut * nIn).fill(0);
    const gbl = new Array(nOut).fill(0);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < nOut; i++) {
        gbl[i] += delta[l][r * nOut + i] / n;
        for (let j = 0; j < nIn; j++) g[i * nIn + j] += (delta[l][r * nOut + i] * prev[r * nIn + j]) / n;
      }
    gW.push(g);
    gb.push(gbl);
  }
  return { gW, gb, delta };
}

function netFromState(arch: number[], state: Record<string, NamedArray>, act: Act, loss: "softmax-ce" | "mse", outAct: Act): RefNet {
  const L = arch.length - 1;
  const W = Array.from({ length: L }, (_, l) => Array.from(state[`layers.${l}.W`].data));
  const hasB = `layers.0.b` in state;
  const b = hasB ? Array.from({ length: L }, (_, l) => Array.from(state[`layers.${l}.b`].data)) : null;
  return { arch, W, b, act, loss, outAct };
}

function oneHot(labels: number[], k: number): number[] {
  const t = new Array(labels.length * k).fill(0);
  labels.forEach((y, r) => (t[r * k + y] = 1));
  return t;
}

/** max |a − b| relative to max |b| (with a floor of 1e-3 on the scale). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  let s = 1e-3;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return e / s;
}

const ARCH = [5, 7, 3];
const N = 4;
const X = randArray(N * 5, 11, -1.5, 1.5);
const LABELS = [0, 2, 1, 2];

// ---------------------------------------------------------------------------------------------
const t = suite("mlp: backprop family (docs/model.md §2)");

t.before(async () => {
  core = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
});

t("the float64 oracle's backprop gradient matches central finite differences of its loss", () => {
  // Validates the transcription itself; h = 1e-5 gives truncation error O(h²) ≈ 1e-10 and
  // cancellation error ≈ 1e-16/1e-5 = 1e-11 relative, so 1e-6 relative is a safe bound.
  const r = mulberry32(5);
  for (const [act, loss, outAct] of [
    ["logistic", "softmax-ce", "linear"],
    ["tanh", "mse", "logistic"],
    ["relu", "mse", "linear"],
  ] as [Act, "softmax-ce" | "mse", Act][]) {
    const net: RefNet = {
      arch: ARCH,
      W: [Array.from({ length: 35 }, () => r() - 0.5), Array.from({ length: 21 }, () => r() - 0.5)],
      b: [Array.from({ length: 7 }, () => r() - 0.5), Array.from({ length: 3 }, () => r() - 0.5)],
      act,
      loss,
      outAct,
    };
    const T = oneHot(LABELS, 3);
    const { gW, gb } = refGrads(net, "bp", [], X, T, N);
    const h = 1e-5;
    for (let l = 0; l < 2; l++) {
      const fd = net.W[l].map((w, i) => {
        net.W[l][i] = w + h;
        const up = refLoss(net, X, T, N);
        net.W[l][i] = w - h;
        const dn = refLoss(net, X, T, N);
        net.W[l][i] = w;
        return (up - dn) / (2 * h);
      });
      assert.ok(relErr(gW[l], fd) < 1e-6, `${act}/${loss} W${l}: ${relErr(gW[l], fd)}`);
      const fdb = net.b![l].map((w, i) => {
        net.b![l][i] = w + h;
        const up = refLoss(net, X, T, N);
        net.b![l][i] = w - h;
        const dn = refLoss(net, X, T, N);
        net.b![l][i] = w;
        return (up - dn) / (2 * h);
      });
      assert.ok(relErr(gb[l], fdb) < 1e-6, `${act}/${loss} b${l}`);
    }
  }
});

// Every activation × loss × output activation the library offers, on 5-7-3 at batch 4.
const COMBOS: [Act, "softmax-ce" | "mse", string][] = [];
for (const act of ["logistic", "relu", "tanh"] as Act[]) {
  COMBOS.push([act, "softmax-ce", "softmax"]);
  for (const o of ["linear", "logistic", "relu", "tanh"]) COMBOS.push([act, "mse", o]);
}

for (const impl of ["simd", "scalar"] as const) {
  t(`${impl}: one BP step stores the float64 gradient in the momentum buffer, for every activation and loss`, () => {
    // With momentum the first step leaves v = g exactly (v starts at 0), so vW/vb are the
    // gradient the kernels computed. Float32 sums of ≤ 7 products per entry through two layers
    // (exp to 1.5 ulp) stay within ~1e-6 of the largest entry; 2e-5 leaves a 20× margin.
    const c = impl === "simd" ? core : scalar;
    for (const [act, loss, out] of COMBOS) {
      const m = new Mlp(c, { arch: ARCH, activation: act, loss, outputActivation: out, rule: "bp", lr: 0.5, momentum: 0.9, seed: 3, initGain: 2 });
      const s0 = m.exportState();
      m.trainBatch({ n: N, x: X, labels: Int32Array.from(LABELS) });
      const s1 = m.exportState();
      const net = netFromState(ARCH, s0, act, loss, (out === "softmax" ? "linear" : out) as Act);
      const { gW, gb } = refGrads(net, "bp", [], X, oneHot(LABELS, 3), N);
      for (let l = 0; l < 2; l++) {
        const tag = `${act}/${loss}/${out} layer ${l}`;
        assert.ok(relErr(s1[`layers.${l}.vW`].data, gW[l]) < 2e-5, `${tag} vW: ${relErr(s1[`layers.${l}.vW`].data, gW[l])}`);
        assert.ok(relErr(s1[`layers.${l}.vb`].data, gb[l]) < 2e-5, `${tag} vb`);
        // W1 = W0 − η v1: the update is a single float32 multiply-add per entry.
        const want = Array.from(s0[`layers.${l}.W`].data, (w, i) => w - 0.5 * s1[`layers.${l}.vW`].data[i]);
        assert.ok(relErr(s1[`layers.${l}.W`].data, want) < 1e-6, `${tag} W update`);
      }
      // No gradient through a relu output whose units are all off gives exact zeros; any other
      // combination must have moved the weights.
      assert.ok(s1["layers.1.vW"].data.some((v) => v !== 0) || out === "relu", `${act}/${loss}/${out}: no update at all`);
      m.dispose();
    }
  });
}

t("plain SGD (no momentum) moves W by −η g and b by −η g_b", () => {
  // η = 1 keeps the change at the size of the gradient; the float32 rounding of W (|W| ≲ 1,
  // ulp ≈ 6e-8) is then ≲ 1e-5 of the largest gradient entry (≈ 1e-2), so 1e-4 bounds it.
  for (const [act, loss, out] of [
    ["tanh", "softmax-ce", "softmax"],
    ["logistic", "mse", "logistic"],
  ] as [Act, "softmax-ce" | "mse", string][]) {
    const m = new Mlp(core, { arch: ARCH, activation: act, loss, outputActivation: out, rule: "bp", lr: 1, seed: 9 });
    const s0 = m.exportState();
    assert.not.ok("layers.0.vW" in s0, "no momentum buffers without momentum");
    m.trainBatch({ n: N, x: X, labels: Int32Array.from(LABELS) });
    const s1 = m.exportState();
    const net = netFromState(ARCH, s0, act, loss, (out === "softmax" ? "linear" : out) as Act);
    const { gW, gb } = refGrads(net, "bp", [], X, oneHot(LABELS, 3), N);
    for (let l = 0; l < 2; l++) {
      const dW = Array.from(s1[`layers.${l}.W`].data, (w, i) => s0[`layers.${l}.W`].data[i] - w);
      const db = Array.from(s1[`layers.${l}.b`].data, (w, i) => s0[`layers.${l}.b`].data[i] - w);
      assert.ok(relErr(dW, gW[l]) < 1e-4, `${act}/${loss} W${l}: ${relErr(dW, gW[l])}`);
      assert.ok(relErr(db, gb[l]) < 1e-4, `${act}/${loss} b${l}`);
    }
    m.dispose();
  }
});

/** Feedback matrices in the orientation of docs/model.md §2 the reference needs, for the state before a step. */
function feedbackFor(rule: Rule, m: Mlp, s: Record<string, NamedArray>, arch: number[], step: number): (number[] | null)[] {
  const L = arch.length - 1;
  const cfg = m.config() as { feedbackGain: number; seed: number };
  const fb: (number[] | null)[] = new Array(L).fill(null);
  for (let l = 0; l < L; l++) {
    if (rule === "fa" && l >= 1) fb[l] = Array.from(s[`layers.${l}.B`].data);
    if (rule === "dfa" && l <= L - 2) fb[l] = Array.from(s[`layers.${l}.B`].data);
    if ((rule === "usf" || rule === "frsf" || rule === "brsf") && l >= 1) {
      const nOut = arch[l + 1];
      const nIn = arch[l];
      const W = s[`layers.${l}.W`].data;
      // s_l = feedbackGain · E|W| under glorot-uniform U(−a, a): a / 2 (src/models/mlp/params.ts).
      const sl = (cfg.feedbackGain * Math.sqrt(6 / (nIn + nOut))) / 2;
      let M: ArrayLike<number>;
      if (rule === "usf") M = new Array(nIn * nOut).fill(sl);
      else if (rule === "frsf") M = s[`layers.${l}.M`].data;
      else {
        // brSF: redrawn per batch from stream 4l+3 at counter step · drawSize (U(0, 2 s_l)),
        // drawn here with the library's uniform kernel into a forward-orientation buffer.
        const arena = core.arena();
        const buf = arena.matrix(nOut, nIn);
        const drawSize = Math.max(...arch.slice(1, L).map((_, k) => arch[k + 2] * arch[k + 1]));
        core.fn<(...a: number[]) => void>("uniform")(buf.ptr, nOut, nIn, cfg.seed, 4 * l + 3, step * drawSize, 0, 0, 2 * sl);
        const fwd = buf.read();
        arena.dispose();
        const tr = new Array(nIn * nOut);
        for (let i = 0; i < nOut; i++) for (let j = 0; j < nIn; j++) tr[j * nOut + i] = fwd[i * nIn + j];
        M = tr;
      }
      // B_l = M ⊙ sign(W_l)ᵀ (docs/model.md §2), B_l is n_l × n_{l+1}.
      const B = new Array(nIn * nOut);
      for (let j = 0; j < nIn; j++) for (let i = 0; i < nOut; i++) B[j * nOut + i] = M[j * nOut + i] * Math.sign(W[i * nIn + j]);
      fb[l] = B;
    }
  }
  return fb;
}

for (const rule of ["fa", "dfa", "usf", "frsf", "brsf"] as Rule[]) {
  t(`${rule}: three SGD+momentum steps on 5-7-6-3 follow the formula of docs/model.md §2 in float64 with the same feedback`, () => {
    // Each step compares the update against the float64 rule evaluated on the model's own state
    // before the step, so rounding does not accumulate across steps: 2e-5 of the largest entry as
    // in the BP test.
    const arch = [5, 7, 6, 3];
    const m = new Mlp(core, { arch, activation: "tanh", rule, lr: 0.3, momentum: 0.5, seed: 21, feedbackGain: 1.5 });
    for (let step = 0; step < 3; step++) {
      const x = randArray(N * 5, 100 + step, -1, 1);
      const labels = [step % 3, 1, 2, 0];
      const s0 = m.exportState();
      const net = netFromState(arch, s0, "tanh", "softmax-ce", "linear");
      const fb = feedbackFor(rule, m, s0, arch, step);
      m.trainBatch({ n: N, x, labels: Int32Array.from(labels) });
      const s1 = m.exportState();
      const { gW, gb } = refGrads(net, rule, fb, x, oneHot(labels, 3), N);
      for (let l = 0; l < 3; l++) {
        const v0 = s0[`layers.${l}.vW`].data;
        const v1 = s1[`layers.${l}.vW`].data;
        const g = Array.from(v1, (v, i) => v - 0.5 * v0[i]);
        assert.ok(relErr(g, gW[l]) < 2e-5, `step ${step} layer ${l}: ${relErr(g, gW[l])}`);
        const gbm = Array.from(s1[`layers.${l}.vb`].data, (v, i) => v - 0.5 * s0[`layers.${l}.vb`].data[i]);
        assert.ok(relErr(gbm, gb[l]) < 2e-5, `step ${step} layer ${l} bias`);
      }
      // Feedback differs from backprop: the hidden gradient must not equal the BP one.
      const bp = refGrads(net, "bp", [], x, oneHot(labels, 3), N);
      assert.ok(relErr(gW[0], bp.gW[0]) > 1e-3, `${rule} gradient of layer 0 equals backprop's`);
    }
    // FA/DFA feedback and frSF magnitudes are fixed: unchanged after three steps.
    const sEnd = m.exportState();
    const s0 = new Mlp(core, { arch, activation: "tanh", rule, lr: 0.3, momentum: 0.5, seed: 21, feedbackGain: 1.5 });
    const sInit = s0.exportState();
    for (const k of Object.keys(sEnd)) if (k.endsWith(".B") || k.endsWith(".M")) assert.equal(sEnd[k].data, sInit[k].data, `${k} changed`);
    if (rule === "brsf") assert.equal(Array.from(sEnd["rng.counter"].data), [3 * Math.max(6 * 7, 3 * 6), 0]);
    s0.dispose();
    m.dispose();
  });
}

t("brsf redraws its magnitudes every batch; frsf keeps them", () => {
  // Two identical batches from the same state: frSF's second step reuses M, brSF's draws anew, so
  // the hidden-layer gradients of the two steps (read from v with μ = 0.5) differ only for brSF.
  const arch = [5, 7, 6, 3];
  const gradsOfTwoSteps = (rule: Rule) => {
    const m = new Mlp(core, { arch, activation: "tanh", rule, lr: 1e-9, momentum: 0.5, seed: 4 });
    const xs = { n: N, x: X, labels: Int32Array.from(LABELS) };
    m.trainBatch(xs);
    const v1 = m.exportState()["layers.0.vW"].data.slice();
    m.trainBatch(xs);
    const v2 = m.exportState()["layers.0.vW"].data;
    const g2 = v2.map((v, i) => v - 0.5 * v1[i]);
    m.dispose();
    return relErr(g2, v1);
  };
  // lr 1e-9 moves W by ≲ 1e-10, so frSF's two gradients agree to float32 rounding (< 1e-5).
  assert.ok(gradsOfTwoSteps("frsf") < 1e-5);
  assert.ok(gradsOfTwoSteps("brsf") > 1e-2);
});

t("uSF feedback follows the current W: after importing W with doubled magnitudes, B is still s_l · sign(W)ᵀ", () => {
  // B = s·sign(W)ᵀ ignores magnitudes, so doubling |W_2| changes only the forward pass; the
  // oracle builds B from the imported W.
  const arch = [5, 7, 6, 3];
  const m = new Mlp(core, { arch, activation: "relu", rule: "usf", lr: 0.1, momentum: 0.5, seed: 8 });
  const s = m.exportState();
  s["layers.2.W"] = { shape: s["layers.2.W"].shape, data: s["layers.2.W"].data.map((w) => 2 * w) };
  m.importState(s);
  const net = netFromState(arch, s, "relu", "softmax-ce", "linear");
  const fb = feedbackFor("usf", m, s, arch, 0);
  m.trainBatch({ n: N, x: X, labels: Int32Array.from(LABELS) });
  const { gW } = refGrads(net, "usf", fb, X, oneHot(LABELS, 3), N);
  assert.ok(relErr(m.exportState()["layers.1.vW"].data, gW[1]) < 2e-5);
  m.dispose();
});

t("scfaMagnitude unit gives the literal uSF feedback B = sign(W)ᵀ (docs/model.md §2, M = 1)", () => {
  const arch = [5, 7, 6, 3];
  const m = new Mlp(core, { arch, activation: "tanh", rule: "usf", scfaMagnitude: "unit", lr: 0.1, momentum: 0.5, seed: 8 });
  const s = m.exportState();
  const net = netFromState(arch, s, "tanh", "softmax-ce", "linear");
  const fb: (number[] | null)[] = [null];
  for (let l = 1; l < 3; l++) {
    const nIn = arch[l];
    const nOut = arch[l + 1];
    const W = s[`layers.${l}.W`].data;
    const B = new Array(nIn * nOut);
    for (let j = 0; j < nIn; j++) for (let i = 0; i < nOut; i++) B[j * nOut + i] = Math.sign(W[i * nIn + j]);
    fb.push(B);
  }
  m.trainBatch({ n: N, x: X, labels: Int32Array.from(LABELS) });
  const { gW } = refGrads(net, "usf", fb, X, oneHot(LABELS, 3), N);
  // Tolerance as in the BP gradient test.
  for (let l = 0; l < 3; l++) assert.ok(relErr(m.exportState()[`layers.${l}.vW`].data, gW[l]) < 2e-5, `layer ${l}`);
  m.dispose();
});

t("the same seed gives identical weights, before and after training; another seed does not", () => {
  for (const rule of ["bp", "fa", "dfa", "usf", "frsf", "brsf"] as Rule[]) {
    const mk = (seed: number) => new Mlp(core, { arch: [6, 9, 4], rule, seed, momentum: 0.9 });
    const a = mk(77);
    const b = mk(77);
    const c = mk(78);
    const x = randArray(8 * 6, 3);
    const labels = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]);
    assert.equal(a.exportState(), b.exportState(), `${rule} init`);
    assert.not.equal(a.exportState()["layers.0.W"].data, c.exportState()["layers.0.W"].data);
    for (let i = 0; i < 5; i++) {
      a.trainBatch({ n: 8, x, labels });
      b.trainBatch({ n: 8, x, labels });
    }
    assert.equal(a.exportState(), b.exportState(), `${rule} after training`);
    a.dispose();
    b.dispose();
    c.dispose();
  }
});

t("importState restores a model bit for bit: continuing from it equals continuing the original", () => {
  const cfg = { arch: [6, 9, 4], rule: "brsf", seed: 5, momentum: 0.9 };
  const a = new Mlp(core, cfg);
  const x = randArray(8 * 6, 3);
  const labels = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]);
  for (let i = 0; i < 3; i++) a.trainBatch({ n: 8, x, labels });
  const b = new Mlp(core, { ...cfg, seed: 99 });
  b.importState(a.exportState());
  for (let i = 0; i < 3; i++) {
    a.trainBatch({ n: 8, x, labels });
    b.trainBatch({ n: 8, x, labels });
  }
  assert.equal(a.exportState(), b.exportState());
  a.dispose();
  b.dispose();
});

t("exported state names, shapes and dtypes follow the documented table", () => {
  const m = new Mlp(core, { arch: [5, 7, 6, 3], rule: "dfa", momentum: 0.9 });
  const s = m.exportState();
  const shapes = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.shape]));
  assert.equal(shapes, {
    "layers.0.W": [7, 5],
    "layers.0.b": [7],
    "layers.0.vW": [7, 5],
    "layers.0.vb": [7],
    "layers.0.B": [7, 3],
    "layers.1.W": [6, 7],
    "layers.1.b": [6],
    "layers.1.vW": [6, 7],
    "layers.1.vb": [6],
    "layers.1.B": [6, 3],
    "layers.2.W": [3, 6],
    "layers.2.b": [3],
    "layers.2.vW": [3, 6],
    "layers.2.vb": [3],
  });
  m.dispose();
  const fa = new Mlp(core, { arch: [5, 7, 6, 3], rule: "fa", biases: false });
  assert.equal(Object.keys(fa.exportState()), ["layers.0.W", "layers.1.W", "layers.1.B", "layers.2.W", "layers.2.B"]);
  assert.equal(fa.exportState()["layers.1.B"].shape, [7, 6]);
  fa.dispose();
  const br = new Mlp(core, { arch: [5, 7, 3], rule: "brsf", seed: 0xfffffffe });
  assert.equal(br.exportState()["rng.seed"], { shape: [1], data: Uint32Array.of(0xfffffffe) });
  assert.equal(br.exportState()["rng.counter"], { shape: [2], data: Uint32Array.of(0, 0) });
  br.dispose();
});

t("importState rejects a missing name, a foreign name and a wrong shape, naming it", () => {
  const m = new Mlp(core, { arch: [5, 7, 3] });
  const s = m.exportState();
  const { ["layers.1.b"]: _drop, ...missing } = s;
  assert.throws(
    () => m.importState(missing),
    (e: Error) => e instanceof ShapeError && /missing 'layers\.1\.b'/.test(e.message),
  );
  assert.throws(
    () => m.importState({ ...s, "layers.1.B": s["layers.1.W"] }),
    (e: Error) => e instanceof ShapeError && /'layers\.1\.B' is not part/.test(e.message),
  );
  const other = new Mlp(core, { arch: [5, 8, 3] }).exportState();
  assert.throws(
    () => m.importState(other),
    (e: Error) => e instanceof ShapeError && /'layers\.0\.W' must be a float32 array of shape \[7, 5\]/.test(e.message),
  );
  m.dispose();
});

t("bad configuration values are ValueErrors naming the field", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ arch: [784] }, /arch/],
    [{ arch: [4, 0, 3] }, /arch/],
    [{ arch: "784-500-10" }, /arch/],
    [{ arch: [4, 3], rule: "dfa2" }, /rule must be one of bp, fa, dfa, usf, frsf, brsf/],
    [{ arch: [4, 3], activation: "gelu" }, /activation/],
    [{ arch: [4, 3], loss: "hinge" }, /loss/],
    [{ arch: [4, 3], outputActivation: "logistic" }, /outputActivation must be one of softmax/],
    [{ arch: [4, 3], lr: -0.1 }, /lr must be a finite number > 0/],
    [{ arch: [4, 3], lr: NaN }, /lr/],
    [{ arch: [4, 3], momentum: 1 }, /momentum must be a number in \[0, 1\)/],
    [{ arch: [4, 3], init: "zeros" }, /init/],
    [{ arch: [4, 3], seed: 1.5 }, /seed/],
    [{ arch: [4, 3], seed: -1 }, /seed/],
    [{ arch: [4, 3], biases: "yes" }, /biases/],
    [{ arch: [4, 3], maxBatch: 0 }, /maxBatch/],
    [{ arch: [4, 3], scfaMagnitude: "one" }, /scfaMagnitude must be one of init, unit/],
    [{ arch: [4, 3], learningRate: 0.1 }, /unknown field 'learningRate'/],
  ];
  for (const [cfg, re] of bad) {
    assert.throws(
      () => mlpConfig(cfg),
      (e: Error) => e instanceof ValueError && re.test(e.message),
      JSON.stringify(cfg),
    );
  }
  assert.throws(
    () => createModel(core, "mlp", { arch: [4, 3], rule: "x" }),
    (e: Error) => e instanceof ValueError && /rule/.test(e.message),
  );
});

t("the registry builds an mlp whose config() rebuilds the same model", () => {
  const m = createModel(core, "mlp", { arch: [4, 6, 3], rule: "fa", seed: 2 });
  assert.is(m.kind, "mlp");
  const again = createModel(core, "mlp", m.config());
  assert.equal(again.exportState(), m.exportState());
  m.dispose();
  again.dispose();
});

t("bad batches are rejected with the offending field named", () => {
  const m = new Mlp(core, { arch: [5, 7, 3], maxBatch: 4 });
  assert.throws(
    () => m.trainBatch({ n: 5, x: new Float32Array(25), labels: new Int32Array(5) }),
    (e: Error) => e instanceof ValueError && /n must be an integer in \[1, 4\]/.test(e.message),
  );
  assert.throws(
    () => m.trainBatch({ n: 2, x: new Float32Array(9), labels: new Int32Array(2) }),
    (e: Error) => e instanceof ShapeError && /x holds 9/.test(e.message),
  );
  assert.throws(
    () => m.trainBatch({ n: 2, x: new Float32Array(10), labels: Int32Array.from([0, 3]) }),
    (e: Error) => e instanceof ValueError && /batch\.labels\[1\]/.test(e.message),
  );
  assert.throws(
    () => m.trainBatch({ n: 2, x: new Float32Array(10) }),
    (e: Error) => e instanceof ValueError && /labels .* or targets/.test(e.message),
  );
  m.dispose();
});

t("squared error trains on batch.targets when given, else on labels coded targetOn/targetOff; cross-entropy on labels", () => {
  // The same gradient (read from v after one momentum step) for an explicit 0.1/0.9 target batch
  // and for labels with targetOn 0.9 / targetOff 0.1 — and a different one with the default 1/0.
  const run = (cfg: Record<string, unknown>, batch: { labels?: Int32Array; targets?: Float32Array }) => {
    const m = new Mlp(core, { arch: ARCH, loss: "mse", outputActivation: "logistic", momentum: 0.5, seed: 6, ...cfg });
    m.trainBatch({ n: N, x: X, ...batch });
    const v = m.exportState()["layers.0.vW"].data;
    m.dispose();
    return v;
  };
  const coded = Float32Array.from(oneHot(LABELS, 3), (v) => (v ? 0.9 : 0.1));
  const a = run({}, { targets: coded, labels: Int32Array.from([1, 1, 1, 1]) });
  const b = run({ targetOn: 0.9, targetOff: 0.1 }, { labels: Int32Array.from(LABELS) });
  const c = run({}, { labels: Int32Array.from(LABELS) });
  assert.equal(a, b);
  assert.not.equal(a, c);
  const ce = (batch: { labels?: Int32Array; targets?: Float32Array }) => {
    const m = new Mlp(core, { arch: ARCH, momentum: 0.5, seed: 6 });
    m.trainBatch({ n: N, x: X, ...batch });
    const v = m.exportState()["layers.0.vW"].data;
    m.dispose();
    return v;
  };
  assert.equal(ce({ labels: Int32Array.from(LABELS), targets: coded }), ce({ targets: Float32Array.from(oneHot(LABELS, 3)) }));
});

t("non-finite weights stop training with a NonFiniteError naming the layer and variable", () => {
  const m = new Mlp(core, { arch: [5, 7, 6, 3] });
  const s = m.exportState();
  const W = s["layers.1.W"].data.slice();
  W[4] = NaN;
  m.importState({ ...s, "layers.1.W": { shape: s["layers.1.W"].shape, data: W } });
  assert.throws(
    () => m.trainBatch({ n: N, x: X, labels: Int32Array.from(LABELS) }),
    (e: Error) => e instanceof NonFiniteError && /layer 1/.test(e.message) && /layers\.1\.W/.test(e.message),
  );
  assert.throws(
    () => m.checkFinite(),
    (e: Error) => e instanceof NonFiniteError && /layers\.1\.W/.test(e.message),
  );
  m.dispose();
});

t("a diverging run (relu, squared error, huge lr) raises NonFiniteError within a few steps, never silent NaN", () => {
  const m = new Mlp(core, { arch: [5, 7, 3], activation: "relu", loss: "mse", lr: 1e6 });
  const targets = randArray(N * 3, 2, 50, 100);
  let raised: Error | undefined;
  for (let i = 0; i < 50 && !raised; i++) {
    try {
      m.trainBatch({ n: N, x: X, targets });
    } catch (e) {
      raised = e as Error;
    }
  }
  assert.instance(raised, NonFiniteError);
  assert.match(raised!.message, /layers\.\d/);
  m.dispose();
});

t("predict equals the float64 forward pass and handles n > maxBatch in chunks", () => {
  // Forward through two layers of ≤ 7-term float32 dot products: 1e-5 relative.
  const m = new Mlp(core, { arch: [5, 7, 3], activation: "tanh", maxBatch: 3 });
  const x = randArray(10 * 5, 12);
  const y = m.predict(x, 10);
  const net = netFromState([5, 7, 3], m.exportState(), "tanh", "softmax-ce", "linear");
  const ref = refForward(net, x, 10).h[1];
  assert.ok(relErr(y, ref) < 1e-5);
  for (let r = 0; r < 10; r++) assert.ok(Math.abs(y.subarray(r * 3, r * 3 + 3).reduce((p, q) => p + q, 0) - 1) < 1e-6, "softmax rows sum to 1");
  m.dispose();
});

t("thousands of steps leave linear memory unchanged; use after dispose is a DisposedError", () => {
  const m = new Mlp(core, { arch: [20, 30, 4], rule: "brsf", momentum: 0.9, maxBatch: 10 });
  const x = randArray(10 * 20, 1);
  const labels = Int32Array.from({ length: 10 }, (_, i) => i % 4);
  m.trainBatch({ n: 10, x, labels });
  const before = core.memory.buffer.byteLength;
  for (let i = 0; i < 3000; i++) m.trainBatch({ n: 10, x, labels });
  m.predict(x, 10);
  assert.is(core.memory.buffer.byteLength, before);
  m.dispose();
  assert.throws(
    () => m.trainBatch({ n: 10, x, labels }),
    (e: Error) => e instanceof DisposedError,
  );
  assert.throws(
    () => m.exportState(),
    (e: Error) => e instanceof DisposedError,
  );
});

// ---------------------------------------------------------------------------------------------
// Learning: four classes in 8-D, each the union of two clusters at ±2·e_k (σ = 0.4 noise). The
// two clusters of a class are symmetric about the origin, so no linear read-out of the inputs
// separates the classes: the hidden layers have to learn.
function xorClusters(n: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const r = mulberry32(seed);
  const x = new Float32Array(n * 8);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 4);
    const sign = r() < 0.5 ? -1 : 1;
    labels[i] = k;
    for (let j = 0; j < 8; j++) {
      const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()); // Box–Muller
      x[i * 8 + j] = (j === k ? 2 * sign : 0) + 0.4 * g;
    }
  }
  return { x, labels };
}

const LEARN: [Act, "softmax-ce" | "mse", string, number][] = [
  ["logistic", "softmax-ce", "softmax", 0.5],
  ["tanh", "mse", "logistic", 0.5],
  ["relu", "softmax-ce", "softmax", 0.1],
];
for (const rule of ["bp", "fa", "dfa", "usf", "frsf", "brsf"] as Rule[]) {
  for (const [act, loss, out, lr] of LEARN) {
    t(`${rule} (${act}, ${loss}): 3000 steps on a non-linearly-separable cluster task cut the test loss 5× and reach ≥ 95 % accuracy`, () => {
      // Measured with seed 3: every rule and combination ends at 98.5–100 % on the 1000 test points.
      const train = xorClusters(30000, 1);
      const test = xorClusters(1000, 2);
      const m = new Mlp(core, { arch: [8, 16, 16, 4], activation: act, loss, outputActivation: out, rule, lr, momentum: 0.5, seed: 3, maxBatch: 10 });
      const net = () => netFromState([8, 16, 16, 4], m.exportState(), act, loss, (out === "softmax" ? "linear" : out) as Act);
      const T = oneHot(Array.from(test.labels), 4);
      const l0 = refLoss(net(), test.x, T, 1000);
      for (let s = 0; s < 3000; s++) {
        m.trainBatch({ n: 10, x: train.x.subarray(s * 80, s * 80 + 80), labels: train.labels.subarray(s * 10, s * 10 + 10) });
      }
      const l1 = refLoss(net(), test.x, T, 1000);
      const y = m.predict(test.x, 1000);
      let correct = 0;
      for (let i = 0; i < 1000; i++) {
        const row = Array.from(y.subarray(i * 4, i * 4 + 4));
        if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
      }
      assert.ok(l1 < l0 / 5, `loss ${l0.toFixed(4)} → ${l1.toFixed(4)}`);
      assert.ok(correct >= 950, `accuracy ${correct}/1000`);
      m.dispose();
    });
  }
}

t("default init: Glorot-uniform ×4 for logistic units, ×1 for the others", () => {
  assert.is(mlpConfig({ arch: [4, 3] }).initGain, 4);
  assert.is(mlpConfig({ arch: [4, 3], activation: "tanh" }).initGain, 1);
  assert.is(mlpConfig({ arch: [4, 3], activation: "relu" }).initGain, 1);
  assert.is(mlpConfig({ arch: [4, 3], initGain: 2 }).initGain, 2);
  // The drawn weights fill U(−a, a) with a = gain·√(6/(fan_in + fan_out)) (Glorot & Bengio 2010).
  for (const [activation, gain] of [
    ["logistic", 4],
    ["tanh", 1],
  ] as const) {
    const m = createModel(core, "mlp", { arch: [100, 50], activation, seed: 3 });
    const W = m.exportState()["layers.0.W"].data;
    const a = gain * Math.sqrt(6 / 150);
    let max = 0;
    for (const w of W) max = Math.max(max, Math.abs(w));
    assert.ok(max <= a && max > 0.99 * a, `${activation}: max |W| ${max} against a = ${a}`);
    m.dispose();
  }
});

t.run();
