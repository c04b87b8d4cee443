// The microcircuit as a classifier for the trainer (SCBS18's MNIST protocol, docs/model.md §1.8 and
// §1.10): the "microcircuit" model kind.
import type { Core } from "../../core/core.js";
import { ValueError, assertFinite, assertInt } from "../../core/errors.js";
import { checkExamples, type Batch } from "../../data/batch.js";
import type { NamedArray, TrainableModel } from "../../train/model.js";
import type { ModelFactory } from "../registry.js";
import { Microcircuit, perLayer } from "./network.js";
import { PATHWAYS, SCBS18, steadyFactors, type Activation, type Pathway } from "./params.js";

/** Configuration of the "microcircuit" model kind (all fields JSON; defaults: the MNIST protocol of SCBS18; docs/model.md §1.10). */
/** What `new MicrocircuitClassifier(core, options)` and `createModel(core, "microcircuit", options)` take (MICROCIRCUIT_MNIST fills the rest). */
export type MicrocircuitClassifierOptions = Partial<MicrocircuitClassifierConfig>;

export interface MicrocircuitClassifierConfig {
  sizes: number[];
  seed: number;
  maxBatch: number;
  activation: Activation;
  /** Global learning rate: η_up of the output layer in fast mode (per example, batch-averaged). */
  eta: number;
  /**
   * η_up of layer k = eta · etaLayerFactors[k−1] (layers 1..N); null: 1 at the output and
   * 2^(N−k+1) below it (4, then doubling per layer down: 8, 4, 1 for 784-500-500-10; tuned on the
   * MNIST validation split).
   */
  etaLayerFactors: number[] | null;
  /** Optional per-pathway rates overriding the ones derived from `eta`. */
  etaPathway?: Partial<Record<Pathway, number | number[]>>;
  plastic: Record<Pathway, boolean>;
  thresholds: boolean;
  /** Gain on Glorot-uniform initial weights (docs/model.md §1.8: ×4). */
  initGain: number;
  /** Gain of the fixed top-down weights B over their Glorot init, before the 1/ρ factor. */
  topDownGain: number;
  /** Fold 1/ρ = 1/(λ_A(1−λ_I)) per hidden layer into B (docs/model.md §1.8). */
  compensateRho: boolean;
  /** Target rates for the wrong / right class, mapped through the inverse logistic to potentials. */
  targetLow: number;
  targetHigh: number;
  /** Up/down sweeps per training example (1: SCBS18's single pass). */
  sweeps: number;
  gSom: number;
  /**
   * What `predict` returns: the output rates φ(u_N) ("rate", for classification) or the output
   * potentials u_N ("potential", for regression: the targets are potentials too, as in SCBS18's
   * regression experiment).
   */
  readout: "rate" | "potential";
}

export const MICROCIRCUIT_MNIST: Readonly<MicrocircuitClassifierConfig> = Object.freeze({
  sizes: [784, 500, 500, 10],
  seed: 1,
  maxBatch: 10,
  activation: "logistic",
  eta: 0.025,
  etaLayerFactors: null,
  plastic: { up: true, ip: true, pi: false, down: false },
  thresholds: true,
  initGain: 4,
  topDownGain: 2,
  compensateRho: true,
  targetLow: 0.1,
  targetHigh: 0.9,
  sweeps: 1,
  gSom: SCBS18.gSom,
  readout: "rate",
});

function parseClassifierConfig(raw: Record<string, unknown>): MicrocircuitClassifierConfig {
  const c = { ...MICROCIRCUIT_MNIST, plastic: { ...MICROCIRCUIT_MNIST.plastic }, ...raw } as MicrocircuitClassifierConfig;
  const known = new Set([...Object.keys(MICROCIRCUIT_MNIST), "etaPathway"]);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new ValueError(`microcircuit config: unknown field '${k}'; known: ${[...known].join(", ")}`);
  if (!Array.isArray(c.sizes) || c.sizes.length < 3)
    throw new ValueError(`microcircuit config: sizes must list input, ≥1 hidden and output sizes, got ${JSON.stringify(c.sizes)}`);
  c.sizes.forEach((n, i) => assertInt(n, `microcircuit config: sizes[${i}]`, 1, 1 << 20));
  assertInt(c.seed, "microcircuit config: seed", 0, 2 ** 32 - 1);
  assertInt(c.maxBatch, "microcircuit config: maxBatch", 1, 4096);
  assertInt(c.sweeps, "microcircuit config: sweeps", 1, 1000);
  for (const k of ["eta", "initGain", "topDownGain", "targetLow", "targetHigh", "gSom"] as const) assertFinite(c[k], `microcircuit config: ${k}`);
  if (c.eta < 0) throw new ValueError(`microcircuit config: eta must be ≥ 0, got ${c.eta}`);
  if (c.etaLayerFactors !== null) perLayer(c.etaLayerFactors, c.sizes.length - 1, () => 0, "microcircuit config: etaLayerFactors");
  if (!(c.targetLow > 0 && c.targetLow < c.targetHigh && c.targetHigh < 1))
    throw new ValueError(`microcircuit config: need 0 < targetLow < targetHigh < 1, got ${c.targetLow}, ${c.targetHigh}`);
  if (typeof c.plastic !== "object" || c.plastic === null) throw new ValueError("microcircuit config: plastic must be an object {up, ip, pi, down}");
  if (c.readout !== "rate" && c.readout !== "potential")
    throw new ValueError(`microcircuit config: readout must be "rate" or "potential", got ${JSON.stringify(c.readout)}`);
  for (const k of Object.keys(c.plastic))
    if (!PATHWAYS.includes(k as Pathway)) throw new ValueError(`microcircuit config: plastic.${k} is not a pathway (${PATHWAYS.join(", ")})`);
  return c;
}

