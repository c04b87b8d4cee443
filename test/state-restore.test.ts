// Store and restore as a simulator user relies on it: exportState() holds everything that
// determines a model's future, so a fresh model given that state — directly, or through a
// checkpoint file's bytes — continues bit-identically to the original. Each case runs a few steps,
// exports, imports into a new instance, continues both the same way and compares every exported
// array (SHA-256 digests) and the outputs.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, type Core } from "../src/core/core.ts";
import { ShapeError } from "../src/core/errors.ts";
import { digestState } from "../src/train/digest.ts";
import { decodeCheckpoint, encodeCheckpoint, loadCheckpointInto } from "../src/train/checkpoint.ts";
import type { NamedArray, TrainableModel } from "../src/train/model.ts";
import { createModel } from "../src/models/registry.ts";
import { Microcircuit, type MicrocircuitOptions } from "../src/models/microcircuit/index.ts";
import type { Batch } from "../src/data/batch.ts";
import { bars } from "../src/data/generators.ts";
import { trainFullDynamics, type FullDynamicsSnapshot } from "../src/experiments/classify.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.ts";

const t = suite("exportState / importState continue bit-identically");
let core: Core;
t.before(async () => {
  core = await init();
});

const pattern = (n: number, phase: number) => Float32Array.from({ length: n }, (_, i) => 0.5 + 0.45 * Math.sin(1.7 * i + phase));

