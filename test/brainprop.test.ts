// BrainProp (PBR20; docs/model.md §3) and its backprop baseline, against a float64 transcription of the
// networks written here: the weight change of one step with the selected units fixed must be
// −lr × the gradient of mean ½(r − Q_s)² (for bp: of the mean softmax cross-entropy), with the
// gradient taken by central finite differences of the f64 forward pass.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, BrainPropNet, ShapeError, ValueError, NonFiniteError, type Core, type LayerSpec } from "../src/index.ts";
import { mulberry32 } from "../src/core/random.ts";

type Fn = (...a: number[]) => number;
const ceil4 = (n: number) => (n + 3) & ~3;

let core: Core;
let scalar: Core;
const load = async () => {
  core ??= await init({ impl: "simd" });
  scalar ??= await init({ impl: "scalar" });
};

// ------------------------------------------------------------------------------------------------
// f64 transcription. Activations: per example, H·W·C values in (h, w, c) order.

interface Shape3 {
  h: number;
  w: number;
  c: number;
}
type Params = Record<string, Float64Array>;

function outSize(n: number, stride: number, padding: string) {
  if (padding === "valid") return { o: Math.floor((n - 3) / stride) + 1, pad: 0 };
  const o = Math.ceil(n / stride);
  return { o, pad: Math.floor(Math.max((o - 1) * stride + 3 - n, 0) / 2) };
}

/** Forward pass of the whole batch; returns Q (batch × classes). train: batch statistics for BN. */
function forward64(layers: LayerSpec[], classes: number, input: Shape3, p: Params, x: Float64Array[], train: boolean, bnEps: number): Float64Array[] {
  let a = x.map((v) => Float64Array.from(v));
  let s: Shape3 = { ...input };
  let perPixel = false; // layout after a conv/local/dense layer (affects the dense flatten order)
  const specs: LayerSpec[] = [...layers, { type: "dense", units: classes }];
  specs.forEach((l, i) => {
    const key = `layers.${i}.`;
    switch (l.type) {
      case "conv":
      case "local": {
        const stride = l.stride ?? 1,
          padding = l.padding ?? "same";
        const H = outSize(s.h, stride, padding),
          W = outSize(s.w, stride, padding);
        const w = p[key + "W"];
        const co = l.filters;
        a = a.map((v) => {
          const y = new Float64Array(H.o * W.o * co);
          for (let oy = 0; oy < H.o; oy++)
            for (let ox = 0; ox < W.o; ox++) {
              const pos = oy * W.o + ox;
              for (let f = 0; f < co; f++) {
                let acc = 0;
                for (let ky = 0; ky < 3; ky++)
                  for (let kx = 0; kx < 3; kx++) {
                    const iy = oy * stride - H.pad + ky,
                      ix = ox * stride - W.pad + kx;
                    if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                    for (let c = 0; c < s.c; c++) {
                      const wi = l.type === "conv" ? ((f * 3 + ky) * 3 + kx) * s.c + c : (((pos * co + f) * 3 + ky) * 3 + kx) * s.c + c;
                      acc += w[wi] * v[(iy * s.w + ix) * s.c + c];
                    }
                  }
                y[pos * co + f] = acc;
              }
            }
          return y;
        });
        s = { h: H.o, w: W.o, c: co };
        perPixel = true;
        break;
      }
      case "dense": {
        const w = p[key + "W"];
        // the model flattens per-pixel activations with each pixel's channels padded to ceil4(c)
        const cs = perPixel && s.h * s.w > 1 ? ceil4(s.c) : s.c;
        const n = s.h * s.w * cs;
        a = a.map((v) => {
          const y = new Float64Array(l.units);
          for (let u = 0; u < l.units; u++) {
            let acc = 0;
            for (let px = 0; px < s.h * s.w; px++) for (let c = 0; c < s.c; c++) acc += w[u * n + px * cs + c] * v[px * s.c + c];
            y[u] = acc;
          }
          return y;
        });
        s = { h: 1, w: 1, c: l.units };
        perPixel = true;
        break;
      }
      case "relu":
        a = a.map((v) => v.map((z) => Math.max(z, 0)));
        break;
      case "dropout":
        break; // the tests use rate 0 (train) or test mode (identity)
      case "batchnorm": {
        const g = p[key + "gamma"],
          b = p[key + "beta"];
        const P = s.h * s.w,
          C = s.c,
          N = a.length * P;
        const mean = new Float64Array(C),
          vr = new Float64Array(C);
        if (train) {
          for (const v of a) for (let q = 0; q < P; q++) for (let c = 0; c < C; c++) mean[c] += v[q * C + c] / N;
          for (const v of a) for (let q = 0; q < P; q++) for (let c = 0; c < C; c++) vr[c] += (v[q * C + c] - mean[c]) ** 2 / N;
        } else {
          mean.set(p[key + "runMean"]);
          vr.set(p[key + "runVar"]);
        }
        a = a.map((v) => v.map((z, k) => (g[k % C] * (z - mean[k % C])) / Math.sqrt(vr[k % C] + bnEps) + b[k % C]));
        break;
      }
    }
  });
  return a;
}

