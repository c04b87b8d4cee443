// Checkpoints: a safetensors file with every tensor of model.exportState() under its own name
// (weights, filter states, RNG states) and, in the string metadata, the model kind and config
// (JSON), the trainer state (JSON: epoch, batch, shuffle RNG state, schedule, history) and a
// CRC-32 checksum over the metadata and every tensor, so any corruption is refused rather than
// loaded with a changed meaning. Timings (seconds, examples/s) are left out, so two identical
// runs write identical files.
// Pure (bytes in, bytes out); src/node/checkpoint.ts reads and writes files atomically.
import { FormatError, ShapeError } from "../core/errors.js";
import { checkAugment } from "../data/augment.js";
import { crc32 } from "./crc32.js";
import type { NamedArray, TrainableModel } from "./model.js";
import { decodeSafetensors, encodeSafetensors, type DType } from "./safetensors.js";
import { checkSchedule, type EpochRecord, type TrainerState } from "./trainer.js";

export const CHECKPOINT_FORMAT = "dendritic-checkpoint";
/** Version 2 adds the `checksum`; version 1 files (no checksum) are still read. */
export const CHECKPOINT_VERSION = "2";
const READABLE_VERSIONS = ["1", "2"];

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
  delete metadata.checksum;
  if (trainer) metadata.trainer_state = JSON.stringify(withoutTimings(trainer));
  const tensors = model.exportState();
  metadata.checksum = checksum(metadata, tensors);
  return encodeSafetensors(tensors, metadata);
}

/** The trainer state without wall-clock measurements (they differ between identical runs). */
function withoutTimings(s: TrainerState): TrainerState {
  const history = s.history.map((r) => {
    const { trainSeconds: _t, examplesPerS: _e, ...rest } = r;
    return rest as EpochRecord;
  });
  return { ...s, history, monitor: { ...s.monitor, trainSeconds: 0 } };
}

/**
 * "crc32:" + 8 hex digits: CRC-32 (ISO-HDLC, as in gzip and PNG) over the metadata (every key but
 * `checksum`, sorted, as JSON) and then, in name order, each tensor's name, dtype, shape and bytes.
 */
function checksum(metadata: Record<string, string>, tensors: Record<string, { shape: number[]; data: ArrayBufferView }>): string {
  const enc = new TextEncoder();
  const meta = Object.keys(metadata)
    .filter((k) => k !== "checksum")
    .sort()
    .map((k) => [k, metadata[k]]);
  let c = crc32(enc.encode(JSON.stringify(meta)));
  for (const name of Object.keys(tensors).sort()) {
    const { shape, data } = tensors[name];
    c = crc32(enc.encode(`\0${name}\0${data.constructor.name}\0${shape.join("x")}\0`), c);
    c = crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), c);
  }
  return "crc32:" + c.toString(16).padStart(8, "0");
}

const ALLOWED: DType[] = ["F32", "I32", "U32"];

/** Parses and validates a checkpoint; `name` (the file) starts every error message. */
export function decodeCheckpoint(bytes: Uint8Array, name: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new FormatError(`${name}: not a dendritic checkpoint (metadata 'format' is ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}")`);
  }
  if (!READABLE_VERSIONS.includes(metadata.format_version)) {
    throw new FormatError(
      `${name}: checkpoint format_version ${JSON.stringify(metadata.format_version)}, this library reads ${READABLE_VERSIONS.join(" and ")}`,
    );
  }
  const out: Record<string, NamedArray> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (!ALLOWED.includes(t.dtype)) throw new FormatError(`${name}: tensor '${k}' has dtype ${t.dtype}; model state is F32, I32 or U32`);
    out[k] = { shape: t.shape, data: t.data as NamedArray["data"] };
  }
  if (metadata.format_version !== "1") {
    if (metadata.checksum === undefined) throw new FormatError(`${name}: metadata has no checksum (required from format_version 2)`);
    const want = checksum(metadata, out);
    if (metadata.checksum !== want) {
      throw new FormatError(`${name}: checksum mismatch (stored ${JSON.stringify(metadata.checksum)}, content gives "${want}"): the file is corrupt`);
    }
  }
  if (typeof metadata.model_kind !== "string" || !/^[a-z][a-z0-9-]*$/.test(metadata.model_kind)) {
    throw new FormatError(`${name}: metadata model_kind ${JSON.stringify(metadata.model_kind)} is not a model kind`);
  }
  const parse = (key: string) => {
    try {
      return JSON.parse(metadata[key]) as unknown;
    } catch (e) {
      throw new FormatError(`${name}: metadata '${key}' is not valid JSON (${(e as Error).message})`);
    }
  };
  if (metadata.model_config === undefined) throw new FormatError(`${name}: metadata has no model_config`);
  const config = parse("model_config");
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new FormatError(`${name}: metadata model_config must be a JSON object`);
  checkExtras(metadata, name);
  return {
    kind: metadata.model_kind,
    config: config as Record<string, unknown>,
    tensors: out,
    trainer: metadata.trainer_state !== undefined ? validateTrainerState(parse("trainer_state"), `${name}: trainer_state`) : undefined,
    metadata,
  };
}

