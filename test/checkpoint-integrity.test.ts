// Checkpoint integrity: a checksum over metadata and tensors refuses any corruption, the trainer
// state is validated field by field with named errors, identical runs write identical files
// (no timings inside), and a run stuck at chance level says so.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import { chanceError } from "../src/cli/run-control.ts";
import { trainCommand } from "../src/cli/train.ts";
import { FormatError } from "../src/core/errors.ts";
import { readCheckpoint } from "../src/node/checkpoint.ts";
import { decodeCheckpoint, encodeCheckpoint, validateTrainerState } from "../src/train/checkpoint.ts";
import { crc32, crc32Js } from "../src/train/crc32.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.ts";
import { Rng } from "../src/core/random.ts";
import { TinyLinear } from "./support/tiny-models.ts";

const c = suite("checkpoint integrity");
let dir: string;
c.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "integrity-"));
});
c.after(() => rmSync(dir, { recursive: true, force: true }));

async function train(...args: string[]): Promise<void> {
  const cmd = trainCommand().exitOverride();
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  await cmd.parseAsync(["--progress", "none", ...args], { from: "user" });
}

c("CRC-32: the check value, zlib's crc32 on random data, and continuation over pieces (portable and native paths)", () => {
  const enc = new TextEncoder().encode("123456789");
  assert.is(crc32Js(enc), 0xcbf43926);
  assert.is(crc32(enc), 0xcbf43926);
  const rng = new Rng(5);
  for (const n of [0, 1, 7, 8, 9, 63, 1000, 4099]) {
    const b = Uint8Array.from({ length: n }, () => rng.int(256));
    assert.is(crc32Js(b), zlibCrc32(b), `n=${n}`);
    const k = Math.floor(n / 3);
    assert.is(crc32Js(b.subarray(k), crc32Js(b.subarray(0, k))), zlibCrc32(b), `pieces n=${n}`);
  }
});

/** Decodes, edits the metadata, re-encodes keeping the stored checksum. */
function tamper(bytes: Uint8Array, edit: (m: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, "x");
  edit(metadata);
  return encodeSafetensors(tensors, metadata);
}

c("any change of the metadata or of a tensor value is refused with a checksum mismatch; a missing checksum too", () => {
  const m = new TinyLinear({ arch: [3, 2], seed: 9 });
  const state = {
    version: 1 as const,
    epoch: 1,
    batch: 0,
    rngAtEpochStart: [1, 2, 3, 4],
    batchSize: 10,
    shuffle: true,
    seed: 1,
    schedule: { kind: "constant" as const },
    limitTrain: 100,
    bestEpoch: 1,
    bestMetric: 0.5,
    sinceBest: 0,
    stoppedEarly: false,
    history: [{ epoch: 1, lrScale: 1, trainSeconds: 0.25, examplesPerS: 400, valError: 0.5 }],
    monitor: { n: 10, wrong: 5, sq: 0, values: 0, trainSeconds: 0.25 },
  };
  const bytes = encodeCheckpoint(m, state, { dataset: "bars" });
  const ok = decodeCheckpoint(bytes, "ok.st");
  assert.match(ok.metadata.checksum, /^crc32:[0-9a-f]{8}$/);
  assert.is(ok.metadata.format_version, "2");
  // Timings are not stored.
  assert.equal(ok.trainer!.history[0], { epoch: 1, lrScale: 1, valError: 0.5 });
  assert.is(ok.trainer!.monitor.trainSeconds, 0);
  const mismatch = /^t\.st: checksum mismatch \(stored "crc32:[0-9a-f]{8}", content gives "crc32:[0-9a-f]{8}"\): the file is corrupt$/;
  const cases: [string, Uint8Array][] = [
    // The trainer_state key renamed: the run would silently restart at epoch 0.
    ["trainer_state renamed", tamper(bytes, (x) => ((x.trainer_statf = x.trainer_state), delete x.trainer_state))],
    ["dataset changed", tamper(bytes, (x) => (x.dataset = "yinyang"))],
    ["config changed", tamper(bytes, (x) => (x.model_config = x.model_config.replace('"lr":0.1', '"lr":0.2')))],
  ];
  const { tensors, metadata } = decodeSafetensors(bytes, "x");
  tensors["out.W"].data[0] += 1e-6;
  cases.push(["a weight changed", encodeSafetensors(tensors, metadata)]);
  for (const [what, b] of cases)
    assert.throws(
      () => decodeCheckpoint(b, "t.st"),
      (e: Error) => e instanceof FormatError && mismatch.test(e.message),
      what,
    );
  assert.throws(
    () =>
      decodeCheckpoint(
        tamper(bytes, (x) => delete x.checksum),
        "t.st",
      ),
    /^t\.st: metadata has no checksum \(required from format_version 2\)$/,
  );
  assert.throws(
    () =>
      decodeCheckpoint(
        tamper(bytes, (x) => (x.format_version = "3")),
        "t.st",
      ),
    /format_version "3", this library reads 1 and 2/,
  );
});

