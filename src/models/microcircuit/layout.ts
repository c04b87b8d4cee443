// The microcircuit's descriptor layout: where, in the i32/f32 table the TypeScript network writes
// into linear memory, each parameter, pointer and counter lives. This one file is read by both
// sides: src/models/microcircuit/network.ts imports it, and the AssemblyScript model
// (assembly/models/microcircuit/layout.ts) re-exports it, so a slot can only change in one place.
// Plain integer constants only: the file must compile as TypeScript and as AssemblyScript.

// ---- descriptor slots (i32 index; f32 slots hold float bits) ----
export const H_NLAYERS = 0; // N: number of pyramidal layers (layer 0, the input, is not counted)
export const H_MAXBATCH = 1;
export const H_ACT = 2; // φ, one of the ACT_ codes below
export const H_SEED = 3;
export const H_NOISE_LO = 4; // noise counter (64 bit), advanced by every draw
export const H_NOISE_HI = 5;
export const H_N0 = 6; // input size
export const H_R0 = 7; // r_0: low-pass filtered input, maxBatch × n0
export const H_R0OLD = 8; // r_0 before the current step
export const H_ONES = 9; // maxBatch ones (column sums)
export const H_CHUNK = 10; // Euler steps of noise drawn per generator call
export const H_CHUNK_POS = 11; // steps of the current noise chunk already used
export const H_SINCE_SWITCH = 12; // steps since the last pattern switch (learning lag)
export const H_LAG_STEPS = 13;
export const H_STEPS_LO = 14; // total Euler steps simulated (monitor clock)
export const H_MON_COUNT = 15;
export const H_MON_TABLE = 16;
export const H_STATUS_STEP = 17; // step within the call at which a non-finite value appeared
export const H_CHUNK_B = 18; // batch size the current noise chunk was drawn for
export const H_TGTF = 19; // low-pass filtered target potentials, maxBatch × n_N (used when F_TAU_TGT > 0)

export const F_DT = 32;
export const F_GLK = 33;
export const F_GB = 34;
export const F_GA = 35;
export const F_GD = 36;
export const F_GSOM = 37;
export const F_SIGMA = 38;
export const F_TAU_IN = 39;
export const F_TAU_W = 40;
export const F_C_HID = 41; // g_B/(g_lk+g_B+g_A)
export const F_LAM_A = 42; // g_A/(g_lk+g_B+g_A)
export const F_C_OUT = 43; // g_B/(g_lk+g_B)
export const F_LAM_OUT = 44; // g_som/(g_lk+g_B+g_som)
export const F_C_I = 45; // g_D/(g_lk+g_D)
export const F_LAM_I = 46; // g_som/(g_lk+g_D+g_som)
export const F_GAMMA = 47; // soft rectifier γ, β, θ
export const F_BETA = 48;
export const F_THETA = 49;
export const F_TAU_TGT = 50; // time constant of the target low-pass (0: targets switch at once)

export const LAYER0 = 64;
export const LREC = 64;
// layer record
export const L_N = 0;
export const L_NPREV = 1;
export const L_NNEXT = 2; // 0 for the output layer
export const L_FLAGS = 3;
export const L_WUP = 4;
export const L_DUP = 5;
export const L_BUP = 6; // threshold weights (presynaptic rate 1), n_k
export const L_DBUP = 7;
export const L_B = 8;
export const L_DB = 9;
export const L_WPI = 10;
export const L_DPI = 11;
export const L_WIP = 12;
export const L_DIP = 13;
export const L_BIP = 14;
export const L_DBIP = 15;
export const L_UP = 16;
export const L_RP = 17;
export const L_VB = 18;
export const L_VA = 19;
export const L_VAB = 20; // B_k φ(u^P_{k+1}), the top-down part of v^A
export const L_UI = 21;
export const L_RI = 22;
export const L_VI = 23;
export const L_RPOLD = 24;
export const L_RIOLD = 25;
export const L_RF = 26; // fast mode: rates of the last forward sweep (presynaptic terms)
export const L_EUP = 27;
export const L_EIP = 28;
export const L_EPI = 29;
export const L_EDN = 30;
export const L_XIP = 31; // noise chunk for the pyramidal cells, chunk·maxBatch × n_k
export const L_XII = 32; // noise chunk for the interneurons
export const L_TMP = 33; // maxBatch × n_k scratch
export const L_SUM = 34; // n_k scratch (column sums)
export const L_SUMI = 35; // n_{k+1} scratch
export const L_ETA_UP = 40;
export const L_ETA_IP = 41;
export const L_ETA_PI = 42;
export const L_ETA_DN = 43;
export const L_ETA_BUP = 44; // rate of the W^up thresholds (c²·η_up for a threshold input of rate c)
export const L_ETA_BIP = 45; // rate of the W^IP thresholds

// layer flags
export const PLASTIC_UP = 1;
export const PLASTIC_IP = 2;
export const PLASTIC_PI = 4;
export const PLASTIC_DN = 8;
export const BIAS_UP = 16;
export const BIAS_IP = 32;
// W^PI_k is held at −B_k (both fixed): v^A_k = B_k (φ(u^P_{k+1}) − φ(u^I_k)), one product instead of two
export const TIED_PI = 64;

// variable codes (monitors and non-finite reports)
export const V_UP = 0;
export const V_VB = 1;
export const V_VA = 2;
export const V_UI = 3;
export const V_VI = 4;
export const V_RP = 5;
export const V_RI = 6;
export const V_APICAL = 7; // mean |v^A| over the layer's cells (batch row 0)
export const V_NORM_UP = 8;
export const V_NORM_IP = 9;
export const V_NORM_PI = 10;
export const V_NORM_B = 11;
export const V_W_UP = 12; // weights, in non-finite reports only
export const V_W_IP = 13;
export const V_W_PI = 14;
export const V_W_B = 15;
export const V_R0 = 16;

// monitor table entry (i32 slots)
export const M_VAR = 0;
export const M_LAYER = 1;
export const M_INDEX = 2; // ≥ 0: one cell; −1: the whole vector (batch row 0); −2: mean absolute value
export const M_INTERVAL = 3;
export const M_PTR = 4;
export const M_WIDTH = 5;
export const M_CAPACITY = 6;
export const M_WRITTEN = 7;
export const MREC = 8;

// present() flags
export const P_NUDGE = 1;
export const P_LEARN = 2;
export const P_SWITCH = 4;

// φ codes (H_ACT)
export const ACT_LOGISTIC = 0;
export const ACT_SOFT_RECT = 1; // γ·log(1 + exp(β(u − θ))) with F_GAMMA, F_BETA, F_THETA
export const ACT_RELU = 2;
export const ACT_TANH = 3;
export const ACT_LINEAR = 4;

// Monitors a network can hold (the table at H_MON_TABLE has MAX_MONITORS × MREC slots).
export const MAX_MONITORS = 32;
