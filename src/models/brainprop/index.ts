// BrainProp (PBR20; docs/model.md §3) and its backprop baseline, split by concern:
//   params.ts   settings, preset architectures, validation
//   layers.ts   the layer types over the WebAssembly kernels
//   network.ts  BrainPropNet: forward, action selection, backward with updates
import type { ModelFactory } from "../registry.js";
import { BrainPropNet } from "./network.js";

export { BrainPropNet, type StepStats } from "./network.js";
export { PBR20, brainpropConfig, presetLayers, type BrainPropConfig, type BrainPropOptions, type LayerSpec, type Padding, type Rule } from "./params.js";

export const brainpropFactory: ModelFactory = {
  kind: "brainprop",
  description:
    "BrainProp (PBR20): reward-based, attention-gated learning of linear action values; rule bp = backprop with softmax cross-entropy on the same net",
  create: (core, config) => new BrainPropNet(core, config),
};
