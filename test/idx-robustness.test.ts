// IDX data sets that are hostile or unusual: gzip bombs (a header that declares more than the
// compressed bytes can hold, or data beyond the declared size), an empty training file, and
// EMNIST/KMNIST-style label ranges.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { FormatError, ValueError } from "../src/core/errors.ts";
import { encodeIdx, gunzipIfNeeded, idxDeclaredSize } from "../src/data/idx.ts";
import { datasetFromIdxBytes, IDX_FILES } from "../src/data/mnist.ts";
import { loadDataset, loadIdxDir, readIdxFile } from "../src/node/data.ts";
import { trainCommand } from "../src/cli/train.ts";
import { Rng } from "../src/core/random.ts";

const s = suite("IDX robustness");
let dir: string;
s.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "idxrob-"));
});
s.after(() => rmSync(dir, { recursive: true, force: true }));

/** An IDX images header declaring `count` images of 28×28, followed by `payload` zero bytes. */
function imagesHeader(count: number, payload: number): Uint8Array {
  const b = new Uint8Array(16 + payload);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x803, false);
  v.setUint32(4, count, false);
  v.setUint32(8, 28, false);
  v.setUint32(12, 28, false);
  return b;
}

s("idxDeclaredSize reads the size from the first bytes (undefined until the header is complete)", () => {
  const h = imagesHeader(3, 0);
  assert.is(idxDeclaredSize(h.subarray(0, 3)), undefined);
  assert.is(idxDeclaredSize(h.subarray(0, 15)), undefined);
  assert.is(idxDeclaredSize(h), 16 + 3 * 784);
  assert.is(idxDeclaredSize(encodeIdx("labels", [5], new Uint8Array(5))), 8 + 5);
});

s("a gzip bomb (header declares 2³¹ images) is refused from its first bytes, in Node and through DecompressionStream", async () => {
  // 8 MB of zeros compress to ≈ 8 KB; the header claims 2³¹ × 784 bytes ≈ 1.7 TB.
  const gz = gzipSync(imagesHeader(2 ** 31, 8 << 20));
  const file = path.join(dir, "bomb-images-idx3-ubyte.gz");
  writeFileSync(file, gz);
  const rss0 = process.memoryUsage().rss;
  assert.throws(
    () => readIdxFile(file, "images"),
    (e: Error) =>
      e instanceof FormatError &&
      /^bomb-images-idx3-ubyte\.gz: the IDX header declares 1683627180048 bytes, more than \d+ bytes of gzip data can hold/.test(e.message),
  );
  // Refused before the 8 MB payload was decompressed.
  assert.ok(process.memoryUsage().rss - rss0 < 6 << 20, `rss grew ${(process.memoryUsage().rss - rss0) >> 20} MiB`);
  await gunzipIfNeeded(gz, "bomb.gz", true).then(
    () => assert.unreachable("should fail"),
    (e: Error) => assert.ok(e instanceof FormatError && /^bomb\.gz: the IDX header declares/.test(e.message), e.message),
  );
});

s("gzip data beyond the declared size stop the decompression at the declared size (trailing bytes)", async () => {
  // Declares 2 images (1 584 bytes) but holds 4 MB.
  const gz = gzipSync(imagesHeader(2, 4 << 20));
  const file = path.join(dir, "long-images-idx3-ubyte.gz");
  writeFileSync(file, gz);
  assert.throws(
    () => readIdxFile(file, "images"),
    (e: Error) =>
      e instanceof FormatError && e.message === "long-images-idx3-ubyte.gz: decompresses to more than the 1584 bytes its IDX header declares (trailing bytes)",
  );
  await gunzipIfNeeded(gz, "long.gz", true).then(
    () => assert.unreachable("should fail"),
    (e: Error) => assert.match(e.message, /^long\.gz: decompresses to more than the 1584 bytes its IDX header declares/),
  );
  // A well-formed gzipped file still reads, with a gzip file name stored in its header (FNAME).
  const ok = encodeIdx(
    "images",
    [3, 28, 28],
    Uint8Array.from({ length: 3 * 784 }, (_, i) => i & 255),
  );
  const plain = gzipSync(ok);
  const name = Buffer.from("t10k-images-idx3-ubyte-with-a-rather-long-stored-name-of-the-original-file\0");
  const withName = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]), name, plain.subarray(10)]);
  const f2 = path.join(dir, "named.gz");
  writeFileSync(f2, withName);
  const r = readIdxFile(f2, "images");
  assert.is(r.count, 3);
  assert.equal(Array.from(r.pixels.subarray(0, 5)), [0, 1, 2, 3, 4]);
});

