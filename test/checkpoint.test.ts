import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FormatError, ShapeError } from "../src/core/errors.ts";
import { readCheckpoint, saveCheckpoint } from "../src/node/checkpoint.ts";
import { writeFileAtomic } from "../src/node/files.ts";
import { checkCompatible, decodeCheckpoint, encodeCheckpoint, loadCheckpointInto } from "../src/train/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/train/safetensors.ts";
import { TinyLinear } from "./support/tiny-models.ts";

/**
 * Independent reader written from the format description (u64 LE length, JSON header, raw LE data),
 * using Node Buffers rather than the library's DataView code.
 */
function independentRead(file: Buffer) {
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & {
    __metadata__?: Record<string, string>;
  };
  const data = file.subarray(8 + n);
  const tensors: Record<string, { dtype: string; shape: number[]; values: number[] }> = {};
  for (const [k, v] of Object.entries(header)) {
    if (k === "__metadata__") continue;
    const bytes = data.subarray(v.data_offsets[0], v.data_offsets[1]);
    const values: number[] = [];
    const size = { F32: 4, I32: 4, U32: 4, F64: 8, U8: 1 }[v.dtype]!;
    for (let o = 0; o < bytes.length; o += size) {
      values.push(
        v.dtype === "F32"
          ? bytes.readFloatLE(o)
          : v.dtype === "I32"
            ? bytes.readInt32LE(o)
            : v.dtype === "U32"
              ? bytes.readUInt32LE(o)
              : v.dtype === "F64"
                ? bytes.readDoubleLE(o)
                : bytes[o],
      );
    }
    tensors[k] = { dtype: v.dtype, shape: v.shape, values };
  }
  return { n, header, tensors, metadata: header.__metadata__ ?? {} };
}

const st = suite("safetensors");

st("round trip: every dtype, shape and value, and the string metadata, come back unchanged", () => {
  const tensors = {
    "layers.0.W": { shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 1e-30, -0, 7]) },
    "layers.0.b": { shape: [3], data: Int32Array.from([-1, 0, 2147483647]) },
    "rng.state": { shape: [4], data: Uint32Array.from([0, 1, 0xffffffff, 12345]) },
    scalar: { shape: [], data: Float64Array.from([Math.PI]) },
    empty: { shape: [0, 5], data: new Float32Array(0) },
    bytes: { shape: [3], data: Uint8Array.from([1, 2, 255]) },
  };
  const meta = { format: "x", note: "ünïcode ✓" };
  const out = decodeSafetensors(encodeSafetensors(tensors, meta));
  assert.equal(out.metadata, meta);
  for (const [k, v] of Object.entries(tensors)) {
    assert.equal(out.tensors[k].shape, v.shape, k);
    assert.is(out.tensors[k].data.constructor, v.data.constructor, k);
    assert.equal(Array.from(out.tensors[k].data), Array.from(v.data), k);
  }
  assert.ok(Object.is(out.tensors["layers.0.W"].data[4], -0), "negative zero survives");
});

st("header format: u64 LE length, 8-byte padded JSON, contiguous offsets in name order (independent reader)", () => {
  const bytes = encodeSafetensors({ b: { shape: [2], data: Float32Array.from([1, 2]) }, a: { shape: [1, 3], data: Int32Array.from([4, 5, 6]) } }, { k: "v" });
  const r = independentRead(Buffer.from(bytes));
  assert.is((8 + r.n) % 8, 0, "data starts 8-byte aligned");
  assert.is(Buffer.from(bytes).subarray(8, 9).toString(), "{");
  assert.equal(r.header.a, { dtype: "I32", shape: [1, 3], data_offsets: [0, 12] });
  assert.equal(r.header.b, { dtype: "F32", shape: [2], data_offsets: [12, 20] });
  assert.equal(r.metadata, { k: "v" });
  assert.equal(r.tensors.a.values, [4, 5, 6]);
  assert.equal(r.tensors.b.values, [1, 2]);
  assert.is(bytes.length, 8 + r.n + 20);
});

