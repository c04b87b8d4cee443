// JavaScript conventions around training and models: AbortSignal, `for await` over epochs, and
// one-call save/load of whole models (Node paths, bytes, Blob/File, fetch Response). The oracle of
// every "continues exactly" is an uninterrupted run of the same seed: identical state digests.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { init, type Core } from "../src/core/core.ts";
import { DendriticError, FormatError, ShapeError } from "../src/core/errors.ts";
import { bars } from "../src/data/generators.ts";
import { createModel } from "../src/models/registry.ts";
import { loadModel as loadModelNode, saveModel } from "../src/node/checkpoint.ts";
import { encodeCheckpoint } from "../src/train/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.ts";
import { digestState } from "../src/train/digest.ts";
import type { TrainableModel } from "../src/train/model.ts";
import { checkpointBlob, downloadModel, loadModel } from "../src/train/model-io.ts";
import { Trainer, type EpochRecord, type TrainerOptions } from "../src/train/trainer.ts";

let core: Core;
const data = bars({ train: 200, validation: 50, test: 50, seed: 4 });
const mlp = () => createModel(core, "mlp", { arch: [9, 12, 3], lr: 0.3, seed: 7, maxBatch: 10 });
const opts: TrainerOptions = { epochs: 4, batchSize: 10, seed: 3, progressMs: 0 };
const digest = (m: TrainableModel) => digestState(m.exportState());
const without = (r: EpochRecord) => ({ ...r, trainSeconds: 0, examplesPerS: 0 });

async function reference(): Promise<{ digest: string; epochs: EpochRecord[] }> {
  const m = mlp();
  const s = await new Trainer(m, data, opts).run();
  const d = await digest(m);
  m.dispose();
  return { digest: d, epochs: s.epochs };
}

const a = suite("Trainer: AbortSignal and for await");
a.before(async () => {
  core = await init({ impl: "simd" });
});

a("aborting mid-epoch rejects run() with an AbortError; run() again continues to the uninterrupted run's state", async () => {
  const ref = await reference();
  const m = mlp();
  const ac = new AbortController();
  let batches = 0;
  const t = new Trainer(m, data, { ...opts, signal: ac.signal, onProgress: () => ++batches === 27 && ac.abort() });
  const err = await t.run().then(
    () => null,
    (e: unknown) => e as DOMException,
  );
  assert.ok(err, "run() rejected");
  assert.is(err!.name, "AbortError");
  const s = t.state();
  assert.equal([s.epoch, s.batch], [1, 7], "stopped right after the 27th mini-batch (20 per epoch)");
  // The trainer's own signal stays aborted: a fresh trainer restores the state and continues.
  const t2 = new Trainer(m, data, opts);
  t2.restore(s);
  const summary = await t2.run();
  assert.is(summary.epochsRun, 4);
  assert.is(await digest(m), ref.digest);
  assert.equal(summary.epochs.map(without), ref.epochs.map(without));
  m.dispose();
});

a("a per-call signal aborts that call only; an already aborted signal trains nothing", async () => {
  const ref = await reference();
  const m = mlp();
  const t = new Trainer(m, data, opts);
  const before = await digest(m);
  const pre = await t.run({ signal: AbortSignal.abort(new Error("cancelled by the test")) }).then(
    () => null,
    (e: Error) => e,
  );
  assert.is(pre?.message, "cancelled by the test", "rejects with the signal's reason");
  assert.is(await digest(m), before, "no learning step ran");
  const ac = new AbortController();
  t.addEventListener("epoch", () => ac.abort(), { once: true });
  await t.run({ signal: ac.signal }).then(
    () => assert.unreachable("should reject"),
    (e: DOMException) => assert.is(e.name, "AbortError"),
  );
  assert.equal([t.state().epoch, t.state().batch], [1, 0], "an abort at the epoch boundary leaves the epoch complete");
  const s = await t.run();
  assert.is(s.epochsRun, 4);
  assert.is(await digest(m), ref.digest);
  m.dispose();
});

a("for await (const epoch of trainer.epochs()) yields each epoch's record; break stops at that boundary, run() continues", async () => {
  const ref = await reference();
  const m = mlp();
  const t = new Trainer(m, data, opts);
  const seen: EpochRecord[] = [];
  for await (const epoch of t.epochs()) {
    seen.push(epoch);
    // Training waits while the loop body runs: exactly this many epochs are done.
    assert.is(t.epochsDone, epoch.epoch);
    if (epoch.epoch === 2) break;
  }
  assert.equal(
    seen.map((r) => r.epoch),
    [1, 2],
  );
  assert.equal(seen.map(without), ref.epochs.slice(0, 2).map(without));
  for await (const epoch of t.epochs()) seen.push(epoch);
  assert.equal(seen.map(without), ref.epochs.map(without));
  assert.is(await digest(m), ref.digest);
  // The generator's return value is the summary run() resolves with.
  const done = await t.epochs().next();
  assert.is(done.done, true);
  assert.is((done.value as { epochsRun: number }).epochsRun, 4);
  m.dispose();
});

