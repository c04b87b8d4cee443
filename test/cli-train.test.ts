import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { encodeIdx } from "../src/data/idx.ts";
import { Rng } from "../src/core/random.ts";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { evalCommand, trainCommand } from "../src/cli/train.ts";
import { registerModel } from "../src/models/registry.ts";
import { readCheckpoint } from "../src/node/checkpoint.ts";
import { TinyLinear } from "./support/tiny-models.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin", "dendritic.js"), ...args], { encoding: "utf8" });

registerModel({
  kind: "tiny-linear",
  description: "test model: linear softmax / least squares in plain TypeScript",
  options: { noise: "update noise" },
  create: (_core, config) => new TinyLinear(config),
});

/** Runs `dendritic train …` in this process (so the test model is registered). */
async function train(...args: string[]): Promise<void> {
  const cmd = trainCommand().exitOverride();
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  await cmd.parseAsync(["--progress", "none", ...args], { from: "user" });
}

async function evaluate(...args: string[]): Promise<void> {
  const cmd = evalCommand().exitOverride();
  await cmd.parseAsync(args, { from: "user" });
}

const c = suite("CLI: train and eval");
let dir: string;
let idxDir: string;
c.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "cli-"));
  // A small IDX data set: 120 training (10 of them validation) and 40 test images of 4×3 bytes.
  idxDir = path.join(dir, "idx");
  mkdirSync(idxDir);
  const rng = new Rng(3);
  const images = (n: number) =>
    encodeIdx(
      "images",
      [n, 4, 3],
      Uint8Array.from({ length: n * 12 }, () => rng.int(256)),
    );
  const labels = (n: number) =>
    encodeIdx(
      "labels",
      [n],
      Uint8Array.from({ length: n }, () => rng.int(10)),
    );
  writeFileSync(path.join(idxDir, "train-images-idx3-ubyte"), images(120));
  writeFileSync(path.join(idxDir, "train-labels-idx1-ubyte"), labels(120));
  writeFileSync(path.join(idxDir, "t10k-images-idx3-ubyte.gz"), gzipSync(images(40)));
  writeFileSync(path.join(idxDir, "t10k-labels-idx1-ubyte.gz"), gzipSync(labels(40)));
});
c.after(() => rmSync(dir, { recursive: true, force: true }));

c("unknown flags, bad values and extra arguments are errors with the flag named (built CLI)", () => {
  const cases: [string[], RegExp][] = [
    [["train", "--bogus"], /unknown option '--bogus'/],
    [["train", "--epochs", "-1"], /option '--epochs <n>' argument '-1' is invalid/],
    [["train", "--batch", "2.5"], /option '--batch <n>' argument '2.5' is invalid/],
    [["train", "--lr", "0"], /option '--lr <x>' argument '0' is invalid\. expected a finite number > 0/],
    [["train", "--arch", "784-x-10"], /option '--arch <sizes>' argument '784-x-10' is invalid/],
    [["train", "--lr-schedule", "step:0:0.5"], /option '--lr-schedule <s>' argument 'step:0:0.5' is invalid/],
    [["train", "--pixel-range", "0"], /option '--pixel-range <lo,hi>' argument '0' is invalid/],
    [["train", "--set", "novalue"], /expected key=value/],
    [["train", "--simd", "gpu"], /Allowed choices are auto, relaxed, simd, scalar/],
    [["train", "--impl", "gpu"], /Allowed choices are auto, relaxed, simd, scalar/],
    [["train", "--dataset", "cifar"], /ValueError: unknown dataset 'cifar'/],
    [["train", "--dataset", "bars", "--model", "nope"], /ValueError: unknown model 'nope'/],
    [["train", "--dataset", "bars", "--arch", "784-10"], /--arch 784-10: bars needs 9 inputs and 3 classes/],
    [["train", "surplus"], /too many arguments for 'train'/],
    [["eval"], /required option '--load <file>' not specified/],
    [["eval", "--load", "/nonexistent.safetensors"], /nonexistent\.safetensors: cannot read checkpoint/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.is(r.status, 1, `${args.join(" ")} exits 1`);
    assert.match(r.stderr, re, args.join(" "));
  }
});

c("--help works for train and eval and lists the options", () => {
  const t = cli("train", "--help");
  assert.is(t.status, 0);
  for (const f of ["--model", "--rule", "--dataset", "--arch", "--epochs", "--batch", "--lr", "--seed", "--no-shuffle", "--save", "--load", "--json", "--set"])
    assert.ok(t.stdout.includes(f), f);
  const e = cli("eval", "--help");
  assert.is(e.status, 0);
  assert.match(e.stdout, /--split/);
});

c("train writes a JSON summary with testError, valError, per-epoch records, examplesPerS and wallS", async () => {
  const json = path.join(dir, "s.json");
  await train("--model", "tiny-linear", "--dataset", "bars", "--arch", "9-3", "--epochs", "3", "--batch", "10", "--lr", "0.5", "--json", json);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.epochs.length, 3);
  assert.ok(s.epochs.every((r: { valError: number; testError: number }) => r.valError >= 0 && r.valError <= 1 && r.testError >= 0 && r.testError <= 1));
  const best = s.epochs[s.bestEpoch - 1];
  assert.is(s.testError, best.testError);
  assert.is(s.valError, Math.min(...s.epochs.map((r: { valError: number }) => r.valError)));
  assert.ok(s.examplesPerS > 0 && s.wallS > 0);
  assert.is(s.modelConfig.lr, 0.5);
  assert.is(s.modelConfig.arch.join("-"), "9-3");
  assert.is(s.batchSize, 10);
  // auto picks the relaxed-SIMD build (switched on at run time on Node 20)
  assert.is(s.impl, "wasm-relaxed");
});

