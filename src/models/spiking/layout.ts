// Descriptor slots shared with assembly/models/spiking/layout.ts (same numbers, same meaning).
export const HEADER = 32;
export const H = {
  layers: 0, T: 1, T0: 2, flags: 3, feedback: 4, x: 5, rho: 6, seed: 7, lambda: 8, theta: 9, thetaE: 10,
  trace: 11, stats: 12, counts: 13, vT: 14, sT: 15, iT: 16, u: 17, ditherStream: 19, bernoulliStream: 20,
  brsfStream: 21, maxBatch: 22, cellPos: 23, cellList: 24, split: 25, add: 26, sub: 27, splitCnt: 28,
  base: 29,
} as const;
export const F = { events: 1, bernoulli: 2, dither: 4, noGate: 8, manhattan: 16, accSpikes: 32, accErrors: 64 } as const;
export const FB = { "scfa-frsf": 0, "scfa-usf": 1, "scfa-brsf": 2, fa: 3, bp: 4 } as const;
export const POP_SLOTS = 32;
export const P = {
  n: 0, V: 1, S: 2, IDX: 3, CNT: 4, Nlearn: 5, Nall: 6, WT: 7, b: 8, A: 9, U: 10, I: 11, C: 12, EIDX: 13,
  ECNT: 14, F: 15, R: 16, dWT: 17, db: 18, Z: 19, eta: 20, gain: 21, scale: 22, rate: 23, ZS: 24, DW: 26, XT: 27,
} as const;
export const STATS_SLOTS = 8;
export const ST = { spikes: 0, ePlus: 1, eMinus: 2, fwdEvents: 3, fbEvents: 4, plastEvents: 5, dense: 6, work: 7 } as const;
/** RNG streams: forward weights, magnitudes and FA signs of weight layer p use 8p, 8p + 1, 8p + 2. */
export const STREAM = { perLayer: 8, dither: 1000, bernoulli: 2000, brsf: 3000 } as const;
