// Model kinds the trainer, CLI and checkpoints can build by name. The built-in kinds are listed
// once, in BUILTIN; a library user adds one with registerModel.
import type { Core } from "../core/core.js";
import { ValueError } from "../core/errors.js";
import type { TrainableModel } from "../train/model.js";
import { brainpropFactory } from "./brainprop/index.js";
import { microcircuitFactory } from "./microcircuit/index.js";
import { mlpFactory } from "./mlp/index.js";
import { spikingFactory } from "./spiking/index.js";
import type { BrainPropNet, BrainPropOptions } from "./brainprop/index.js";
import type { MicrocircuitClassifier, MicrocircuitClassifierOptions } from "./microcircuit/index.js";
import type { Mlp, MlpOptions } from "./mlp/index.js";
import type { Spiking, SpikingOptions } from "./spiking/index.js";

/** The configuration each built-in model kind takes (in TypeScript, a wrong field or value is a compile error). */
export interface ModelConfigs {
  microcircuit: MicrocircuitClassifierOptions;
  mlp: MlpOptions;
  brainprop: BrainPropOptions;
  spiking: SpikingOptions;
}

/** The class createModel returns for each built-in kind. */
export interface Models {
  microcircuit: MicrocircuitClassifier;
  mlp: Mlp;
  brainprop: BrainPropNet;
  spiking: Spiking;
}

export type ModelKind = keyof ModelConfigs;

/** A built-in model's configuration tagged with its kind: a union discriminated by `kind`. */
export type ModelSpec = { [K in ModelKind]: { kind: K } & ModelConfigs[K] }[ModelKind];

export interface ModelFactory {
  kind: string;
  description: string;
  /**
   * Builds a model from a JSON configuration (the same object `model.config()` returns, or a
   * partial one with defaults filled in). Must validate every field and throw a ValueError naming
   * the field on bad values.
   */
  create(core: Core, config: Record<string, unknown>): TrainableModel;
}

/** The models that ship with dendritic, in the order the CLI lists them. Adding a model is one line here. */
const BUILTIN: readonly ModelFactory[] = [mlpFactory, microcircuitFactory, brainpropFactory, spikingFactory];

const factories = new Map<string, ModelFactory>(BUILTIN.map((f) => [f.kind, f]));

export function registerModel(f: ModelFactory): void {
  factories.set(f.kind, f);
}

export function modelKinds(): string[] {
  return [...factories.keys()];
}

/**
 * Builds a model by kind. For the built-in kinds the configuration is typed (`ModelConfigs`) and the
 * result is the model's class; kinds added with registerModel take and return the general types.
 */
export function createModel<K extends string>(
  core: Core,
  kind: K,
  config: K extends ModelKind ? ModelConfigs[K] : Record<string, unknown>,
): K extends ModelKind ? Models[K] : TrainableModel;
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
