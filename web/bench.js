// The training-speed workload measured in Node and in Chromium by scripts/bench-browser.mjs: the
// microcircuit of the MNIST protocol (784-500-500-10, fast steady-state mode, mini-batch 10,
// MICROCIRCUIT_MNIST configuration), each step filling one mini-batch of mnist-small digits with the
// library's BatchFiller and training on it. The same module runs in both places.
import { init, createModel, BatchFiller } from "../dist/index.js";

export const WORKLOAD = Object.freeze({ model: "microcircuit", sizes: [784, 500, 500, 10], batch: 10, data: "mnist-small train split, in order" });

/** Builds the model on the requested build; `run(ms)` trains for about `ms` milliseconds and returns examples/s. */
export async function createBench(impl, dataset) {
  const core = await init({ impl });
  const model = createModel(core, WORKLOAD.model, { sizes: WORKLOAD.sizes, maxBatch: WORKLOAD.batch, seed: 1 });
  const filler = new BatchFiller(dataset, WORKLOAD.batch);
  const batches = Math.floor(dataset.train.n / WORKLOAD.batch);
  let k = 0;
  return {
    impl: core.impl,
    run(ms) {
      const t0 = performance.now();
      let n = 0;
      let t = t0;
      while (t - t0 < ms) {
        model.trainBatch(filler.fill(dataset.train, null, (k++ % batches) * WORKLOAD.batch, WORKLOAD.batch));
        n += WORKLOAD.batch;
        t = performance.now();
      }
      return (n * 1000) / (t - t0);
    },
    dispose() {
      model.dispose();
    },
  };
}
