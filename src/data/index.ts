// Data sets (pure: no file access; Node loaders are in the "dendritic/node" entry point).
export type { Batch } from "./batch.js";
export { BatchFiller, validateDataset, type Dataset, type Split, type SplitName, type Task, type EncodingOptions } from "./dataset.js";
export { parseAugment, type Augment } from "./augment.js";
export { parseIdx, encodeIdx, isGzip, gunzipIfNeeded, checkLabels, type IdxImages, type IdxLabels, type IdxKind } from "./idx.js";
export {
  IDX_FILES,
  MNIST_SMALL_SPLIT,
  datasetFromIdx,
  datasetFromIdxBytes,
  fetchIdxDataset,
  mnistSmallFromDigits,
  fetchMnistSmall,
  type IdxDatasetOptions,
  type FetchIdxOptions,
  type IdxSet,
} from "./mnist.js";
export {
  bars,
  yinyang,
  yinYangClass,
  teacher,
  softRectifier,
  YINYANG_CLASSES,
  type BarsOptions,
  type YinYangOptions,
  type TeacherOptions,
} from "./generators.js";
