// Microcircuit inputs and monitors as a simulator user relies on them: the number of patterns must
// match `batch` exactly, and every monitor record comes with its simulated time.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { init } from "../src/core/core.ts";
import { ShapeError } from "../src/core/errors.ts";
import { Microcircuit } from "../src/models/microcircuit/index.ts";

test("present and steadyState refuse more (or fewer) patterns than `batch` says, naming the fix", async () => {
  const core = await init({ impl: "scalar" });
  const net = new Microcircuit(core, { sizes: [4, 3, 2], maxBatch: 2 });
  const two = new Float32Array(8).fill(0.5);
  assert.throws(
    () => net.present(two, { steps: 5 }),
    (e: Error) => e instanceof ShapeError && /x must hold batch·n_0 = 1×4 = 4 values, got 8 \(2 patterns: pass \{ batch: 2 \}/.test(e.message),
  );
  assert.throws(
    () => net.steadyState(two, new Float32Array(4)),
    (e: Error) => e instanceof ShapeError && /got 8/.test(e.message),
  );
  assert.throws(
    () => net.steadyState(two, new Float32Array(6), { batch: 2 }),
    (e: Error) => e instanceof ShapeError && /target must hold batch·n_N = 2×2 = 4 values, got 6/.test(e.message),
  );
  assert.throws(
    () => net.present(new Float32Array(3), { steps: 5 }),
    (e: Error) => e instanceof ShapeError,
  );
  net.present(two, { steps: 5, batch: 2 });
  net.steadyState(two, new Float32Array(4).fill(0.2), { batch: 2 });
  net.dispose();
});

test("monitor times: record i falls on the i-th multiple of intervalSteps of the step clock, also for a monitor made mid-run", async () => {
  const core = await init({ impl: "scalar" });
  const net = new Microcircuit(core, { sizes: [4, 3, 2], dtMs: 0.1 });
  const x = new Float32Array(4).fill(0.5);
  const early = net.monitor("uP", { layer: 1, index: 0, intervalSteps: 10, capacity: 100 });
  net.present(x, { steps: 105 });
  const late = net.monitor("uP", { layer: 1, index: 0, intervalSteps: 10, capacity: 3 });
  net.steadyState(x, null, { learn: false }); // the fast mode does not advance the clock
  net.present(x, { steps: 95 });
  const t = Array.from(early.times());
  assert.is(t.length, early.values().length);
  assert.is(t.length, 20, "200 steps, one record per 10");
  t.forEach((v, i) => assert.ok(Math.abs(v - (i + 1) * 1.0) < 1e-9, `record ${i} at ${v} ms`));
  // made at step 105: records at steps 110 … 200, the ring keeps the last 3 (180, 190, 200)
  assert.is(late.written, 10);
  assert.equal(
    Array.from(late.times(), (v) => Math.round(v * 10) / 10),
    [18, 19, 20],
  );
  // the two monitors record the same cell at the same steps
  assert.equal(Array.from(late.values()), Array.from(early.values()).slice(-3));
  net.dispose();
});

test.run();
