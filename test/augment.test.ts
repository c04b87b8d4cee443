import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ValueError } from "../src/core/errors.ts";
import { mulberry32 } from "../src/core/random.ts";
import { formatAugment, parseAugment, shiftImage, shiftOf } from "../src/data/augment.ts";
import { BatchFiller, type Dataset, type Split } from "../src/data/dataset.ts";
import type { Batch } from "../src/data/batch.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../src/train/checkpoint.ts";
import type { NamedArray, TrainableModel } from "../src/train/model.ts";
import { Trainer } from "../src/train/trainer.ts";
import { resolveRun } from "../src/train/resume.ts";
import { TRAIN_KEYS } from "../src/sweep/spec.ts";

const t = suite("augmentation");

/** Naive oracle: the translated image through 2-D indices. */
function oracleShift(src: Uint8Array, rows: number, cols: number, dx: number, dy: number, lut: Float32Array): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const sr = r - dy;
      const sc = c - dx;
      out[r * cols + c] = sr >= 0 && sr < rows && sc >= 0 && sc < cols ? lut[src[sr * cols + sc]] : lut[0];
    }
  }
  return out;
}

t("shiftImage equals the 2-D index oracle for every shift up to beyond the image, background = byte 0's value", () => {
  const rnd = mulberry32(7);
  const rows = 5;
  const cols = 4;
  const img = Uint8Array.from({ length: 2 * rows * cols }, () => Math.floor(rnd() * 256));
  const lut = Float32Array.from({ length: 256 }, (_, b) => -1 + (2 * b) / 255); // pixel range [-1, 1]
  for (let dy = -6; dy <= 6; dy++) {
    for (let dx = -5; dx <= 5; dx++) {
      const dst = new Float32Array(3 + 2 * rows * cols).fill(99);
      // the second image of src, written at an offset, leaves the rest of dst alone
      shiftImage(img, rows * cols, rows, cols, dx, dy, lut, dst, 3);
      assert.equal(
        Array.from(dst.subarray(3, 3 + rows * cols)),
        Array.from(oracleShift(img.subarray(rows * cols), rows, cols, dx, dy, lut)),
        `dx ${dx} dy ${dy}`,
      );
      assert.equal(Array.from(dst.subarray(0, 3)), [99, 99, 99]);
      assert.ok(dst.subarray(3 + rows * cols).every((v) => v === 99));
    }
  }
  // three channels, interleaved (channels-last): each channel plane moves like a grey image
  const rgb = Uint8Array.from({ length: rows * cols * 3 }, () => Math.floor(rnd() * 256));
  const plane = (a: ArrayLike<number>, ch: number) => Uint8Array.from({ length: rows * cols }, (_, p) => a[p * 3 + ch]);
  for (const [dx, dy] of [
    [1, -2],
    [-3, 0],
    [0, 4],
    [2, 2],
  ]) {
    const dst = new Float32Array(rows * cols * 3);
    shiftImage(rgb, 0, rows, cols, dx, dy, lut, dst, 0, 3);
    for (let ch = 0; ch < 3; ch++) {
      const got = Array.from({ length: rows * cols }, (_, p) => dst[p * 3 + ch]);
      assert.equal(got, Array.from(oracleShift(plane(rgb, ch), rows, cols, dx, dy, lut)), `rgb dx ${dx} dy ${dy} channel ${ch}`);
    }
  }
});