/** Every array of two states equal, bit for bit, with the first difference named. */
function assertSameState(a: Record<string, NamedArray>, b: Record<string, NamedArray>, what: string): void {
  assert.equal(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: the same names`);
  for (const k of Object.keys(a)) {
    const x = a[k].data;
    const y = b[k].data;
    assert.is(x.constructor, y.constructor, `${what}: ${k} dtype`);
    const xb = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const yb = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    const i = xb.findIndex((v, j) => v !== yb[j]);
    assert.ok(xb.length === yb.length && i < 0, `${what}: ${k} differs${i >= 0 ? ` at byte ${i}` : ""}`);
  }
}

// ---- microcircuit, full dynamics ----------------------------------------------------------------

const MC_CASES: [string, MicrocircuitOptions][] = [
  [
    "noise, learning lag, batch 3 (the restore falls inside a noise chunk)",
    { sizes: [6, 5, 4, 3], maxBatch: 3, sigma: 0.1, learningLagMs: 2.5, start: "selfPredicting" },
  ],
  [
    "plastic B, thresholds, soft rectifier",
    {
      sizes: [5, 4, 3],
      maxBatch: 2,
      sigma: 0.3,
      plastic: { up: true, ip: true, pi: true, down: true },
      eta: { down: 0.01 },
      thresholds: { up: true, ip: true },
      activation: "softRect",
    },
  ],
  ["noise-free, tied W^PI", { sizes: [6, 5, 2], sigma: 0, start: "selfPredicting", plastic: { up: true, ip: true, pi: false, down: false }, tiePI: true }],
];

/** The rest of a run: presentations with and without a target and batch sizes that change, a fast-mode step, more Euler steps. */
function continueRun(net: Microcircuit): void {
  const n0 = net.sizes[0];
  const nN = net.sizes[net.depth];
  const B = net.maxBatch;
  net.present(pattern(B * n0, 1), { batch: B, steps: 23, target: pattern(B * nN, 2), newPattern: false });
  net.present(pattern(n0, 3), { steps: 41 });
  net.present(pattern(B * n0, 4), { batch: B, steps: 70, target: pattern(B * nN, 5) });
  net.steadyState(pattern(B * n0, 6), pattern(B * nN, 7), { batch: B });
  net.present(pattern(B * n0, 8), { batch: B, steps: 31, learn: false });
  net.present(pattern(B * n0, 9), { batch: B, steps: 29, target: pattern(B * nN, 10) });
}

for (const [name, opts] of MC_CASES) {
  t(`microcircuit, ${name}: present() after export → import continues bit-identically`, async () => {
    const a = new Microcircuit(core, opts);
    const B = a.maxBatch;
    const n0 = a.sizes[0];
    const nN = a.sizes[a.depth];
    // 37 + 1 steps: mid-way through a noise chunk (64/B steps per chunk) and a learning lag.
    a.present(pattern(B * n0, 0), { batch: B, steps: 37, target: pattern(B * nN, 0.5) });
    a.present(pattern(B * n0, 0), { batch: B, steps: 1, target: pattern(B * nN, 0.5), newPattern: false });
    const saved = a.exportState();
    const b = new Microcircuit(core, opts);
    // A monitor made before the import starts over on the restored clock.
    const mb = b.monitor("uP", { layer: 1, index: -1, intervalSteps: 7, capacity: 100 });
    b.present(pattern(b.maxBatch * n0, 0), { batch: b.maxBatch, steps: 15 });
    b.importState(saved);
    assertSameState(b.exportState(), saved, "right after import");
    assert.is(mb.written, 0);
    assert.is(mb.startStep, 38);
    const ma = a.monitor("uP", { layer: 1, index: -1, intervalSteps: 7, capacity: 100 });
    continueRun(a);
    continueRun(b);
    assertSameState(b.exportState(), a.exportState(), "after continuing");
    assert.is(await digestState(b.exportState()), await digestState(a.exportState()));
    assert.equal(mb.read(), ma.read(), "the same potentials at every recorded step");
    assert.equal(Array.from(mb.times()), Array.from(ma.times()), "on the same time axis");

    // The same restore without the neuron state (what earlier versions stored) diverges: the test
    // above can fail.
    const c = new Microcircuit(core, opts);
    c.importState(saved);
    const stale = new Microcircuit(core, opts);
    stale.importState(a.exportState({ neurons: false }));
    assert.equal(Array.from(stale.state("uP", 1)), new Array(a.sizes[1]).fill(0), "without the neuron state the somata start at rest");
    continueRun(c);
    const d = new Microcircuit(core, opts);
    const weightsOnly = Object.fromEntries(Object.entries(saved).filter(([k]) => !a.neuronStateNames().includes(k)));
    d.importState(weightsOnly);
    continueRun(d);
    assert.not.equal(Array.from(d.state("uP", 1)), Array.from(c.state("uP", 1)), "the neuron state matters to the continuation");
    for (const n of [a, b, c, d, stale]) n.dispose();
  });
}

t("microcircuit: a state with part of the neuron state, or with neuron state of another batch size, is refused before anything changes", () => {
  const opts: MicrocircuitOptions = { sizes: [4, 3, 2], maxBatch: 2, sigma: 0.1 };
  const a = new Microcircuit(core, opts);
  a.present(pattern(8, 0), { batch: 2, steps: 10 });
  const s = a.exportState();
  const b = new Microcircuit(core, opts);
  const before = b.exportState();
  const partial = { ...s };
  delete partial["layer1.vA"];
  assert.throws(
    () => b.importState(partial),
    (e: Error) => e instanceof ShapeError && /neuron state is incomplete: missing layer1\.vA/.test(e.message),
  );
  const other = new Microcircuit(core, { ...opts, maxBatch: 3 });
  assert.throws(
    () => other.importState(s),
    (e: Error) => e instanceof ShapeError && /input\.r0' has shape \[2, 4\], this network expects \[3, 4\]/.test(e.message),
  );
  other.importState(a.exportState({ neurons: false })); // the learned state alone fits any batch size
  assert.equal(other.weights("up", 1), a.weights("up", 1));
  const bad = { ...s, "clock.syncedRows": { shape: [1], data: Uint32Array.of(7) } };
  assert.throws(() => b.importState(bad), /clock\.syncedRows 7 exceeds maxBatch 2/);
  assertSameState(b.exportState(), before, "a refused import changes nothing");
  for (const n of [a, b, other]) n.dispose();
});

// ---- every model kind, through checkpoint bytes ---------------------------------------------------

type Case = [string, () => TrainableModel];
const CASES: Case[] = [
  [
    "microcircuit (fast mode)",
    () =>
      createModel(core, "microcircuit", { sizes: [8, 6, 5, 3], maxBatch: 4, etaPathway: { pi: 0.01 }, plastic: { up: true, ip: true, pi: true, down: false } }),
  ],
  ...(["bp", "fa", "dfa", "usf", "frsf", "brsf"] as const).map((rule): Case => [
    `mlp ${rule}, momentum`,
    () => createModel(core, "mlp", { arch: [8, 6, 5, 3], rule, momentum: 0.9, maxBatch: 4 }),
  ]),
  ["mlp mse, no biases", () => createModel(core, "mlp", { arch: [8, 6, 3], loss: "mse", outputActivation: "logistic", biases: false, maxBatch: 4 })],
  [
    "brainprop conv, batch norm, dropout, exploration",
    () =>
      createModel(core, "brainprop", {
        net: "custom",
        input: [4, 4, 1],
        classes: 3,
        layers: [
          { type: "conv", filters: 2 },
          { type: "relu" },
          { type: "batchnorm" },
          { type: "dropout", rate: 0.3 },
          { type: "local", filters: 2, stride: 2 },
          { type: "relu" },
          { type: "dense", units: 5 },
        ],
        epsilon: 0.3,
        maxBatch: 4,
      }),
  ],
  ["brainprop bp, dense", () => createModel(core, "brainprop", { rule: "bp", arch: [16, 7, 3], maxBatch: 4 })],
  ...(["scfa-frsf", "scfa-usf", "scfa-brsf", "fa", "bp"] as const).map((rule): Case => [
    `spiking ${rule}`,
    () => createModel(core, "spiking", { arch: [8, 6, 5, 3], rule, maxBatch: 4, steps: 20, settle: 4 }),
  ]),
  [
    "spiking LIF, Bernoulli input, Manhattan update",
    () => createModel(core, "spiking", { arch: [8, 6, 3], cell: "lif", input: "bernoulli", update: "manhattan", maxBatch: 4, steps: 20, settle: 4 }),
  ],
];

function batchFor(m: TrainableModel, s: number): Batch {
  const n = s % 3 === 2 ? 3 : 4; // a short batch too
  return { n, x: pattern(n * m.inputSize, s).map((v) => Math.abs(v)), labels: Int32Array.from({ length: n }, (_, i) => (i + s) % m.outputSize) };
}

for (const [name, make] of CASES) {
  t(`${name}: training continues bit-identically after a checkpoint round trip`, async () => {
    const a = make();
    for (let s = 0; s < 4; s++) a.trainBatch(batchFor(a, s));
    const bytes = encodeCheckpoint(a);
    const b = make();
    loadCheckpointInto(b, decodeCheckpoint(bytes, "state.safetensors"), "state.safetensors");
    assertSameState(b.exportState(), a.exportState(), "right after loading");
    for (let s = 4; s < 9; s++) {
      a.trainBatch(batchFor(a, s));
      b.trainBatch(batchFor(b, s));
    }
    assert.is(await digestState(b.exportState()), await digestState(a.exportState()));
    const x = pattern(5 * a.inputSize, 0.3).map((v) => Math.abs(v));
    assert.equal(Array.from(b.predict(x, 5)), Array.from(a.predict(x, 5)));
    a.dispose();
    b.dispose();
  });
}

t(
  "full-dynamics runs: resumed from a snapshot file's bytes, bit-identical to one uninterrupted run; an older snapshot without the neuron state resumes with the neurons at rest",
  async () => {
    const data = bars({ seed: 1, train: 30, validation: 10, test: 10 });
    const run = (epochs: number, resume?: FullDynamicsSnapshot): FullDynamicsSnapshot => {
      let last: FullDynamicsSnapshot | undefined;
      trainFullDynamics(core, data, { sizes: [9, 8, 3], seed: 1, epochs, resume, onEpoch: (s) => (last = s) }).dispose();
      return last!;
    };
    // Through safetensors bytes, as `dendritic experiment … --save` stores a snapshot.
    const viaBytes = (s: FullDynamicsSnapshot, drop: (name: string) => boolean = () => false): FullDynamicsSnapshot => {
      const kept = Object.fromEntries(Object.entries(s.state).filter(([k]) => !drop(k)));
      const { tensors } = decodeSafetensors(encodeSafetensors(kept as Record<string, { shape: number[]; data: Float32Array }>, {}), "snapshot.safetensors");
      return { ...s, state: Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }])) };
    };
    const one = run(1);
    const straight = run(3);
    const resumed = run(3, viaBytes(one));
    assertSameState(resumed.state, straight.state, "resumed after epoch 1");
    assert.equal(
      resumed.curve.map((c) => c.testAccuracy),
      straight.curve.map((c) => c.testAccuracy),
    );
    const probe = new Microcircuit(core, { sizes: [9, 8, 3] });
    const neurons = new Set(probe.neuronStateNames());
    probe.dispose();
    assert.ok(["input.r0", "layer1.uP", "layer1.vA.topDown", "layer2.rP", "noise.chunk", "clock.steps"].every((n) => neurons.has(n)));
    const older = run(
      3,
      viaBytes(one, (k) => neurons.has(k)),
    );
    assert.equal(Object.keys(older.state).sort(), Object.keys(straight.state).sort());
    assert.not.equal(
      Array.from(older.state["layer1.Wup"].data),
      Array.from(straight.state["layer1.Wup"].data),
      "the neurons restarted at rest, so the run differs",
    );
  },
);

t.run();
