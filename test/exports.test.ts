// The public surface, on purpose: the names each entry point exports at run time. A change here is
// a change of the package's API — add the name to the list deliberately (and to the docs), or keep
// the new function internal.
import { test } from "uvu";
import * as assert from "uvu/assert";

const sorted = (m: object) => Object.keys(m).sort();

test("\"dendritic\" exports exactly the listed names", async () => {
  assert.equal(sorted(await import("../src/index.ts")), [
    "Arena", "BatchFiller", "BrainPropNet", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "Core",
    "DendriticError", "DisposedError", "FormatError", "IDX_FILES", "MICROCIRCUIT_MNIST", "MLP_DEFAULTS",
    "MNIST_SMALL_SPLIT", "Microcircuit", "MicrocircuitClassifier", "MissingDependencyError", "Mlp",
    "Monitor", "NonFiniteError", "OutputError", "PATHWAYS", "PBR20", "Rng", "SCBS18", "SPIKING_DEFAULTS",
    "SPIKING_RULES", "ShapeError", "Spiking", "SplitMix32", "Tensor", "Trainer", "VARIABLES",
    "ValueError", "WorkerError", "YINYANG_CLASSES", "availableCores", "bars", "brainpropConfig", "ceil4",
    "checkCompatible", "checkLabels", "checkSchedule", "checkpointBlob", "createModel", "datasetFromIdx",
    "datasetFromIdxBytes", "decodeCheckpoint", "decodeSafetensors", "detectFeatures", "digestState",
    "downloadBlob", "downloadModel", "dtypeOf", "enableRelaxedSimd", "encodeCheckpoint", "encodeIdx",
    "encodeSafetensors", "fetchIdxDataset", "fetchMnistSmall", "gunzipIfNeeded", "init", "initSigma",
    "isGzip", "kernels", "layerRateFactor", "loadCheckpointInto", "loadModel", "mlpConfig",
    "mnistSmallFromDigits", "modelFromCheckpoint", "modelKinds", "mulberry32", "parseIdx",
    "parseSchedule", "presetLayers", "readCheckpointSource", "registerModel", "resolveRun",
    "scheduleScale", "scoreBatch", "sharedMemoryAvailable", "softRectifier", "spikingConfig",
    "steadyFactors", "storedEncoding", "teacher", "trainLimit", "validateDataset", "yinYangClass",
    "yinyang",
  ]);
});

test("\"dendritic/node\" exports exactly the listed names", async () => {
  assert.equal(sorted(await import("../src/node/index.ts")), [
    "DATASET_NAMES", "loadDataset", "loadIdxDir", "loadMnist", "loadMnistSmall", "loadModel",
    "readCheckpoint", "readIdxFile", "readMaybeGzip", "saveCheckpoint", "saveModel", "writeFileAtomic",
    "writeJson",
  ]);
});

test("the kernels namespace exports exactly the listed operations", async () => {
  const { kernels } = await import("../src/index.ts");
  assert.equal(sorted(kernels), [
    "allFinite", "axpy", "compartmentStep", "copy", "exp", "fill", "gaussian", "gemmNN", "gemmNT", "gemv",
    "gemvT", "ger", "gerK", "logistic", "logisticGrad", "lowpass", "maxAbsOrNaN", "mul", "relu", "reluGrad",
    "scale", "softRect", "softRectGrad", "sub", "sumAbs", "tanh", "tanhGrad", "uniform",
  ]);
});

test.run();
