// The unit the data pipeline hands to a model: it lives with the data, and the trainer and the
// models import it from here.
import { ShapeError } from "../core/errors.js";

/** One mini-batch, filled by the data pipeline into reused buffers (no per-example allocation). */
export interface Batch {
  /** Number of valid examples (≤ the model's maxBatch). */
  n: number;
  /** n × inputSize inputs, row-major, unpadded. */
  x: Float32Array;
  /** n class labels, for classification data sets. */
  labels?: Int32Array;
  /** n × outputSize real-valued targets, for regression data sets (e.g. the teacher task). */
  targets?: Float32Array;
}

/**
 * Checks that an array of a batch holds exactly n examples of `width` values each. A longer array
 * would otherwise be cut silently to its first n examples; to use the start of a larger buffer,
 * pass a view (`x.subarray(0, n * width)`, as the data pipeline does).
 */
export function checkExamples(op: string, field: string, values: ArrayLike<number>, n: number, width: number): void {
  const want = n * width;
  if (values.length === want) return;
  const unit = width === 1 ? "" : ` × ${width}`;
  const more =
    values.length > want && values.length % width === 0
      ? `: that is ${values.length / width} examples — pass n = ${values.length / width}, or ${field}.subarray(0, ${want}) for the first ${n}`
      : "";
  throw new ShapeError(`${op}: ${field} holds ${values.length} values, expected n${unit} = ${want}${more}`);
}