c("format_version 1 files (no checksum) still load, and their trainer state is validated field by field with named errors", () => {
  const m = new TinyLinear({ arch: [3, 2], seed: 9 });
  const state = {
    version: 1,
    epoch: 2,
    batch: 0,
    rngAtEpochStart: [1, 2, 3, 4],
    batchSize: 10,
    shuffle: true,
    seed: 1,
    schedule: { kind: "constant" },
    limitTrain: 100,
    bestEpoch: 2,
    bestMetric: 0.5,
    sinceBest: 0,
    stoppedEarly: false,
    history: [
      { epoch: 1, lrScale: 1, trainSeconds: 1, examplesPerS: 100 },
      { epoch: 2, lrScale: 1, trainSeconds: 1, examplesPerS: 100, valError: 0.5 },
    ],
    monitor: { n: 0, wrong: 0, sq: 0, values: 0, trainSeconds: 0 },
  };
  const v1 = (edit: (s: Record<string, unknown>) => void) => {
    const s = structuredClone(state) as Record<string, unknown>;
    edit(s);
    const metadata = {
      format: "dendritic-checkpoint",
      format_version: "1",
      model_kind: "tiny-linear",
      model_config: JSON.stringify(m.config()),
      trainer_state: JSON.stringify(s),
    };
    return encodeSafetensors(m.exportState(), metadata);
  };
  assert.is(
    decodeCheckpoint(
      v1(() => undefined),
      "old.st",
    ).trainer!.epoch,
    2,
  );
  const cases: [(s: Record<string, unknown>) => void, string][] = [
    [(s) => delete s.history, "old.st: trainer_state.history must be an array of 2 epoch records, got undefined"],
    [(s) => (s.history = [{ epoch: 1, lrScale: 1 }]), 'old.st: trainer_state.history must be an array of 2 epoch records, got "1 records"'],
    [(s) => ((s.history as { valError: unknown }[])[1].valError = "x"), 'old.st: trainer_state.history[1].valError must be a number ≥ 0, got "x"'],
    [(s) => (s.epoch = -1), "old.st: trainer_state.epoch must be an integer in [0, 9007199254740992], got -1"],
    [(s) => (s.rngAtEpochStart = [0, 0, 0, 0]), "old.st: trainer_state.rngAtEpochStart must be four u32 words, not all zero, got [0,0,0,0]"],
    [
      (s) => (s.schedule = { kind: "cosine" }),
      'old.st: trainer_state.schedule must be a schedule (unknown schedule {"kind":"cosine"}; expected constant, step or exp), got {"kind":"cosine"}',
    ],
    [(s) => (s.bestEpoch = 3), "old.st: trainer_state.bestEpoch must be an integer in [0, 2], got 3"],
    [(s) => (s.monitor = null), "old.st: trainer_state.monitor must be an object, got null"],
    [(s) => (s.shuffle = "yes"), 'old.st: trainer_state.shuffle must be true or false, got "yes"'],
    [(s) => (s.extra = 1), "old.st: trainer_state.extra must be absent (not a trainer state field), got 1"],
  ];
  for (const [edit, msg] of cases)
    assert.throws(
      () => decodeCheckpoint(v1(edit), "old.st"),
      (e: Error) => e instanceof FormatError && e.message === msg,
      msg,
    );
  assert.throws(() => validateTrainerState([], "s"), /^s\. must be an object, got \[\]$/);
});

c("two identical runs write byte-identical --save and --save-best files (no timings inside)", async () => {
  const files: Buffer[][] = [];
  for (const run of ["a", "b"]) {
    const save = path.join(dir, `${run}.st`);
    const best = path.join(dir, `${run}.best.st`);
    await train(
      "--model",
      "mlp",
      "--dataset",
      "yinyang",
      "--arch",
      "4-20-3",
      "--epochs",
      "3",
      "--seed",
      "4",
      "--set",
      "momentum=0.9",
      "--save",
      save,
      "--save-best",
      best,
    );
    files.push([readFileSync(save), readFileSync(best)]);
  }
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  assert.is(sha(files[0][0]), sha(files[1][0]), "--save");
  assert.is(sha(files[0][1]), sha(files[1][1]), "--save-best");
  // The resumed run's summary keeps timings only for the epochs it ran.
  const json = path.join(dir, "resumed.json");
  await train("--load", path.join(dir, "a.st"), "--epochs", "4", "--json", json);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.epochs[0].trainSeconds, undefined);
  assert.ok(s.epochs[3].trainSeconds > 0 && s.epochs[3].examplesPerS > 0);
  assert.is((await readCheckpoint(path.join(dir, "a.st"))).trainer!.epoch, 3);
});

c("a run at chance level after the first epoch warns (stderr and the summary's warnings); a healthy run does not", async () => {
  assert.is(chanceError(Uint8Array.of(0, 1, 1, 2), 4, 3), 0.5);
  const warned: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (warned.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const bad = path.join(dir, "lr1e9.json");
    await train("--model", "mlp", "--dataset", "yinyang", "--lr", "1e9", "--epochs", "3", "--json", bad);
    const good = path.join(dir, "ok.json");
    await train("--model", "mlp", "--dataset", "yinyang", "--epochs", "3", "--json", good);
    const sb = JSON.parse(readFileSync(bad, "utf8"));
    assert.is(sb.warnings.length, 1);
    assert.match(
      sb.warnings[0],
      /^epoch 2: the training error \d+\.\d% is at chance level \(66\.\d%, always answering the most frequent class\); the learning rate may be far too high or too low$/,
    );
    assert.is(JSON.parse(readFileSync(good, "utf8")).warnings, undefined);
  } finally {
    process.stderr.write = orig;
  }
  assert.is(warned.filter((w) => w.startsWith("warning: epoch 2: the training error")).length, 1, warned.join(""));
});

c.run();
