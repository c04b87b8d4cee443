// Checkpoints: a safetensors file with every tensor of model.exportState() under its own name
// (weights, filter states, RNG states) and, in the string metadata, the model kind and config
// (JSON) and the trainer state (JSON: epoch, batch, shuffle RNG state, schedule, history).
// Pure (bytes in, bytes out); src/node/checkpoint.ts reads and writes files atomically.
import { FormatError, ShapeError } from "../core/errors.js";
import type { NamedArray, TrainableModel } from "./model.js";
import { decodeSafetensors, encodeSafetensors, type DType } from "./safetensors.js";
import type { TrainerState } from "./trainer.js";

export const CHECKPOINT_FORMAT = "dendritic-checkpoint";
export const CHECKPOINT_VERSION = "1";

export interface Checkpoint {
  kind: string;
  config: Record<string, unknown>;
  tensors: Record<string, NamedArray>;
  trainer?: TrainerState;
  /** All metadata strings as stored (including free-form extras such as `dataset`). */
  metadata: Record<string, string>;
}

/** Serialises a model (and optionally the trainer state and extra metadata strings). */
export function encodeCheckpoint(model: TrainableModel, trainer?: TrainerState, extra: Record<string, string> = {}): Uint8Array {
  const metadata: Record<string, string> = {
    ...extra,
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_VERSION,
    model_kind: model.kind,
    model_config: JSON.stringify(model.config()),
  };
  if (trainer) metadata.trainer_state = JSON.stringify(trainer);
  return encodeSafetensors(model.exportState(), metadata);
}

const ALLOWED: DType[] = ["F32", "I32", "U32"];

/** Parses a checkpoint; `name` (the file) starts every error message. */
export function decodeCheckpoint(bytes: Uint8Array, name: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new FormatError(`${name}: not a dendritic checkpoint (metadata 'format' is ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}")`);
  }
  if (metadata.format_version !== CHECKPOINT_VERSION) throw new FormatError(`${name}: checkpoint format_version ${metadata.format_version}, this library reads ${CHECKPOINT_VERSION}`);
  if (!metadata.model_kind) throw new FormatError(`${name}: metadata has no model_kind`);
  const parse = (key: string) => {
    try {
      return JSON.parse(metadata[key]) as unknown;
    } catch (e) {
      throw new FormatError(`${name}: metadata '${key}' is not valid JSON (${(e as Error).message})`);
    }
  };
  const config = parse("model_config");
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new FormatError(`${name}: metadata model_config must be a JSON object`);
  const out: Record<string, NamedArray> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (!ALLOWED.includes(t.dtype)) throw new FormatError(`${name}: tensor '${k}' has dtype ${t.dtype}; model state is F32, I32 or U32`);
    out[k] = { shape: t.shape, data: t.data as NamedArray["data"] };
  }
  return {
    kind: metadata.model_kind,
    config: config as Record<string, unknown>,
    tensors: out,
    trainer: metadata.trainer_state ? (parse("trainer_state") as TrainerState) : undefined,
    metadata,
  };
}

const dtypeName = (a: NamedArray["data"]) => (a instanceof Float32Array ? "F32" : a instanceof Int32Array ? "I32" : "U32");

/**
 * Throws a ShapeError describing the first difference between a model's state and a checkpoint
 * (kind, missing or extra tensors, shapes, dtypes), so loading into the wrong architecture fails
 * before anything is changed.
 */
export function checkCompatible(model: TrainableModel, ckpt: Checkpoint, name: string): void {
  if (model.kind !== ckpt.kind) throw new ShapeError(`${name}: checkpoint holds a '${ckpt.kind}' model, not '${model.kind}'`);
  const mine = model.exportState();
  const theirs = ckpt.tensors;
  const missing = Object.keys(mine).filter((k) => !(k in theirs));
  const extra = Object.keys(theirs).filter((k) => !(k in mine));
  const arch = `checkpoint architecture ${JSON.stringify(ckpt.config.sizes ?? ckpt.config)}`;
  if (missing.length) throw new ShapeError(`${name}: checkpoint lacks tensor${missing.length > 1 ? "s" : ""} ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} that this model has (${arch})`);
  if (extra.length) throw new ShapeError(`${name}: checkpoint has tensor${extra.length > 1 ? "s" : ""} ${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", …" : ""} that this model lacks (${arch})`);
  for (const [k, a] of Object.entries(mine)) {
    const b = theirs[k];
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new ShapeError(`${name}: tensor '${k}' has shape [${b.shape.join(", ")}] in the checkpoint, the model has [${a.shape.join(", ")}] (${arch})`);
    }
    if (dtypeName(a.data) !== dtypeName(b.data)) throw new ShapeError(`${name}: tensor '${k}' is ${dtypeName(b.data)} in the checkpoint, the model has ${dtypeName(a.data)}`);
  }
}

/** Checks compatibility, then imports every tensor into the model. */
export function loadCheckpointInto(model: TrainableModel, ckpt: Checkpoint, name: string): void {
  checkCompatible(model, ckpt, name);
  model.importState(ckpt.tensors);
}
