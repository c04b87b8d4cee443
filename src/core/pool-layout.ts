// The thread pool's block of shared memory: where each counter, job argument and fault record
// lives. One file read by both sides: src/core/pool.ts (the host, which allocates the block and
// reads faults) imports it, and the AssemblyScript pool (assembly/kernels/pool.ts) imports it, so a
// slot can only change in one place. Plain integer constants only: the file must compile as
// TypeScript and as AssemblyScript.

// ---- i32 slots (index × 4 bytes from the block's start) ----
/** Job generation; the workers wait for it to change. */
export const S_GEN = 0;
/** Workers inside a job (claiming or running chunks); the calling thread waits for 0. */
export const S_ACTIVE = 1;
/** Job kind (J_* below). */
export const S_JOB = 2;
/** 1: the workers end (poolWait returns −1). */
export const S_EXIT = 3;
/** 0, or 1 + the id of the first worker whose share threw (the host writes the message). */
export const S_FAULT = 4;
/** Length in bytes of the fault message at MSG. */
export const S_MSG_LEN = 5;
/** Label of the running kernel: layer index (−1: none) … */
export const S_LABEL_LAYER = 6;
/** … and the address of a static AssemblyScript string naming the variable (0: none). */
export const S_LABEL_NAME = 7;
/** Job arguments (i32, or f32 bits): slots S_ARGS … S_ARGS + MAX_ARGS − 1 (S_ARGS + 16 = S_SCRATCH). */
export const S_ARGS = 8;
export const MAX_ARGS = 16;
/** Byte address of the per-thread scratch panels (THREAD_SCRATCH bytes per thread). */
export const S_SCRATCH = 32;
/** 1: a thread that has done its own chunks takes chunks left in other threads' ranges. */
export const S_STEAL = 33;
/** Chunks of the current job. */
export const S_CHUNKS = 34;
/** Spins on an atomic before a thread sleeps in memory.atomic.wait32 (set by the host). */
export const S_SPINS = 35;
/** A job's shared result: allFinite's jobs clear it when a thread meets a non-finite value. */
export const S_RESULT = 36;
/** Workers asleep in memory.atomic.wait32 on S_GEN: the calling thread notifies only when it is not 0. */
export const S_SLEEPERS = 37;
/** 1 while the calling thread sleeps on S_ACTIVE: the last worker to leave a job notifies only then. */
export const S_MAIN_SLEEPS = 38;

// ---- byte offsets ----
/** The first worker fault's message (UTF-8), at most MSG_MAX bytes. */
export const MSG = 256;
export const MSG_MAX = 1024;
/**
 * One 64-bit claim word per thread (8 bytes × thread id): bits 0–15 the next chunk of that
 * thread's range, 16–31 the end of the range, 32–63 the generation it belongs to.
 */
export const CLAIMS = 1280;
/** Bytes between two threads' claim words. */
export const CLAIM_STRIDE = 8;
/** The most threads a pool has. */
export const MAX_THREADS = 256;
/** Bytes of the block before the per-thread scratch panels. */
export const HEADER = CLAIMS + CLAIM_STRIDE * MAX_THREADS;
/** Bytes of scratch each thread owns (gemmNN's packing buffer: 4 panels of 256 rows × 64 bytes). */
export const THREAD_SCRATCH = 65536;

// ---- job kinds ----
export const J_GEMM_NT = 1;
export const J_GEMM_NN = 2;
export const J_GEMV = 3;
export const J_GEMV_T = 4;
export const J_GER_K = 5;
export const J_GER = 6;
export const J_FILTERED_GEMM = 7;
export const J_FILTERED_GEMV = 8;
/** 3×3 patch matrices (im2col) and their transpose scatter (col2im), by images. */
export const J_IM2COL = 11;
export const J_COL2IM = 12;
/** The register-only ceiling on every thread at once (a benchmark). */
export const J_PEAK = 9;
/** Nothing: each thread claims its one chunk (a benchmark of the hand-off itself). */
export const J_NOP = 10;
/** An elementwise pass (EW_* below) split by rows: every row is computed as by the whole pass. */
export const J_ROWS = 13;
/** Batch normalisation (training forward, and backward), split by columns (features). */
export const J_BN_TRAIN = 14;
export const J_BN_BACKWARD = 15;
/** A product cut in row blocks (gemmNT, gemmNN of each block): split by blocks. */
export const J_GEMM_NT_ROWS = 16;
export const J_GEMM_NN_ROWS = 17;
/** The momentum update v ← μv + s·AᵀC, W ← W + c·v, split by rows of W. */
export const J_GER_K_MOMENTUM = 18;

// ---- the passes of J_ROWS (its first argument) ----
export const EW_RELU = 1;
/** ReLU backward: dx = [y > 0] ⊙ dy. */
export const EW_RELU_BACKWARD = 2;
/** Dropout forward: uniform variates, mask and masked output. */
export const EW_DROPOUT = 3;
export const EW_DROPOUT_BACKWARD = 4;
/** Gaussian variates (counter-based: a row's values do not depend on who draws them). */
export const EW_GAUSSIAN = 5;
/** The finiteness check (S_RESULT). */
export const EW_ALL_FINITE = 6;
/** Batch-norm forward rows: x̂ and y from the batch statistics. */
export const EW_BN_FORWARD = 7;
/** Batch-norm backward rows: dx from the column sums. */
export const EW_BN_DX = 8;
/** The microcircuit's induction terms E = A − φ(c·V) (fast-mode plasticity). */
export const EW_INDUCTION = 9;
/** The microcircuit's somatic potentials and rates U = a·X1 + c·X2, R = φ(U). */
export const EW_COMBINE_PHI = 10;
/**
 * A dendritic potential Y (+)= X Wᵀ (+ thresholds), then u = a·X1 + c·X2 and the rates φ(u) on
 * the same columns (the microcircuit's sweeps): split as gemmNT.
 */
export const J_DENDRITE = 19;
