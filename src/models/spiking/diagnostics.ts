// Equivalence diagnostics of the spiking microcircuit: the rate-network updates its window-summed
// ΔW is compared with (docs/model.md, "Spiking microcircuit", rate limit):
//   δ^L = ρ − r^L (the output pairs have no gate),  δ^l = f′^l ⊙ (B^{l+1} δ^{l+1}),  ΔW^l = η Σ_batch δ^l (r^{l−1})ᵀ
// with r and f′ either measured in the spiking window ("matched": spike rates in [T₀, T) and the
// gates) or those of the clip-rate net r^l = clip(W^l r^{l−1} + b^l, 0, 1), f′ = 1[a > 0] ("analytic"),
// and B = sign(W)ᵀ ⊙ R (SCFA), random signs ⊙ R (FA) or Wᵀ (backprop). Plain float64 JavaScript,
// independent of the WebAssembly core.
import { Rng } from "../../core/random.js";
import type { NamedArray } from "../../train/model.js";
import { angleDeg as vectorAngle } from "../angle.js";

export interface RateNet {
  /** Layer sizes [n_0, …, n_L]. */
  arch: number[];
  /** W^l as [n_l, n_{l−1}] row-major, l = 1 … L (index l − 1). */
  W: Float64Array[];
  b: Float64Array[];
}

/** The weights of a model's exported state as float64. */
export function rateNetFromState(arch: number[], state: Record<string, NamedArray>): RateNet {
  const L = arch.length - 1;
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    W.push(Float64Array.from(state[`layers.${l}.W`].data));
    b.push(Float64Array.from(state[`layers.${l}.b`].data));
  }
  return { arch: [...arch], W, b };
}

/** Clip-rate forward pass of n samples: rates r^0 … r^L and gates 1[a^l > 0] (l ≥ 1), each n × n_l. */
export function clipRates(net: RateNet, x: ArrayLike<number>, n: number): { r: Float64Array[]; gate: Float64Array[] } {
  const { arch } = net;
  const r: Float64Array[] = [Float64Array.from({ length: n * arch[0] }, (_, i) => x[i])];
  const gate: Float64Array[] = [new Float64Array(n * arch[0]).fill(1)];
  for (let l = 1; l < arch.length; l++) {
    const nin = arch[l - 1];
    const nout = arch[l];
    const W = net.W[l - 1];
    const b = net.b[l - 1];
    const prev = r[l - 1];
    const rl = new Float64Array(n * nout);
    const gl = new Float64Array(n * nout);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < nout; j++) {
        let a = b[j];
        for (let i = 0; i < nin; i++) a += W[j * nin + i] * prev[s * nin + i];
        rl[s * nout + j] = Math.min(1, Math.max(0, a));
        gl[s * nout + j] = a > 0 ? 1 : 0;
      }
    }
    r.push(rl);
    gate.push(gl);
  }
  return { r, gate };
}

/**
 * Batch-summed rate updates ΔW^l = Σ_s δ^l_s (r^{l−1}_s)ᵀ, l = 1 … L (index l − 1, [n_l, n_{l−1}]),
 * for rates r, gates and teacher rates ρ (n × n_L); feedback B^l as [n_{l−1}, n_l] for l ≥ 2.
 */
export function rateUpdates(
  arch: number[],
  r: Float64Array[],
  gate: Float64Array[],
  rho: ArrayLike<number>,
  B: (Float64Array | null)[],
  n: number,
): Float64Array[] {
  const L = arch.length - 1;
  const delta: Float64Array[] = new Array(L + 1);
  const nL = arch[L];
  delta[L] = Float64Array.from({ length: n * nL }, (_, i) => rho[i] - r[L][i]);
  for (let l = L - 1; l >= 1; l--) {
    const nl = arch[l];
    const nup = arch[l + 1];
    const Bup = B[l + 1]!;
    const d = new Float64Array(n * nl);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < nl; j++) {
        if (gate[l][s * nl + j] === 0) continue;
        let acc = 0;
        for (let k = 0; k < nup; k++) acc += Bup[j * nup + k] * delta[l + 1][s * nup + k];
        d[s * nl + j] = acc;
      }
    }
    delta[l] = d;
  }
  const dW: Float64Array[] = [];
  for (let l = 1; l <= L; l++) {
    const nin = arch[l - 1];
    const nout = arch[l];
    const g = new Float64Array(nout * nin);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < nout; j++) {
        const dj = delta[l][s * nout + j];
        if (dj === 0) continue;
        const row = j * nin;
        const rs = s * nin;
        for (let i = 0; i < nin; i++) g[row + i] += dj * r[l - 1][rs + i];
      }
    }
    dW.push(g);
  }
  return dW;
}

/** B = sign(W)ᵀ ⊙ R as [n_{l−1}, n_l] from W [n_l, n_{l−1}] and magnitudes R [n_{l−1}, n_l]. */
export function signConcordant(W: ArrayLike<number>, R: ArrayLike<number>, nout: number, nin: number): Float64Array {
  const B = new Float64Array(nin * nout);
  for (let j = 0; j < nin; j++) for (let k = 0; k < nout; k++) B[j * nout + k] = Math.sign(W[k * nin + j]) * R[j * nout + k];
  return B;
}

