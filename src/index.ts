// The public API of "dendritic". Every name is listed on purpose (test/exports.test.ts snapshots the
// list); internals stay in their modules. Node-only helpers are the "dendritic/node" entry point.

// The WebAssembly core, its memory and its errors
export { init, Core } from "./core/core.js";
export { Arena, Tensor, ceil4 } from "./core/arena.js";
export { WorkerError, availableCores, sharedMemoryAvailable } from "./core/pool.js";
export { detectFeatures, enableRelaxedSimd, type Impl, type ImplChoice, type InitOptions } from "./core/wasm.js";
export { DendriticError, ShapeError, ValueError, DisposedError, NonFiniteError, OutputError, FormatError, MissingDependencyError } from "./core/errors.js";
export { Rng, SplitMix32, mulberry32 } from "./core/random.js";
export * as kernels from "./kernels/index.js";

// Models
export { createModel, registerModel, modelKinds, type ModelFactory, type ModelConfigs, type Models, type ModelKind, type ModelSpec } from "./models/registry.js";
export {
  Microcircuit,
  MicrocircuitClassifier,
  Monitor,
  SCBS18,
  MICROCIRCUIT_MNIST,
  PATHWAYS,
  VARIABLES,
  steadyFactors,
  type Activation,
  type Alignment,
  type InitSpec,
  type MicrocircuitClassifierConfig,
  type MicrocircuitClassifierOptions,
  type MicrocircuitOptions,
  type Pathway,
  type PresentOptions,
  type SteadyFactors,
  type Variable,
} from "./models/microcircuit/index.js";
export { Mlp, MLP_DEFAULTS, mlpConfig, type MlpActivation, type MlpConfig, type MlpOptions, type MlpInit, type MlpLoss, type MlpOutputActivation, type MlpRule } from "./models/mlp/index.js";
export { BrainPropNet, PBR20, brainpropConfig, presetLayers, type BrainPropConfig, type BrainPropOptions, type LayerSpec, type Padding, type Rule, type StepStats } from "./models/brainprop/index.js";
export { Spiking, SPIKING_DEFAULTS, SPIKING_RULES, spikingConfig, initSigma, layerRateFactor, type SpikingConfig, type SpikingOptions, type SpikingRule, type WindowStats } from "./models/spiking/index.js";

// Data
export {
  BatchFiller,
  validateDataset,
  parseIdx,
  encodeIdx,
  isGzip,
  gunzipIfNeeded,
  checkLabels,
  IDX_FILES,
  MNIST_SMALL_SPLIT,
  datasetFromIdx,
  datasetFromIdxBytes,
  fetchIdxDataset,
  mnistSmallFromDigits,
  fetchMnistSmall,
  bars,
  yinyang,
  yinYangClass,
  teacher,
  softRectifier,
  YINYANG_CLASSES,
  type Batch,
  type Dataset,
  type Split,
  type SplitName,
  type Task,
  type EncodingOptions,
  type IdxImages,
  type IdxLabels,
  type IdxKind,
  type IdxDatasetOptions,
  type FetchIdxOptions,
  type IdxSet,
  type BarsOptions,
  type YinYangOptions,
  type TeacherOptions,
} from "./data/index.js";

// Training and checkpoints
export {
  Trainer,
  scheduleScale,
  parseSchedule,
  checkSchedule,
  scoreBatch,
  encodeCheckpoint,
  decodeCheckpoint,
  checkCompatible,
  loadCheckpointInto,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  encodeSafetensors,
  decodeSafetensors,
  dtypeOf,
  digestState,
  loadModel,
  modelFromCheckpoint,
  readCheckpointSource,
  checkpointBlob,
  downloadModel,
  downloadBlob,
  type CheckpointSource,
  type LoadModelOptions,
  type SaveModelOptions,
  resolveRun,
  trainLimit,
  storedEncoding,
  type RunRequest,
  type RunDefaults,
  type RunSettings,
  type NamedArray,
  type TrainableModel,
  type Schedule,
  type TrainerOptions,
  type RunOptions,
  type TrainerEventMap,
  type TrainerState,
  type TrainSummary,
  type EpochRecord,
  type EvalResult,
  type Progress,
  type Checkpoint,
  type DType,
  type SafeTensor,
} from "./train/index.js";