st("corrupt files: truncated, bad JSON, offsets past the end, holes — FormatErrors naming the file", () => {
  const good = encodeSafetensors({ w: { shape: [4], data: Float32Array.from([1, 2, 3, 4]) } });
  const bad = (b: Uint8Array, re: RegExp) =>
    assert.throws(
      () => decodeSafetensors(b, "m.safetensors"),
      (e: Error) => e instanceof FormatError && e.message.startsWith("m.safetensors: ") && re.test(e.message),
    );
  bad(good.subarray(0, 5), /too short/);
  bad(good.subarray(0, 20), /header length \d+ exceeds the file/);
  bad(good.subarray(0, good.length - 4), /tensor 'w' ends at byte 16, the data has 12/);
  const hdr = (json: string, data = 0) => {
    const j = new TextEncoder().encode(json);
    const b = new Uint8Array(8 + j.length + data);
    new DataView(b.buffer).setBigUint64(0, BigInt(j.length), true);
    b.set(j, 8);
    return b;
  };
  bad(hdr("not json"), /bad safetensors header/);
  bad(hdr('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4), /needs 8 bytes, data_offsets span 4/);
  bad(hdr('{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}', 8), /unsupported dtype "Q4"/);
  bad(hdr('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), /starts at 4, expected 0/);
  bad(hdr('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 8), /cover 4 bytes, the data has 8/);
});

st("numpy reads the file (python3 with numpy, when available): same values via frombuffer", () => {
  const py = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" });
  if (py.status !== 0) {
    console.log("  (python3/numpy not available: numpy check skipped; the independent reader above covers the format)");
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), "st-"));
  try {
    const file = path.join(dir, "x.safetensors");
    const W = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 3);
    writeFileSync(
      file,
      encodeSafetensors(
        { W: { shape: [3, 4], data: W }, r: { shape: [4], data: Uint32Array.from([1, 2, 3, 4294967295]) } },
        { format: "dendritic-checkpoint" },
      ),
    );
    const script = `
import json, struct, sys, numpy as np
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8+n])
d = b[8+n:]
out = {}
for k, v in h.items():
    if k == '__metadata__': out[k] = v; continue
    dt = {'F32': '<f4', 'U32': '<u4', 'I32': '<i4'}[v['dtype']]
    a = np.frombuffer(d[v['data_offsets'][0]:v['data_offsets'][1]], dtype=dt).reshape(v['shape'])
    out[k] = {'shape': list(a.shape), 'values': a.astype(np.float64).ravel().tolist()}
print(json.dumps(out))`;
    const r = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.W.shape, [3, 4]);
    assert.equal(out.W.values, Array.from(W));
    assert.equal(out.r.values, [1, 2, 3, 4294967295]);
    assert.equal(out.__metadata__, { format: "dendritic-checkpoint" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

st.run();

// ------------------------------------------------------------------------------------------------

const ck = suite("checkpoints");

ck("a checkpoint holds every exported tensor by name plus kind, config and trainer state in the metadata", () => {
  const m = new TinyLinear({ arch: [3, 2], seed: 9 });
  const bytes = encodeCheckpoint(m, undefined, { dataset: "bars" });
  const r = independentRead(Buffer.from(bytes));
  assert.equal(Object.keys(r.tensors).sort(), ["out.W", "out.b", "rng.state"]);
  assert.equal(r.tensors["out.W"].values, Array.from(m.W));
  assert.is(r.tensors["rng.state"].dtype, "U32");
  assert.is(r.metadata.format, "dendritic-checkpoint");
  assert.is(r.metadata.model_kind, "tiny-linear");
  assert.equal(JSON.parse(r.metadata.model_config), m.config());
  assert.is(r.metadata.dataset, "bars");
  const c = decodeCheckpoint(bytes, "c");
  assert.is(c.trainer, undefined);
});

ck("same seed, same model → identical checkpoint bytes", () => {
  const a = encodeCheckpoint(new TinyLinear({ arch: [5, 3], seed: 2 }));
  const b = encodeCheckpoint(new TinyLinear({ arch: [5, 3], seed: 2 }));
  const c = encodeCheckpoint(new TinyLinear({ arch: [5, 3], seed: 3 }));
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(c));
});

ck("loading into a different architecture is a ShapeError naming the tensor and both shapes; nothing is changed", () => {
  const saved = decodeCheckpoint(encodeCheckpoint(new TinyLinear({ arch: [3, 2] })), "small.safetensors");
  const other = new TinyLinear({ arch: [4, 2] });
  const before = Array.from(other.W);
  assert.throws(
    () => loadCheckpointInto(other, saved, "small.safetensors"),
    (e: Error) => e instanceof ShapeError && /small\.safetensors: tensor 'out\.W' has shape \[2, 3\] in the checkpoint, the model has \[2, 4\]/.test(e.message),
  );
  assert.equal(Array.from(other.W), before);
  const fewer = { ...saved, tensors: { "out.W": saved.tensors["out.W"] } };
  assert.throws(() => checkCompatible(new TinyLinear({ arch: [3, 2] }), fewer, "f"), /checkpoint lacks tensors out\.b, rng\.state/);
  assert.throws(() => checkCompatible(new TinyLinear({ arch: [3, 2] }), { ...saved, kind: "mlp" }, "f"), /holds a 'mlp' model, not 'tiny-linear'/);
});

ck("a safetensors file that is not a dendritic checkpoint is refused with the reason", () => {
  const plain = encodeSafetensors({ w: { shape: [1], data: Float32Array.of(1) } });
  assert.throws(() => decodeCheckpoint(plain, "hf.safetensors"), /hf\.safetensors: not a dendritic checkpoint/);
});

ck.run();

// ------------------------------------------------------------------------------------------------

const at = suite("atomic writes");

at("saveCheckpoint writes the file and leaves no temporary files; reading it back gives the same state", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ck-"));
  try {
    const file = path.join(dir, "sub", "m.safetensors");
    const m = new TinyLinear({ arch: [3, 2], seed: 5 });
    await saveCheckpoint(file, m);
    await saveCheckpoint(file, m);
    assert.equal(readdirSync(path.dirname(file)), ["m.safetensors"]);
    const c = await readCheckpoint(file);
    assert.equal(Array.from(c.tensors["out.W"].data), Array.from(m.W));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

at("a write that fails midway leaves the old file intact and no temporary file", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ck-"));
  try {
    const file = path.join(dir, "m.bin");
    writeFileSync(file, "old contents");
    // The data source yields one chunk, then fails (as a crash or full disk would mid-write).
    async function* failing() {
      yield new Uint8Array(1000).fill(1);
      throw new Error("simulated failure");
    }
    await writeFileAtomic(file, failing() as unknown as Uint8Array).then(
      () => assert.unreachable("should fail"),
      (e: Error) => assert.match(e.message, /simulated failure/),
    );
    assert.is(readFileSync(file, "utf8"), "old contents");
    assert.equal(readdirSync(dir), ["m.bin"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

at("a failing rename (target is a directory) removes the temporary file", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ck-"));
  try {
    const target = path.join(dir, "taken");
    await writeFileAtomic(path.join(target, "x"), "seed a directory");
    await writeFileAtomic(target, "data").then(
      () => assert.unreachable("should fail"),
      () => undefined,
    );
    assert.equal(readdirSync(dir), ["taken"]);
    assert.ok(existsSync(path.join(target, "x")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

at("reading a missing checkpoint names the file", async () => {
  await readCheckpoint("/nonexistent/m.safetensors").then(
    () => assert.unreachable("should fail"),
    (e: Error) => assert.match(e.message, /\/nonexistent\/m\.safetensors: cannot read checkpoint \(ENOENT\)/),
  );
});

at.run();
