// Node-only: the CIFAR-10 binary files of a directory (`--dataset cifar10:DIR`).
import { readFileSync } from "node:fs";
import path from "node:path";
import { FormatError } from "../core/errors.js";
import type { Dataset } from "../data/dataset.js";
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, datasetFromCifar10, parseCifar10 } from "../data/cifar10.js";

function readPart(dir: string, name: string) {
  const file = path.join(dir, name);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new FormatError(`${file}: missing; a CIFAR-10 directory needs ${[...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].join(", ")} (the binary version)`);
    }
    throw new FormatError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
  return parseCifar10(bytes, file);
}

/** Loads data_batch_1…5.bin and test_batch.bin from `dir`; 45 000 / 5 000 / 10 000 for the full set. */
export function loadCifar10Dir(dir: string, options: { validation?: number; name?: string } = {}): Dataset {
  const train = CIFAR10_TRAIN_FILES.map((f) => readPart(dir, f));
  const test = readPart(dir, CIFAR10_TEST_FILE);
  return datasetFromCifar10(options.name ?? `cifar10:${dir}`, train, test, options.validation);
}
