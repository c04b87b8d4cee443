// The contract between the trainer (src/train/) and every model (microcircuit, MLP rules, BrainProp).
// One trainer drives every model and rule through this interface.
import type { Batch } from "../data/batch.js";

/** A named array stored in checkpoints (safetensors dtype follows the typed array). */
export interface NamedArray {
  shape: number[];
  data: Float32Array | Int32Array | Uint32Array;
}

export interface TrainableModel {
  /** "microcircuit", "mlp", "brainprop", … */
  readonly kind: string;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Largest batch trainBatch / predict accept. */
  readonly maxBatch: number;

  /** One learning step on a mini-batch (weight changes averaged over the batch). */
  trainBatch(batch: Batch): void;

  /**
   * Test-mode forward pass (no noise, no plasticity). Writes n × outputSize output values into `out`
   * (allocated when absent) and returns it. The predicted class is the argmax of a row.
   */
  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array;

  /**
   * Optional: names of other readouts of the same model (e.g. "rate" for the spiking model's
   * clip-rate readout). The trainer reports their classification error beside predict()'s.
   */
  readonly readouts?: readonly string[];
  /** Optional: predict() through one of `readouts` (same layout and argmax convention). */
  predictWith?(readout: string, x: Float32Array, n: number, out?: Float32Array): Float32Array;

  /** Multiplies every learning rate by `factor` relative to the configured base rates (schedules). */
  setLearningRateScale(factor: number): void;

  /** Every weight, filter state and RNG state, by stable names (documented in the README). */
  exportState(): Record<string, NamedArray>;
  /** Restores exportState()'s output; throws a clear error on a missing name or a shape mismatch. */
  importState(state: Record<string, NamedArray>): void;

  /** JSON-serialisable configuration that rebuilds the same architecture (saved in checkpoints). */
  config(): Record<string, unknown>;

  dispose(): void;
}
