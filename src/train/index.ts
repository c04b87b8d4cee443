// Training: the model contract, the trainer, checkpoints (pure bytes in/out).
export type { NamedArray, TrainableModel } from "./model.js";
export {
  Trainer,
  scheduleScale,
  parseSchedule,
  checkSchedule,
  scoreBatch,
  type Schedule,
  type TrainerOptions,
  type RunOptions,
  type TrainerEventMap,
  type TrainerState,
  type TrainSummary,
  type EpochRecord,
  type EvalResult,
  type Progress,
} from "./trainer.js";
export {
  encodeCheckpoint,
  decodeCheckpoint,
  checkCompatible,
  loadCheckpointInto,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
} from "./checkpoint.js";
export { encodeSafetensors, decodeSafetensors, dtypeOf, type DType, type Tensor as SafeTensor } from "./safetensors.js";
export { digestState } from "./digest.js";
export {
  loadModel,
  modelFromCheckpoint,
  readCheckpointSource,
  checkpointBlob,
  downloadModel,
  downloadBlob,
  type CheckpointSource,
  type LoadModelOptions,
  type SaveModelOptions,
} from "./model-io.js";
export { resolveRun, trainLimit, storedEncoding, type RunRequest, type RunDefaults, type RunSettings } from "./resume.js";
