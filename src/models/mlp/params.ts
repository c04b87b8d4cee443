// Configuration of the feedforward baselines (docs/model.md §2): rules, activations, losses,
// initialisations, their defaults, and the validation that names the offending field.
import { ValueError } from "../../core/errors.js";
import { configReader, showValue } from "../config.js";

export type MlpRule = "bp" | "fa" | "dfa" | "usf" | "frsf" | "brsf";
export type MlpActivation = "logistic" | "relu" | "tanh";
export type MlpOutputActivation = MlpActivation | "linear" | "softmax";
export type MlpLoss = "softmax-ce" | "mse";
export type MlpInit = "glorot-uniform" | "glorot-normal" | "he-normal" | "uniform" | "normal";

/** What `new Mlp(core, options)` and `createModel(core, "mlp", options)` take: `arch`, and any other field (defaults fill the rest). */
export type MlpOptions = Partial<MlpConfig> & Pick<MlpConfig, "arch">;

export interface MlpConfig {
  /** Layer sizes [n_0 (inputs), n_1, …, n_L (outputs)], at least two entries. */
  arch: number[];
  /** Hidden-layer nonlinearity φ. */
  activation: MlpActivation;
  /** "softmax-ce": softmax output, cross-entropy; "mse": squared error ½‖h_L − t‖² per example. */
  loss: MlpLoss;
  /** Output nonlinearity: "softmax" with softmax-ce (the only choice); linear/logistic/relu/tanh with mse. */
  outputActivation: MlpOutputActivation;
  rule: MlpRule;
  /** SGD learning rate η (scaled by setLearningRateScale). */
  lr: number;
  /** Momentum μ ∈ [0, 1): v ← μ v + g, W ← W − η v. 0 is plain SGD (no velocity buffers). */
  momentum: number;
  /** Forward-weight initialisation (see initScale / initGain). */
  init: MlpInit;
  /** Half-width of "uniform" or standard deviation of "normal"; ignored by the fan-based schemes. */
  initScale: number;
  /**
   * Multiplies the fan-based schemes. Default 4 for logistic units (Glorot & Bengio 2010's factor
   * for the sigmoid; on MNIST it is also better on the validation split for every rule), else 1.
   */
  initGain: number;
  /**
   * Scale of the feedback pathways relative to the forward initialisation. FA/DFA: B drawn from
   * the same scheme as the forward weights of its shape, times this gain. SCFA: magnitudes have
   * mean s_l = feedbackGain · E|W_l| under the initial distribution (uSF M = s_l; frSF, brSF
   * M ~ U(0, 2 s_l)), so sign feedback starts at the size of the forward weights it mirrors.
   */
  feedbackGain: number;
  /**
   * Base of the SCFA magnitudes: "init" (default) s_l = feedbackGain · E|W_l| at initialisation;
   * "unit" s_l = feedbackGain, so uSF is literally B = sign(W)ᵀ (docs/model.md §2, M = 1) at gain 1. Without
   * batch normalisation (which Liao et al. used) unit magnitudes make the hidden updates of a
   * 784-500-500-10 net ~1/E|W| ≈ 20× per layer larger than backprop's, hence the default.
   */
  scfaMagnitude: "init" | "unit";
  /** Biases on every layer. */
  biases: boolean;
  /** Seed of the initialisation and of the brSF draws (integer in [0, 2³²−1]). */
  seed: number;
  /** Largest mini-batch (buffers are sized for it). */
  maxBatch: number;
  /** Target coding for class labels under mse: target for the true class and for the others. */
  targetOn: number;
  targetOff: number;
}

export const MLP_DEFAULTS: Readonly<Omit<MlpConfig, "arch" | "outputActivation">> = Object.freeze({
  activation: "logistic",
  loss: "softmax-ce",
  rule: "bp",
  lr: 0.1,
  momentum: 0,
  init: "glorot-uniform",
  initScale: 0.1,
  initGain: 4, // logistic units; 1 for the other activations (parseConfig)
  feedbackGain: 1,
  scfaMagnitude: "init",
  biases: true,
  seed: 1,
  maxBatch: 100,
  targetOn: 1,
  targetOff: 0,
});

export const RULES: readonly MlpRule[] = ["bp", "fa", "dfa", "usf", "frsf", "brsf"];
const ACTIVATIONS: MlpActivation[] = ["logistic", "relu", "tanh"];
const LOSSES: MlpLoss[] = ["softmax-ce", "mse"];
const INITS: MlpInit[] = ["glorot-uniform", "glorot-normal", "he-normal", "uniform", "normal"];
const FIELDS = new Set([
  "arch",
  "activation",
  "loss",
  "outputActivation",
  "rule",
  "lr",
  "momentum",
  "init",
  "initScale",
  "initGain",
  "feedbackGain",
  "scfaMagnitude",
  "biases",
  "seed",
  "maxBatch",
  "targetOn",
  "targetOff",
]);