function loss64(rule: string, q: Float64Array[], labels: number[], sel: number[]): number {
  let L = 0;
  q.forEach((row, b) => {
    if (rule === "brainprop") {
      const r = sel[b] === labels[b] ? 1 : 0;
      L += 0.5 * (r - row[sel[b]]) ** 2;
    } else {
      const m = Math.max(...row);
      const z = row.reduce((t, v) => t + Math.exp(v - m), 0);
      L -= row[labels[b]] - m - Math.log(z);
    }
  });
  return L / q.length;
}

function toParams(state: Record<string, { data: ArrayLike<number> }>): Params {
  const p: Params = {};
  for (const [k, v] of Object.entries(state)) if (k !== "rng.step") p[k] = Float64Array.from(v.data);
  return p;
}

interface Case {
  name: string;
  input: [number, number, number];
  classes: number;
  layers: LayerSpec[];
  batch: number;
}

const cases: Case[] = [
  {
    name: "dense 9-7-5-4",
    input: [3, 3, 1],
    classes: 4,
    batch: 5,
    layers: [{ type: "dense", units: 7 }, { type: "relu" }, { type: "dense", units: 5 }, { type: "relu" }],
  },
  {
    name: "conv s1 same → ReLU → BN → conv s2 same → ReLU → BN → dropout 0 → dense → ReLU → out",
    input: [6, 5, 2],
    classes: 3,
    batch: 4,
    layers: [
      { type: "conv", filters: 4, stride: 1, padding: "same" },
      { type: "relu" },
      { type: "batchnorm" },
      { type: "conv", filters: 5, stride: 2, padding: "same" },
      { type: "relu" },
      { type: "batchnorm" },
      { type: "dropout", rate: 0 },
      { type: "dense", units: 6 },
      { type: "relu" },
      { type: "dropout", rate: 0 },
    ],
  },
  {
    name: "locally connected s1 valid → ReLU → local s2 same → dense out (3 channels: padded flatten)",
    input: [5, 6, 3],
    classes: 3,
    batch: 3,
    layers: [
      { type: "local", filters: 3, stride: 1, padding: "valid" },
      { type: "relu" },
      { type: "local", filters: 3, stride: 2, padding: "same" },
      { type: "relu" },
    ],
  },
];

function makeBatch(c: Case, seed: number) {
  const r = mulberry32(seed);
  const d = c.input[0] * c.input[1] * c.input[2];
  const x = new Float32Array(c.batch * d).map(() => Math.fround(r()));
  const labels = Int32Array.from({ length: c.batch }, () => Math.floor(r() * c.classes));
  return { n: c.batch, x, labels };
}

/** The batch's first example alone (a batch holds exactly n examples). */
function firstExample(b: { n: number; x: Float32Array; labels: Int32Array }) {
  return { n: 1, x: b.x.subarray(0, b.x.length / b.n), labels: b.labels.subarray(0, 1) };
}

// ------------------------------------------------------------------------------------------------
const rule = suite("brainprop: the update is the gradient of ½(r − Q_s)² (f64 finite differences)");
rule.before(load);

