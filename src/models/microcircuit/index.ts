// The SCBS18 dendritic cortical microcircuit (docs/model.md §1), split by concern:
//   params.ts       published parameters with provenance, options, steady-state factors
//   layout.ts       the descriptor layout shared with assembly/models/microcircuit/
//   network.ts      Microcircuit: buffers, full dynamics and fast steady state over WebAssembly
//   monitor.ts      recorders of variables during a presentation
//   diagnostics.ts  float64 φ, angles, alignment with backprop and feedback alignment
//   classifier.ts   MicrocircuitClassifier, the "microcircuit" model kind for the trainer
export { SCBS18, PATHWAYS, steadyFactors, type Activation, type Pathway, type InitSpec, type MicrocircuitOptions, type SteadyFactors } from "./params.js";
export { Microcircuit, type PresentOptions } from "./network.js";
export { Monitor, VARIABLES, type Variable } from "./monitor.js";
export { activationF64, angleDeg, type Alignment } from "./diagnostics.js";
export {
  MicrocircuitClassifier,
  MICROCIRCUIT_MNIST,
  microcircuitFactory,
  type MicrocircuitClassifierConfig,
  type MicrocircuitClassifierOptions,
} from "./classifier.js";
