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
