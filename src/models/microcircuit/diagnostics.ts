// Float64 diagnostics of the microcircuit: φ and φ′ in double precision, angles between updates,
// and the alignment of the microcircuit's update with backprop and feedback alignment
// (SCBS18; docs/model.md §1.7). Nothing here runs in WebAssembly.
import { ValueError } from "../../core/errors.js";
import type { Microcircuit } from "./network.js";
import { SCBS18, type Activation } from "./params.js";
import { angleDeg } from "../angle.js";

export { angleDeg };

/** Angles (degrees) of the microcircuit's hidden updates to the backprop and FA updates, per hidden layer and overall. */
export interface Alignment {
  bp: number[];
  fa: number[];
  angleBP: number;
  angleFA: number;
}

function outer(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length * b.length);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i * b.length + j] = a[i] * b[j];
  return out;
}

/** φ and φ′ in float64 (diagnostics). */
export function activationF64(
  name: Activation,
  sr: { gamma: number; beta: number; theta: number } = SCBS18.softRect,
): { f: (u: number) => number; df: (u: number) => number } {
  switch (name) {
    case "logistic":
      return {
        f: (u) => 1 / (1 + Math.exp(-u)),
        df: (u) => {
          const s = 1 / (1 + Math.exp(-u));
          return s * (1 - s);
        },
      };
    case "softRect":
      return {
        f: (u) => {
          const z = sr.beta * (u - sr.theta);
          return sr.gamma * (z > 30 ? z : Math.log1p(Math.exp(z)));
        },
        df: (u) => (sr.gamma * sr.beta) / (1 + Math.exp(-sr.beta * (u - sr.theta))),
      };
    case "relu":
      return { f: (u) => Math.max(0, u), df: (u) => (u > 0 ? 1 : 0) };
    case "tanh":
      return { f: Math.tanh, df: (u) => 1 - Math.tanh(u) ** 2 };
    default:
      return { f: (u) => u, df: () => 1 };
  }
}

/**
 * Angles (degrees) between the microcircuit's bottom-up update and the backprop and
 * feedback-alignment updates of the equivalent feedforward net (pre-activations v̂, SCBS18; docs/model.md §1.7),
 * on the same weights and one input/target pair. The microcircuit update is taken at the steady
 * state (`sweeps` up/down sweeps; default 200, converged). Per hidden layer and over all hidden
 * layers together.
 */
export function alignment(net: Microcircuit, x: ArrayLike<number>, target: ArrayLike<number>, sweeps = 200): Alignment {
  const N = net.depth;
  if (N < 2) throw new ValueError("alignment needs at least one hidden layer");
  net.steadyState(x, target, { sweeps, learn: false });
  const f = net.factors;
  const act = activationF64(net.params.activation, net.params.softRect);
  // Microcircuit induction terms G^up_k = [φ(u^P_k) − φ(v̂^B_k)] r_{k−1}ᵀ at the steady state.
  const mc: Float64Array[] = [];
  for (let k = 1; k < N; k++) {
    const rP = net.state("rP", k);
    const vB = net.state("vB", k);
    const pre = k === 1 ? Float64Array.from(x as ArrayLike<number>).subarray(0, net.sizes[0]) : net.state("rF", k - 1);
    const e = Float64Array.from(rP, (r, i) => r - act.f(f.cHid * vB[i]));
    mc.push(outer(e, pre));
  }
  // Feedforward net with the same weights: a_k = ĉ_k (W^up_k r_{k−1} + t_k).
  const r: Float64Array[] = [Float64Array.from({ length: net.sizes[0] }, (_, i) => x[i])];
  const a: Float64Array[] = [new Float64Array(0)];
  for (let k = 1; k <= N; k++) {
    const W = net.weights("up", k);
    const t = net.thresholds.up ? net.weights("thresholdUp", k) : null;
    const c = k < N ? f.cHid : f.cOut;
    const n = net.sizes[k];
    const m = net.sizes[k - 1];
    const ak = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = t ? t[i] : 0;
      for (let j = 0; j < m; j++) s += W[i * m + j] * r[k - 1][j];
      ak[i] = c * s;
    }
    a.push(ak);
    r.push(ak.map(act.f));
  }
  const nN = net.sizes[N];
  const deltaN = Float64Array.from({ length: nN }, (_, i) => act.df(a[N][i]) * (target[i] - a[N][i]));
  const backward = (useB: boolean) => {
    const deltas: Float64Array[] = new Array(N + 1);
    deltas[N] = deltaN;
    for (let k = N - 1; k >= 1; k--) {
      const n = net.sizes[k];
      const nn = net.sizes[k + 1];
      const M = useB ? net.weights("down", k) : net.weights("up", k + 1);
      const d = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < nn; j++) s += (useB ? M[i * nn + j] : M[j * n + i]) * deltas[k + 1][j];
        d[i] = act.df(a[k][i]) * s;
      }
      deltas[k] = d;
    }
    return deltas;
  };
  const dBP = backward(false);
  const dFA = backward(true);
  const bp: number[] = [];
  const fa: number[] = [];
  const allMc: number[] = [];
  const allBP: number[] = [];
  const allFA: number[] = [];
  for (let k = 1; k < N; k++) {
    const gBP = outer(dBP[k], r[k - 1]);
    const gFA = outer(dFA[k], r[k - 1]);
    bp.push(angleDeg(mc[k - 1], gBP));
    fa.push(angleDeg(mc[k - 1], gFA));
    allMc.push(...mc[k - 1]);
    allBP.push(...gBP);
    allFA.push(...gFA);
  }
  return { bp, fa, angleBP: angleDeg(allMc, allBP), angleFA: angleDeg(allMc, allFA) };
}