for (const c of cases) {
  for (const ruleName of ["brainprop", "bp"] as const) {
    rule(`${ruleName}: ${c.name}: ΔW = −lr·∇L for every weight, γ and β (tol 2e-3 of the tensor's largest gradient)`, () => {
      const lr = 0.5;
      const bnEps = 1e-3;
      const m = new BrainPropNet(core, {
        rule: ruleName,
        input: c.input,
        classes: c.classes,
        net: "custom",
        layers: c.layers,
        lr,
        initStd: 0.4,
        maxBatch: 8,
        seed: 3,
        bnEps,
      });
      const batch = makeBatch(c, 11);
      const before = m.exportState();
      const p = toParams(before);
      const xs = Array.from({ length: c.batch }, (_, b) => Float64Array.from(batch.x.subarray(b * m.inputSize, (b + 1) * m.inputSize)));
      const q0 = forward64(c.layers, c.classes, { h: c.input[0], w: c.input[1], c: c.input[2] }, p, xs, true, bnEps);
      // selections: the correct class for the first example (reward 1), others fixed arbitrary
      const labels = Array.from(batch.labels);
      const sel = labels.map((l, b) => (b === 0 ? l : (l + b) % c.classes));
      if (ruleName === "brainprop") m.trainBatchWithActions(batch, sel);
      else m.trainBatch(batch);
      const after = m.exportState();
      const L = () => loss64(ruleName, forward64(c.layers, c.classes, { h: c.input[0], w: c.input[1], c: c.input[2] }, p, xs, true, bnEps), labels, sel);
      assert.ok(Math.abs(L() - loss64(ruleName, q0, labels, sel)) < 1e-12);
      const h = 1e-6;
      let checked = 0;
      for (const key of Object.keys(p)) {
        if (/runMean|runVar/.test(key)) continue;
        const w = p[key];
        const grad = new Float64Array(w.length);
        for (let i = 0; i < w.length; i++) {
          const o = w[i];
          w[i] = o + h;
          const lp = L();
          w[i] = o - h;
          const lm = L();
          w[i] = o;
          grad[i] = (lp - lm) / (2 * h);
        }
        const gmax = grad.reduce((t, g) => Math.max(t, Math.abs(g)), 0);
        assert.ok(gmax > 1e-6, `${key}: the gradient must not vanish for the test to mean anything (max ${gmax})`);
        const b0 = before[key].data,
          b1 = after[key].data;
        for (let i = 0; i < w.length; i++) {
          const dw = (b1[i] - b0[i]) / -lr;
          if (Math.abs(dw - grad[i]) > 2e-3 * gmax) assert.unreachable(`${key}[${i}]: −ΔW/lr = ${dw}, f64 gradient ${grad[i]} (max ${gmax})`);
          checked++;
        }
      }
      assert.ok(checked > 50);
      m.dispose();
    });
  }
}

rule("only the selected output unit's weights change in the output layer (attention-gated feedback)", async () => {
  const c = cases[0];
  const m = new BrainPropNet(core, {
    rule: "brainprop",
    input: c.input,
    classes: c.classes,
    net: "custom",
    layers: c.layers,
    lr: 0.5,
    initStd: 0.4,
    maxBatch: 8,
    seed: 3,
  });
  const batch = firstExample(makeBatch(c, 5));
  const outKey = `layers.${c.layers.length}.W`;
  const w0 = m.exportState()[outKey].data;
  m.trainBatchWithActions(batch, [2]);
  const w1 = m.exportState()[outKey].data;
  const n = w0.length / c.classes;
  for (let u = 0; u < c.classes; u++) {
    let changed = 0;
    for (let j = 0; j < n; j++) if (w1[u * n + j] !== w0[u * n + j]) changed++;
    if (u === 2) assert.ok(changed > 0, "the selected unit learns");
    else assert.is(changed, 0, `unit ${u} was not selected and must not change`);
  }
  m.dispose();
});

