// The spiking microcircuit's descriptor layout: the i32 table (f32 bits where noted) that
// src/models/spiking/network.ts writes once into linear memory, and the codes it holds. This one
// file is read by both sides: network.ts imports it and assembly/models/spiking/layout.ts
// re-exports it. Plain integer constants only: the file must compile as TypeScript and as
// AssemblyScript. Populations p = 0 … L: p = 0 are the input cells, p = 1 … L the pyramidal cells
// of layer p with their error pairs; weight layer p maps population p − 1 to population p.

export const HEADER = 32;
export const H_LAYERS = 0; //    L
export const H_T = 1; //         steps per window T
export const H_T0 = 2; //        settling steps T₀
export const H_FLAGS = 3; //     F_* bits
export const H_FEEDBACK = 4; //  FB_*
export const H_X = 5; //         input drive (pixel intensities), maxBatch × n_0
export const H_RHO = 6; //       teacher rates, maxBatch × n_L
export const H_SEED = 7; //      RNG key
export const H_LAMBDA = 8; //    f32 leak factor λ per step (1 = IF)
export const H_THETA = 9; //     f32 pyramidal threshold ϑ
export const H_THETA_E = 10; //  f32 error-pair threshold θ_e
export const H_TRACE = 11; //    f32 trace rate 1/τ_x
export const H_STATS = 12; //    f64 counters, STATS_* per population
export const H_COUNTS = 13; //   i32 scratch [E⁺, E⁻] of the sigma-delta kernel
export const H_VT = 14; //       teacher potentials, maxBatch × n_L
export const H_ST = 15; //       teacher spikes of the current step, maxBatch × n_L
export const H_IT = 16; //       teacher index scratch, n_L (i32)
export const H_U = 17; //        uniform scratch for Bernoulli input, maxBatch × n_0
export const H_DITHER_STREAM = 19; // first RNG stream of the dither draws (one per population + teacher)
export const H_BERNOULLI_STREAM = 20;
export const H_BRSF_STREAM = 21; // first RNG stream of the brSF magnitude draws (one per weight layer)
export const H_MAXB = 22; //     maxBatch (row count of every per-sample buffer)
export const H_CELL_POS = 23; // i32 scratch, max n_p + 1: per-cell offsets of the transposed firing lists
export const H_CELL_LIST = 24; // i32 scratch, maxBatch × max n_p: samples in which each cell fired (one step)
export const H_SPLIT = 25; //    f32 input drive above which an input cell counts as mostly firing
export const H_ADD = 26; //      i32 lists, maxBatch × n_0: input cells that fired with drive ≤ split (one step)
export const H_SUB = 27; //      i32 lists, maxBatch × n_0: input cells with drive > split that stayed silent
export const H_SPLITCNT = 28; // i32, maxBatch × 2: lengths of those lists
export const H_BASE = 29; //     drive of layer 1 from its mostly-firing inputs plus bias, maxBatch × n_1

export const F_EVENTS = 1; //    event-driven propagation and plasticity (else dense products)
export const F_BERNOULLI = 2; // Bernoulli input spikes (else constant current into IF input cells)
export const F_DITHER = 4; //    random initial potentials
export const F_NO_GATE = 8; //   hidden error pairs ungated (G ≡ 1)
export const F_MANHATTAN = 16; // Batch Manhattan updates W ← W + η·sign(ΣΔW) (else plain SGD)
export const F_ACC_SPIKES = 32; // event path: Hebbian sum per presynaptic spike always
export const F_ACC_ERRORS = 64; // event path: Hebbian sum per error event always (neither: the cheaper)

export const FB_FRSF = 0;
export const FB_USF = 1;
export const FB_BRSF = 2;
export const FB_FA = 3;
export const FB_BP = 4;

export const POP_SLOTS = 32;
export const P_N = 0; //         n_p
export const P_V = 1; //         potentials, maxBatch × n_p
export const P_S = 2; //         spikes of every step, T × maxBatch × n_p (0/1)
export const P_IDX = 3; //       firing lists of every step, T × maxBatch × stride_p (i32)
export const P_CNT = 4; //       list lengths, T × maxBatch (i32)
export const P_NLEARN = 5; //    spike counts in [T₀, T), maxBatch × n_p
export const P_NALL = 6; //      spike counts in [0, T) (the gate), maxBatch × n_p
// Populations p ≥ 1 (weight layer p):
export const P_WT = 7; //        forward weights, presynaptic-major: n_{p−1} × n_p (Wᵀ)
export const P_B = 8; //         biases, n_p
export const P_A = 9; //         drive scratch, maxBatch × n_p
export const P_U = 10; //        error-pair integrators, maxBatch × n_p
export const P_I = 11; //        error-pair input current, maxBatch × n_p
export const P_C = 12; //        net error spikes (E⁺ − E⁻) of every learning step, (T − T₀) × maxBatch × n_p
export const P_EIDX = 13; //     lists of pairs with C ≠ 0 of every learning step, (T − T₀) × maxBatch × stride_p (i32)
export const P_ECNT = 14; //     their lengths, (T − T₀) × maxBatch (i32)
export const P_F = 15; //        feedback contacts in forward orientation, n_p × n_{p−1}: F = B_pᵀ (p ≥ 2)
export const P_R = 16; //        contact magnitudes R, same orientation (frSF, brSF, FA)
export const P_DWT = 17; //      accumulated ΔWᵀ, n_{p−1} × n_p
export const P_DB = 18; //       accumulated Δb, n_p
export const P_Z = 19; //        adjoint trace filter, maxBatch × n_p
export const P_ETA = 20; //      f32 η_p / η = 1 / (T′ Π_{m=p}^{L−1} g_m)
export const P_GAIN = 21; //     f32 g_p (hidden populations)
export const P_SCALE = 22; //    f32 feedback magnitude scale s_p (uSF magnitude; brSF draws |N(0, s_p²)|)
export const P_RATE = 23; //     clip-rate readout, maxBatch × n_p
export const P_ZS = 24; //       scaled adjoint row scratch, maxBatch × n_p
export const P_DW = 26; //       ΔW accumulated from error events, n_p × n_{p−1}
export const P_XT = 27; //       presynaptic traces x/a of the error-event accumulation, maxBatch × n_{p−1}

// f64 counters per window, at H_STATS + p · STATS_SLOTS (summed over the batch).
export const STATS_SLOTS = 8;
export const ST_SPIKES = 0; //   spikes of population p over the window
export const ST_EPLUS = 1; //    E⁺ spikes (p ≥ 1)
export const ST_EMINUS = 2; //   E⁻ spikes
export const ST_FWD_EVENTS = 3; // synaptic events of the forward pass into p: presynaptic spikes × n_p
export const ST_FB_EVENTS = 4; //  synaptic events of the error pathway into p: error events × n_p
export const ST_PLAST_EVENTS = 5; // row updates of the plasticity accumulation: presynaptic spikes × n_p
export const ST_DENSE = 6; //    multiply-adds a dense implementation does for the same three parts
export const ST_WORK = 7; //     row-element additions the event path did for the same three parts

// RNG streams: forward weights, contact magnitudes and FA signs of weight layer p use
// STREAM_PER_LAYER·p + 0, 1, 2; dither, Bernoulli input and brSF draws start at the others.
export const STREAM_PER_LAYER = 8;
export const STREAM_DITHER = 1000;
export const STREAM_BERNOULLI = 2000;
export const STREAM_BRSF = 3000;