/** Wᵀ as [n_{l−1}, n_l] (backprop's feedback). */
export function transposeOf(W: ArrayLike<number>, nout: number, nin: number): Float64Array {
  const B = new Float64Array(nin * nout);
  for (let j = 0; j < nin; j++) for (let k = 0; k < nout; k++) B[j * nout + k] = W[k * nin + j];
  return B;
}

/** |B| with independent random signs (feedback alignment with the same magnitudes), seeded. */
export function randomSigns(B: ArrayLike<number>, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: B.length }, (_, i) => Math.abs(B[i]) * (rng.nextU32() & 1 ? 1 : -1));
}

/** Angle in degrees between two flattened arrays (90 when either is zero: no alignment). */
export function angleDeg(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const v = vectorAngle(a, b);
  return Number.isNaN(v) ? 90 : v;
}

/**
 * Fraction of feedback contacts whose sign matches the forward weight they mirror
 * (sign(B_jk) = sign(W_kj), and B_jk = 0 exactly where W_kj = 0), over every pair (j, k).
 */
export function signConcordance(W: ArrayLike<number>, B: ArrayLike<number>, nout: number, nin: number): number {
  let ok = 0;
  for (let j = 0; j < nin; j++) for (let k = 0; k < nout; k++) if (Math.sign(B[j * nout + k]) === Math.sign(W[k * nin + j])) ok++;
  return ok / (nin * nout);
}

/** Per-layer angles (degrees, layers 1 … L) of one window's summed ΔW to the reference updates. */
export interface EquivalenceAngles {
  matched: number[];
  analytic: number[];
  fa: number[];
  bp: number[];
  /** The spiking ΔW per layer (float32, [n_l, n_{l−1}]) for averaging over repeats. */
  dW: Float32Array[];
  /** The analytic SCFA ΔW per layer. */
  analyticDW: Float64Array[];
}

/** What the diagnostics need of a spiking model (src/models/spiking/network.ts). */
export interface SpikingLike {
  config(): Record<string, unknown>;
  exportState(): Record<string, NamedArray>;
  accumulate(batch: { n: number; x: Float32Array; labels: Int32Array }, window?: number): { dW: Float32Array[] };
  spikeCounts(p: number, part?: "learning" | "window"): Float32Array;
  feedback(l: number): Float32Array;
}

/**
 * Runs one learning window on the batch without changing the weights and compares its summed ΔW
 * with matched SCFA (measured rates and gates), analytic SCFA (clip-rate net), FA with random
 * signs and backprop. SCFA's B is the model's own contacts (sign(W)ᵀ ⊙ R).
 */
export function equivalenceAngles(
  model: SpikingLike,
  batch: { n: number; x: Float32Array; labels: Int32Array },
  window?: number,
  faSeed = 12345,
): EquivalenceAngles {
  const cfg = model.config() as { arch: number[]; steps: number; settle: number; rhoOn: number; rhoOff: number };
  const arch = cfg.arch;
  const L = arch.length - 1;
  const n = batch.n;
  const { dW } = model.accumulate(batch, window);
  const Tl = cfg.steps - cfg.settle;
  const measured: Float64Array[] = [];
  const gates: Float64Array[] = [];
  for (let p = 0; p <= L; p++) {
    measured.push(Float64Array.from(model.spikeCounts(p, "learning"), (c) => c / Tl));
    gates.push(Float64Array.from(model.spikeCounts(p, "window"), (c) => (c > 0 ? 1 : 0)));
  }
  const rho = new Float64Array(n * arch[L]);
  for (let s = 0; s < n; s++) for (let k = 0; k < arch[L]; k++) rho[s * arch[L] + k] = batch.labels[s] === k ? cfg.rhoOn : cfg.rhoOff;
  const net = rateNetFromState(arch, model.exportState());
  const Bscfa: (Float64Array | null)[] = [null, null];
  const Bfa: (Float64Array | null)[] = [null, null];
  const Bbp: (Float64Array | null)[] = [null, null];
  for (let l = 2; l <= L; l++) {
    const B = Float64Array.from(model.feedback(l - 1));
    Bscfa.push(B);
    Bfa.push(randomSigns(B, faSeed + l));
    Bbp.push(transposeOf(net.W[l - 1], arch[l], arch[l - 1]));
  }
  const clip = clipRates(net, batch.x, n);
  const matchedDW = rateUpdates(arch, measured, gates, rho, Bscfa, n);
  const analyticDW = rateUpdates(arch, clip.r, clip.gate, rho, Bscfa, n);
  const faDW = rateUpdates(arch, clip.r, clip.gate, rho, Bfa, n);
  const bpDW = rateUpdates(arch, clip.r, clip.gate, rho, Bbp, n);
  return {
    matched: dW.map((g, l) => angleDeg(g, matchedDW[l])),
    analytic: dW.map((g, l) => angleDeg(g, analyticDW[l])),
    fa: dW.map((g, l) => angleDeg(g, faDW[l])),
    bp: dW.map((g, l) => angleDeg(g, bpDW[l])),
    dW,
    analyticDW,
  };
}
