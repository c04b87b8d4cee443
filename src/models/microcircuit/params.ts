// Parameters of the SCBS18 microcircuit (docs/model.md §1.9): the published values with their
// provenance, the options a network is built from, and the steady-state factors derived from them.
import { ACT_LINEAR, ACT_LOGISTIC, ACT_RELU, ACT_SOFT_RECT, ACT_TANH } from "./layout.js";

/**
 * SCBS18 parameters (docs/model.md §1.9). Conductances, time constants and noise: five independent
 * re-implementations of SCBS18 agree on these values. Learning rates: SCBS18's supplementary
 * tables (η_up input→hidden 0.0011875, hidden→output 0.0005, ratio 1/λ; η_IP 0.0002375 while
 * learning the self-predicting state, 0.0011875 on tasks; η_PI 0.0005 SPS/association, 0.0059375
 * regression).
 */
export const SCBS18 = Object.freeze({
  gLk: 0.1,
  gB: 1.0,
  gA: 0.8,
  gD: 1.0,
  gSom: 0.8,
  dtMs: 0.1,
  presentMs: 100,
  tauInMs: 3,
  tauWMs: 30,
  /** σ for SPS learning and the single association; 0.3 for regression; 0 at test. */
  sigma: 0.1,
  sigmaRegression: 0.3,
  etaUpHidden: 0.0011875,
  etaUpOutput: 0.0005,
  etaIPSps: 0.0002375,
  etaIPTask: 0.0011875,
  etaPISps: 0.0005,
  etaPIRegression: 0.0059375,
  /** Soft rectifier of the regression teacher: γ·log(1+exp(β(u−θ))). */
  softRect: Object.freeze({ gamma: 0.1, beta: 1, theta: 3 }),
});

export type Activation = "logistic" | "softRect" | "relu" | "tanh" | "linear";
/** φ by name → its code in the descriptor (H_ACT). */
export const ACT_CODE: Readonly<Record<Activation, number>> = Object.freeze({
  logistic: ACT_LOGISTIC,
  softRect: ACT_SOFT_RECT,
  relu: ACT_RELU,
  tanh: ACT_TANH,
  linear: ACT_LINEAR,
});

/** Weight class names: bottom-up W^up, top-down B (W^down), pyramidal→interneuron W^IP, interneuron→pyramidal W^PI. */
export type Pathway = "up" | "down" | "ip" | "pi";
export const PATHWAYS: readonly Pathway[] = ["up", "down", "ip", "pi"];

/** Initial weight distribution: U(−scale, scale), or Glorot-uniform U(±gain·√(6/(fan_in+fan_out))). */
export type InitSpec = { dist: "uniform"; scale: number } | { dist: "glorot"; gain: number };

export interface MicrocircuitOptions {
  /** Layer sizes n_0 (input) … n_N (output), e.g. [30, 20, 10]. At least one hidden layer is not required. */
  sizes: number[];
  /** Largest number of examples per call (fast mode batch, or independent circuits in full dynamics). Default 1. */
  maxBatch?: number;
  seed?: number;
  activation?: Activation;
  softRect?: { gamma: number; beta: number; theta: number };
  gLk?: number;
  gB?: number;
  gA?: number;
  gD?: number;
  gSom?: number;
  dtMs?: number;
  tauInMs?: number;
  tauWMs?: number;
  /** Somatic noise σ (increment dt·σ·ξ per step). */
  sigma?: number;
  /**
   * Learning rates per pathway; a number applies to every layer, an array gives one per layer
   * (up: N entries for layers 1..N; ip, pi, down: N−1 entries for hidden layers 1..N−1).
   */
  eta?: Partial<Record<Pathway, number | number[]>>;
  /** Which weight classes learn. Default: up, ip, pi plastic; down (B) fixed. */
  plastic?: Partial<Record<Pathway, boolean>>;
  /**
   * Learnable thresholds on the bottom-up and pyramidal→interneuron pathways. `input` is the rate c
   * of the constant presynaptic input that feeds them (default 1): the threshold then acts as c·w
   * and learns at c²·η (the stored value is c·w). The Bern lab's PyraLNet code uses c = 0.5.
   */
  thresholds?: { up?: boolean; ip?: boolean; input?: number };
  /** Initial weights per class. Default U(−1, 1) for every class (SCBS18 association). */
  init?: Partial<Record<Pathway, InitSpec>>;
  /** "random" (feedback-alignment regime, default) or "symmetric": B_k = topDownGain·(W^up_{k+1})ᵀ. */
  topDown?: "random" | "symmetric";
  /** Extra factor on the top-down weights B (after init; for a symmetric start, on Wᵀ). Default 1. */
  topDownGain?: number;
  /** "random": every class from `init`; "selfPredicting": then W^PI = −B and W^IP from W^up (SCBS18; docs/model.md §1.6). */
  start?: "random" | "selfPredicting";
  /** Plasticity off for this long after each pattern switch (docs/model.md §1.5; SCBS18 has none). Default 0. */
  learningLagMs?: number;
  /**
   * Time constant of a low-pass filter on the target potentials in full dynamics, as on the input
   * (τ_in); 0 (default): the target switches at once with the pattern.
   */
  tauTargetMs?: number;
  /**
   * Hold W^PI = −B (needs start "selfPredicting" and W^PI, B fixed): the fast mode then forms
   * v^A = B(φ(u^P) − φ(u^I)) with one matrix product instead of two (equal in exact arithmetic).
   */
  tiePI?: boolean;
}

export interface SteadyFactors {
  cHid: number;
  lambdaA: number;
  cOut: number;
  lambdaOut: number;
  cI: number;
  lambdaI: number;
}
export function steadyFactors(p: { gLk: number; gB: number; gA: number; gD: number; gSom: number }): SteadyFactors {
  return {
    cHid: p.gB / (p.gLk + p.gB + p.gA),
    lambdaA: p.gA / (p.gLk + p.gB + p.gA),
    cOut: p.gB / (p.gLk + p.gB),
    lambdaOut: p.gSom / (p.gLk + p.gB + p.gSom),
    cI: p.gD / (p.gLk + p.gD),
    lambdaI: p.gSom / (p.gLk + p.gD + p.gSom),
  };
}