/** Writes an IDX set of `nTrain`/`nTest` 4×3 images with labels drawn below `maxLabel + 1`. */
function writeSet(name: string, nTrain: number, nTest: number, maxLabel: number): string {
  const d = path.join(dir, name);
  mkdirSync(d);
  const rng = new Rng(9);
  const labels = (n: number) => {
    const l = Uint8Array.from({ length: n }, () => rng.int(maxLabel + 1));
    if (n > 0) l[0] = maxLabel;
    return l;
  };
  writeFileSync(
    path.join(d, IDX_FILES.trainImages),
    encodeIdx(
      "images",
      [nTrain, 4, 3],
      Uint8Array.from({ length: nTrain * 12 }, () => rng.int(256)),
    ),
  );
  writeFileSync(path.join(d, IDX_FILES.trainLabels), encodeIdx("labels", [nTrain], labels(nTrain)));
  writeFileSync(
    path.join(d, IDX_FILES.testImages),
    encodeIdx(
      "images",
      [nTest, 4, 3],
      Uint8Array.from({ length: nTest * 12 }, () => rng.int(256)),
    ),
  );
  writeFileSync(path.join(d, IDX_FILES.testLabels), encodeIdx("labels", [nTest], labels(nTest)));
  return d;
}

s("an IDX set with 0 training images is a FormatError naming the training file; a validation size too large names it too", () => {
  const d = writeSet("empty", 0, 5, 9);
  assert.throws(
    () => loadIdxDir(d),
    (e: Error) => e instanceof FormatError && e.message === "train-images-idx3-ubyte has 0 images; a training file needs at least one",
  );
  const d2 = writeSet("three", 3, 5, 9);
  assert.throws(
    () => loadIdxDir(d2, { validation: 3 }),
    (e: Error) => e instanceof ValueError && /validation size must be an integer in \[0, 2\] \(train-images-idx3-ubyte has 3 images/.test(e.message),
  );
});

s("EMNIST-style labels (0…26, 0…46) set the class count; --classes overrides it; a label beyond --classes names the file", async () => {
  const letters = writeSet("letters", 120, 30, 26);
  assert.is(loadDataset("idx:" + letters).outputSize, 27);
  const balanced = writeSet("balanced", 120, 30, 46);
  assert.is(loadIdxDir(balanced).outputSize, 47);
  // Fewer than 10 distinct labels keep 10 outputs (MNIST subsets missing a digit).
  assert.is(loadIdxDir(writeSet("few", 40, 10, 4)).outputSize, 10);
  assert.is(loadDataset("idx:" + letters, { classes: 30 }).outputSize, 30);
  assert.throws(
    () => loadDataset("idx:" + letters, { classes: 20 }),
    (e: Error) => e instanceof FormatError && /^train-labels-idx1-ubyte: label 0 is 26, expected 0…19$/.test(e.message),
  );
  // The CLI trains on it and records the class count in the checkpoint and summary.
  const json = path.join(dir, "letters.json");
  const cmd = trainCommand().exitOverride();
  await cmd.parseAsync(["--progress", "none", "--model", "mlp", "--dataset", "idx:" + letters, "--epochs", "1", "--json", json], { from: "user" });
  assert.equal(JSON.parse(readFileSync(json, "utf8")).modelConfig.arch, [12, 500, 500, 27]);
  // The browser path (bytes in) agrees.
  const bytes = (f: string) => ({ bytes: new Uint8Array(readFileSync(path.join(letters, f))), name: f });
  const ds = await datasetFromIdxBytes("letters", {
    trainImages: bytes(IDX_FILES.trainImages),
    trainLabels: bytes(IDX_FILES.trainLabels),
    testImages: bytes(IDX_FILES.testImages),
    testLabels: bytes(IDX_FILES.testLabels),
  });
  assert.is(ds.outputSize, 27);
});

s.run();
