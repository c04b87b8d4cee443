// Configuration of the spiking microcircuit with sign-concordant feedback (Yang & Li 2022, arXiv
// 2205.07292). The publication's text states the circuit's constraints (three cell types, two
// connectivity types, local feedback, a global spiking error, Hebbian plasticity in local
// compartments, equivalence to sign-concordant FA) but not its equations or constants; every value
// below is this project's design choice unless marked otherwise (docs/model.md, "Spiking
// microcircuit").
import { ValueError } from "../../core/errors.js";
import { configReader, showValue } from "../config.js";

export type SpikingRule = "scfa-frsf" | "scfa-usf" | "scfa-brsf" | "fa" | "bp";
export const SPIKING_RULES: readonly SpikingRule[] = ["scfa-frsf", "scfa-usf", "scfa-brsf", "fa", "bp"];

/** What `new Spiking(core, options)` and `createModel(core, "spiking", options)` take (defaults fill the rest). */
export type SpikingOptions = Partial<SpikingConfig>;

export interface SpikingConfig {
  /** Layer sizes [inputs, hidden…, outputs]. */
  arch: number[];
  /**
   * Feedback contacts B of the error pathway: sign(W)ᵀ ⊙ R with R fixed random (scfa-frsf),
   * constant (scfa-usf) or redrawn every window (scfa-brsf); fixed random signs (fa); Wᵀ (bp, the
   * weight-transport oracle).
   */
  rule: SpikingRule;
  /** η: one window's update equals a rate-SCFA step of this rate (per-layer normalisation). */
  lr: number;
  /** Steps per window T (Δt = 1 ms). */
  steps: number;
  /** Settling steps T₀ at the window's start: forward pass only. */
  settle: number;
  /** "if": integrate-and-fire (λ = 1); "lif": leaky, λ = exp(−Δt / tauMs). */
  cell: "if" | "lif";
  /** Membrane time constant of "lif" cells, ms. */
  tauMs: number;
  /** Pyramidal threshold ϑ (reset by subtraction). */
  threshold: number;
  /** Error-pair threshold θ_e. */
  errorThreshold: number;
  /** Presynaptic trace time constant τ_x, steps. */
  traceSteps: number;
  /** Gain g of every hidden error pair's input (the per-layer rates are normalised by Π g). */
  gain: number;
  /** "fired": a hidden pair passes error once its pyramidal cell fired in the window (f′ = 1[a > 0]); "none": always. */
  gate: "fired" | "none";
  /** "current": input cells integrate the pixel intensity (regular trains of rate p); "bernoulli": spike with probability p per step. */
  input: "current" | "bernoulli";
  /** Random initial potentials V ~ U[0, ϑ) in every window (removes phase locking). */
  dither: boolean;
  /** Teacher rates (spikes per step) of the correct class and of the others. */
  rhoOn: number;
  rhoOff: number;
  /** Forward init W ~ N(0, σ²), σ = initGain·√(2 / fan_in); biases 0. */
  initGain: number;
  /** Feedback magnitudes relative to the forward init σ of the layer they mirror (R ~ |N(0, (feedbackScale·σ)²)|). */
  feedbackScale: number;
  /** "sgd": W ← W + ΣΔW/n; "manhattan": W ← W + manhattanLr·sign(ΣΔW) (Batch Manhattan, Liao et al. 2016). */
  update: "sgd" | "manhattan";
  manhattanLr: number;
  /** "events": only the rows of Wᵀ of cells that fired are touched; "dense": matrix products over all cells. */
  propagation: "events" | "dense";
  /**
   * Order in which the event path sums the window's Hebbian term Σ_t c_j(t) x_i(t) (the same sum,
   * rounded differently): "spikes", one row of ΔWᵀ per presynaptic spike; "errors", one row of ΔW
   * per error event with the traces stepped forward; "auto" (default), per layer and window the one
   * with fewer additions (errors are dense at initialisation and sparse once the net has learned).
   */
  accumulation: "auto" | "spikes" | "errors";
  seed: number;
  maxBatch: number;
}

export const SPIKING_DEFAULTS: Readonly<Omit<SpikingConfig, "arch">> = Object.freeze({
  rule: "scfa-frsf",
  lr: 0.5, // η of the numpy prototype (batch 100, plain SGD)
  steps: 60, // training window T
  settle: 10, // T₀
  cell: "if",
  tauMs: 20, // LIF variant
  threshold: 1,
  errorThreshold: 1,
  traceSteps: 10,
  gain: 4,
  gate: "fired",
  input: "current",
  dither: true,
  rhoOn: 0.4,
  rhoOff: 0.02,
  initGain: 1,
  feedbackScale: 1,
  update: "sgd",
  manhattanLr: 1e-3,
  propagation: "events",
  accumulation: "auto",
  seed: 1,
  maxBatch: 100,
});

