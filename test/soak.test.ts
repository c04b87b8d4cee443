// A bounded soak: 10⁵ learning steps through the trainer and the CLI's run control (epoch-end
// checkpoints, best checkpoints and summaries written atomically) with memory flat: the WebAssembly
// memory does not grow after construction, and the JavaScript heap and resident set stay within
// a few megabytes after warm-up.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { RunControl } from "../src/cli/run-control.ts";
import { init } from "../src/core/core.ts";
import { createModel } from "../src/models/registry.ts";
import { loadDataset } from "../src/node/data.ts";
import { readCheckpoint } from "../src/node/checkpoint.ts";
import { Trainer } from "../src/train/trainer.ts";

const s = suite("soak");

s("10⁵ learning steps with checkpoints every epoch: WebAssembly memory unchanged, heap and RSS flat after warm-up", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "soak-"));
  try {
    const core = await init({ impl: "simd" });
    const data = loadDataset("yinyang", { seed: 2 });
    const model = createModel(core, "mlp", { arch: [4, 30, 3], seed: 1, momentum: 0.9, maxBatch: 100 });
    const wasmBytes = core.exports.memory.buffer.byteLength;
    // Batch 1: every example is one learning step; 5 000 training examples per epoch.
    const EPOCHS = 20;
    const trainer = new Trainer(model, data, { epochs: EPOCHS, batchSize: 1, seed: 3, monitorEvery: 10 });
    const save = path.join(dir, "soak.st");
    const json = path.join(dir, "soak.json");
    const control = new RunControl({
      model,
      trainer,
      save,
      saveBest: path.join(dir, "best.st"),
      json,
      every: { epochs: 1 },
      extra: { dataset: "yinyang" },
      describe: () => ({}),
      warn: () => undefined,
    });
    const samples: { epoch: number; heap: number; rss: number; wasm: number }[] = [];
    trainer.addEventListener("epoch", (e) => {
      const g = (globalThis as { gc?: () => void }).gc;
      g?.();
      const m = process.memoryUsage();
      samples.push({ epoch: (e as CustomEvent).detail.epoch, heap: m.heapUsed, rss: m.rss, wasm: core.exports.memory.buffer.byteLength });
    });
    const t0 = performance.now();
    await trainer.run();
    const out = await control.finish({});
    const seconds = (performance.now() - t0) / 1000;
    const steps = EPOCHS * data.train.n;
    assert.ok(steps >= 1e5, `${steps} steps`);
    assert.is(out.status, "completed");
    assert.ok(
      samples.every((x) => x.wasm === wasmBytes),
      "WebAssembly memory never grew",
    );
    // From epoch 5 on (after JIT warm-up and the first checkpoint writes): no trend.
    const late = samples.filter((x) => x.epoch >= 5);
    const heapGrowth = late[late.length - 1].heap - late[0].heap;
    const rssGrowth = late[late.length - 1].rss - late[0].rss;
    console.log(
      `  soak: ${steps} steps in ${seconds.toFixed(1)} s; heap ${(late[0].heap / 2 ** 20).toFixed(1)} → ${(late[late.length - 1].heap / 2 ** 20).toFixed(1)} MiB, rss ${(late[0].rss / 2 ** 20).toFixed(0)} → ${(late[late.length - 1].rss / 2 ** 20).toFixed(0)} MiB`,
    );
    // Each epoch allocates a checkpoint (≈ 10 kB) and a summary; 8 MiB is far above one epoch's
    // garbage and far below a leak of one checkpoint per step.
    assert.ok(heapGrowth < 8 * 2 ** 20, `heap grew ${(heapGrowth / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(rssGrowth < 32 * 2 ** 20, `rss grew ${(rssGrowth / 2 ** 20).toFixed(1)} MiB`);
    const ck = await readCheckpoint(save);
    assert.is(ck.trainer!.epoch, EPOCHS);
    assert.is(JSON.parse(readFileSync(json, "utf8")).epochs.length, EPOCHS);
    assert.equal(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
    );
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

s.run();
