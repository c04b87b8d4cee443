// The CLI's vocabulary for each model kind: the `--set key=value` keys `dendritic train --help`
// lists, and how the common flags (--arch, --rule, --lr, --seed, the batch size) become a model
// configuration. It lives here, not in the models, so a library user never loads help strings; a
// model without an entry gets the default mapping (keys arch, rule, lr, seed, maxBatch).
import { ValueError } from "../core/errors.js";

/** The CLI's model-independent flags (src/cli/train.ts), before they become a model configuration. */
export interface CommonModelOptions {
  arch?: number[];
  rule?: string;
  lr?: number;
  seed: number;
  /** At least the training batch size. */
  maxBatch: number;
}

export interface ModelVocabulary {
  /** Model-specific configuration keys with a one-line description each (settable with --set). */
  options?: Readonly<Record<string, string>>;
  /** Maps the common flags to this model's configuration (absent: the default mapping). */
  config?(common: CommonModelOptions): Record<string, unknown>;
}

export const MODEL_VOCABULARY: Readonly<Record<string, ModelVocabulary>> = {
  mlp: {
    options: {
      activation: "hidden units: logistic (default), relu, tanh",
      loss: "softmax-ce (default) or mse",
      outputActivation: "softmax with softmax-ce; linear (default), logistic, relu, tanh with mse",
      momentum: "SGD momentum μ in [0, 1) (default 0)",
      init: "glorot-uniform (default), glorot-normal, he-normal, uniform, normal",
      initGain: "multiplies the fan-based init scale (default 4 for logistic units, Glorot & Bengio 2010; 1 otherwise)",
      initScale: "half-width (uniform) or σ (normal) for init uniform/normal (default 0.1)",
      feedbackGain: "scale of FA/DFA feedback and SCFA magnitudes relative to the forward init (default 1)",
      scfaMagnitude: "SCFA magnitude base: init (default, mean |W| at init) or unit (uSF B = sign(W)ᵀ)",
      biases: "true (default) or false",
      targetOn: "target of the true class under mse (default 1)",
      targetOff: "target of the other classes under mse (default 0)",
    },
  },
  microcircuit: {
    options: {
      sizes: "layer sizes, inputs first (default 784-500-500-10; --arch sets it)",
      eta: "learning rate of the output layer's W^up per example, batch-averaged (default 0.025; --lr sets it)",
      etaLayerFactors: "η_up of layer k = eta·factor[k−1]; null: 1 at the output, 2^(N−k+1) below (8,4,1 at depth 3) (default null)",
      plastic: 'which weight classes learn, e.g. {"up":true,"ip":true,"pi":false,"down":false} (default)',
      thresholds: "learnable thresholds on W^up and W^IP (default true)",
      initGain: "gain on Glorot-uniform initial weights (default 4)",
      topDownGain: "gain of the fixed top-down weights B over their init, before 1/ρ (default 2)",
      compensateRho: "fold 1/ρ = 1/(λ_A(1−λ_I)) per hidden layer into B (default true)",
      targetLow: "target rate of the wrong classes (default 0.1; potential logit(0.1))",
      targetHigh: "target rate of the right class (default 0.9)",
      sweeps: "up/down sweeps per training example (default 1, SCBS18's single pass)",
      gSom: "nudging conductance g_som (default 0.8)",
      activation: "φ: logistic (default), softRect, relu, tanh, linear",
      readout: 'what predictions are: output rates ("rate", default) or output potentials ("potential", for regression targets)',
    },
    config: (c) => {
      if (c.rule !== undefined)
        throw new ValueError(
          "--rule: the microcircuit has a single local plasticity rule (SCBS18; docs/model.md §1.5); choose plastic pathways with --set 'plastic={…}'",
        );
      const cfg: Record<string, unknown> = { seed: c.seed, maxBatch: c.maxBatch };
      if (c.arch !== undefined) cfg.sizes = c.arch;
      if (c.lr !== undefined) cfg.eta = c.lr;
      return cfg;
    },
  },
  brainprop: {
    options: {
      rule: "brainprop (default) | bp",
      net: "dense (784-1500-1000-500-10) | conv (default) | local | custom (with layers=[…])",
      layers: 'hidden layers as JSON, e.g. [{"type":"conv","filters":32,"stride":1,"padding":"same"},{"type":"relu"}]',
      input: "input image shape [H,W,C] (default [28,28,1]; CIFAR-10 [32,32,3])",
      classes: "number of classes (default 10)",
      epsilon: "exploration probability ε (default 0.02)",
      lr: "SGD learning rate (default 0.1)",
      initStd: "weights N(0, initStd²) (default 0.005; 0.01 for net=dense)",
      bnMomentum: "batch-norm running-statistics momentum (default 0.01)",
      bnEps: "batch-norm ε (default 1e-3)",
      arch: "[inputs, hidden…, classes] (also --arch): a dense ReLU net of these sizes, used when neither net nor layers is set",
    },
  },
  spiking: {
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
      accumulation: "order of the event path's Hebbian sum: auto (default: fewer additions), spikes or errors",
    },
  },
};

/** Builds a model configuration from the common flags (and --set values), via the kind's vocabulary. */
export function modelConfig(
  kind: string,
  common: CommonModelOptions,
  given: { arch: boolean; rule: boolean; lr: boolean },
  sets: Record<string, unknown>,
): Record<string, unknown> {
  const v = MODEL_VOCABULARY[kind];
  let cfg: Record<string, unknown>;
  if (v?.config) cfg = v.config(common);
  else {
    cfg = { seed: common.seed, maxBatch: common.maxBatch };
    if (given.arch) cfg.arch = common.arch;
    if (given.rule) cfg.rule = common.rule;
    if (given.lr) cfg.lr = common.lr;
  }
  return { ...cfg, ...sets };
}
