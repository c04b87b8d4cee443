// Every model kind refuses, at construction and before anything is allocated, a configuration whose
// tensors would not fit under the WebAssembly memory limit of the build that is loaded: 4 GiB for
// the single-threaded builds, 2 GiB for the threads builds (their shared memory declares that
// maximum). The message names the model, the size it needs and the limit. The size is computed
// from the configuration; for small configurations it must equal what the constructor allocates.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MEMORY_LIMIT_BYTES, bytesInUse, memoryLimit } from "../src/core/arena.ts";
import { init, type Core } from "../src/core/core.ts";
import { ValueError } from "../src/core/errors.ts";
import { createModel } from "../src/models/registry.ts";
import { mlpMemoryBytes } from "../src/models/mlp/network.ts";
import { microcircuitMemoryBytes } from "../src/models/microcircuit/network.ts";
import { Microcircuit } from "../src/models/microcircuit/index.ts";
import { brainpropMemoryBytes } from "../src/models/brainprop/network.ts";
import { spikingMemoryBytes } from "../src/models/spiking/network.ts";
import "../src/models/microcircuit/index.ts";
import "../src/models/brainprop/index.ts";
import "../src/models/spiking/index.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "dendritic.js");

const t = suite("memory limits: models too large for the loaded build are refused before allocating");
let single: Core;
let threaded: Core;
t.before(async () => {
  single = await init({ impl: "simd", threads: 1 });
  threaded = await init({ impl: "simd", threads: 2 });
});
t.after(() => {
  single.dispose();
  threaded.dispose();
});

const GIB = 2 ** 30;
/** The "microcircuit" model kind (MicrocircuitClassifier) builds a Microcircuit with thresholds, W^PI and B fixed. */
const classifierBytes = (sizes: number[], maxBatch = 10) =>
  microcircuitMemoryBytes(sizes, maxBatch, { up: true, ip: true, pi: false, down: false }, { up: true, ip: true });
/** A Microcircuit with its default options. */
const defaultMcBytes = (sizes: number[], maxBatch = 1) =>
  microcircuitMemoryBytes(sizes, maxBatch, { up: true, down: false, ip: true, pi: true }, { up: false, ip: false });

/** Asserts that `build` throws a ValueError matching `re` and leaves the core exactly as it was. */
function refused(core: Core, build: () => unknown, re: RegExp, what: string): void {
  const held = bytesInUse(core.exports);
  const pages = core.memory.buffer.byteLength;
  assert.throws(build, (e: Error) => e instanceof ValueError && re.test(e.message), what);
  assert.is(bytesInUse(core.exports), held, `${what}: nothing allocated`);
  assert.is(core.memory.buffer.byteLength, pages, `${what}: the memory did not grow`);
}

t("the limit is the loaded build's: 4 GiB single-threaded, 2 GiB for a threads build", () => {
  assert.is(memoryLimit(single.exports), MEMORY_LIMIT_BYTES);
  assert.is(memoryLimit(single.exports), 4 * GIB);
  assert.is(single.threads, 1);
  if (threaded.threads < 2) return; // no shared memory in this runtime: nothing more to check
  assert.ok(threaded.memory.buffer instanceof SharedArrayBuffer);
  assert.is(memoryLimit(threaded.exports), 2 * GIB);
});

