// Starting a run from a checkpoint: which of its settings hold and which the caller overrides. The
// CLI (`dendritic train --load`) and any other front end (the demo, a script) resolve a run the same
// way through `resolveRun`.
//
// Precedence, for every setting: a value the caller gives explicitly, then the trainer state saved
// in the checkpoint (when resuming), then the checkpoint's model configuration and metadata, then
// the default. Pure (no file access): the checkpoint is the decoded object.
import { ValueError } from "../core/errors.js";
import type { Augment } from "../data/augment.js";
import type { EncodingOptions } from "../data/dataset.js";
import type { Checkpoint } from "./checkpoint.js";
import type { Schedule } from "./trainer.js";

/** What the caller asked for. `undefined` means "not given": the checkpoint or the default decides. */
export interface RunRequest {
  /** Model kind. */
  model?: string;
  /** Data set name. */
  dataset?: string;
  /** Seed of generated data sets. */
  dataSeed?: number;
  /** Number of classes of an IDX directory data set (metadata `classes`). */
  classes?: number;
  batchSize?: number;
  /** Seed of the model (initialisation) and of the shuffle. */
  seed?: number;
  shuffle?: boolean;
  schedule?: Schedule;
  /** Training-image augmentation. */
  augment?: Augment;
  /** Train on the first `limitTrain` examples only. */
  limitTrain?: number;
  pixelRange?: EncodingOptions["pixelRange"];
  oneHot?: EncodingOptions["oneHot"];
  /** Start a fresh trainer (epoch 0, new schedule) even when the checkpoint holds trainer state. */
  resetTrainer?: boolean;
}

/** The values used when neither the caller nor the checkpoint gives one. */
export interface RunDefaults {
  model: string;
  dataset: string;
  dataSeed: number;
  batchSize: number;
  seed: number;
  shuffle: boolean;
  schedule: Schedule;
}

/** The settings of a run, resolved. */
export interface RunSettings {
  kind: string;
  dataset: string;
  dataSeed: number;
  /** Number of classes of an IDX directory data set, when given or stored. */
  classes?: number;
  /** True when the trainer continues from the checkpoint's trainer state. */
  resume: boolean;
  batchSize: number;
  /** Seed of a newly built model's configuration. */
  modelSeed: number;
  /** Seed of the trainer (shuffle order). */
  seed: number;
  shuffle: boolean;
  schedule: Schedule;
  /** Training-image augmentation (none unless asked for or resumed). */
  augment: Augment;
  encoding: EncodingOptions;
  /** The saved run's training-set limit (resolved against the data set by `trainLimit`). */
  savedLimitTrain?: number;
}

/** The pixel scaling and target encoding a checkpoint was trained with (metadata `encoding`). */
export function storedEncoding(ckpt: Checkpoint | undefined): EncodingOptions {
  if (!ckpt?.metadata.encoding) return {};
  try {
    const e = JSON.parse(ckpt.metadata.encoding) as EncodingOptions;
    return { pixelRange: e.pixelRange, oneHot: e.oneHot };
  } catch {
    throw new ValueError(`checkpoint metadata 'encoding' is not valid JSON: ${ckpt.metadata.encoding}`);
  }
}

/**
 * Resolves the settings of a run from an optional checkpoint, the caller's explicit choices and the
 * defaults (precedence: explicit, saved trainer state, checkpoint configuration and metadata,
 * default). `source` names the checkpoint in errors. Throws a ValueError when the caller asks for
 * another model kind than the checkpoint holds.
 */
export function resolveRun(ckpt: Checkpoint | undefined, req: RunRequest, defaults: RunDefaults, source = "the checkpoint"): RunSettings {
  const kind = req.model ?? ckpt?.kind ?? defaults.model;
  if (ckpt && kind !== ckpt.kind) throw new ValueError(`model ${kind}: ${source} holds a '${ckpt.kind}' model`);
  const resume = !!ckpt && !req.resetTrainer && !!ckpt.trainer;
  const saved = resume ? ckpt!.trainer : undefined;
  const ckptSeed = typeof ckpt?.config.seed === "number" ? ckpt.config.seed : undefined;
  const stored = storedEncoding(ckpt);
  return {
    kind,
    dataset: req.dataset ?? (ckpt?.metadata.dataset || defaults.dataset),
    dataSeed: req.dataSeed ?? (ckpt?.metadata.data_seed ? Number(ckpt.metadata.data_seed) : defaults.dataSeed),
    classes: req.classes ?? (ckpt?.metadata.classes ? Number(ckpt.metadata.classes) : undefined),
    resume,
    batchSize: req.batchSize ?? saved?.batchSize ?? defaults.batchSize,
    modelSeed: req.seed ?? ckptSeed ?? defaults.seed,
    seed: req.seed ?? saved?.seed ?? ckptSeed ?? defaults.seed,
    shuffle: req.shuffle ?? saved?.shuffle ?? defaults.shuffle,
    schedule: req.schedule ?? saved?.schedule ?? defaults.schedule,
    augment: req.augment ?? saved?.augment ?? { kind: "none" },
    encoding: { pixelRange: req.pixelRange ?? stored.pixelRange, oneHot: req.oneHot ?? stored.oneHot },
    savedLimitTrain: saved?.limitTrain,
  };
}

/**
 * The training-set limit of a run on a training split of `nTrain` examples: the caller's, else the
 * saved run's when it was a real limit (smaller than the split), else none.
 */
export function trainLimit(run: RunSettings, req: RunRequest, nTrain: number): number | undefined {
  if (req.limitTrain !== undefined) return req.limitTrain;
  return run.savedLimitTrain !== undefined && run.savedLimitTrain < nTrain ? run.savedLimitTrain : undefined;
}
