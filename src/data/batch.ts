// The unit the data pipeline hands to a model: it lives with the data, and the trainer and the
// models import it from here.

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