c("--threads sets the thread count and the JSON summary records it (default auto: the machine's cores); bad counts are errors", async () => {
  const { availableParallelism } = await import("node:os");
  for (const [args, want] of [
    [["--threads", "2"], 2],
    [["--threads", "1"], 1],
    [[], availableParallelism()],
  ] as const) {
    const json = path.join(dir, `threads-${want}-${args.length}.json`);
    await train("--model", "mlp", "--dataset", "bars", "--arch", "9-5-3", "--epochs", "1", ...args, "--json", json);
    assert.is(JSON.parse(readFileSync(json, "utf8")).threads, want, args.join(" "));
  }
  for (const bad of ["0", "1.5", "many"]) {
    const r = cli("train", "--threads", bad);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /option '--threads <n>' argument '.*' is invalid\. expected an integer in \[1, 256\] or auto/);
  }
});

c("--simd simd|scalar forces that build, and the JSON summary names it (--impl is the older spelling)", async () => {
  for (const [flag, build, impl] of [
    ["--simd", "simd", "wasm-simd"],
    ["--simd", "scalar", "wasm-scalar"],
    ["--impl", "simd", "wasm-simd"],
  ]) {
    const json = path.join(dir, `build-${flag}-${build}.json`);
    await train("--model", "mlp", "--dataset", "bars", "--arch", "9-5-3", "--epochs", "1", flag, build, "--json", json);
    assert.is(JSON.parse(readFileSync(json, "utf8")).impl, impl, `${flag} ${build}`);
  }
});

c("--save then --load resumes to the same final weights as one uninterrupted run", async () => {
  const full = path.join(dir, "full.safetensors");
  const half = path.join(dir, "half.safetensors");
  const resumed = path.join(dir, "resumed.safetensors");
  const common = ["--model", "tiny-linear", "--dataset", "yinyang", "--arch", "4-3", "--batch", "16", "--seed", "7", "--lr-schedule", "step:1:0.7"];
  await train(...common, "--epochs", "4", "--save", full);
  await train(...common, "--epochs", "2", "--save", half);
  await train("--load", half, "--epochs", "4", "--save", resumed);
  const a = await readCheckpoint(full);
  const b = await readCheckpoint(resumed);
  for (const k of Object.keys(a.tensors)) assert.equal(Array.from(b.tensors[k].data), Array.from(a.tensors[k].data), k);
  assert.is(b.trainer!.epoch, 4);
  assert.is(b.metadata.dataset, "yinyang");
  const h = await readCheckpoint(half);
  assert.is(h.trainer!.epoch, 2);
  assert.equal(
    readdirSync(dir).filter((f) => f.endsWith(".tmp")),
    [],
    "no temporary files left",
  );
});