a.run();

const io = suite("loadModel / saveModel / checkpointBlob");
let dir: string;
io.before(async () => {
  core ??= await init({ impl: "simd" });
  dir = mkdtempSync(path.join(tmpdir(), "dendritic-io-"));
});
io.after(() => rmSync(dir, { recursive: true, force: true }));

io("saveModel then loadModel(path) rebuilds the same model kind, configuration and state, and predicts the same", async () => {
  const m = createModel(core, "microcircuit", { sizes: [9, 10, 3], maxBatch: 10, eta: 0.3, seed: 2 });
  await new Trainer(m, data, { ...opts, epochs: 1 }).run();
  const file = path.join(dir, "mc.safetensors");
  await saveModel(m, file);
  for (const source of [file, pathToFileURL(file)]) {
    const back = await loadModelNode(source, { core });
    assert.is(back.kind, "microcircuit");
    assert.equal(back.config(), m.config());
    assert.is(await digest(back), await digest(m));
    const x = data.test.x.subarray(0, 10 * 9);
    const xf = Float32Array.from(x, (v) => v);
    assert.equal(Array.from(back.predict(xf, 10)), Array.from(m.predict(xf, 10)));
    back.dispose();
  }
  m.dispose();
});

io("loadModel takes bytes, a Blob/File and a fetch Response; without a core it initialises one", async () => {
  const m = mlp();
  const want = await digest(m);
  const bytes = encodeCheckpoint(m);
  const sources: [string, unknown][] = [
    ["Uint8Array", bytes],
    ["ArrayBuffer", bytes.slice().buffer],
    ["Blob", checkpointBlob(m)],
    ["File", new File([bytes as Uint8Array<ArrayBuffer>], "weights.safetensors")],
    ["Response", new Response(bytes as Uint8Array<ArrayBuffer>)],
  ];
  for (const [what, source] of sources) {
    const back = await loadModel(source as Blob);
    assert.is(await digest(back), want, what);
    back.dispose();
  }
  m.dispose();
});

io("bad sources fail with errors that name them", async () => {
  const bad = path.join(dir, "bad.safetensors");
  writeFileSync(bad, "not a checkpoint");
  await loadModelNode(bad, { core }).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, FormatError);
      assert.match(e.message, /^bad\.safetensors: /);
    },
  );
  await loadModelNode(path.join(dir, "missing.safetensors"), { core }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /missing\.safetensors: cannot read checkpoint \(ENOENT\)/),
  );
  await loadModel("weights.safetensors" as unknown as Blob).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /file paths are read by loadModel from "dendritic\/node"/),
  );
  await loadModel(new Response("gone", { status: 404 })).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /HTTP 404/),
  );
  const file = new File([readFileSync(bad)], "upload.bin");
  await loadModel(file, { core }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /^upload\.bin: /),
  );
  // A checkpoint whose tensors do not fit its own configuration is a ShapeError naming the tensor.
  const m = mlp();
  const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(m), "mlp");
  m.dispose();
  const config = { ...JSON.parse(metadata.model_config), arch: [9, 5, 3] };
  const forged = encodeSafetensors(
    Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])),
    // A version-1 file (no checksum), so the forged configuration is read rather than refused.
    { ...Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== "checksum")), format_version: "1", model_config: JSON.stringify(config) },
  );
  await loadModel(forged, { core, name: "forged.safetensors" }).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, ShapeError);
      assert.match(e.message, /^forged\.safetensors: tensor '.*' has shape/);
    },
  );
});

io("an aborted signal stops loadModel before it builds anything; downloadModel outside a page says what to use", async () => {
  const m = mlp();
  await loadModel(encodeCheckpoint(m), { core, signal: AbortSignal.abort() }).then(
    () => assert.unreachable(),
    (e: DOMException) => assert.is(e.name, "AbortError"),
  );
  assert.throws(
    () => downloadModel(m),
    (e: Error) => e instanceof DendriticError && /checkpointBlob\(model\)/.test(e.message) && /saveModel/.test(e.message),
  );
  m.dispose();
});

io.run();
