// The mlp's descriptor layout: the i32 table (f32 bits where noted) the TypeScript network writes
// into linear memory, and the codes it holds. This one file is read by both sides:
// src/models/mlp/network.ts imports it and assembly/models/mlp/layout.ts re-exports it.
// Plain integer constants only: the file must compile as TypeScript and as AssemblyScript.

// Descriptor header (i32 slots)
export const H_LAYERS = 0; //       number of weight layers L
export const H_LOSS = 1; //         LOSS_*
export const H_RULE = 2; //         RULE_*
export const H_ACT = 3; //          hidden activation ACT_*
export const H_OUT_ACT = 4; //      output activation for squared error ACT_*
export const H_BIASES = 5; //       1 if every layer has a bias
export const H_X = 6; //            input batch, maxBatch × n_0
export const H_T = 7; //            targets, maxBatch × n_L
export const H_COEF = 8; //         scratch vector of length maxBatch (bias-gradient weights)
export const H_SEED = 9; //         RNG seed (brSF magnitudes)
export const HEADER = 16;
// Per-layer slots, at HEADER + l·LAYER_SLOTS.
export const L_IN = 0; //           n_{l−1}
export const L_OUT = 1; //          n_l
export const L_W = 2; //            W_l, n_l × n_{l−1}
export const L_B = 3; //            b_l, 1 × n_l (0 without biases)
export const L_VW = 4; //           momentum of W_l (0 without momentum)
export const L_VB = 5; //           momentum of b_l
export const L_FB = 6; //           feedback in forward orientation: FA/SCFA n_l × n_{l−1}; DFA n_L × n_l
export const L_M = 7; //            SCFA magnitudes, n_l × n_{l−1} (frSF, brSF)
export const L_A = 8; //            pre-activations a_l, maxBatch × n_l
export const L_H = 9; //            activations h_l, maxBatch × n_l
export const L_D = 10; //           errors δ_l, maxBatch × n_l
export const L_G = 11; //           φ′(a_l), maxBatch × n_l
export const L_SCALE = 12; //       SCFA magnitude scale s_l (f32 bits): uSF M = s_l; brSF M ~ U(0, 2 s_l)
export const L_STREAM = 13; //      RNG stream of this layer's brSF magnitudes
export const LAYER_SLOTS = 16;

export const RULE_BP = 0;
export const RULE_FA = 1;
export const RULE_DFA = 2;
export const RULE_USF = 3;
export const RULE_FRSF = 4;
export const RULE_BRSF = 5;

export const ACT_LOGISTIC = 0;
export const ACT_RELU = 1;
export const ACT_TANH = 2;
export const ACT_LINEAR = 3;

export const LOSS_SOFTMAX_CE = 0;
export const LOSS_MSE = 1;

// Counter-based RNG streams per weight layer l (stream STREAMS_PER_LAYER·l + k): k = 0 forward
// weights, 1 FA/DFA feedback, 2 frSF magnitudes, 3 brSF draws.
export const STREAMS_PER_LAYER = 4;
