// Model kinds the trainer, CLI and checkpoints can build by name.
import type { Core } from "../core/core.js";
import { ValueError } from "../core/errors.js";
import type { TrainableModel } from "../train/model.js";

export interface ModelFactory {
  kind: string;
  description: string;
  /**
   * Builds a model from a JSON configuration (the same object `model.config()` returns, or a
   * partial one from the CLI with defaults filled in). Must validate every field and throw a
   * ValueError naming the field on bad values.
   */
  create(core: Core, config: Record<string, unknown>): TrainableModel;
  /**
   * Optional: model-specific configuration keys with a one-line description each, listed by
   * `dendritic train --help` and settable with `--set key=value`.
   */
  options?: Record<string, string>;
  /**
   * Optional: maps the CLI's common flags to this model's configuration. Without it the CLI uses
   * the keys `arch` (layer sizes, inputs first), `rule`, `lr`, `seed` and `maxBatch`, setting only
   * those the user gave (seed and maxBatch always).
   */
  cliConfig?(common: CommonModelOptions): Record<string, unknown>;
}

/** The CLI's model-independent flags (src/cli/train.ts), before they become a model configuration. */
export interface CommonModelOptions {
  arch?: number[];
  rule?: string;
  lr?: number;
  seed: number;
  /** At least the training batch size. */
  maxBatch: number;
}

const factories = new Map<string, ModelFactory>();

export function registerModel(f: ModelFactory): void {
  factories.set(f.kind, f);
}

export function modelKinds(): string[] {
  return [...factories.keys()];
}

export function createModel(core: Core, kind: string, config: Record<string, unknown>): TrainableModel {
  const f = factories.get(kind);
  if (!f) throw new ValueError(`unknown model '${kind}'; available: ${modelKinds().join(", ") || "(none registered)"}`);
  return f.create(core, config);
}

/** The factory of a kind, or a ValueError listing the registered kinds. */
export function modelFactory(kind: string): ModelFactory {
  const f = factories.get(kind);
  if (!f) throw new ValueError(`unknown model '${kind}'; available: ${modelKinds().join(", ") || "(none registered)"}`);
  return f;
}
