// Node-only checkpoint files: atomic writes (never a torn file) and reading with clear errors.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { FormatError } from "../core/errors.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../train/checkpoint.js";
import type { TrainableModel } from "../train/model.js";
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
