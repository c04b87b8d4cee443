// CIFAR-10 in its binary distribution (Krizhevsky 2009, "cifar-10-binary.tar.gz"): files
// data_batch_1.bin … data_batch_5.bin (training, 10 000 records each) and test_batch.bin. A record
// is 1 label byte (0…9) followed by 3 072 pixel bytes: the 1 024 red values of the 32 × 32 image in
// row-major order, then the 1 024 green, then the 1 024 blue.
// Pure (no file access): src/node/cifar10.ts reads the files.
//
// Images are converted to channels-last order (pixel (h, w), channel c at (h·32 + w)·3 + c), the
// layout of the convolutional models (src/models/brainprop/, input [32, 32, 3]).
import { FormatError, assertInt } from "../core/errors.js";
import type { Dataset } from "./dataset.js";

export const CIFAR10_SIDE = 32;
export const CIFAR10_PIXELS = CIFAR10_SIDE * CIFAR10_SIDE * 3;
export const CIFAR10_RECORD = 1 + CIFAR10_PIXELS;
export const CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"] as const;
export const CIFAR10_TRAIN_FILES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"] as const;
export const CIFAR10_TEST_FILE = "test_batch.bin";

export interface Cifar10Part {
  n: number;
  /** n × 3072 bytes, channels last. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Parses one CIFAR-10 binary file; errors name the file, its length, or the bad record. */
export function parseCifar10(bytes: Uint8Array, file: string): Cifar10Part {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD !== 0) {
    throw new FormatError(`${file}: ${bytes.length} bytes is not a whole number of CIFAR-10 records (${CIFAR10_RECORD} bytes each: 1 label + 3 072 pixels)`);
  }
  const n = bytes.length / CIFAR10_RECORD;
  const pixels = new Uint8Array(n * CIFAR10_PIXELS);
  const labels = new Uint8Array(n);
  const plane = CIFAR10_SIDE * CIFAR10_SIDE;
  for (let i = 0; i < n; i++) {
    const o = i * CIFAR10_RECORD;
    const label = bytes[o];
    if (label >= CIFAR10_CLASSES.length) throw new FormatError(`${file}: record ${i} has label ${label}, expected 0…9`);
    labels[i] = label;
    const dst = i * CIFAR10_PIXELS;
    for (let p = 0; p < plane; p++) {
      pixels[dst + 3 * p] = bytes[o + 1 + p];
      pixels[dst + 3 * p + 1] = bytes[o + 1 + plane + p];
      pixels[dst + 3 * p + 2] = bytes[o + 1 + 2 * plane + p];
    }
  }
  return { n, pixels, labels };
}

/**
 * A data set from parsed training parts (in order) and the test part: validation = the last
 * `validation` training records (default 5 000, or ⌊N/10⌋ for smaller sets), train = the rest.
 */
export function datasetFromCifar10(name: string, train: Cifar10Part[], test: Cifar10Part, validation?: number): Dataset {
  const N = train.reduce((s, p) => s + p.n, 0);
  const pixels = new Uint8Array(N * CIFAR10_PIXELS);
  const labels = new Uint8Array(N);
  let o = 0;
  for (const p of train) {
    pixels.set(p.pixels, o * CIFAR10_PIXELS);
    labels.set(p.labels, o);
    o += p.n;
  }
  const V = validation ?? Math.min(5000, Math.floor(N / 10));
  assertInt(V, "validation size", 0, N - 1);
  const T = N - V;
  const D = CIFAR10_PIXELS;
  return {
    name,
    task: "classification",
    inputSize: D,
    outputSize: CIFAR10_CLASSES.length,
    imageShape: [CIFAR10_SIDE, CIFAR10_SIDE],
    train: { n: T, x: pixels.subarray(0, T * D), labels: labels.subarray(0, T) },
    validation: { n: V, x: pixels.subarray(T * D), labels: labels.subarray(T) },
    test: { n: test.n, x: test.pixels, labels: test.labels },
    about: `${name}: CIFAR-10 binary files, ${T} train / ${V} validation (last ${V} training records) / ${test.n} test; 32×32×3 channels-last (model input [32, 32, 3])`,
  };
}
