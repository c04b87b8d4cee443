import { init, createModel, Trainer, bars } from "./dist/index.js";
const core = await init();
for (const eta of [0.025, 0.1, 0.3]) {
const ds = bars({ seed: 1 });
const model = createModel(core, "microcircuit", { sizes: [9, 30, 3], maxBatch: 10, seed: 1, eta });
const trainer = new Trainer(model, ds, { epochs: 5, batchSize: 10, seed: 1 });
const s = await trainer.run();
console.log(eta, s.testError, s.wallS, s.epochs.map(e=>e.testError));
}
