// Feedforward baselines (docs/model.md §2): one call per mini-batch step or forward pass.
export { mlpStep, mlpForward } from "./network";
