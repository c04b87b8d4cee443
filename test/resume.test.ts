// Resolving a run from a checkpoint (src/train/resume.ts): for every setting, an explicit request
// wins over the saved trainer state, which wins over the checkpoint's configuration and metadata,
// which win over the defaults. The expected values are written out per case.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ValueError } from "../src/core/errors.ts";
import type { Checkpoint } from "../src/train/checkpoint.ts";
import { resolveRun, trainLimit, type RunDefaults } from "../src/train/resume.ts";
import type { TrainerState } from "../src/train/trainer.ts";

const DEFAULTS: RunDefaults = {
  model: "microcircuit",
  dataset: "mnist-small",
  dataSeed: 1,
  batchSize: 10,
  seed: 1,
  shuffle: true,
  schedule: { kind: "constant" },
};

const trainer = {
  version: 1,
  epoch: 3,
  batch: 0,
  rngAtEpochStart: [1, 2, 3, 4],
  batchSize: 32,
  shuffle: false,
  seed: 9,
  schedule: { kind: "step", every: 5, factor: 0.5 },
  limitTrain: 500,
  bestEpoch: 2,
  bestMetric: 0.1,
  sinceBest: 1,
} as unknown as TrainerState;

const ckpt = (withTrainer: boolean): Checkpoint => ({
  kind: "mlp",
  config: { seed: 7, arch: [4, 3] },
  tensors: {},
  trainer: withTrainer ? trainer : undefined,
  metadata: { dataset: "yinyang", data_seed: "5", classes: "27", encoding: JSON.stringify({ pixelRange: "-1..1", oneHot: { on: 1, off: 0 } }) },
});

test("without a checkpoint the request, else the defaults", () => {
  assert.equal(resolveRun(undefined, {}, DEFAULTS), {
    kind: "microcircuit",
    dataset: "mnist-small",
    dataSeed: 1,
    classes: undefined,
    resume: false,
    batchSize: 10,
    modelSeed: 1,
    seed: 1,
    shuffle: true,
    schedule: { kind: "constant" },
    augment: { kind: "none" },
    encoding: { pixelRange: undefined, oneHot: undefined },
    savedLimitTrain: undefined,
  });
  const r = resolveRun(undefined, { model: "mlp", dataset: "bars", dataSeed: 3, batchSize: 4, seed: 2, shuffle: false }, DEFAULTS);
  assert.equal([r.kind, r.dataset, r.dataSeed, r.batchSize, r.modelSeed, r.seed, r.shuffle], ["mlp", "bars", 3, 4, 2, 2, false]);
});

test("resuming: the saved trainer state and the checkpoint's metadata replace the defaults", () => {
  const r = resolveRun(ckpt(true), {}, DEFAULTS);
  assert.equal([r.kind, r.dataset, r.dataSeed, r.resume, r.batchSize, r.modelSeed, r.seed, r.shuffle], ["mlp", "yinyang", 5, true, 32, 7, 9, false]);
  assert.equal(r.schedule, { kind: "step", every: 5, factor: 0.5 });
  assert.is(r.classes, 27);
  assert.is(resolveRun(ckpt(true), { classes: 10 }, DEFAULTS).classes, 10);
  assert.equal(r.encoding, { pixelRange: "-1..1", oneHot: { on: 1, off: 0 } });
  assert.is(trainLimit(r, {}, 1000), 500, "a saved limit below the split size holds");
  assert.is(trainLimit(r, {}, 500), undefined, "a saved limit equal to the split is no limit");
  assert.is(trainLimit(r, { limitTrain: 50 }, 1000), 50, "the request wins");
});

test("explicit requests win over the checkpoint", () => {
  const r = resolveRun(
    ckpt(true),
    { dataset: "bars", dataSeed: 2, batchSize: 8, seed: 4, shuffle: true, schedule: { kind: "constant" }, pixelRange: "0..1" } as never,
    DEFAULTS,
  );
  assert.equal([r.dataset, r.dataSeed, r.batchSize, r.modelSeed, r.seed, r.shuffle], ["bars", 2, 8, 4, 4, true]);
  assert.equal(r.schedule, { kind: "constant" });
  assert.equal(r.encoding, { pixelRange: "0..1", oneHot: { on: 1, off: 0 } });
});

test("resetTrainer (or a checkpoint without trainer state) keeps the model's seed but not the trainer's settings", () => {
  for (const r of [resolveRun(ckpt(true), { resetTrainer: true }, DEFAULTS), resolveRun(ckpt(false), {}, DEFAULTS)]) {
    assert.equal([r.resume, r.batchSize, r.modelSeed, r.seed, r.shuffle, r.savedLimitTrain], [false, 10, 7, 7, true, undefined]);
    assert.equal(r.schedule, { kind: "constant" });
    assert.is(r.dataset, "yinyang", "metadata still names the data set");
  }
});

test("asking for another model kind than the checkpoint holds is a ValueError naming both", () => {
  assert.throws(
    () => resolveRun(ckpt(true), { model: "brainprop" }, DEFAULTS, "the checkpoint run.safetensors"),
    (e: unknown) => e instanceof ValueError && /brainprop.*run\.safetensors.*'mlp'/.test((e as Error).message),
  );
});

test("bad encoding metadata is a ValueError, not a crash", () => {
  const c = ckpt(false);
  c.metadata.encoding = "{not json";
  assert.throws(
    () => resolveRun(c, {}, DEFAULTS),
    (e: unknown) => e instanceof ValueError && /encoding/.test((e as Error).message),
  );
});

test.run();