rule("a selection with δ = 0 (Q_s equals the reward) leaves every weight bit-identical", () => {
  // dense net whose output weights are all 0: Q = 0, so an incorrect selection gives δ = 0 − 0 = 0
  const c = cases[0];
  const m = new BrainPropNet(core, {
    rule: "brainprop",
    input: c.input,
    classes: c.classes,
    net: "custom",
    layers: c.layers,
    lr: 0.5,
    initStd: 0.4,
    maxBatch: 8,
    seed: 3,
  });
  const st = m.exportState();
  const outKey = `layers.${c.layers.length}.W`;
  st[outKey] = { shape: st[outKey].shape, data: new Float32Array(st[outKey].data.length) };
  m.importState(st);
  const batch = firstExample(makeBatch(c, 9));
  const wrong = (batch.labels[0] + 1) % c.classes;
  m.trainBatchWithActions(batch, [wrong]);
  const after = m.exportState();
  for (const k of Object.keys(st)) if (k !== "rng.step") assert.equal(Array.from(after[k].data), Array.from(st[k].data), k);
  m.dispose();
});

rule.run();

// ------------------------------------------------------------------------------------------------
const sel = suite("brainprop: action selection");
sel.before(load);

sel("ε-greedy over softmax: action frequencies match (1−ε)[k = argmax] + ε·softmax_k within 5 binomial σ; exploration count within 5σ", () => {
  for (const eps of [0.02, 0.3, 1]) {
    const a = core.arena();
    const N = 200_000;
    const K = 5;
    const qrow = [0.3, 1.2, -0.5, 0.9, 0.0];
    const q = a.tensor(N, K);
    const v = q.peek();
    for (let b = 0; b < N; b++) for (let k = 0; k < K; k++) v[b * 8 + k] = qrow[k];
    const u = a.tensor(N, 2);
    core.fn<Fn>("uniform")(u.ptr, N, 2, 77, 5, 0, 0, 0, 1);
    const s = a.vector(N);
    const explored = core.fn<Fn>("brainpropSelect")(s.ptr, q.ptr, u.ptr, N, K, eps);
    const counts = new Array(K).fill(0);
    for (const x of s.read()) counts[x]++;
    const z = qrow.reduce((t, x) => t + Math.exp(x), 0);
    for (let k = 0; k < K; k++) {
      const pk = (1 - eps) * (k === 1 ? 1 : 0) + (eps * Math.exp(qrow[k])) / z;
      const sd = Math.sqrt(N * pk * (1 - pk));
      assert.ok(Math.abs(counts[k] - N * pk) <= 5 * sd + 1e-9, `ε=${eps} action ${k}: ${counts[k]} vs ${N * pk} ± ${sd}`);
    }
    const sdE = Math.sqrt(N * eps * (1 - eps));
    assert.ok(Math.abs(explored - N * eps) <= 5 * sdE + 1e-9, `ε=${eps}: explored ${explored} vs ${N * eps}`);
    a.dispose();
  }
});

sel("ε = 0 always selects argmax Q (first maximum on ties)", () => {
  const a = core.arena();
  const q = a.from(3, 4, [1, 3, 3, 0, -1, -2, -0.5, -3, 5, 5, 5, 5]);
  const u = a.from(3, 2, [0, 0.5, 0, 0.5, 0, 0.5]);
  const s = a.vector(3);
  assert.is(core.fn<Fn>("brainpropSelect")(s.ptr, q.ptr, u.ptr, 3, 4, 0), 0);
  assert.equal(Array.from(s.read()), [1, 2, 0]);
  a.dispose();
});

sel("brainpropError: δ = r − Q_s only at the selected unit, scaled; returns the rewarded count", () => {
  const a = core.arena();
  const q = a.from(2, 3, [0.2, 0.5, -0.1, 0.4, 0.3, 0.9]);
  const s = a.from(1, 2, [1, 2]);
  const labels = a.from(1, 2, [1, 0]);
  const dq = a.tensor(2, 3).fill(9);
  const r = core.fn<Fn>("brainpropError")(dq.ptr, q.ptr, s.ptr, labels.ptr, 2, 3, 0.5);
  assert.is(r, 1);
  const d = dq.read();
  const want = [0, -0.5 * (1 - 0.5), 0, 0, 0, -0.5 * (0 - 0.9)];
  d.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-7, `dq[${i}] ${x} vs ${want[i]}`));
  a.dispose();
});

sel.run();

// ------------------------------------------------------------------------------------------------
const mdl = suite("brainprop: model behaviour");
mdl.before(load);

