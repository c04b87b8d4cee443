// Node-only checkpoint files: atomic writes (never a torn file) and reading with clear errors.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FormatError } from "../core/errors.js";
import { init } from "../core/core.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../train/checkpoint.js";
import type { TrainableModel } from "../train/model.js";
import { modelFromCheckpoint, readCheckpointSource, type CheckpointSource, type LoadModelOptions, type SaveModelOptions } from "../train/model-io.js";
import type { TrainerState } from "../train/trainer.js";
import { writeFileAtomic } from "./files.js";

/** Writes a checkpoint atomically (temporary file, fsync, rename). */
export async function saveCheckpoint(file: string, model: TrainableModel, trainer?: TrainerState, extra: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(file, encodeCheckpoint(model, trainer, extra));
}

/** Reads and parses a checkpoint file. */
export async function readCheckpoint(file: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new FormatError(`${file}: cannot read checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeCheckpoint(bytes, path.basename(file));
}

/** Saves a model (and optionally the trainer state) as a checkpoint file, atomically. */
export async function saveModel(model: TrainableModel, file: string, options: SaveModelOptions = {}): Promise<void> {
  await writeFileAtomic(file, encodeCheckpoint(model, options.trainer, options.metadata));
}

/**
 * One call from a checkpoint file to a model: reads the file, builds the model kind with the
 * stored configuration and restores its state (`await loadModel("mnist.safetensors")`). Also takes
 * what the browser loadModel takes (bytes, Blob, Response).
 */
export async function loadModel(source: string | URL | CheckpointSource, options: LoadModelOptions = {}): Promise<TrainableModel> {
  let ckpt: Checkpoint;
  let name: string;
  if (typeof source === "string" || source instanceof URL) {
    const file = source instanceof URL ? fileURLToPath(source) : source;
    options.signal?.throwIfAborted();
    ckpt = await readCheckpoint(file);
    name = options.name ?? path.basename(file);
  } else {
    const r = await readCheckpointSource(source, options);
    ckpt = decodeCheckpoint(r.bytes, r.name);
    name = r.name;
  }
  const core = options.core ?? (await init());
  options.signal?.throwIfAborted();
  return modelFromCheckpoint(core, ckpt, name);
}
