// Type fixture: a TypeScript consumer of the installed package with lib ES2022 + DOM and no Node
// types (a browser project), compiled with skipLibCheck false by test/package.test.ts. Each line
// after an expect-error directive must fail to compile; tsc reports it if it compiles.
import {
  init,
  createModel,
  Trainer,
  bars,
  loadModel,
  checkpointBlob,
  digestState,
  Mlp,
  MicrocircuitClassifier,
  Microcircuit,
  BrainPropNet,
  type EpochRecord,
  type Progress,
  type TrainSummary,
  type ModelSpec,
} from "dendritic";

const core = await init({ impl: "simd" });
const model = createModel(core, "mlp", { arch: [9, 12, 3], lr: 0.3, maxBatch: 10 });
// Per-kind configurations: createModel returns the kind's class, and wrong fields or values fail.
const mlp: Mlp = createModel(core, "mlp", { arch: [9, 12, 3], rule: "fa" });
const mc: MicrocircuitClassifier = createModel(core, "microcircuit", { sizes: [9, 20, 3], eta: 0.2 });
// @ts-expect-error "backprop" is not an mlp rule ("bp" is)
new Mlp(core, { arch: [9, 12, 3], rule: "backprop" });
// @ts-expect-error lr is a number
createModel(core, "mlp", { arch: [9, 12, 3], lr: "0.1" });
// @ts-expect-error the mlp needs its layer sizes
createModel(core, "mlp", { rule: "bp" });
// @ts-expect-error the microcircuit's layer sizes are `sizes`, not `arch`
createModel(core, "microcircuit", { arch: [9, 20, 3] });
const specs: ModelSpec[] = [
  { kind: "brainprop", net: "dense" },
  { kind: "mlp", arch: [784, 10] },
];
// @ts-expect-error a brainprop rule is "brainprop" or "bp"
const wrong: ModelSpec = { kind: "brainprop", rule: "fa" };
// @ts-expect-error createModel(…, "mlp", …) is an Mlp, not any model
const notBp: BrainPropNet = createModel(core, "mlp", { arch: [9, 3] });
// @ts-expect-error the network's noise σ is a number
new Microcircuit(core, { sizes: [9, 20, 3], sigma: "0.1" });
// The network's store/restore and monitors are typed too.
const net = new Microcircuit(core, { sizes: [9, 20, 3], maxBatch: 2 });
const times: Float64Array = net.monitor("uP", { layer: 1, index: 0 }).times();
net.importState(net.exportState({ neurons: false }));
const neuronNames: string[] = net.neuronStateNames();
// @ts-expect-error exportState's option is `neurons`
net.exportState({ neuron: false });
net.dispose();
console.log(notBp, times.length, neuronNames.length);
// Kinds added with registerModel keep the general signature.
createModel(core, "my-model" as string, { anything: 1 }).dispose();
mlp.dispose();
mc.dispose();
console.log(specs.length, wrong);

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
