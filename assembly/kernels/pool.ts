// Threads within one WebAssembly call. In the threads builds (scripts/build-wasm.mjs: shared,
// imported memory and atomics) the main thread and N−1 workers each instantiate this module on one
// memory; a worker waits in `poolWait` on an atomic generation counter. A kernel big
// enough to pay for it writes a job descriptor (kind and arguments) into the pool block, bumps the
// generation, computes its own share, and waits until every worker has done its share: one
// WebAssembly call of the model code (a whole presentation, a mini-batch) never leaves WebAssembly
// and never sends a message per step.
//
// Every job is split by output rows (or output columns) on the boundaries of the kernel's own
// register tiles, and the last share ends where the one-thread loop ends, so each output element is
// computed by exactly the instructions, in exactly the order, of the one-thread kernel: results are
// bit-identical for every thread count.
//
// Pool block (i32 slots from `pool`, allocated and zeroed by the host, src/core/pool.ts):
//   0 GEN      job generation; workers wait for it to change
//   1 PENDING  workers that have not finished the current job
//   2 JOB      job kind (J_* below)
//   3 EXIT     1: poolWait returns −1 (the workers end)
//   4 FAULT    0, or 1 + the id of the first worker whose share threw (the host fills in the message)
//   8..31      job arguments (i32, or f32 bits)
//   32         byte offset of the per-thread scratch panels (THREAD_SCRATCH bytes per thread)
import { gemmNTRange, gemmNNRange } from "./gemm";
import { gemvRange, gemvTRange } from "./gemv";
import { gerKRange, gerRange } from "./outer";
import { filteredGerGemmRange, filteredGerGemvRange } from "./filtered";
import { simdPeak } from "./peak";

// @ts-ignore: decorator
@inline const S_GEN = 0;
// @ts-ignore: decorator
@inline const S_PENDING = 1;
// @ts-ignore: decorator
@inline const S_JOB = 2;
// @ts-ignore: decorator
@inline const S_EXIT = 3;
// @ts-ignore: decorator
@inline const S_FAULT = 4;
// @ts-ignore: decorator
@inline const S_ARGS = 8;
// @ts-ignore: decorator
@inline const S_SCRATCH = 32;

/** Bytes of scratch each thread owns (the gemmNN panel of 256 rows × 64 bytes). */
// @ts-ignore: decorator
@inline export const THREAD_SCRATCH: i32 = 256 * 64;

export const J_GEMM_NT = 1;
export const J_GEMM_NN = 2;
export const J_GEMV = 3;
export const J_GEMV_T = 4;
export const J_GER_K = 5;
export const J_GER = 6;
export const J_FILTERED_GEMM = 7;
export const J_FILTERED_GEMV = 8;
export const J_PEAK = 9;

/**
 * Multiply-adds below which a kernel stays on the calling thread: handing a job to the workers
 * costs a few microseconds (they are spinning) to tens of microseconds (they slept).
 */
// @ts-ignore: decorator
@inline const MIN_PARALLEL_WORK: i64 = 96 * 1024;

/** Spins on an atomic before sleeping in memory.atomic.wait32. */
// @ts-ignore: decorator
@inline const SPINS = 1 << 16;

// Per instance (each thread has its own instance and so its own globals).
let pool: usize = 0;
let threads: i32 = 1;
let selfId: i32 = 0;
let mayWait: bool = true;

@external("dendritic", "poolFault")
declare function hostPoolFault(pool: usize): void;

/**
 * Binds this instance to a pool block: `n` threads in all, this one is thread `id` (0: the thread
 * that calls the kernels). `canWait` 0 where blocking is not allowed (a browser's main thread):
 * waiting then only spins.
 */
export function poolBind(block: usize, n: i32, id: i32, canWait: i32): void {
  pool = block;
  threads = n;
  selfId = id;
  mayWait = canWait != 0;
}

/** Threads a parallel kernel uses in this instance (1 without a pool). */
export function poolThreads(): i32 {
  return pool == 0 ? 1 : threads;
}

// @ts-ignore: decorator
@inline function slot(i: i32): usize {
  return pool + (<usize>i << 2);
}