/** The metadata strings the CLI writes besides the model and trainer. */
function checkExtras(m: Record<string, string>, name: string): void {
  const int = (k: string, min: number, max: number) => {
    const v = m[k];
    if (v === undefined) return;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw new FormatError(`${name}: metadata ${k} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  };
  int("data_seed", 0, 2 ** 32 - 1);
  int("best_epoch", 1, 2 ** 31 - 1);
  int("classes", 2, 256);
  if (m.dataset !== undefined && m.dataset.trim() === "") throw new FormatError(`${name}: metadata dataset is empty`);
  if (m.encoding !== undefined) {
    let e: unknown;
    try {
      e = JSON.parse(m.encoding);
    } catch (err) {
      throw new FormatError(`${name}: metadata 'encoding' is not valid JSON (${(err as Error).message})`);
    }
    const pair = (x: unknown) => x === undefined || (Array.isArray(x) && x.length === 2 && x.every((v) => typeof v === "number" && Number.isFinite(v)));
    const o = e as Record<string, unknown>;
    if (
      typeof e !== "object" ||
      e === null ||
      Array.isArray(e) ||
      Object.keys(o).some((k) => k !== "pixelRange" && k !== "oneHot") ||
      !pair(o.pixelRange) ||
      !pair(o.oneHot)
    ) {
      throw new FormatError(`${name}: metadata encoding must be {"pixelRange"?: [lo, hi], "oneHot"?: [off, on]}, got ${m.encoding}`);
    }
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * Checks a trainer state read from a file field by field; a FormatError names the first bad field
 * (`where` prefixes it, e.g. "run.st: trainer_state"). Returns it typed.
 */
export function validateTrainerState(x: unknown, where: string): TrainerState {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new FormatError(`${where}.${field} must be ${want}, got ${JSON.stringify(got) ?? String(got)}`);
  };
  if (!isObj(x)) bad("", "an object", x);
  const s = x as Record<string, unknown>;
  const int = (k: string, min: number, max = 2 ** 53) => {
    const v = s[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) bad(k, `an integer in [${min}, ${max}]`, v);
    return v as number;
  };
  const bool = (k: string) => {
    if (typeof s[k] !== "boolean") bad(k, "true or false", s[k]);
  };
  if (s.version !== 1) bad("version", "1", s.version);
  const epoch = int("epoch", 0);
  int("batch", 0);
  const rng = s.rngAtEpochStart;
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) || rng.every((w) => w === 0)) {
    bad("rngAtEpochStart", "four u32 words, not all zero", rng);
  }
  int("batchSize", 1);
  bool("shuffle");
  int("seed", 0, 2 ** 32 - 1);
  try {
    checkSchedule(s.schedule as never);
  } catch (e) {
    bad("schedule", `a schedule (${(e as Error).message})`, s.schedule);
  }
  int("limitTrain", 1);
  if (s.augment !== undefined) {
    try {
      checkAugment(s.augment as never);
    } catch (e) {
      bad("augment", `an augmentation (${(e as Error).message})`, s.augment);
    }
  }
  const best = int("bestEpoch", 0, epoch);
  if (s.bestMetric !== null && !(typeof s.bestMetric === "number" && Number.isFinite(s.bestMetric) && s.bestMetric >= 0))
    bad("bestMetric", "a number ≥ 0 or null", s.bestMetric);
  int("sinceBest", 0, epoch);
  bool("stoppedEarly");
  const h = s.history;
  if (!Array.isArray(h) || h.length !== epoch) bad("history", `an array of ${epoch} epoch records`, Array.isArray(h) ? `${h.length} records` : h);
  (h as unknown[]).forEach((r, i) => {
    const f = `history[${i}]`;
    if (!isObj(r)) bad(f, "an object", r);
    const rec = r as Record<string, unknown>;
    if (rec.epoch !== i + 1) bad(`${f}.epoch`, String(i + 1), rec.epoch);
    if (typeof rec.lrScale !== "number" || !(rec.lrScale > 0) || !Number.isFinite(rec.lrScale)) bad(`${f}.lrScale`, "a number > 0", rec.lrScale);
    for (const k of ["trainError", "trainMse", "valError", "valMse", "testError", "testMse", "trainSeconds", "examplesPerS"]) {
      const v = rec[k];
      if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0)) bad(`${f}.${k}`, "a number ≥ 0", v);
    }
    if (rec.readouts !== undefined) {
      if (!isObj(rec.readouts)) bad(`${f}.readouts`, "an object", rec.readouts);
      for (const [rn, ro] of Object.entries(rec.readouts as Record<string, unknown>)) {
        if (!isObj(ro)) bad(`${f}.readouts.${rn}`, "an object", ro);
        for (const [k, v] of Object.entries(ro as Record<string, unknown>)) {
          if ((k !== "valError" && k !== "testError") || !(typeof v === "number" && Number.isFinite(v) && v >= 0))
            bad(`${f}.readouts.${rn}.${k}`, "a valError or testError ≥ 0", v);
        }
      }
    }
    const known = new Set([
      "epoch",
      "lrScale",
      "trainError",
      "trainMse",
      "valError",
      "valMse",
      "testError",
      "testMse",
      "trainSeconds",
      "examplesPerS",
      "readouts",
    ]);
    const unknown = Object.keys(rec).find((k) => !known.has(k));
    if (unknown !== undefined) bad(`${f}`, `an epoch record (unknown field '${unknown}')`, rec);
  });
  if (best > 0 && !(h as unknown[])[best - 1]) bad("bestEpoch", "an epoch in the history", best);
  const c = s.bestConfusion;
  if (
    c !== undefined &&
    (!Array.isArray(c) || !c.every((row) => Array.isArray(row) && row.length === c.length && row.every((v) => Number.isInteger(v) && v >= 0)))
  ) {
    bad("bestConfusion", "a square matrix of counts", c);
  }
  const m = s.monitor;
  if (!isObj(m)) bad("monitor", "an object", m);
  for (const k of ["n", "wrong", "sq", "values", "trainSeconds"]) {
    const v = (m as Record<string, unknown>)[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) bad(`monitor.${k}`, "a number ≥ 0", v);
  }
  const known = new Set([
    "version",
    "epoch",
    "batch",
    "rngAtEpochStart",
    "batchSize",
    "shuffle",
    "seed",
    "schedule",
    "limitTrain",
    "augment",
    "bestEpoch",
    "bestMetric",
    "sinceBest",
    "stoppedEarly",
    "history",
    "bestConfusion",
    "monitor",
  ]);
  const unknown = Object.keys(s).find((k) => !known.has(k));
  if (unknown !== undefined) bad(unknown, "absent (not a trainer state field)", s[unknown]);
  return s as unknown as TrainerState;
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
  if (missing.length)
    throw new ShapeError(
      `${name}: checkpoint lacks tensor${missing.length > 1 ? "s" : ""} ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} that this model has (${arch})`,
    );
  if (extra.length)
    throw new ShapeError(
      `${name}: checkpoint has tensor${extra.length > 1 ? "s" : ""} ${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", …" : ""} that this model lacks (${arch})`,
    );
  for (const [k, a] of Object.entries(mine)) {
    const b = theirs[k];
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new ShapeError(`${name}: tensor '${k}' has shape [${b.shape.join(", ")}] in the checkpoint, the model has [${a.shape.join(", ")}] (${arch})`);
    }
    if (dtypeName(a.data) !== dtypeName(b.data))
      throw new ShapeError(`${name}: tensor '${k}' is ${dtypeName(b.data)} in the checkpoint, the model has ${dtypeName(a.data)}`);
  }
}

/** Checks compatibility, then imports every tensor into the model. */
export function loadCheckpointInto(model: TrainableModel, ckpt: Checkpoint, name: string): void {
  checkCompatible(model, ckpt, name);
  model.importState(ckpt.tensors);
}
