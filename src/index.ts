export { init, Core } from "./core/core.js";
export { Arena, Tensor, ceil4 } from "./core/arena.js";
export { detectFeatures, type Impl, type ImplChoice, type InitOptions } from "./core/wasm.js";
export * from "./core/errors.js";
export * as kernels from "./kernels/index.js";
export * from "./models/mlp.js";
export * from "./models/brainprop.js";
export * from "./models/microcircuit.js";
