// The spiking microcircuit with sign-concordant feedback (Yang & Li 2022): model kind "spiking".
import { registerModel } from "../registry.js";
import { Spiking } from "./network.js";
import { SPIKING_RULES } from "./params.js";

export { Spiking, type WindowStats } from "./network.js";
export { SPIKING_DEFAULTS, SPIKING_RULES, spikingConfig, initSigma, layerRateFactor, type SpikingConfig, type SpikingRule } from "./params.js";

registerModel({
  kind: "spiking",
  description: `spiking microcircuit with sign-concordant feedback (Yang & Li 2022); rules ${SPIKING_RULES.join(", ")}`,
  create: (core, config) => new Spiking(core, config),
  options: {
    steps: "window length T in steps of 1 ms (default 60)",
    settle: "settling steps T₀ without teacher or plasticity (default 10)",
    cell: "if (default) or lif (leak λ = exp(−1/tauMs))",
    tauMs: "membrane time constant of lif cells, ms (default 20)",
    gain: "gain g of the hidden error pairs (default 4)",
    gate: "fired (default: a hidden pair passes error once its cell fired in the window) or none",
    input: "current (default: pixel intensity as constant current) or bernoulli",
    dither: "random initial potentials each window: true (default) or false",
    rhoOn: "teacher rate of the correct class, spikes/step (default 0.4)",
    rhoOff: "teacher rate of the other classes (default 0.02)",
    traceSteps: "presynaptic trace time constant τ_x, steps (default 10)",
    initGain: "forward init σ = initGain·√(2/fan_in) (default 1)",
    feedbackScale: "feedback magnitudes relative to the forward init σ (default 1)",
    update: "sgd (default) or manhattan (W ← W + manhattanLr·sign(ΣΔW))",
    manhattanLr: "Batch Manhattan step (default 0.001)",
    propagation: "events (default: only rows of cells that fired) or dense (matrix products)",
  },
});
