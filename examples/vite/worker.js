// A 9-30-3 dendritic microcircuit learns the 3×3 bars task (docs/model.md §5) in a Web Worker.
import { init, createModel, Trainer, bars } from "dendritic";

try {
  const core = await init();
  const model = createModel(core, "microcircuit", { sizes: [9, 30, 3], maxBatch: 10, seed: 1, eta: 0.3 });
  const trainer = new Trainer(model, bars({ seed: 1 }), { epochs: 5, batchSize: 10, seed: 1 });
  const summary = await trainer.run();
  postMessage({ impl: core.impl, testError: summary.testError, epochs: summary.epochsRun });
} catch (e) {
  postMessage({ error: `${e.name}: ${e.message}` });
}
