// Seeded, bounded fuzzing of the two file formats users hand to the library: checkpoints and IDX
// data sets. Every mutated file must give a named error (a DendriticError subclass) or a correct
// load — never a TypeError, a RangeError or a hang. The counts are printed (and quoted in
// docs/reliability.md).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { init, type Core } from "../src/core/core.ts";
import { DendriticError } from "../src/core/errors.ts";
import { encodeIdx } from "../src/data/idx.ts";
import { IDX_FILES } from "../src/data/mnist.ts";
import { createModel } from "../src/models/registry.ts";
import { loadDataset, loadIdxDir } from "../src/node/data.ts";
import { checkCompatible, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../src/train/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.ts";
import { Rng } from "../src/core/random.ts";
import { Trainer, type TrainerState } from "../src/train/trainer.ts";

const f = suite("fuzz: mutated checkpoints and IDX files");
let core: Core;
let dir: string;
f.before(async () => {
  core = await init({ impl: "simd" });
  dir = mkdtempSync(path.join(tmpdir(), "fuzz-"));
});
f.after(() => rmSync(dir, { recursive: true, force: true }));

type Outcomes = Record<string, number>;
const bump = (o: Outcomes, k: string) => (o[k] = (o[k] ?? 0) + 1);

/** Runs one try; a DendriticError counts under its name, anything else thrown fails the test. */
function attempt(o: Outcomes, what: string, fn: () => string): void {
  const t0 = performance.now();
  try {
    bump(o, fn());
  } catch (e) {
    if (!(e instanceof DendriticError)) throw new Error(`${what}: ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
    bump(o, e.name);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `${what} took ${ms.toFixed(0)} ms`);
}

// ------------------------------------------------------------------------------------------------
// Checkpoints

const yinyang = () => loadDataset("yinyang", { seed: 1 });

/** A trained mlp (momentum, so optimiser state is in the file) and its trainer state after 2 epochs. */
async function baseCheckpoint(): Promise<{ bytes: Uint8Array; state: Record<string, { data: ArrayLike<number> }>; trainer: TrainerState }> {
  const model = createModel(core, "mlp", { arch: [4, 8, 3], seed: 3, momentum: 0.9, maxBatch: 100 });
  const trainer = new Trainer(model, yinyang(), { epochs: 2, batchSize: 10, seed: 4, limitTrain: 200 });
  await trainer.run();
  const bytes = encodeCheckpoint(model, trainer.state(), { dataset: "yinyang", data_seed: "1", encoding: "{}" });
  const state = model.exportState();
  const t = trainer.state();
  model.dispose();
  return { bytes, state, trainer: t };
}

/** What `train --load` does with a checkpoint: decode, build the model, check, import, restore. */
function load(bytes: Uint8Array, expect?: { state: Record<string, { data: ArrayLike<number> }> }): string {
  const ck: Checkpoint = decodeCheckpoint(bytes, "fuzz.st");
  const model = createModel(core, ck.kind, ck.config);
  try {
    checkCompatible(model, ck, "fuzz.st");
    model.importState(ck.tensors);
    if (ck.trainer) {
      const t = new Trainer(model, yinyang(), {
        epochs: 3,
        batchSize: ck.trainer.batchSize,
        seed: ck.trainer.seed,
        shuffle: ck.trainer.shuffle,
        schedule: ck.trainer.schedule,
        limitTrain: ck.trainer.limitTrain,
      });
      t.restore(ck.trainer);
    }
    if (expect) {
      // A load that succeeds must give back exactly what was saved.
      const got = model.exportState();
      for (const [k, v] of Object.entries(expect.state)) assert.equal(Array.from(got[k].data), Array.from(v.data), `tensor ${k} after a successful load`);
    }
    return "loaded";
  } finally {
    model.dispose();
  }
}

f("a few hundred checkpoints with flipped bits, truncations, insertions and garbage: named errors or exact loads", async () => {
  const base = await baseCheckpoint();
  assert.is(load(base.bytes, base), "loaded");
  const rng = new Rng(20261202);
  const headerLen = 8 + Number(new DataView(base.bytes.buffer, base.bytes.byteOffset).getBigUint64(0, true));
  const o: Outcomes = {};
  const N = 400;
  for (let i = 0; i < N; i++) {
    const b = base.bytes.slice();
    let what: string;
    let mutated: Uint8Array = b;
    const kind = rng.int(6);
    if (kind <= 1) {
      // One bit in the header (its JSON: names, shapes, offsets, metadata) — twice as often.
      const p = rng.int(headerLen);
      const bit = rng.int(8);
      b[p] ^= 1 << bit;
      what = `header bit ${p}.${bit}`;
    } else if (kind === 2) {
      const p = headerLen + rng.int(b.length - headerLen);
      b[p] ^= 1 << rng.int(8);
      what = `data bit at ${p}`;
    } else if (kind === 3) {
      const n = rng.int(b.length);
      mutated = b.subarray(0, n);
      what = `truncated to ${n}`;
    } else if (kind === 4) {
      const p = rng.int(b.length);
      const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      mutated = new Uint8Array(b.length + ins.length);
      mutated.set(b.subarray(0, p));
      mutated.set(ins, p);
      mutated.set(b.subarray(p), p + ins.length);
      what = `${ins.length} bytes inserted at ${p}`;
    } else {
      const p = rng.int(b.length);
      const n = 1 + rng.int(64);
      for (let k = p; k < Math.min(b.length, p + n); k++) b[k] = rng.int(256);
      what = `${n} random bytes at ${p}`;
    }
    attempt(o, what, () => load(mutated, base));
  }
  console.log(`  checkpoint bytes: ${N} tries → ${JSON.stringify(o)}`);
  assert.is(
    Object.values(o).reduce((a, b) => a + b, 0),
    N,
  );
});

/** Re-encodes a checkpoint with metadata changed by `edit` (a format_version 1 file: no checksum to catch it). */
function v1With(bytes: Uint8Array, edit: (meta: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, "base");
  const m = { ...metadata, format_version: "1" };
  delete m.checksum;
  edit(m);
  return encodeSafetensors(tensors, m);
}

f("a few hundred structurally mutated metadata values (no checksum to hide behind): named errors or loads", async () => {
  const base = await baseCheckpoint();
  const rng = new Rng(7);
  const o: Outcomes = {};
  const junk = () => [null, "x", -1, 1.5, 2 ** 40, [], {}, true, NaN, ""][rng.int(10)];
  const N = 300;
  for (let i = 0; i < N; i++) {
    let what = "";
    const bytes = v1With(base.bytes, (m) => {
      const keys = Object.keys(m);
      const r = rng.int(4);
      if (r === 0) {
        // Remove or rename a top-level metadata key.
        const k = keys[rng.int(keys.length)];
        const v = m[k];
        delete m[k];
        if (rng.int(2)) m[k.slice(0, -1) + "_"] = v;
        what = `metadata ${k} removed/renamed`;
      } else {
        // Change one field of the trainer state or the model config (JSON) to another type/value.
        const key = r === 1 ? "model_config" : "trainer_state";
        const obj = JSON.parse(m[key]) as Record<string, unknown>;
        const fields = Object.keys(obj);
        const k = fields[rng.int(fields.length)];
        const mode = rng.int(3);
        if (mode === 0) delete obj[k];
        else if (mode === 1) obj[k] = junk();
        else if (Array.isArray(obj[k]) && (obj[k] as unknown[]).length) {
          // Damage one element (history records, rng words, layer sizes).
          const arr = obj[k] as unknown[];
          const j = rng.int(arr.length);
          arr[j] = typeof arr[j] === "object" && arr[j] !== null ? { ...(arr[j] as object), [Object.keys(arr[j] as object)[0] ?? "x"]: junk() } : junk();
        } else obj[k] = typeof obj[k] === "number" ? (obj[k] as number) + 1 : junk();
        m[key] = JSON.stringify(obj);
        what = `${key}.${k} mode ${mode}`;
      }
    });
    attempt(o, what, () => load(bytes));
  }
  console.log(`  checkpoint metadata: ${N} tries → ${JSON.stringify(o)}`);
});

// ------------------------------------------------------------------------------------------------
// IDX files

f("a few hundred mutated IDX files (raw and gzip): named errors or self-consistent data sets", () => {
  const rng = new Rng(99);
  const base = {
    [IDX_FILES.trainImages]: encodeIdx(
      "images",
      [24, 4, 3],
      Uint8Array.from({ length: 24 * 12 }, () => rng.int(256)),
    ),
    [IDX_FILES.trainLabels]: encodeIdx(
      "labels",
      [24],
      Uint8Array.from({ length: 24 }, () => rng.int(10)),
    ),
    [IDX_FILES.testImages]: encodeIdx(
      "images",
      [6, 4, 3],
      Uint8Array.from({ length: 6 * 12 }, () => rng.int(256)),
    ),
    [IDX_FILES.testLabels]: encodeIdx(
      "labels",
      [6],
      Uint8Array.from({ length: 6 }, () => rng.int(10)),
    ),
  };
  const o: Outcomes = {};
  const N = 400;
  for (let i = 0; i < N; i++) {
    const d = path.join(dir, `idx${i}`);
    mkdirSync(d);
    const names = Object.keys(base);
    const victim = names[rng.int(names.length)];
    const gz = rng.int(2) === 1;
    let what = `${victim}${gz ? ".gz" : ""}`;
    for (const n of names) {
      let bytes: Uint8Array = gz ? gzipSync(base[n]) : base[n].slice();
      if (n === victim) {
        const kind = rng.int(4);
        const b = bytes.slice();
        if (kind === 0) {
          const p = rng.int(Math.min(b.length, gz ? b.length : 20));
          b[p] ^= 1 << rng.int(8);
          bytes = b;
          what += ` bit at ${p}`;
        } else if (kind === 1) {
          bytes = b.subarray(0, rng.int(b.length));
          what += ` truncated to ${bytes.length}`;
        } else if (kind === 2) {
          const extra = Uint8Array.from({ length: 1 + rng.int(40) }, () => rng.int(256));
          bytes = new Uint8Array(b.length + extra.length);
          bytes.set(b);
          bytes.set(extra, b.length);
          what += ` ${extra.length} bytes appended`;
        } else {
          // A header count raised (a lying header), then optionally compressed.
          const raw = base[n].slice();
          new DataView(raw.buffer).setUint32(4, [25, 2 ** 31, 0xffffffff, 0][rng.int(4)], false);
          bytes = gz ? gzipSync(raw) : raw;
          what += " count changed";
        }
      }
      writeFileSync(path.join(d, n + (gz ? ".gz" : "")), bytes);
    }
    attempt(o, what, () => {
      const ds = loadIdxDir(d);
      for (const split of [ds.train, ds.validation, ds.test]) {
        assert.is(split.x.length, split.n * ds.inputSize, what);
        assert.is(split.labels!.length, split.n, what);
        assert.ok(
          split.labels!.every((l) => l < ds.outputSize),
          what,
        );
      }
      return "loaded";
    });
    rmSync(d, { recursive: true });
  }
  console.log(`  IDX files: ${N} tries → ${JSON.stringify(o)}`);
  assert.ok((o.FormatError ?? 0) > N / 2, "most mutations are detected");
});

f.run();