mdl("the test pass uses BN running statistics and no dropout: equals the f64 forward pass (tol 1e-5 of max |Q|)", () => {
  const c = cases[1];
  const layers: LayerSpec[] = c.layers.map((l) => (l.type === "dropout" ? { type: "dropout", rate: 0.5 } : l));
  const m = new BrainPropNet(core, {
    rule: "brainprop",
    input: c.input,
    classes: c.classes,
    net: "custom",
    layers,
    lr: 0.1,
    initStd: 0.4,
    maxBatch: 8,
    seed: 4,
  });
  for (let i = 0; i < 3; i++) m.trainBatch(makeBatch(c, 20 + i)); // moves the running statistics
  const batch = makeBatch(c, 99);
  const q = m.predict(batch.x, batch.n);
  const p = toParams(m.exportState());
  assert.ok(
    p["layers.2.runMean"].some((x) => x !== 0),
    "running mean moved",
  );
  const xs = Array.from({ length: c.batch }, (_, b) => Float64Array.from(batch.x.subarray(b * m.inputSize, (b + 1) * m.inputSize)));
  const ref = forward64(layers, c.classes, { h: c.input[0], w: c.input[1], c: c.input[2] }, p, xs, false, 1e-3);
  const qmax = ref.reduce((t, r) => Math.max(t, ...r.map(Math.abs)), 0);
  ref.forEach((row, b) => row.forEach((v, k) => assert.ok(Math.abs(q[b * c.classes + k] - v) <= 1e-5 * qmax, `Q[${b},${k}] ${q[b * c.classes + k]} vs ${v}`)));
  // predicting again gives the same values (no state change in test mode)
  assert.equal(Array.from(m.predict(batch.x, batch.n)), Array.from(q));
  m.dispose();
});

mdl("same seed → bit-identical state after training (dropout, exploration included); another seed differs", () => {
  const run = (seed: number, c: Core) => {
    const m = new BrainPropNet(c, {
      rule: "brainprop",
      net: "custom",
      input: [8, 8, 1],
      classes: 10,
      layers: [
        { type: "conv", filters: 4 },
        { type: "relu" },
        { type: "batchnorm" },
        { type: "dropout", rate: 0.3 },
        { type: "dense", units: 12 },
        { type: "relu" },
        { type: "dropout", rate: 0.3 },
      ],
      epsilon: 0.5,
      lr: 0.1,
      initStd: 0.1,
      maxBatch: 16,
      seed,
    });
    const r = mulberry32(1);
    for (let i = 0; i < 6; i++) {
      const x = new Float32Array(16 * 64).map(() => r());
      const labels = Int32Array.from({ length: 16 }, () => Math.floor(r() * 10));
      m.trainBatch({ n: 16, x, labels });
    }
    const s = m.exportState();
    m.dispose();
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(v.data)]));
  };
  const a = run(5, core),
    b = run(5, core),
    d = run(6, core);
  assert.equal(a, b);
  assert.not.equal(a["layers.0.W"], d["layers.0.W"]);
  // the scalar build follows the same stream and arithmetic up to rounding of the matrix kernels
  const s = run(5, scalar);
  const w = a["layers.4.W"],
    ws = s["layers.4.W"];
  const dmax = w.reduce((t, x, i) => Math.max(t, Math.abs(x - ws[i])), 0);
  assert.ok(dmax < 1e-4, `scalar vs SIMD build after 6 steps: max |ΔW| ${dmax}`);
});

