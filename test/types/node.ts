// Type fixture: a Node consumer (lib ES2022 + DOM, @types/node) of the installed package, compiled with
// skipLibCheck false by test/package.test.ts.
import { init, createModel, Trainer } from "dendritic";
import { loadDataset, loadModel, saveModel } from "dendritic/node";

const core = await init();
const model = createModel(core, "microcircuit", { sizes: [9, 20, 3], maxBatch: 10 });
const trainer = new Trainer(model, loadDataset("bars"), { epochs: 1, batchSize: 10 });
trainer.addEventListener("epoch", (e) => console.log(e.detail.epoch, e.detail.valError));
await trainer.run();
await saveModel(model, "m.safetensors", { trainer: trainer.state() });
const back = await loadModel("m.safetensors");
// @ts-expect-error loadModel takes a path, a URL, bytes, a Blob or a Response
await loadModel(42);
back.dispose();
model.dispose();