c("--augment shift:1 reaches the trainer, is recorded in the JSON and the checkpoint, and --load resumes it to the same weights", async () => {
  const common = ["--model", "tiny-linear", "--dataset", "idx:" + idxDir, "--arch", "12-10", "--batch", "8", "--seed", "3"];
  const file = (n: string) => path.join(dir, `aug-${n}`);
  await train(...common, "--augment", "shift:1", "--epochs", "3", "--save", file("full.safetensors"), "--json", file("full.json"));
  await train(...common, "--augment", "shift:1", "--epochs", "1", "--save", file("half.safetensors"));
  await train("--load", file("half.safetensors"), "--epochs", "3", "--save", file("resumed.safetensors"));
  await train(...common, "--epochs", "3", "--save", file("plain.safetensors"));
  const full = await readCheckpoint(file("full.safetensors"));
  const resumed = await readCheckpoint(file("resumed.safetensors"));
  const plain = await readCheckpoint(file("plain.safetensors"));
  for (const k of Object.keys(full.tensors)) assert.equal(Array.from(resumed.tensors[k].data), Array.from(full.tensors[k].data), k);
  assert.not.equal(Array.from(plain.tensors["out.W"].data), Array.from(full.tensors["out.W"].data), "the shifted images changed what was learned");
  assert.equal(full.trainer!.augment, { kind: "shift", pixels: 1 });
  assert.is(plain.trainer!.augment, undefined);
  assert.is(JSON.parse(readFileSync(file("full.json"), "utf8")).augment, "shift:1");
  await train("--load", file("half.safetensors"), "--epochs", "3", "--augment", "none").then(
    () => assert.unreachable("a different augmentation must not resume"),
    (e: Error) => assert.match(e.message, "trained with augmentation shift:1, this run has none"),
  );
});

c(
  "without --arch: the data set's default architecture when the model's own does not fit (mlp has none; microcircuit's 784-… does not fit yinyang)",
  async () => {
    for (const [model, key] of [
      ["mlp", "arch"],
      ["microcircuit", "sizes"],
    ]) {
      const json = path.join(dir, `${model}-default.json`);
      await train("--model", model, "--dataset", "yinyang", "--epochs", "1", "--limit", "100", "--json", json);
      assert.equal(JSON.parse(readFileSync(json, "utf8")).modelConfig[key], [4, 30, 3], model);
    }
  },
);

c("data-set defaults: the microcircuit learns Bars in 3 epochs without tuning (the MNIST rate leaves it at chance)", async () => {
  const json = path.join(dir, "bars-defaults.json");
  await train("--dataset", "bars", "--epochs", "3", "--json", json);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.modelConfig.eta, 0.2);
  assert.ok(s.testError <= 0.02, `test error ${s.testError}`);
  await train("--dataset", "bars", "--epochs", "3", "--lr", "0.025", "--json", json);
  assert.ok(JSON.parse(readFileSync(json, "utf8")).testError > 0.2, "the MNIST rate is far too slow on Bars (the reason for the default)");
});

c("data-set defaults apply to what the user did not set: yinyang epochs, batch, rates; flags and --set win", async () => {
  const json = path.join(dir, "yy-defaults.json");
  await train("--dataset", "yinyang", "--limit", "50", "--json", json);
  let s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.epochs.length, 100);
  assert.is(s.batchSize, 1);
  assert.is(s.modelConfig.eta, 0.2);
  assert.equal(s.modelConfig.etaLayerFactors, [16, 1]);
  await train("--dataset", "yinyang", "--limit", "50", "--epochs", "2", "--batch", "5", "--lr", "0.3", "--set", "etaLayerFactors=[4,1]", "--json", json);
  s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.epochs.length, 2);
  assert.is(s.batchSize, 5);
  assert.is(s.modelConfig.eta, 0.3);
  assert.equal(s.modelConfig.etaLayerFactors, [4, 1]);
  await train("--dataset", "teacher", "--limit", "50", "--epochs", "1", "--json", json);
  assert.is(JSON.parse(readFileSync(json, "utf8")).modelConfig.readout, "potential");
  await train("--model", "brainprop", "--dataset", "yinyang", "--limit", "50", "--epochs", "1", "--json", json);
  s = JSON.parse(readFileSync(json, "utf8"));
  assert.is(s.modelConfig.initStd, 0.5);
  assert.equal(s.modelConfig.input, [1, 1, 4], "a dense arch on flat data takes a flat input");
});

c("--load with a different --arch or unknown/bad --set values fails with a clear error", async () => {
  const ck = path.join(dir, "m.safetensors");
  await train("--model", "tiny-linear", "--dataset", "bars", "--arch", "9-3", "--epochs", "1", "--save", ck);
  await train("--load", ck, "--dataset", "bars", "--set", "arch=[4,3]", "--epochs", "2").then(
    () => assert.unreachable("should fail"),
    (e: Error) => assert.match(e.message, /data set bars has 9 inputs, the model expects 4|shape/),
  );
  await train("--model", "tiny-linear", "--dataset", "bars", "--arch", "9-3", "--set", "colour=1").then(
    () => assert.unreachable("should fail"),
    (e: Error) => assert.match(e.message, /unknown field 'colour'|no configuration key 'colour'/),
  );
  await train("--load", ck, "--batch", "20", "--epochs", "2").then(
    () => assert.unreachable("should fail"),
    (e: Error) => assert.match(e.message, /cannot resume: the checkpoint was trained with batchSize 10, this run has 20/),
  );
});

