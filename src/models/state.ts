// The named arrays of a model's state (exportState / importState, checkpoints) for models that keep
// them in arena tensors, some stored transposed (feedback in forward orientation, Wᵀ for the
// spiking model's presynaptic-major rows). One implementation of reading, validating and writing.
import type { Tensor } from "../core/arena.js";
import { NonFiniteError, ShapeError } from "../core/errors.js";
import type { NamedArray } from "../train/model.js";

export interface StateEntry {
  name: string;
  t: Tensor;
  /** Exported as the transpose of the stored tensor. */
  transpose: boolean;
  /** Shape of the exported array. */
  shape: number[];
}

/** Transpose of a rows × cols row-major array. */
export function transposed(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j];
  return out;
}

/** Every entry as a fresh float32 array in its exported orientation. */
export function readStateTensors(entries: readonly StateEntry[]): Record<string, NamedArray> {
  const state: Record<string, NamedArray> = {};
  for (const { name, t, transpose, shape } of entries) {
    const v = t.read();
    state[name] = { shape: [...shape], data: transpose ? transposed(v, t.rows, t.cols) : v };
  }
  return state;
}

/**
 * Checks a state before anything is written, so a failed import leaves the model unchanged: no
 * name outside `entries` and `counters`, every entry a float32 array of its shape (finite when
 * `finite`), every counter a uint32 array of its length. Errors start with `op` and describe the
 * model with `model` when a name does not belong to it.
 */
export function checkStateTensors(
  op: string,
  model: string,
  entries: readonly StateEntry[],
  state: Record<string, NamedArray>,
  counters: Readonly<Record<string, number>> = {},
  finite = false,
): void {
  const names = new Set([...entries.map((e) => e.name), ...Object.keys(counters)]);
  for (const k of Object.keys(state)) {
    if (!names.has(k)) throw new ShapeError(`${op}: '${k}' is not part of this model (${model})`);
  }
  for (const { name, t, shape } of entries) {
    const a = state[name];
    if (a === undefined) throw new ShapeError(`${op}: missing '${name}'`);
    if (!(a.data instanceof Float32Array) || a.shape.length !== shape.length || a.shape.some((s, i) => s !== shape[i]) || a.data.length !== t.length) {
      throw new ShapeError(
        `${op}: '${name}' must be a float32 array of shape [${shape.join(", ")}], got ${a.data?.constructor?.name} [${a.shape?.join(", ")}]`,
      );
    }
    if (finite && !a.data.every(Number.isFinite)) throw new NonFiniteError(`${op}: '${name}' holds non-finite values`);
  }
  for (const [name, len] of Object.entries(counters)) {
    const c = state[name];
    if (c === undefined) throw new ShapeError(`${op}: missing '${name}'`);
    if (!(c.data instanceof Uint32Array) || c.data.length !== len) throw new ShapeError(`${op}: '${name}' must be a uint32 array of shape [${len}]`);
  }
}

/** Writes every entry from a state that passed checkStateTensors. */
export function writeStateTensors(entries: readonly StateEntry[], state: Record<string, NamedArray>): void {
  for (const { name, t, transpose } of entries) {
    const v = state[name].data as Float32Array;
    t.write(transpose ? transposed(v, t.cols, t.rows) : v);
  }
}