/** True when a kernel of `work` multiply-adds should be split over the pool's threads. */
// @ts-ignore: decorator
@inline export function parallelWorth(work: i64): bool {
  if (!ASC_FEATURE_THREADS) return false;
  return pool != 0 && threads > 1 && selfId == 0 && work >= MIN_PARALLEL_WORK;
}

export function setArg(i: i32, v: i32): void {
  store<i32>(slot(S_ARGS + i), v);
}
export function setArgF(i: i32, v: f32): void {
  store<f32>(slot(S_ARGS + i), v);
}
// @ts-ignore: decorator
@inline function arg(i: i32): i32 {
  return load<i32>(slot(S_ARGS + i));
}
// @ts-ignore: decorator
@inline function argp(i: i32): usize {
  return <usize>load<u32>(slot(S_ARGS + i));
}
// @ts-ignore: decorator
@inline function argf(i: i32): f32 {
  return load<f32>(slot(S_ARGS + i));
}

/** [lo, hi) of thread t of nt over `total` items in whole units of `unit`; the last share ends at `total`. */
// @ts-ignore: decorator
@inline function shareLo(total: i32, unit: i32, t: i32, nt: i32): i32 {
  const units = total / unit;
  return <i32>((<i64>units * <i64>t) / <i64>nt) * unit;
}
// @ts-ignore: decorator
@inline function shareHi(total: i32, unit: i32, t: i32, nt: i32): i32 {
  if (t == nt - 1) return total;
  const units = total / unit;
  return <i32>((<i64>units * <i64>(t + 1)) / <i64>nt) * unit;
}

/** This thread's scratch panel (THREAD_SCRATCH bytes, 64-byte aligned). */
function scratch(t: i32): usize {
  return <usize>load<u32>(slot(S_SCRATCH)) + <usize>t * <usize>THREAD_SCRATCH;
}

/** Runs thread t's share of the current job. */
function runShare(t: i32, nt: i32): void {
  const job = load<i32>(slot(S_JOB));
  switch (job) {
    case J_GEMM_NT: {
      // Y (b×m) = X Wᵀ: rows of W (columns of Y) in blocks of 4, the gemmNT tile width.
      const m = arg(4);
      gemmNTRange(argp(0), argp(1), argp(2), arg(3), m, arg(5), arg(6), shareLo(m, 4, t, nt), shareHi(m, 4, t, nt));
      break;
    }
    case J_GEMM_NN: {
      // Y (b×n) = X W: columns of Y in 64-byte panels, the gemmNN tile width.
      const n = arg(5);
      const nb = ((n + 3) & ~3) << 2;
      gemmNNRange(argp(0), argp(1), argp(2), arg(3), arg(4), n, arg(6), shareLo(nb, 64, t, nt), shareHi(nb, 64, t, nt), scratch(t));
      break;
    }
    case J_GEMV: {
      // y = W x: rows of W in blocks of 6, the gemv tile height.
      const m = arg(3);
      gemvRange(argp(0), argp(1), argp(2), m, arg(4), arg(5), shareLo(m, 6, t, nt), shareHi(m, 6, t, nt));
      break;
    }
    case J_GEMV_T: {
      // y = Wᵀ x: columns of W in 96-byte panels, the widest gemvT tile.
      const n = arg(4);
      const nb = ((n + 3) & ~3) << 2;
      gemvTRange(argp(0), argp(1), argp(2), arg(3), n, arg(5), shareLo(nb, 96, t, nt), shareHi(nb, 96, t, nt));
      break;
    }
    case J_GER_K: {
      // W (m×n) += η AᵀC: rows of W in pairs, the gerK tile height.
      const m = arg(4);
      gerKRange(argp(0), argp(1), argp(2), arg(3), m, arg(5), argf(6), shareLo(m, 2, t, nt), shareHi(m, 2, t, nt));
      break;
    }
    case J_GER: {
      const m = arg(3);
      gerRange(argp(0), argp(1), argp(2), m, arg(4), argf(5), shareLo(m, 2, t, nt), shareHi(m, 2, t, nt));
      break;
    }
    case J_FILTERED_GEMM: {
      // Rows of W and D (columns of Y) one by one.
      const m = arg(7);
      filteredGerGemmRange(argp(0), argp(1), argp(2), argp(3), argp(4), argp(5), arg(6), m, arg(8), argf(9), argf(10), argf(11), arg(12), shareLo(m, 1, t, nt), shareHi(m, 1, t, nt));
      break;
    }
    case J_FILTERED_GEMV: {
      // Rows in pairs, the filteredGerGemv tile height.
      const m = arg(6);
      filteredGerGemvRange(argp(0), argp(1), argp(2), argp(3), argp(4), argp(5), m, arg(7), argf(8), argf(9), argf(10), arg(11), shareLo(m, 2, t, nt), shareHi(m, 2, t, nt));
      break;
    }
    case J_PEAK:
      // The register-only ceiling on every thread at once; the sum is stored so it is not optimised away.
      store<f32>(scratch(t), simdPeak(arg(0), argf(1), argf(2)));
      break;
    default:
      unreachable();
  }
}

