// A batch holds exactly the number of examples it says: for every model kind, trainBatch and
// predict refuse inputs, labels or targets with more (or fewer) examples than n, naming the fix,
// rather than silently training on the first rows. The data pipeline hands exact-length views.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { init } from "../src/core/core.ts";
import { ShapeError } from "../src/core/errors.ts";
import { BatchFiller } from "../src/data/dataset.ts";
import { bars } from "../src/data/generators.ts";
import { createModel } from "../src/models/registry.ts";
import type { TrainableModel } from "../src/train/model.ts";

const shape = (re: RegExp) => (e: Error) => e instanceof ShapeError && re.test(e.message);

test("trainBatch and predict of every model kind take exactly n examples", async () => {
  const core = await init();
  const models: TrainableModel[] = [
    createModel(core, "mlp", { arch: [9, 5, 3], maxBatch: 4 }),
    createModel(core, "microcircuit", { sizes: [9, 5, 3], maxBatch: 4 }),
    createModel(core, "brainprop", { arch: [9, 5, 3], maxBatch: 4, input: [3, 3, 1], classes: 3 }),
    createModel(core, "spiking", { arch: [9, 5, 3], maxBatch: 4, steps: 10, settle: 2 }),
  ];
  const x4 = new Float32Array(4 * 9).fill(0.5);
  const labels4 = Int32Array.of(0, 1, 2, 0);
  for (const m of models) {
    const k = m.kind;
    // Four examples, but n = 1: refused, with the count found and both fixes.
    assert.throws(
      () => m.trainBatch({ n: 1, x: x4, labels: labels4.subarray(0, 1) }),
      shape(/x holds 36 values, expected n × 9 = 9: that is 4 examples — pass n = 4, or (batch\.)?x\.subarray\(0, 9\) for the first 1/),
      k,
    );
    assert.throws(() => m.trainBatch({ n: 2, x: x4.subarray(0, 18), labels: labels4 }), shape(/labels holds 4 values, expected n = 2/), k);
    assert.throws(() => m.trainBatch({ n: 2, x: x4.subarray(0, 17), labels: labels4.subarray(0, 2) }), shape(/x holds 17 values, expected n × 9 = 18$/), k);
    assert.throws(() => m.predict(x4, 3), shape(/x holds 36 values, expected n × 9 = 27: that is 4 examples/), k);
    // Exact arrays, and the views the data pipeline makes of a larger buffer, are accepted.
    m.trainBatch({ n: 4, x: x4, labels: labels4 });
    m.trainBatch({ n: 2, x: x4.subarray(0, 18), labels: labels4.subarray(0, 2) });
    assert.is(m.predict(x4, 4).length, 12, k);
    m.dispose();
  }
  const bp = createModel(core, "brainprop", { arch: [9, 5, 3], maxBatch: 4, input: [3, 3, 1], classes: 3 });
  assert.throws(
    () => bp.trainBatchWithActions({ n: 2, x: x4.subarray(0, 18), labels: labels4.subarray(0, 2) }, [0, 1, 2]),
    shape(/actions holds 3 values, expected n = 2: that is 3 examples/),
  );
  bp.trainBatchWithActions({ n: 2, x: x4.subarray(0, 18), labels: labels4.subarray(0, 2) }, [0, 1]);
  bp.dispose();
  const mse = createModel(core, "mlp", { arch: [9, 5, 3], maxBatch: 4, loss: "mse" });
  assert.throws(
    () => mse.trainBatch({ n: 1, x: x4.subarray(0, 9), targets: new Float32Array(6) }),
    shape(/batch\.targets holds 6 values, expected n × 3 = 3: that is 2 examples/),
  );
  mse.dispose();
});

test("the data pipeline hands exact-length views, also for the short last batch", () => {
  const data = bars({ train: 10, validation: 3, test: 3 });
  const f = new BatchFiller(data, 4);
  for (const [start, n] of [
    [0, 4],
    [8, 2],
  ]) {
    const b = f.fill(data.train, null, start, n);
    assert.is(b.x.length, n * data.inputSize);
    assert.is(b.labels!.length, n);
  }
});

test.run();