t("microcircuit, brainprop, spiking and mlp over 4 GiB: refused with their size and the limit, nothing allocated", () => {
  const cases: [string, Record<string, unknown>, number, RegExp][] = [
    [
      "microcircuit",
      { sizes: [784, 15000, 15000, 15000, 15000, 10] },
      classifierBytes([784, 15000, 15000, 15000, 15000, 10]),
      /^microcircuit 784-15000-15000-15000-15000-10 \(maxBatch 10\) needs (\d+\.\d\d) GiB of WebAssembly memory; the limit is 4\.00 GiB$/,
    ],
    [
      "brainprop",
      { arch: [784, 15000, 15000, 15000, 15000, 15000, 15000, 10] },
      brainpropMemoryBytes({ arch: [784, 15000, 15000, 15000, 15000, 15000, 15000, 10] }),
      /^brainprop 28×28×1 dense15000-relu-.*-dense10 \(maxBatch \d+\) needs (\d+\.\d\d) GiB of WebAssembly memory; the limit is 4\.00 GiB$/,
    ],
    [
      "spiking",
      { arch: [784, 15000, 15000, 15000, 10] },
      spikingMemoryBytes({ arch: [784, 15000, 15000, 15000, 10] }),
      /^spiking 784-15000-15000-15000-10 \(\d+ steps, maxBatch \d+\) needs (\d+\.\d\d) GiB of WebAssembly memory; the limit is 4\.00 GiB$/,
    ],
    [
      "mlp",
      { arch: [784, 15000, 15000, 15000, 15000, 10], momentum: 0.9 },
      mlpMemoryBytes({ arch: [784, 15000, 15000, 15000, 15000, 10], momentum: 0.9 }),
      /^mlp 784-15000-15000-15000-15000-10 \(rule bp, momentum, maxBatch \d+\) needs (\d+\.\d\d) GiB of WebAssembly memory; the limit is 4\.00 GiB$/,
    ],
  ];
  for (const [kind, config, bytes, re] of cases) {
    assert.ok(bytes > 4 * GIB, `${kind}: the case needs more than 4 GiB (${bytes})`);
    let message = "";
    refused(
      single,
      () => {
        try {
          createModel(single, kind, config);
        } catch (e) {
          message = (e as Error).message;
          throw e;
        }
      },
      re,
      kind,
    );
    // The size in the message is the estimate.
    assert.is(message.match(re)![1], (bytes / GIB).toFixed(2), `${kind}: ${message}`);
  }
  // The Microcircuit class itself (not only the trainer's model kind).
  const sizes = [784, 15000, 15000, 15000, 15000, 10];
  refused(
    single,
    () => new Microcircuit(single, { sizes }),
    new RegExp(
      `^microcircuit 784-15000-15000-15000-15000-10 \\(maxBatch 1\\) needs ${(defaultMcBytes(sizes) / GIB).toFixed(2)} GiB of WebAssembly memory; the limit is 4\\.00 GiB$`,
    ),
    "new Microcircuit",
  );
});

t("a threads build refuses at its 2 GiB limit what a single-threaded build would accept", () => {
  if (threaded.threads < 2) return;
  const cases: [string, Record<string, unknown>, number][] = [
    ["mlp", { arch: [784, 15000, 15000, 15000, 10], momentum: 0.9 }, mlpMemoryBytes({ arch: [784, 15000, 15000, 15000, 10], momentum: 0.9 })],
    ["microcircuit", { sizes: [784, 12000, 12000, 10], maxBatch: 1 }, classifierBytes([784, 12000, 12000, 10], 1)],
    ["brainprop", { arch: [784, 15000, 15000, 15000, 15000, 10] }, brainpropMemoryBytes({ arch: [784, 15000, 15000, 15000, 15000, 10] })],
    ["spiking", { arch: [784, 8000, 8000, 10] }, spikingMemoryBytes({ arch: [784, 8000, 8000, 10] })],
  ];
  for (const [kind, config, bytes] of cases) {
    assert.ok(bytes > 2 * GIB && bytes < 4 * GIB, `${kind}: the case needs between 2 and 4 GiB (${(bytes / GIB).toFixed(2)})`);
    refused(
      threaded,
      () => createModel(threaded, kind, config),
      new RegExp(
        `^${kind} .* needs ${(bytes / GIB).toFixed(2)} GiB of WebAssembly memory; the limit of this threads build is 2\\.00 GiB \\(single-threaded builds: 4\\.00 GiB\\)$`,
      ),
      `${kind} (threads)`,
    );
  }
});

