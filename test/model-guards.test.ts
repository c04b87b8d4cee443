// Every model and entry point validates its inputs before any state changes: non-finite inputs,
// misspelt options and use after dispose() are named errors, and the model is unchanged after them.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, type Core } from "../src/core/core.ts";
import { DisposedError, NonFiniteError, ValueError } from "../src/core/errors.ts";
import { Microcircuit } from "../src/models/microcircuit/index.ts";
import { BrainPropNet } from "../src/models/brainprop/index.ts";

const g = suite("model input guards");
let core: Core;
g.before(async () => {
  core = await init({ impl: "simd" });
});

const snapshot = (s: Record<string, { data: ArrayLike<number> }>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(v.data)]));

g("Microcircuit.present, steadyState and predict refuse NaN/±Inf inputs naming the element, and leave every weight and filter unchanged", () => {
  const net = new Microcircuit(core, { sizes: [4, 3, 2], seed: 2 });
  try {
    net.present([0.1, 0.2, 0.3, 0.4], { steps: 20 });
    const before = snapshot(net.exportState());
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = [0.1, bad, 0.3, 0.4];
      assert.throws(
        () => net.present(x, { steps: 20 }),
        (e: Error) => e instanceof NonFiniteError && e.message === `present: input x[1] is ${bad} (layer 0); nothing was changed`,
      );
      assert.throws(
        () => net.steadyState(x, [0.5, 0.5]),
        (e: Error) => e instanceof NonFiniteError && /^steadyState: input x\[1\] is/.test(e.message),
      );
      assert.throws(
        () => net.predict(Float32Array.from(x), 1),
        (e: Error) => e instanceof NonFiniteError && /^predict: input x\[1\] is/.test(e.message),
      );
      assert.equal(snapshot(net.exportState()), before, `state unchanged after ${bad}`);
    }
    // Still usable: a finite presentation runs and learns.
    net.present([0.1, 0.2, 0.3, 0.4], { steps: 20, target: [0.2, 0.8] });
    assert.ok(Object.values(net.exportState()).every((v) => Array.from(v.data).every(Number.isFinite)));
  } finally {
    net.dispose();
  }
});

g("Microcircuit options, present and steadyState options: unknown keys are refused with the valid ones", () => {
  assert.throws(
    () => new Microcircuit(core, { sizes: [4, 3, 2], sigm: 0 } as never),
    (e: Error) => e instanceof ValueError && /^Microcircuit options: unknown key 'sigm'; valid keys: sizes, maxBatch, seed, activation/.test(e.message),
  );
  assert.throws(
    () => new Microcircuit(core, { sizes: [4, 3, 2], thresholds: { upp: true } } as never),
    /Microcircuit options\.thresholds: unknown key 'upp'; valid keys: up, ip/,
  );
  const net = new Microcircuit(core, { sizes: [4, 3, 2] });
  try {
    assert.throws(
      () => net.present([0, 0, 0, 0], { durationMs: -5 } as never),
      /^present: options: unknown key 'durationMs'; valid keys: target, steps, learn, batch, newPattern$/,
    );
    assert.throws(
      () => net.steadyState([0, 0, 0, 0], null, { sweep: 2 } as never),
      /^steadyState: options: unknown key 'sweep'; valid keys: batch, sweeps, learn$/,
    );
  } finally {
    net.dispose();
  }
});

g("BrainPropNet.predict throws a NonFiniteError naming the first layer with a non-finite output; after dispose() every call is a DisposedError", () => {
  const net = new BrainPropNet(core, { input: [2, 3, 1], arch: [6, 8, 3], seed: 1, maxBatch: 4 });
  const x = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0, 0, 0, 0, 0, 0]);
  assert.ok(net.predict(x, 2).every(Number.isFinite));
  for (const bad of [NaN, Infinity]) {
    const y = x.slice();
    y[7] = bad;
    assert.throws(
      () => net.predict(y, 2),
      (e: Error) => e instanceof NonFiniteError && /^brainprop\.predict: non-finite input \(examples 0…1; before layer 0\)$/.test(e.message),
      String(bad),
    );
  }
  // A non-finite weight: the error names the layer whose output it spoils.
  const st = net.exportState();
  const wName = Object.keys(st)
    .filter((k) => /^layers\.\d+\.W$/.test(k))
    .sort()
    .pop()!;
  const layer = Number(wName.split(".")[1]);
  (st[wName].data as Float32Array)[0] = NaN;
  net.importState(st);
  assert.throws(
    () => net.predict(x, 2),
    (e: Error) => e instanceof NonFiniteError && new RegExp(`^brainprop\\.predict: non-finite output of layer ${layer} \\(`).test(e.message),
  );
  net.dispose();
  for (const call of [() => net.predict(x, 2), () => net.exportState(), () => net.trainBatch({ n: 1, x, labels: Int32Array.of(0) })]) {
    assert.throws(call, (e: Error) => e instanceof DisposedError && e.message === "brainprop: model used after dispose()");
  }
});

g(
  "BrainPropNet.trainBatch refuses a NaN/±Inf input naming the element before the forward pass: weights and batch-norm running statistics stay unchanged",
  () => {
    const net = new BrainPropNet(core, {
      input: [1, 1, 4],
      classes: 3,
      maxBatch: 2,
      seed: 2,
      layers: [{ type: "dense", units: 6 }, { type: "batchnorm" }, { type: "relu" }, { type: "dropout", rate: 0.2 }],
    });
    const x = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    net.trainBatch({ n: 2, x, labels: Int32Array.of(0, 2) });
    const snapshot = (s: Record<string, { data: ArrayLike<number> }>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(v.data)]));
    const before = snapshot(net.exportState());
    for (const bad of [NaN, Infinity, -Infinity]) {
      const y = x.slice();
      y[5] = bad;
      assert.throws(
        () => net.trainBatch({ n: 2, x: y, labels: Int32Array.of(0, 2) }),
        (e: Error) => e instanceof NonFiniteError && e.message === `brainprop.trainBatch: input x[5] is ${bad} (example 1); nothing was changed`,
        String(bad),
      );
      assert.equal(snapshot(net.exportState()), before, `${bad}: nothing changed`);
    }
    // The next step is the one that would have come without the refused batches.
    const twin = new BrainPropNet(core, {
      input: [1, 1, 4],
      classes: 3,
      maxBatch: 2,
      seed: 2,
      layers: [{ type: "dense", units: 6 }, { type: "batchnorm" }, { type: "relu" }, { type: "dropout", rate: 0.2 }],
    });
    twin.trainBatch({ n: 2, x, labels: Int32Array.of(0, 2) });
    net.trainBatch({ n: 2, x, labels: Int32Array.of(1, 0) });
    twin.trainBatch({ n: 2, x, labels: Int32Array.of(1, 0) });
    assert.equal(snapshot(net.exportState()), snapshot(twin.exportState()));
    net.dispose();
    twin.dispose();
  },
);

g.run();