/**
 * Runs the job whose arguments were set with setArg/setArgF on every thread of the pool, this
 * (calling) thread included, and returns when all shares are done. A worker whose share threw
 * makes this call throw that worker's error (through the host's poolFault).
 */
export function runParallel(job: i32): void {
  if (ASC_FEATURE_THREADS) {
    store<i32>(slot(S_JOB), job);
    atomic.store<i32>(slot(S_PENDING), threads - 1);
    atomic.add<i32>(slot(S_GEN), 1);
    atomic.notify(slot(S_GEN), threads - 1);
    runShare(0, threads);
    let spins = 0;
    let left = atomic.load<i32>(slot(S_PENDING));
    while (left != 0) {
      if (spins < SPINS || !mayWait) spins++;
      else memory.atomic.wait32(slot(S_PENDING), left, -1);
      left = atomic.load<i32>(slot(S_PENDING));
    }
    if (atomic.load<i32>(slot(S_FAULT)) != 0) hostPoolFault(pool);
  }
}

/** The current job generation (a worker's starting point for poolWait). */
export function poolGeneration(): i32 {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(slot(S_GEN));
  return 0;
}

/**
 * A worker waits here until the job generation differs from `seen` (a short spin, then
 * memory.atomic.wait32); returns the new generation, or −1 when the pool is told to exit.
 * The worker's loop lives in the host (src/core/pool.ts), which calls poolWait and poolWork in
 * turn: every call returns, so V8 tiers these functions up like any other (a loop that never
 * returns would run its baseline code forever).
 */
export function poolWait(seen: i32): i32 {
  if (ASC_FEATURE_THREADS) {
    let spins = 0;
    let gen = atomic.load<i32>(slot(S_GEN));
    while (gen == seen) {
      if (spins < SPINS) spins++;
      else memory.atomic.wait32(slot(S_GEN), seen, -1);
      gen = atomic.load<i32>(slot(S_GEN));
    }
    if (atomic.load<i32>(slot(S_EXIT)) != 0) return -1;
    return gen;
  }
  return -1;
}

/** A worker runs its share of the current job and reports it done. */
export function poolWork(): void {
  if (ASC_FEATURE_THREADS) {
    runShare(selfId, threads);
    if (atomic.sub<i32>(slot(S_PENDING), 1) == 1) atomic.notify(slot(S_PENDING), 1);
  }
}

/**
 * simdPeak(iters, a, b) on every thread of the pool at once (each runs `iters` steps, so the
 * FLOPs are poolThreads() × 96 × iters): the machine's ceiling for a parallel kernel. Returns
 * thread 0's sum. Without a pool, simdPeak itself.
 */
export function simdPeakThreads(iters: i32, a: f32, b: f32): f32 {
  if (ASC_FEATURE_THREADS) {
    if (pool != 0 && threads > 1 && selfId == 0) {
      setArg(0, iters);
      setArgF(1, a);
      setArgF(2, b);
      runParallel(J_PEAK);
      return load<f32>(scratch(0));
    }
  }
  return simdPeak(iters, a, b);
}
