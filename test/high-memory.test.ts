// WebAssembly memory above 2 GiB: addresses are unsigned everywhere, so tensors and whole models
// placed there behave bit for bit like the same ones at low addresses; a model that cannot fit
// under the 4 GiB limit is refused at construction, before anything is allocated, with the size it
// needs and the limit; the core stays usable afterwards.
// (Pushing the allocator past 2 GiB commits ≈ 2 GiB of RAM for the duration of this file.)
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MEMORY_LIMIT_BYTES, bytesInUse, type Arena } from "../src/core/arena.ts";
import { init, type Core } from "../src/core/core.ts";
import { ValueError } from "../src/core/errors.ts";
import { gemv } from "../src/kernels/linalg.ts";
import { createModel } from "../src/models/registry.ts";
import { mlpMemoryBytes } from "../src/models/mlp/network.ts";
import "../src/models/microcircuit/index.ts";
import "../src/models/brainprop/index.ts";
import type { Batch } from "../src/data/batch.ts";
import type { TrainableModel } from "../src/train/model.ts";
import { Rng } from "../src/core/random.ts";

const h = suite("WebAssembly memory above 2 GiB");
let low: Core;
let high: Core;
let filler: Arena;
let t0 = 0;
h.before(async () => {
  t0 = performance.now();
  low = await init({ impl: "simd" });
  high = await init({ impl: "simd" });
  // Two blocks just under 1 GiB each (the allocator's largest) push every later block past 2 GiB.
  filler = high.arena();
  filler.tensor(1, 2 ** 28 - 64);
  filler.tensor(1, 2 ** 28 - 64);
});
h.after(() => {
  filler.dispose();
  console.log(`  above 2 GiB: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

h("a tensor allocated past 2 GiB has a positive address above 2³¹; writes, reads and a kernel on it are exact", () => {
  const a = high.arena();
  const b = low.arena();
  try {
    const rng = new Rng(1);
    const Wv = Array.from({ length: 37 * 29 }, () => rng.range(-1, 1));
    const xv = Array.from({ length: 29 }, () => rng.range(-1, 1));
    const [Wh, xh, yh] = [a.from(37, 29, Wv), a.from(1, 29, xv), a.vector(37)];
    const [Wl, xl, yl] = [b.from(37, 29, Wv), b.from(1, 29, xv), b.vector(37)];
    for (const t of [Wh, xh, yh]) assert.ok(t.ptr > 2 ** 31 && t.ptr < MEMORY_LIMIT_BYTES, `ptr ${t.ptr}`);
    assert.equal(Array.from(Wh.read()), Array.from(Wl.read()));
    gemv(yh, Wh, xh);
    gemv(yl, Wl, xl);
    assert.equal(Array.from(yh.read()), Array.from(yl.read()));
    // The padding lanes of a row are still exactly 0 up there.
    assert.equal(Array.from(Wh.peek().subarray(29, 32)), [0, 0, 0]);
  } finally {
    a.dispose();
    b.dispose();
  }
});

function batchOf(rng: Rng, n: number, inputs: number, classes: number): Batch {
  return { n, x: Float32Array.from({ length: n * inputs }, () => rng.uniform()), labels: Int32Array.from({ length: n }, () => rng.int(classes)) };
}

h("mlp, microcircuit and brainprop built past 2 GiB train bit-identically to the same models at low addresses", () => {
  const configs: [string, Record<string, unknown>, number, number][] = [
    ["mlp", { arch: [12, 20, 5], momentum: 0.9, seed: 3, maxBatch: 8 }, 12, 5],
    ["mlp", { arch: [12, 20, 20, 5], rule: "brsf", seed: 3, maxBatch: 8 }, 12, 5],
    ["microcircuit", { sizes: [12, 10, 5], seed: 3, maxBatch: 8 }, 12, 5],
    ["brainprop", { input: [3, 4, 1], arch: [12, 16, 5], seed: 3, maxBatch: 8 }, 12, 5],
  ];
  for (const [kind, config, inputs, classes] of configs) {
    const models: TrainableModel[] = [createModel(low, kind, config), createModel(high, kind, config)];
    try {
      for (const m of models) {
        const rng = new Rng(11);
        for (let i = 0; i < 5; i++) m.trainBatch(batchOf(rng, 8, inputs, classes));
      }
      const [a, b] = models.map((m) => m.exportState());
      for (const k of Object.keys(a)) assert.equal(Array.from(b[k].data), Array.from(a[k].data), `${kind} ${k}`);
      const x = batchOf(new Rng(2), 8, inputs, classes).x;
      assert.equal(Array.from(models[1].predict(x, 8)), Array.from(models[0].predict(x, 8)), `${kind} predict`);
    } finally {
      for (const m of models) m.dispose();
    }
  }
});

h("an mlp that needs more than 4 GiB is refused at construction with its size and the limit, allocating nothing; the core stays usable", () => {
  const before = bytesInUse(high.exports);
  const grown = high.memory.buffer.byteLength;
  const config = { arch: [784, 15000, 15000, 15000, 15000, 10], momentum: 0.9 };
  assert.throws(
    () => createModel(high, "mlp", config),
    (e: Error) =>
      e instanceof ValueError &&
      /^mlp 784-15000-15000-15000-15000-10 \(rule bp, momentum, maxBatch \d+\) needs 5\.\d\d GiB of WebAssembly memory; the limit is 4\.00 GiB, of which 2\.00 GiB are held by other models and tensors$/.test(
        e.message,
      ),
  );
  assert.is(bytesInUse(high.exports), before);
  assert.is(high.memory.buffer.byteLength, grown, "nothing was allocated");
  // Without the 2 GiB filler it still does not fit; with it, a 3.4 GiB model (alone it would fit) does not either.
  assert.throws(() => createModel(low, "mlp", config), /needs 5\.\d\d GiB of WebAssembly memory; the limit is 4\.00 GiB$/);
  assert.throws(
    () => createModel(high, "mlp", { arch: [784, 15000, 15000, 15000, 10], momentum: 0.9 }),
    /needs 3\.\d\d GiB of WebAssembly memory; the limit is 4\.00 GiB, of which 2\.00 GiB are held by other models and tensors$/,
  );
  // The estimate is exactly what the constructor allocates.
  const small = { arch: [7, 13, 11, 3], rule: "frsf", momentum: 0.5, maxBatch: 6 };
  const m = createModel(high, "mlp", small);
  assert.is(bytesInUse(high.exports) - before, mlpMemoryBytes(small));
  m.dispose();
  assert.is(bytesInUse(high.exports), before);
});

h("a tensor larger than the allocator's 1 GiB block is a ValueError naming its size", () => {
  const a = low.arena();
  assert.throws(
    () => a.tensor(2 ** 15, 2 ** 13 + 4),
    (e: Error) => e instanceof ValueError && /^a 32768×8196 tensor needs 1\.00 GiB; a single tensor is limited to 1 GiB$/.test(e.message),
  );
  a.dispose();
});

h.run();