c("eval reports the same test error as training did at the saved epoch (with the stored pixel range)", async () => {
  const ck = path.join(dir, "e.safetensors");
  const json = path.join(dir, "e.json");
  const ejson = path.join(dir, "eval.json");
  await train(
    "--model",
    "tiny-linear",
    "--dataset",
    "idx:" + idxDir,
    "--arch",
    "12-10",
    "--epochs",
    "2",
    "--pixel-range",
    "-1,3",
    "--one-hot",
    "0,1",
    "--save",
    ck,
    "--json",
    json,
  );
  assert.equal(JSON.parse((await readCheckpoint(ck)).metadata.encoding), { pixelRange: [-1, 3], oneHot: [0, 1] });
  await evaluate("--load", ck, "--json", ejson);
  const s = JSON.parse(readFileSync(json, "utf8"));
  const e = JSON.parse(readFileSync(ejson, "utf8"));
  assert.is(e.error, s.epochs[1].testError);
  assert.is(e.n, 40);
  assert.is(
    e.confusion.flat().reduce((a: number, b: number) => a + b, 0),
    40,
  );
  // With the default [0, 1] scaling instead, the outputs differ (so the stored range was used above).
  const other = path.join(dir, "eval01.json");
  await evaluate("--load", ck, "--pixel-range", "0,1", "--json", other);
  assert.is(e.mse, s.epochs[1].testMse);
  assert.ok(Number.isFinite(e.mse));
  assert.not.equal(JSON.parse(readFileSync(other, "utf8")).mse, e.mse);
});

c("--save-best holds the weights of the best-validation epoch: eval on it reproduces that epoch's test error", async () => {
  const best = path.join(dir, "best.safetensors");
  const json = path.join(dir, "b.json");
  const ejson = path.join(dir, "beval.json");
  await train(
    "--model",
    "tiny-linear",
    "--dataset",
    "yinyang",
    "--arch",
    "4-3",
    "--epochs",
    "6",
    "--lr",
    "2",
    "--batch",
    "50",
    "--save-best",
    best,
    "--json",
    json,
  );
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.ok(s.bestEpoch < s.epochs.length, "the best epoch is not the last one, so the test tells them apart");
  await evaluate("--load", best, "--json", ejson);
  const e = JSON.parse(readFileSync(ejson, "utf8"));
  assert.is(e.error, s.testError);
  assert.is((await readCheckpoint(best)).metadata.best_epoch, String(s.bestEpoch));
});

c("Ctrl-C (SIGINT) stops after the current mini-batch, saves a whole checkpoint, exits 130; --load resumes it (built CLI, mlp)", async () => {
  const ck = path.join(dir, "int.safetensors");
  const child = spawn(
    process.execPath,
    [
      path.join(root, "bin", "dendritic.js"),
      "train",
      "--model",
      "mlp",
      "--dataset",
      "bars",
      "--arch",
      "9-30-3",
      "--epochs",
      "100000",
      "--save",
      ck,
      "--progress",
      "lines",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr.on("data", (b) => (err += b));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on("data", (b) => {
      out += b;
      // Interrupt once the first epoch has finished (training is under way).
      if (/epoch 1\/100000 \|/.test(out) && !child.killed) child.kill("SIGINT");
    });
    child.on("exit", (c) => resolve(c));
  });
  assert.is(code, 130, err);
  assert.match(err, /interrupted: stopping after this mini-batch/);
  assert.match(out, new RegExp(`saved ${ck.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  assert.equal(
    readdirSync(dir).filter((f) => f.startsWith(".int.safetensors")),
    [],
    "no temporary file",
  );
  const saved = await readCheckpoint(ck);
  const done = saved.trainer!.epoch;
  assert.ok(done >= 1 && done < 100000, `epochs done ${done}`);
  const r = cli("train", "--load", ck, "--epochs", String(done + 1), "--progress", "lines", "--save", ck);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /resuming after epoch \d+/);
  assert.is((await readCheckpoint(ck)).trainer!.epoch, done + 1);
});

c.run();
