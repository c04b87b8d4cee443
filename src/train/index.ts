// Training: the model contract, the trainer, checkpoints (pure bytes in/out), the seeded generator.
export type { Batch, NamedArray, TrainableModel } from "./model.js";
export { Trainer, scheduleScale, parseSchedule, checkSchedule, scoreBatch, type Schedule, type TrainerOptions, type RunOptions, type TrainerEventMap, type TrainerState, type TrainSummary, type EpochRecord, type EvalResult, type Progress } from "./trainer.js";
export { encodeCheckpoint, decodeCheckpoint, checkCompatible, loadCheckpointInto, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint } from "./checkpoint.js";
export { encodeSafetensors, decodeSafetensors, dtypeOf, type DType, type Tensor as SafeTensor } from "./safetensors.js";
export { Rng } from "./rng.js";
export { digestState } from "./digest.js";
export { loadModel, modelFromCheckpoint, readCheckpointSource, checkpointBlob, downloadModel, downloadBlob, type CheckpointSource, type LoadModelOptions, type SaveModelOptions } from "./model-io.js";
