// The Node side of the determinism test: trains `batches` mini-batches of a rule on mnist-small
// exactly as web/worker.js does (same model configuration, Trainer options, seed) and returns the
// digest of the model state. Also runnable on its own, for builds Node only loads behind a flag:
//   node --experimental-wasm-relaxed-simd --import tsx test/browser/node-digest.ts relaxed microcircuit 7 0.025 30
import { pathToFileURL } from "node:url";
import { init, createModel, Trainer, digestState, type ImplChoice } from "../../src/index.ts";
import { loadMnistSmall } from "../../src/node/index.ts";

let mnistSmall: ReturnType<typeof loadMnistSmall> | undefined;

export async function nodeDigest(impl: ImplChoice, rule: "microcircuit" | "bp" | "fa", seed: number, lr: number, batches: number): Promise<string> {
  const core = await init({ impl });
  const sizes = [784, 500, 500, 10];
  const model =
    rule === "microcircuit"
      ? createModel(core, "microcircuit", { sizes, maxBatch: 10, eta: lr, seed })
      : createModel(core, "mlp", { arch: sizes, rule, lr, seed, maxBatch: 10 });
  let n = 0;
  const trainer = new Trainer(model, (mnistSmall ??= loadMnistSmall()), {
    epochs: 1_000_000,
    batchSize: 10,
    seed,
    shuffle: true,
    monitorEvery: 0,
    testEveryEpoch: false,
    progressMs: 0,
    onProgress: () => {
      if (++n >= batches) trainer.stop();
    },
  });
  await trainer.run();
  if (n !== batches) throw new Error(`trained ${n} mini-batches, expected ${batches}`);
  const digest = await digestState(model.exportState());
  model.dispose();
  return digest;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [impl, rule, seed, lr, batches] = process.argv.slice(2);
  nodeDigest(impl as ImplChoice, rule as "microcircuit", Number(seed), Number(lr), Number(batches)).then((d) => console.log(d));
}