const show = showValue;
const { pick, num } = configReader("mlp");

/** Validates a (partial) configuration and fills in defaults. Errors name the field. */
export function mlpConfig(cfg: Record<string, unknown>): MlpConfig {
  if (cfg === null || typeof cfg !== "object") throw new ValueError("mlp config must be an object");
  for (const k of Object.keys(cfg)) {
    if (!FIELDS.has(k) && !(k === "kind" && cfg.kind === "mlp")) {
      throw new ValueError(`mlp config: unknown field '${k}'; known fields: ${[...FIELDS].join(", ")}`);
    }
  }
  const arch = cfg.arch;
  if (!Array.isArray(arch) || arch.length < 2 || !arch.every((n) => Number.isInteger(n) && n >= 1 && n <= 65536)) {
    throw new ValueError(`mlp config: arch must be an array of at least two layer sizes (integers in [1, 65536]); got ${show(arch)}`);
  }
  const loss = pick(cfg, "loss", LOSSES, MLP_DEFAULTS.loss);
  const outputActivation =
    loss === "softmax-ce"
      ? pick(cfg, "outputActivation", ["softmax"] as const, "softmax")
      : pick(cfg, "outputActivation", ["linear", ...ACTIVATIONS] as const, "linear");
  const rule = pick(cfg, "rule", RULES, MLP_DEFAULTS.rule);
  const biases = cfg.biases ?? MLP_DEFAULTS.biases;
  if (typeof biases !== "boolean") throw new ValueError(`mlp config: biases must be true or false; got ${show(biases)}`);
  const activation = pick(cfg, "activation", ACTIVATIONS, MLP_DEFAULTS.activation);
  return {
    arch: [...(arch as number[])],
    activation,
    loss,
    outputActivation,
    rule,
    lr: num(cfg, "lr", MLP_DEFAULTS.lr, (x) => x > 0, "a finite number > 0"),
    momentum: num(cfg, "momentum", MLP_DEFAULTS.momentum, (x) => x >= 0 && x < 1, "a number in [0, 1)"),
    init: pick(cfg, "init", INITS, MLP_DEFAULTS.init),
    initScale: num(cfg, "initScale", MLP_DEFAULTS.initScale, (x) => x > 0, "a finite number > 0"),
    initGain: num(cfg, "initGain", activation === "logistic" ? MLP_DEFAULTS.initGain : 1, (x) => x > 0, "a finite number > 0"),
    feedbackGain: num(cfg, "feedbackGain", MLP_DEFAULTS.feedbackGain, (x) => x > 0, "a finite number > 0"),
    scfaMagnitude: pick(cfg, "scfaMagnitude", ["init", "unit"] as const, MLP_DEFAULTS.scfaMagnitude),
    biases,
    seed: num(cfg, "seed", MLP_DEFAULTS.seed, (x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff, "an integer in [0, 2^32 − 1]"),
    maxBatch: num(cfg, "maxBatch", MLP_DEFAULTS.maxBatch, (x) => Number.isInteger(x) && x >= 1 && x <= 65536, "an integer in [1, 65536]"),
    targetOn: num(cfg, "targetOn", MLP_DEFAULTS.targetOn, () => true, "a finite number"),
    targetOff: num(cfg, "targetOff", MLP_DEFAULTS.targetOff, () => true, "a finite number"),
  };
}

export interface InitLaw {
  kind: "uniform" | "normal";
  /** Half-width (uniform) or standard deviation (normal). */
  scale: number;
  /** E|w| under the law. */
  meanAbs: number;
}

/** The initial distribution of a rows × cols weight matrix (fanIn = cols, fanOut = rows). */
export function initLaw(c: MlpConfig, fanOut: number, fanIn: number): InitLaw {
  const law = (kind: "uniform" | "normal", scale: number): InitLaw => ({
    kind,
    scale,
    meanAbs: kind === "uniform" ? scale / 2 : scale * Math.sqrt(2 / Math.PI),
  });
  switch (c.init) {
    case "glorot-uniform": // Glorot & Bengio 2010: U(−a, a), a = √(6 / (fan_in + fan_out))
      return law("uniform", c.initGain * Math.sqrt(6 / (fanIn + fanOut)));
    case "glorot-normal": // Glorot & Bengio 2010: N(0, 2 / (fan_in + fan_out))
      return law("normal", c.initGain * Math.sqrt(2 / (fanIn + fanOut)));
    case "he-normal": // He et al. 2015: N(0, 2 / fan_in)
      return law("normal", c.initGain * Math.sqrt(2 / fanIn));
    case "uniform":
      return law("uniform", c.initScale);
    case "normal":
      return law("normal", c.initScale);
  }
}
