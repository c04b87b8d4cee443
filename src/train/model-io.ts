// Whole models in one call, in Node and in browsers. A checkpoint (safetensors, see checkpoint.ts)
// stores the model kind and configuration beside the tensors, so loading rebuilds the architecture
// and then restores every weight, filter and RNG state. Node file paths: "dendritic/node".
import type { Core } from "../core/core.js";
import { init } from "../core/core.js";
import { DendriticError, FormatError } from "../core/errors.js";
import { createModel } from "../models/registry.js";
import { decodeCheckpoint, encodeCheckpoint, loadCheckpointInto, type Checkpoint } from "./checkpoint.js";
import type { TrainableModel } from "./model.js";
import type { TrainerState } from "./trainer.js";

/** Where checkpoint bytes can come from: bytes, a Blob or File (an `<input type="file">`), or a fetch Response. */
export type CheckpointSource = ArrayBuffer | ArrayBufferView | Blob | Response;

export interface LoadModelOptions {
  /** The core to build the model in (default: a new `init()`). */
  core?: Core;
  /** Names the source in error messages (default: the File's name, the Response's URL, or "checkpoint"). */
  name?: string;
  signal?: AbortSignal;
}

export interface SaveModelOptions {
  /** Trainer state to store with the model (`trainer.state()`), so a run can resume from the file. */
  trainer?: TrainerState;
  /** Extra metadata strings (e.g. the data set's name). */
  metadata?: Record<string, string>;
}

/** The bytes of a checkpoint source and a name for errors. */
export async function readCheckpointSource(
  source: CheckpointSource,
  options: { name?: string; signal?: AbortSignal } = {},
): Promise<{ bytes: Uint8Array; name: string }> {
  options.signal?.throwIfAborted();
  let bytes: Uint8Array;
  let name = options.name;
  if (source instanceof Uint8Array) bytes = source;
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  else if (typeof Blob !== "undefined" && source instanceof Blob) {
    name ??= (source as Blob & { name?: string }).name;
    bytes = new Uint8Array(await source.arrayBuffer());
  } else if (typeof Response !== "undefined" && source instanceof Response) {
    name ??= source.url || undefined;
    if (!source.ok) throw new FormatError(`${name ?? "checkpoint"}: HTTP ${source.status}`);
    bytes = new Uint8Array(await source.arrayBuffer());
  } else {
    const what =
      typeof source === "string" ? `a string ('${String(source)}'); file paths are read by loadModel from "dendritic/node", URLs with fetch()` : String(source);
    throw new FormatError(`loadModel: expected an ArrayBuffer, a typed array, a Blob/File or a fetch Response, got ${what}`);
  }
  options.signal?.throwIfAborted();
  return { bytes, name: name ?? "checkpoint" };
}

/** Builds the checkpoint's model kind with its configuration and imports its state. */
export function modelFromCheckpoint(core: Core, ckpt: Checkpoint, name = "checkpoint"): TrainableModel {
  const model = createModel(core, ckpt.kind, ckpt.config);
  try {
    loadCheckpointInto(model, ckpt, name);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/**
 * Loads a model saved with `checkpointBlob`, `downloadModel`, `saveModel` or `dendritic train
 * --save`: `await loadModel(file)` with a File from an `<input type="file">`, `await
 * loadModel(await fetch(url))`, or bytes. Errors name the source.
 */
export async function loadModel(source: CheckpointSource, options: LoadModelOptions = {}): Promise<TrainableModel> {
  const { bytes, name } = await readCheckpointSource(source, options);
  const ckpt = decodeCheckpoint(bytes, name);
  const core = options.core ?? (await init());
  options.signal?.throwIfAborted();
  return modelFromCheckpoint(core, ckpt, name);
}

/** The model (and optionally the trainer state) as a checkpoint Blob, e.g. to post from a Web Worker to the page. */
export function checkpointBlob(model: TrainableModel, options: SaveModelOptions = {}): Blob {
  const bytes = encodeCheckpoint(model, options.trainer, options.metadata);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" });
}

/**
 * Browsers (a page, not a worker): saves the model as a checkpoint file through the browser's
 * download (default name `<kind>.safetensors`). From a worker, post `checkpointBlob(model)` to the
 * page and call `downloadBlob` there.
 */
export function downloadModel(model: TrainableModel, filename = `${model.kind}.safetensors`, options: SaveModelOptions = {}): void {
  downloadBlob(checkpointBlob(model, options), filename);
}

/** Browsers (a page): offers a Blob as a file download. */
export function downloadBlob(blob: Blob, filename: string): void {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc)
    throw new DendriticError(
      'downloadModel/downloadBlob need a page (document); in a Web Worker post checkpointBlob(model) to the page, in Node use saveModel from "dendritic/node"',
    );
  const url = URL.createObjectURL(blob);
  const a = doc.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  doc.body.append(a);
  a.click();
  a.remove();
  // The download has started from the click; the URL can go once the current task is done.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