/**
 * The microcircuit as a classifier (SCBS18; docs/model.md §1.8, §1.10 MNIST protocol): fast steady-state mode,
 * random self-predicting start, B and W^PI fixed by default, targets as potentials
 * logit(targetLow/targetHigh). Prediction is the forward sweep; the class is the argmax rate.
 */
export class MicrocircuitClassifier implements TrainableModel {
  readonly kind = "microcircuit";
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly net: Microcircuit;
  readonly #cfg: MicrocircuitClassifierConfig;
  #target: Float32Array;
  #uLow: number;
  #uHigh: number;

  constructor(core: Core, config: MicrocircuitClassifierOptions = {}) {
    const c = parseClassifierConfig(config);
    this.#cfg = c;
    const N = c.sizes.length - 1;
    const gSom = c.gSom;
    const f = steadyFactors({ gLk: SCBS18.gLk, gB: SCBS18.gB, gA: SCBS18.gA, gD: SCBS18.gD, gSom });
    const rho = f.lambdaA * (1 - f.lambdaI);
    // η_IP keeps c_I·W^IP_k tracking ĉ_{k+1}·W^up_{k+1} (SCBS18; docs/model.md §1.7): η_IP = η_up·ĉ_{k+1}/(c_I·λ_I).
    const factors = c.etaLayerFactors ?? Array.from({ length: N }, (_, i) => (i === N - 1 ? 1 : 2 ** (N - i)));
    const etaUp = factors.map((x) => c.eta * x);
    const etaIP = Array.from({ length: N - 1 }, (_, i) => (etaUp[i + 1] * (i + 2 === N ? f.cOut : f.cHid)) / (f.cI * f.lambdaI));
    this.net = new Microcircuit(core, {
      sizes: c.sizes,
      maxBatch: c.maxBatch,
      seed: c.seed,
      activation: c.activation,
      gSom,
      sigma: 0,
      eta: { up: etaUp, ip: etaIP, pi: etaUp.slice(0, N - 1), down: etaUp.slice(0, N - 1), ...(c.etaPathway ?? {}) },
      plastic: c.plastic,
      thresholds: { up: c.thresholds, ip: c.thresholds },
      init: {
        up: { dist: "glorot", gain: c.initGain },
        down: { dist: "glorot", gain: c.initGain },
        ip: { dist: "glorot", gain: c.initGain },
        pi: { dist: "glorot", gain: c.initGain },
      },
      topDown: "random",
      topDownGain: c.topDownGain / (c.compensateRho ? rho : 1),
      start: "selfPredicting",
      tiePI: !c.plastic.pi && !c.plastic.down,
    });
    this.inputSize = c.sizes[0];
    this.outputSize = c.sizes[N];
    this.maxBatch = c.maxBatch;
    this.#target = new Float32Array(c.maxBatch * this.outputSize);
    this.#uLow = Math.log(c.targetLow / (1 - c.targetLow));
    this.#uHigh = Math.log(c.targetHigh / (1 - c.targetHigh));
  }

  trainBatch(batch: Batch): void {
    const { n } = batch;
    assertInt(n, "trainBatch: n", 1, this.maxBatch);
    const nN = this.outputSize;
    const x = batch.x;
    checkExamples("trainBatch", "batch.x", x, n, this.inputSize);
    if (batch.labels !== undefined) {
      checkExamples("trainBatch", "batch.labels", batch.labels, n, 1);
      const t = this.#target;
      t.fill(this.#uLow, 0, n * nN);
      for (let r = 0; r < n; r++) {
        const y = batch.labels[r];
        if (!Number.isInteger(y) || y < 0 || y >= nN) throw new ValueError(`trainBatch: label ${r} is ${y}, expected an integer in [0, ${nN - 1}]`);
        t[r * nN + y] = this.#uHigh;
      }
      this.net.steadyState(x, t.subarray(0, n * nN), { batch: n, sweeps: this.#cfg.sweeps });
    } else if (batch.targets !== undefined) {
      checkExamples("trainBatch", "batch.targets", batch.targets, n, nN);
      this.net.steadyState(x, batch.targets, { batch: n, sweeps: this.#cfg.sweeps });
    } else {
      throw new ValueError("trainBatch: the batch has neither labels nor targets");
    }
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    if (this.#cfg.readout === "rate") return this.net.predict(x, n, out);
    const nIn = this.inputSize;
    checkExamples("predict", "x", x, n, nIn);
    const nOut = this.outputSize;
    out ??= new Float32Array(n * nOut);
    for (let i = 0; i < n; i += this.maxBatch) {
      const b = Math.min(this.maxBatch, n - i);
      this.net.predict(x.subarray(i * nIn, (i + b) * nIn), b);
      out.set(this.net.state("uP", this.net.depth, b), i * nOut);
    }
    return out;
  }

  setLearningRateScale(factor: number): void {
    this.net.setLearningRateScale(factor);
  }

  /**
   * The weights, plasticity filters and noise counter. The fast mode computes every example's
   * steady state from its input alone, so no neuron state carries from one call to the next and
   * none is stored: a classifier given this state trains and predicts bit-identically.
   */
  exportState(): Record<string, NamedArray> {
    return this.net.exportState({ neurons: false });
  }
  importState(state: Record<string, NamedArray>): void {
    this.net.importState(state);
  }
  config(): Record<string, unknown> {
    return JSON.parse(JSON.stringify(this.#cfg)) as Record<string, unknown>;
  }
  dispose(): void {
    this.net.dispose();
  }
}

export const microcircuitFactory: ModelFactory = {
  kind: "microcircuit",
  description: "SCBS18 dendritic cortical microcircuit, fast steady-state mode",
  create: (core, config) => new MicrocircuitClassifier(core, config),
};