t("shiftOf: whole pixels in −P…P, every value about equally often, dx and dy independent, a pure function of (seed, epoch, index)", () => {
  const P = 2;
  const out = new Int8Array(2);
  const counts = new Map<string, number>();
  const N = 25_000;
  for (let i = 0; i < N; i++) {
    shiftOf(3, 1, i, P, out, 0);
    assert.ok(Math.abs(out[0]) <= P && Math.abs(out[1]) <= P);
    const k = `${out[0]},${out[1]}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.is(counts.size, 25, "all 25 (dx, dy) pairs occur");
  // chi-square over the 25 joint cells (24 degrees of freedom; p = 0.001 at 51.2)
  const e = N / 25;
  const chi2 = [...counts.values()].reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
  assert.ok(chi2 < 51.2, `chi-square ${chi2.toFixed(1)}`);
  const a = new Int8Array(2);
  const b = new Int8Array(2);
  shiftOf(3, 1, 123, P, a, 0);
  shiftOf(3, 1, 123, P, b, 0);
  assert.equal(Array.from(a), Array.from(b));
  // different epochs and seeds give different fields of shifts
  const field = (seed: number, epoch: number) =>
    Array.from({ length: 200 }, (_, i) => {
      shiftOf(seed, epoch, i, P, out, 0);
      return out[0] * 10 + out[1];
    });
  assert.not.equal(field(3, 1), field(3, 2));
  assert.not.equal(field(3, 1), field(4, 1));
});

t("parseAugment / formatAugment round-trip; bad text names what is expected", () => {
  assert.equal(parseAugment("none"), { kind: "none" });
  assert.equal(parseAugment("shift:2"), { kind: "shift", pixels: 2 });
  assert.is(formatAugment(parseAugment("shift:3")), "shift:3");
  for (const bad of ["shift", "shift:0", "shift:9", "shift:-1", "shift:1.5", "rotate:2", ""]) {
    assert.throws(
      () => parseAugment(bad),
      (e: Error) => e instanceof ValueError && /none or shift:P/.test(e.message),
      bad,
    );
  }
  assert.is(TRAIN_KEYS.augment.flag, "--augment");
});

// An image data set of 7×6 images, each black except one pixel at (3, 2) whose byte is the
// example's index + 1: the model can read which example it got and by how much it was moved.
const ROWS = 7;
const COLS = 6;
const R0 = 3;
const C0 = 2;
function dotImages(nTrain: number, nEval: number): Dataset {
  const split = (n: number): Split => {
    const x = new Uint8Array(n * ROWS * COLS);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x[i * ROWS * COLS + R0 * COLS + C0] = i + 1;
      labels[i] = i % 2;
    }
    return { n, x, labels };
  };
  return {
    name: "dots",
    task: "classification",
    inputSize: ROWS * COLS,
    outputSize: 2,
    imageShape: [ROWS, COLS],
    train: split(nTrain),
    validation: split(nEval),
    test: split(nEval),
    about: "dots",
  };
}

type Seen = { index: number; dx: number; dy: number } | { index: number; lost: true };

/** Records, for every image it trains or predicts on, the example index and the dot's displacement. */
class DotReader implements TrainableModel {
  readonly kind = "dots";
  readonly inputSize = ROWS * COLS;
  readonly outputSize = 2;
  readonly maxBatch = 8;
  trained: Seen[] = [];
  predicted: Seen[] = [];
  private steps = 0;
  private read(x: Float32Array, n: number, into: Seen[]): void {
    for (let i = 0; i < n; i++) {
      const img = x.subarray(i * this.inputSize, (i + 1) * this.inputSize);
      const at = img.findIndex((v) => v > 0);
      if (at < 0) {
        into.push({ index: -1, lost: true });
        continue;
      }
      into.push({ index: Math.round(img[at] * 255) - 1, dx: (at % COLS) - C0, dy: Math.floor(at / COLS) - R0 });
    }
  }
  trainBatch(b: Batch): void {
    this.steps++;
    this.read(b.x, b.n, this.trained);
  }
  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.read(x, n, this.predicted);
    return out ?? new Float32Array(n * 2);
  }
  setLearningRateScale(): void {}
  exportState(): Record<string, NamedArray> {
    return { steps: { shape: [1], data: Int32Array.of(this.steps) } };
  }
  importState(s: Record<string, NamedArray>): void {
    this.steps = s.steps.data[0];
  }
  config(): Record<string, unknown> {
    return {};
  }
  dispose(): void {}
}

t("trainer: each training image is moved by shiftOf(seed, epoch, index); validation and test images never are", async () => {
  const d = dotImages(40, 6);
  const m = new DotReader();
  const seed = 5;
  await new Trainer(m, d, { epochs: 3, batchSize: 4, seed, augment: { kind: "shift", pixels: 2 }, monitorEvery: 0 }).run();
  assert.is(m.trained.length, 120);
  const out = new Int8Array(2);
  const pairs = new Set<string>();
  m.trained.forEach((s, k) => {
    const epoch = Math.floor(k / 40);
    // a dot moved off the image would be lost; (3, 2) in 7×6 stays inside for shifts of 2
    assert.ok(!("lost" in s), `image ${k} lost its dot`);
    if ("lost" in s) return;
    shiftOf(seed, epoch, s.index, 2, out, 0);
    assert.equal([s.dx, s.dy], [out[0], out[1]], `epoch ${epoch} example ${s.index}`);
    pairs.add(`${s.dx},${s.dy}`);
  });
  for (let e = 0; e < 3; e++) {
    const idx = m.trained
      .slice(e * 40, (e + 1) * 40)
      .map((s) => s.index)
      .sort((a, b) => a - b);
    assert.equal(
      idx,
      Array.from({ length: 40 }, (_, i) => i),
      `epoch ${e}: every example once`,
    );
  }
  assert.ok(pairs.size >= 20, `${pairs.size} of 25 shifts seen`);
  assert.ok(m.predicted.length > 0);
  assert.ok(
    m.predicted.every((s) => !("lost" in s) && s.dx === 0 && s.dy === 0),
    "evaluation images are not moved",
  );
});

t("trainer: a run resumed mid-epoch from a checkpoint sees the same moved images as an uninterrupted one", async () => {
  const d = dotImages(30, 4);
  const opts = { epochs: 3, batchSize: 4, seed: 9, augment: { kind: "shift", pixels: 3 } as const, monitorEvery: 0 };
  const whole = new DotReader();
  await new Trainer(whole, d, opts).run();

  const first = new DotReader();
  const tr = new Trainer(first, d, opts);
  let steps = 0;
  const orig = first.trainBatch.bind(first);
  first.trainBatch = (b) => {
    orig(b);
    if (++steps === 11) tr.stop(); // in the middle of epoch 2
  };
  await tr.run();
  const state = tr.state();
  assert.equal(state.augment, { kind: "shift", pixels: 3 });
  const ckpt = decodeCheckpoint(encodeCheckpoint(first, state));
  const second = new DotReader();
  const tr2 = new Trainer(second, d, opts);
  tr2.restore(ckpt.trainer!);
  await tr2.run();
  assert.equal([...first.trained, ...second.trained], whole.trained);
  // the dots really moved (a broken shift would make this test pass trivially)
  assert.ok(whole.trained.some((s) => "dx" in s && (s.dx !== 0 || s.dy !== 0)));

  // the checkpoint's augmentation is the resumed run's default, and a different one is refused
  const run = resolveRun(
    { kind: "dots", config: {}, tensors: {}, metadata: {}, trainer: ckpt.trainer } as never,
    {},
    { model: "dots", dataset: "x", dataSeed: 1, batchSize: 4, seed: 9, shuffle: true, schedule: { kind: "constant" } },
  );
  assert.equal(run.augment, { kind: "shift", pixels: 3 });
  const plain = new Trainer(new DotReader(), d, { ...opts, augment: { kind: "none" } });
  assert.throws(() => plain.restore(ckpt.trainer!), /trained with augmentation shift:3, this run has none/);
});

t("augmentation of data that are not images is refused up front, naming the data set", () => {
  const n = 4;
  const flat: Dataset = {
    name: "yinyang",
    task: "classification",
    inputSize: 4,
    outputSize: 2,
    train: { n, x: new Float32Array(n * 4), labels: new Uint8Array(n) },
    validation: { n, x: new Float32Array(n * 4), labels: new Uint8Array(n) },
    test: { n, x: new Float32Array(n * 4), labels: new Uint8Array(n) },
    about: "",
  };
  const m = new DotReader();
  Object.assign(m, { inputSize: 4 });
  assert.throws(
    () => new Trainer(m, flat, { epochs: 1, batchSize: 2, augment: { kind: "shift", pixels: 1 } }),
    (e: Error) => e instanceof ValueError && /augment shift:1 translates images, but yinyang is not an image data set/.test(e.message),
  );
  assert.throws(() => new Trainer(m, flat, { epochs: 1, batchSize: 2, augment: { kind: "shift", pixels: 0 } }), /augment shift pixels/);
  const f = new BatchFiller(flat, 2);
  assert.throws(() => f.fill(flat.train, null, 0, 2, new Int8Array(4)), /cannot translate images: yinyang is not an image data set/);
});

t.run();
