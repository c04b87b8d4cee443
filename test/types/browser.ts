// Type fixture: a TypeScript consumer of the installed package with lib ES2022 + DOM and no Node
// types (a browser project), compiled with skipLibCheck false by test/package.test.ts. Each line
// after an expect-error directive must fail to compile; tsc reports it if it compiles.
import { init, createModel, Trainer, bars, loadModel, checkpointBlob, digestState, type EpochRecord, type Progress, type TrainSummary } from "dendritic";

const core = await init({ impl: "simd" });
const model = createModel(core, "mlp", { arch: [9, 12, 3], lr: 0.3, maxBatch: 10 });
const trainer = new Trainer(model, bars(), { epochs: 2, batchSize: 10, signal: AbortSignal.timeout(60_000) });

trainer.addEventListener("progress", (e) => {
  const p: Progress = e.detail;
  console.log(p.examplesPerS.toFixed(0));
});
trainer.addEventListener("epoch", (e) => {
  const r: EpochRecord = e.detail;
  console.log(r.valError?.toFixed(4));
});
trainer.addEventListener("done", (e) => {
  const s: TrainSummary = e.detail;
  console.log(s.testError);
});
// @ts-expect-error an epoch record has no 'accuracy'
trainer.addEventListener("epoch", (e) => console.log(e.detail.accuracy));

for await (const epoch of trainer.epochs()) {
  const n: number = epoch.epoch;
  if (n === 1) break;
}
const summary: TrainSummary = await trainer.run({ signal: new AbortController().signal });
console.log(summary.bestEpoch, await digestState(model.exportState()));

const again = await loadModel(checkpointBlob(model), { core });
again.dispose();
model.dispose();
