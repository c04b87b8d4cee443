// One BrainProp step of the dense MNIST net (784-1500-1000-500-10, PBR20) at its published initial
// scales, checked against a float64 transcription, and its learning signal compared with backprop
// (softmax cross-entropy) on the same weights and batch. Answers: is the slow start of dense
// BrainProp a defect of the implementation or a property of the rule at this initialisation?
// (docs/experiments/brainprop-dense.md)
//
// For each setting: the first 128 training digits, greedy choices s = argmax Q (no exploration, so
// the step is deterministic), r = [s = label], L = mean ½(r − Q_s)²; ΔW of `trainBatchWithActions`
// against −lr·∇L computed in float64, per layer: relative error ‖−ΔW/lr − ∇L‖/‖∇L‖ and cosine; and
// ‖∇L‖ beside ‖∇L_CE‖ of backprop's softmax cross-entropy.
// Usage: npm run build && node scripts/brainprop-dense-check.mjs [--json FILE]
import { writeFileSync } from "node:fs";
import { init, BrainPropNet } from "../dist/index.js";
import { loadDataset } from "../dist/node/index.js";

const core = await init({ impl: "simd" });
const d = loadDataset("mnist", {});
const B = 128;
const sizes = [784, 1500, 1000, 500, 10];
const keys = ["layers.0.W", "layers.2.W", "layers.4.W", "layers.6.W"];
const x = new Float32Array(B * 784);
for (let i = 0; i < x.length; i++) x[i] = d.train.x[i] / 255;
const labels = Int32Array.from(d.train.labels.subarray(0, B));

function forward(W, xb) {
  const acts = [xb];
  let a = xb;
  for (let l = 0; l < 4; l++) {
    const n = sizes[l],
      o = new Float64Array(sizes[l + 1]),
      w = W[l];
    for (let u = 0; u < o.length; u++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += w[u * n + j] * a[j];
      o[u] = l < 3 ? Math.max(0, s) : s;
    }
    acts.push(o);
    a = o;
  }
  return acts;
}

/** ∇_W of a loss whose derivative with respect to Q is outErr[b] (batch mean folded in). */
function gradients(W, acts, outErr) {
  const g = W.map((w) => new Float64Array(w.length));
  for (let b = 0; b < B; b++) {
    let delta = outErr[b];
    for (let l = 3; l >= 0; l--) {
      const n = sizes[l],
        m = sizes[l + 1],
        a = acts[b][l],
        w = W[l],
        gl = g[l];
      for (let u = 0; u < m; u++) if (delta[u] !== 0) for (let j = 0; j < n; j++) gl[u * n + j] += delta[u] * a[j];
      if (l === 0) break;
      const prev = new Float64Array(n);
      for (let u = 0; u < m; u++) if (delta[u] !== 0) for (let j = 0; j < n; j++) prev[j] += w[u * n + j] * delta[u];
      for (let j = 0; j < n; j++) if (a[j] <= 0) prev[j] = 0;
      delta = prev;
    }
  }
  return g;
}

const norm = (a) => Math.sqrt(a.reduce((t, v) => t + v * v, 0));
const out = [];
for (const [initStd, lr, source] of [
  [0.01, 0.1, "authors' public code"],
  [0.1, 1, "paper's text"],
]) {
  const m = new BrainPropNet(core, { net: "dense", input: [1, 1, 784], maxBatch: B, seed: 1, initStd, lr });
  const before = m.exportState();
  const W = keys.map((k) => Float64Array.from(before[k].data));
  const acts = Array.from({ length: B }, (_, b) => forward(W, Float64Array.from(x.subarray(b * 784, (b + 1) * 784))));
  const Q = acts.map((a) => a[4]);
  const sel = Q.map((q) => q.indexOf(Math.max(...q)));
  const r = sel.map((s, b) => (s === labels[b] ? 1 : 0));
  const errBrainProp = Q.map((q, b) => {
    const e = new Float64Array(10);
    e[sel[b]] = -(r[b] - q[sel[b]]) / B;
    return e;
  });
  const errCE = Q.map((q, b) => {
    const mx = Math.max(...q);
    const z = q.reduce((t, v) => t + Math.exp(v - mx), 0);
    return Float64Array.from(q, (v, k) => (Math.exp(v - mx) / z - (k === labels[b] ? 1 : 0)) / B);
  });
  const g = gradients(W, acts, errBrainProp);
  const gce = gradients(W, acts, errCE);
  m.trainBatchWithActions({ n: B, x, labels }, sel);
  const after = m.exportState();
  m.dispose();
  const correct = r.reduce((a, v) => a + v, 0);
  const wrongDelta = Q.reduce((t, q, b) => t + (r[b] ? 0 : -q[sel[b]]), 0) / Math.max(1, B - correct);
  const layers = keys.map((k, l) => {
    const dw = Float64Array.from(after[k].data, (v, i) => (v - before[k].data[i]) / -lr);
    let dot = 0;
    for (let i = 0; i < dw.length; i++) dot += dw[i] * g[l][i];
    return {
      tensor: k,
      gradNorm: norm(g[l]),
      relError: norm(dw.map((v, i) => v - g[l][i])) / norm(g[l]),
      cosine: dot / (norm(dw) * norm(g[l])),
      backpropCEGradNorm: norm(gce[l]),
      weightNorm: norm(W[l]),
    };
  });
  const meanAbsQ = Q.reduce((t, q) => t + q.reduce((s, v) => s + Math.abs(v), 0) / 10, 0) / B;
  const row = { initStd, lr, source, batch: B, meanAbsQ, greedyCorrect: correct, meanDeltaWrongChoices: wrongDelta, layers };
  out.push(row);
  console.log(
    `N(0, ${initStd}²), lr ${lr} (${source}): mean |Q| ${meanAbsQ.toExponential(2)}; greedy choices correct ${correct}/${B}; mean δ of the wrong ones ${wrongDelta.toExponential(2)}`,
  );
  for (const L of layers) {
    console.log(
      `  ${L.tensor}: ‖∇L‖ ${L.gradNorm.toExponential(3)} (‖W‖ ${L.weightNorm.toExponential(2)}); implementation vs f64: rel. error ${L.relError.toExponential(2)}, cos ${L.cosine.toFixed(6)}; backprop-CE ‖∇‖ ${L.backpropCEGradNorm.toExponential(3)}`,
    );
  }
}
const i = process.argv.indexOf("--json");
if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify(out, null, 2) + "\n");