mdl("exportState/importState round trip: a restored model continues bit-identically", () => {
  const cfg = {
    rule: "brainprop",
    net: "custom",
    input: [6, 6, 1],
    classes: 4,
    layers: [{ type: "conv", filters: 4, stride: 2 }, { type: "relu" }, { type: "batchnorm" }, { type: "dropout", rate: 0.3 }],
    epsilon: 0.3,
    initStd: 0.2,
    maxBatch: 8,
    seed: 2,
  };
  const r = mulberry32(3);
  const batches = Array.from({ length: 4 }, () => ({
    n: 8,
    x: new Float32Array(8 * 36).map(() => r()),
    labels: Int32Array.from({ length: 8 }, () => Math.floor(r() * 4)),
  }));
  const a = new BrainPropNet(core, cfg);
  a.trainBatch(batches[0]);
  a.trainBatch(batches[1]);
  // a fresh model of the same configuration (the seed is configuration; the step counter is state)
  const b = new BrainPropNet(core, cfg);
  b.importState(a.exportState());
  for (const m of [a, b]) {
    m.trainBatch(batches[2]);
    m.trainBatch(batches[3]);
  }
  const sa = a.exportState(),
    sb = b.exportState();
  for (const k of Object.keys(sa)) assert.equal(Array.from(sb[k].data), Array.from(sa[k].data), k);
  assert.throws(
    () => b.importState({}),
    (e: Error) => e instanceof ShapeError && /layers\.0\.W/.test(e.message),
  );
  a.dispose();
  b.dispose();
});

mdl("training steps allocate nothing: linear memory size is unchanged over 300 steps", () => {
  const m = new BrainPropNet(core, {
    net: "custom",
    input: [6, 6, 1],
    classes: 4,
    layers: [{ type: "conv", filters: 4 }, { type: "relu" }, { type: "batchnorm" }, { type: "dropout", rate: 0.3 }],
    maxBatch: 8,
  });
  const batch = { n: 8, x: new Float32Array(8 * 36).fill(0.5), labels: new Int32Array(8) };
  m.trainBatch(batch);
  const size = core.memory.buffer.byteLength;
  for (let i = 0; i < 300; i++) m.trainBatch(batch);
  m.predict(batch.x, 8);
  assert.is(core.memory.buffer.byteLength, size);
  m.dispose();
});

mdl("bad configurations and inputs raise specific errors naming the field", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ rule: "hebb" }, /rule must be "brainprop" or "bp"/],
    [{ net: "resnet" }, /net must be dense, conv, local or custom/],
    [{ epsilon: 1.5 }, /epsilon must be in \[0, 1\]/],
    [{ lr: Number.NaN }, /lr must be a finite number/],
    [{ input: [28, 28] }, /input must be \[H, W, C\]/],
    [{ net: "custom", layers: [{ type: "dropout", rate: 1 }] }, /layers\[0\]\.rate must be in \[0, 1\)/],
    [{ net: "custom", layers: [{ type: "conv", filters: 8, stride: 3 }] }, /layers\[0\]\.stride must be 1 or 2/],
    [{ net: "custom", layers: [{ type: "conv", filters: 8, padding: "full" }] }, /layers\[0\]\.padding must be "same" or "valid"/],
    [{ net: "custom", layers: [{ type: "pool" }] }, /layers\[0\]\.type must be/],
    [{ net: "custom", layers: [{ type: "dense", units: 0 }] }, /layers\[0\]\.units/],
    [{ net: "conv", layers: [] }, /use net "custom"/],
    [{ momentum: 0.9 }, /unknown configuration key 'momentum'/],
    [{ maxBatch: 0 }, /maxBatch/],
  ];
  for (const [cfg, re] of bad)
    assert.throws(
      () => new BrainPropNet(core, cfg),
      (e: Error) => e instanceof ValueError && re.test(e.message),
      JSON.stringify(cfg),
    );
  assert.throws(
    () => new BrainPropNet(core, { net: "custom", input: [2, 2, 1], layers: [{ type: "conv", filters: 2, padding: "valid" }] }),
    (e: Error) => e instanceof ShapeError && /layers\[0\].*at least 3×3, got 2×2/.test(e.message),
  );
  const m = new BrainPropNet(core, { net: "custom", input: [3, 3, 1], classes: 3, layers: [], maxBatch: 4 });
  assert.throws(
    () => m.trainBatch({ n: 5, x: new Float32Array(45), labels: new Int32Array(5) }),
    (e: Error) => e instanceof ValueError && /batch\.n/.test(e.message),
  );
  assert.throws(
    () => m.trainBatch({ n: 2, x: new Float32Array(18), labels: Int32Array.of(0, 3) }),
    (e: Error) => e instanceof ValueError && /labels\[1\] = 3/.test(e.message),
  );
  assert.throws(
    () => m.trainBatch({ n: 2, x: new Float32Array(10), labels: Int32Array.of(0, 1) }),
    (e: Error) => e instanceof ShapeError && /batch\.x/.test(e.message),
  );
  assert.throws(
    () => m.trainBatch({ n: 2, x: new Float32Array(18) }),
    (e: Error) => e instanceof ShapeError && /labels/.test(e.message),
  );
  m.dispose();
  assert.throws(
    () => m.predict(new Float32Array(9), 1),
    (e: Error) => /after dispose/.test(e.message),
  );
});