t("the size computed from the configuration is exactly what each constructor allocates", () => {
  const cases: [string, Record<string, unknown>, number][] = [
    ["microcircuit", { sizes: [7, 5, 3], maxBatch: 1 }, classifierBytes([7, 5, 3], 1)],
    [
      "microcircuit",
      { sizes: [9, 6, 5, 4], maxBatch: 12, thresholds: false, plastic: { up: true, ip: false, pi: true, down: true } },
      microcircuitMemoryBytes([9, 6, 5, 4], 12, { up: true, ip: false, pi: true, down: true }, { up: false, ip: false }),
    ],
    ["brainprop", { arch: [12, 16, 5], maxBatch: 8 }, brainpropMemoryBytes({ arch: [12, 16, 5], maxBatch: 8 })],
    [
      "brainprop",
      {
        input: [6, 6, 2],
        classes: 3,
        maxBatch: 5,
        layers: [
          { type: "conv", filters: 4 },
          { type: "batchnorm" },
          { type: "relu" },
          { type: "local", filters: 3, stride: 2, padding: "valid" },
          { type: "dropout", rate: 0.2 },
          { type: "dense", units: 7 },
        ],
      },
      brainpropMemoryBytes({
        input: [6, 6, 2],
        classes: 3,
        maxBatch: 5,
        layers: [
          { type: "conv", filters: 4 },
          { type: "batchnorm" },
          { type: "relu" },
          { type: "local", filters: 3, stride: 2, padding: "valid" },
          { type: "dropout", rate: 0.2 },
          { type: "dense", units: 7 },
        ],
      }),
    ],
    ["spiking", { arch: [10, 8, 6, 3], maxBatch: 4 }, spikingMemoryBytes({ arch: [10, 8, 6, 3], maxBatch: 4 })],
    [
      "spiking",
      { arch: [10, 8, 6, 3], maxBatch: 3, rule: "fa", input: "bernoulli" },
      spikingMemoryBytes({ arch: [10, 8, 6, 3], maxBatch: 3, rule: "fa", input: "bernoulli" }),
    ],
    ["spiking", { arch: [10, 8, 6, 3], maxBatch: 3, rule: "scfa-usf" }, spikingMemoryBytes({ arch: [10, 8, 6, 3], maxBatch: 3, rule: "scfa-usf" })],
  ];
  for (const [kind, config, bytes] of cases) {
    const before = bytesInUse(single.exports);
    const m = createModel(single, kind, config);
    try {
      assert.is(bytesInUse(single.exports) - before, bytes, `${kind} ${JSON.stringify(config)}`);
    } finally {
      m.dispose();
    }
    assert.is(bytesInUse(single.exports), before);
  }
  // Microcircuits with their default options, and with thresholds and every pathway plastic.
  for (const [opts, bytes] of [
    [{ sizes: [8, 6, 4, 2], maxBatch: 3 }, defaultMcBytes([8, 6, 4, 2], 3)],
    [
      { sizes: [8, 6, 4, 2], maxBatch: 70, plastic: { up: true, down: true, ip: true, pi: true }, thresholds: { up: true, ip: true } },
      microcircuitMemoryBytes([8, 6, 4, 2], 70, { up: true, down: true, ip: true, pi: true }, { up: true, ip: true }),
    ],
  ] as const) {
    const before = bytesInUse(single.exports);
    const mc = new Microcircuit(single, opts as ConstructorParameters<typeof Microcircuit>[1]);
    assert.is(bytesInUse(single.exports) - before, bytes, JSON.stringify(opts));
    mc.dispose();
  }
});

t("the CLI refuses an oversized model at once with the limit of the build it loaded (one line, exit 1)", () => {
  const args = ["train", "--model", "mlp", "--dataset", "mnist-small", "--arch", "784-15000-15000-15000-10", "--set", "momentum=0.9", "--progress", "none"];
  const one = spawnSync(process.execPath, [bin, ...args.slice(0, 6), "784-15000-15000-15000-15000-10", ...args.slice(7), "--threads", "1"], {
    encoding: "utf8",
  });
  assert.is(one.status, 1, one.stderr);
  assert.match(
    one.stderr,
    /^dendritic: ValueError: mlp 784-15000-15000-15000-15000-10 \(rule bp, momentum, maxBatch 100\) needs 5\.\d\d GiB of WebAssembly memory; the limit is 4\.00 GiB\n$/,
  );
  if (threaded.threads < 2) return;
  const two = spawnSync(process.execPath, [bin, ...args, "--threads", "2"], { encoding: "utf8" });
  assert.is(two.status, 1, two.stderr);
  assert.match(
    two.stderr,
    /^dendritic: ValueError: mlp 784-15000-15000-15000-10 \(rule bp, momentum, maxBatch 100\) needs 3\.\d\d GiB of WebAssembly memory; the limit of this threads build is 2\.00 GiB \(single-threaded builds: 4\.00 GiB\)\n$/,
  );
});

t.run();