const FIELDS = new Set(["arch", ...Object.keys(SPIKING_DEFAULTS)]);
const show = showValue;
const { pick, num } = configReader("spiking");

const int = (lo: number, hi: number) => (x: number) => Number.isInteger(x) && x >= lo && x <= hi;

/** Validates a (partial) configuration and fills in defaults; errors name the field. */
export function spikingConfig(cfg: Record<string, unknown>): SpikingConfig {
  if (cfg === null || typeof cfg !== "object") throw new ValueError("spiking config must be an object");
  for (const k of Object.keys(cfg)) {
    if (!FIELDS.has(k) && !(k === "kind" && cfg.kind === "spiking")) {
      throw new ValueError(`spiking config: unknown field '${k}'; known fields: ${[...FIELDS].join(", ")}`);
    }
  }
  const arch = cfg.arch ?? [784, 500, 500, 10];
  if (!Array.isArray(arch) || arch.length < 2 || !arch.every((n) => Number.isInteger(n) && n >= 1 && n <= 65536)) {
    throw new ValueError(`spiking config: arch must be an array of at least two layer sizes (integers in [1, 65536]); got ${show(arch)}`);
  }
  const D = SPIKING_DEFAULTS;
  const steps = num(cfg, "steps", D.steps, int(1, 100000), "an integer in [1, 100000]");
  const settle = num(cfg, "settle", D.settle, int(0, steps - 1), `an integer in [0, steps − 1 = ${steps - 1}]`);
  const dither = cfg.dither ?? D.dither;
  if (typeof dither !== "boolean") throw new ValueError(`spiking config: dither must be true or false; got ${show(dither)}`);
  const rhoOn = num(cfg, "rhoOn", D.rhoOn, (x) => x >= 0 && x <= 1, "a rate in [0, 1] spikes per step");
  const rhoOff = num(cfg, "rhoOff", D.rhoOff, (x) => x >= 0 && x <= 1, "a rate in [0, 1] spikes per step");
  return {
    arch: [...(arch as number[])],
    rule: pick(cfg, "rule", SPIKING_RULES, D.rule),
    lr: num(cfg, "lr", D.lr, (x) => x > 0, "a finite number > 0"),
    steps,
    settle,
    cell: pick(cfg, "cell", ["if", "lif"] as const, D.cell),
    tauMs: num(cfg, "tauMs", D.tauMs, (x) => x > 0, "a time constant > 0 (ms)"),
    threshold: num(cfg, "threshold", D.threshold, (x) => x > 0, "a finite number > 0"),
    errorThreshold: num(cfg, "errorThreshold", D.errorThreshold, (x) => x > 0, "a finite number > 0"),
    traceSteps: num(cfg, "traceSteps", D.traceSteps, (x) => x >= 1, "a time constant ≥ 1 step"),
    gain: num(cfg, "gain", D.gain, (x) => x > 0, "a finite number > 0"),
    gate: pick(cfg, "gate", ["fired", "none"] as const, D.gate),
    input: pick(cfg, "input", ["current", "bernoulli"] as const, D.input),
    dither,
    rhoOn,
    rhoOff,
    initGain: num(cfg, "initGain", D.initGain, (x) => x > 0, "a finite number > 0"),
    feedbackScale: num(cfg, "feedbackScale", D.feedbackScale, (x) => x > 0, "a finite number > 0"),
    update: pick(cfg, "update", ["sgd", "manhattan"] as const, D.update),
    manhattanLr: num(cfg, "manhattanLr", D.manhattanLr, (x) => x > 0, "a finite number > 0"),
    propagation: pick(cfg, "propagation", ["events", "dense"] as const, D.propagation),
    accumulation: pick(cfg, "accumulation", ["auto", "spikes", "errors"] as const, D.accumulation),
    seed: num(cfg, "seed", D.seed, int(0, 0xffffffff), "an integer in [0, 2^32 − 1]"),
    maxBatch: num(cfg, "maxBatch", D.maxBatch, int(1, 65536), "an integer in [1, 65536]"),
  };
}

/** σ of the forward init of a layer with `fanIn` inputs. */
export function initSigma(c: SpikingConfig, fanIn: number): number {
  return c.initGain * Math.sqrt(2 / fanIn);
}

/** η_p / η = 1 / (T′ · Π_{m=p}^{L−1} g) for population p = 1 … L: a window's update equals a rate-SCFA step of rate η. */
export function layerRateFactor(c: SpikingConfig, p: number): number {
  const L = c.arch.length - 1;
  return 1 / ((c.steps - c.settle) * Math.pow(c.gain, L - p));
}