mdl("a diverging learning rate stops with NonFiniteError instead of continuing with NaN", () => {
  // linear Q = W·x: each step multiplies the error by (1 − lr·|x|²/n), |1 − 2.25e10| ≫ 1
  const m = new BrainPropNet(core, {
    rule: "brainprop",
    net: "custom",
    input: [3, 3, 1],
    classes: 3,
    layers: [],
    epsilon: 0,
    lr: 1e6,
    initStd: 1,
    maxBatch: 4,
  });
  const batch = { n: 4, x: new Float32Array(36).fill(100), labels: Int32Array.of(0, 1, 2, 0) };
  assert.throws(
    () => {
      for (let i = 0; i < 20; i++) m.trainBatch(batch);
    },
    (e: Error) => e instanceof NonFiniteError && /non-finite output Q/.test(e.message),
  );
  m.dispose();
});

mdl("the PBR20 architectures of docs/model.md §3 build with the stated shapes", () => {
  const conv = new BrainPropNet(core, { net: "conv", maxBatch: 2 });
  const s = conv.exportState();
  assert.equal(s["layers.0.W"].shape, [32, 3, 3, 1]);
  assert.equal(s["layers.3.W"].shape, [32, 3, 3, 32]);
  assert.equal(s["layers.7.W"].shape, [500, 14 * 14 * 32]);
  assert.equal(s["layers.10.W"].shape, [10, 500]);
  assert.is(conv.config().initStd, 0.005);
  conv.dispose();
  const dense = new BrainPropNet(core, { net: "dense", maxBatch: 2 });
  const d = dense.exportState();
  assert.equal(
    ["layers.0.W", "layers.2.W", "layers.4.W", "layers.6.W"].map((k) => d[k].shape),
    [
      [1500, 784],
      [1000, 1500],
      [500, 1000],
      [10, 500],
    ],
  );
  assert.is(dense.config().initStd, 0.01);
  // N(0, 0.01²) initialisation: sample standard deviation within 2 % (1.2 M draws)
  const w = d["layers.0.W"].data;
  const sd = Math.sqrt(w.reduce((t, x) => t + x * x, 0) / w.length);
  assert.ok(Math.abs(sd - 0.01) < 2e-4, `initial std ${sd}`);
  dense.dispose();
});

mdl.run();

const cli = suite("brainprop: configuration from arch");
cli.before(load);
cli("arch [inputs, hidden…, classes] builds a dense ReLU net; it must match the input; an explicit net takes precedence", () => {
  const m = new BrainPropNet(core, { arch: [784, 20, 7, 10], maxBatch: 2 });
  const s = m.exportState();
  assert.equal(s["layers.0.W"].shape, [20, 784]);
  assert.equal(s["layers.2.W"].shape, [7, 20]);
  assert.equal(s["layers.4.W"].shape, [10, 7]);
  assert.is(m.config().net, "custom");
  m.dispose();
  assert.throws(
    () => new BrainPropNet(core, { arch: [100, 10], input: [28, 28, 1] }),
    (e: Error) => e instanceof ValueError && /arch\[0\] = 100 does not match input/.test(e.message),
  );
  // without an input shape, a dense arch on flat data (Bars, Yin-Yang) takes a flat input of its size
  const f = new BrainPropNet(core, { arch: [4, 6, 3], maxBatch: 2 });
  assert.equal(f.config().input, [1, 1, 4]);
  assert.is(f.inputSize, 4);
  f.dispose();
  // an explicit net wins over arch (the CLI always passes an arch)
  const c = new BrainPropNet(core, { arch: [784, 10], net: "conv", maxBatch: 2 });
  assert.equal(c.exportState()["layers.0.W"].shape, [32, 3, 3, 1]);
  c.dispose();
});
cli.run();
