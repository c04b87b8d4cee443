// Threads within one WebAssembly call. In the threads builds (asconfig.json: shared, imported memory
// and atomics) the main thread and N−1 workers each instantiate this module on one memory; a worker
// waits in `poolWait` on an atomic generation counter. A kernel big enough to pay for it hands its
// arguments to `parallel`, which writes a job (kind and arguments) into the pool block, bumps the
// generation, works on the job itself, and returns when the job is done: one WebAssembly call of
// the model code (a whole presentation, a mini-batch) never leaves WebAssembly and never sends a
// message per step.
//
// Scheduling. A job's output rows (or columns) are cut into chunks on the boundaries of the kernel's
// own register tiles, and every thread has a home range of chunks, the same on every call, so a
// thread keeps meeting the same rows of a weight matrix in its cache. A thread takes the chunks of
// its own range from the front; once it has none left it takes chunks from the back of the other
// threads' ranges. On an idle machine every thread does its own range; when a thread is late (not
// yet awake, descheduled by other work on the machine) the others do its chunks instead of waiting
// for it. Each chunk is claimed with a compare-and-swap on its range's 64-bit claim word, which also
// carries the job's generation, so a late thread can never claim a chunk of a later job.
//
// Bit-identical for every thread count: chunk boundaries lie on the kernel's tile boundaries and the
// last chunk ends where the one-thread loop ends, so each output element is computed by exactly the
// instructions, in exactly the order, of the one-thread kernel, whoever computes it.
//
// The block's layout is src/core/pool-layout.ts (shared with the host, src/core/pool.ts).
import {
  S_GEN, S_SLEEPERS, S_ACTIVE, S_MAIN_SLEEPS, S_JOB, S_EXIT, S_FAULT, S_LABEL_LAYER, S_LABEL_NAME, S_ARGS, S_SCRATCH, S_STEAL, S_CHUNKS, S_SPINS, S_RESULT, CLAIMS, CLAIM_STRIDE,
  THREAD_SCRATCH, J_GEMM_NT, J_GEMM_NN, J_GEMV, J_GEMV_T, J_GER_K, J_GER, J_FILTERED_GEMM, J_FILTERED_GEMV, J_PEAK, J_NOP, J_IM2COL, J_COL2IM,
  J_ROWS, J_DENDRITE, J_BN_TRAIN, J_BN_BACKWARD, J_GEMM_NT_ROWS, J_GEMM_NN_ROWS, J_GER_K_MOMENTUM,
  EW_RELU, EW_RELU_BACKWARD, EW_DROPOUT, EW_DROPOUT_BACKWARD, EW_GAUSSIAN, EW_ALL_FINITE, EW_BN_FORWARD, EW_BN_DX,
  EW_INDUCTION, EW_COMBINE_PHI,
} from "../../src/core/pool-layout";
import { gemmNTRange, gemmNNRange } from "./gemm";
import { gemvRange, gemvTRange } from "./gemv";
import { gerKRange, gerRange, gerKMomentumRange } from "./outer";
import { filteredGerGemmRange, filteredGerGemvRange } from "./filtered";
import { simdPeak } from "./peak";
import { im2col3x3Range, col2im3x3Range } from "./conv";
import { relu, reluGrad, mul, allFiniteRows } from "./elementwise";
import { dropoutForward, dropoutBackward } from "./dropout";
import { fillAt, GAUSS, UNIFORM } from "./noise";
import { dendriteEpilogue, inductionRows, combinePhiRows } from "../models/microcircuit/cells";
import { bnTrainRange, bnForward, bnBackwardSumsRange, bnBackwardDx } from "./batchnorm";

/**
 * Multiply-adds below which a kernel stays on the calling thread: handing a job to the workers
 * costs about a microsecond when they are spinning and tens of microseconds when they slept.
 */
// @ts-ignore: decorator
@inline const MIN_PARALLEL_WORK: i64 = 96 * 1024;

/** Chunks per thread of a job: enough for a late thread's share to be spread over the others. */
// @ts-ignore: decorator
@inline const CHUNKS_PER_THREAD = 8;


// Per instance (each thread has its own instance and so its own globals).
let pool: usize = 0;
let threads: i32 = 1;
let selfId: i32 = 0;
let mayWait: bool = true;
/** True from posting a job until its end was seen: false, the claim words need no closing before the next. */
let jobOpen: bool = false;

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

/**
 * Sets the layer of the label alone (the host calls it before a layer's kernels when the model's
 * layers are driven from TypeScript, as BrainProp's are; the kernels then name the variable).
 */
export function poolLayer(layer: i32): void {
  if (ASC_FEATURE_THREADS) {
    if (pool != 0) store<i32>(slot(S_LABEL_LAYER), layer);
  }
}

/** Sets the variable of the label, keeping its layer (see poolLabel). */
export function poolName(name: string): void {
  if (ASC_FEATURE_THREADS) {
    if (pool != 0) store<u32>(slot(S_LABEL_NAME), <u32>changetype<usize>(name));
  }
}

/** Threads a parallel kernel uses in this instance (1 without a pool). */
export function poolThreads(): i32 {
  return pool == 0 ? 1 : threads;
}

// @ts-ignore: decorator
@inline function slot(i: i32): usize {
  return pool + (<usize>i << 2);
}
// @ts-ignore: decorator
@inline function claimWord(t: i32): usize {
  return pool + <usize>CLAIMS + <usize>t * <usize>CLAIM_STRIDE;
}

/** True when a kernel of `work` multiply-adds should be split over the pool's threads. */
// @ts-ignore: decorator
@inline function parallelWorth(work: i64): bool {
  if (!ASC_FEATURE_THREADS) return false;
  return pool != 0 && threads > 1 && selfId == 0 && work >= MIN_PARALLEL_WORK;
}

/**
 * Names what the next kernel computes — layer `layer` (−1: none) and a static string `name` (a
 * variable of the model, "W^up") — so that a worker's fault can say where it happened. The next
 * kernel that could run in parallel consumes the label, whether or not it is split. Costs two
 * stores; does nothing without a pool.
 */
export function poolLabel(layer: i32, name: string): void {
  if (ASC_FEATURE_THREADS) {
    if (pool != 0) {
      store<i32>(slot(S_LABEL_LAYER), layer);
      store<u32>(slot(S_LABEL_NAME), <u32>changetype<usize>(name));
    }
  }
}

/**
 * The one entry of every parallel kernel: when `work` multiply-adds are worth splitting, runs job
 * `job` with arguments a0… (pointers and sizes as i32, scalars as their f32 bits) on every thread of
 * the pool and returns true once it is done; otherwise returns false at once and the caller runs
 * the whole range itself. Arguments past those a job reads are ignored.
 */
// @ts-ignore: decorator
@inline export function parallel(
  job: i32, work: i64,
  a0: i32 = 0, a1: i32 = 0, a2: i32 = 0, a3: i32 = 0, a4: i32 = 0, a5: i32 = 0, a6: i32 = 0,
  a7: i32 = 0, a8: i32 = 0, a9: i32 = 0, a10: i32 = 0, a11: i32 = 0, a12: i32 = 0, a13: i32 = 0,
  a14: i32 = 0, a15: i32 = 0,
): bool {
  if (ASC_FEATURE_THREADS) {
    if (parallelWorth(work)) {
      post(job, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
      return true;
    }
    if (pool != 0) store<u32>(slot(S_LABEL_NAME), 0);
  }
  return false;
}

function post(
  job: i32, a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, a10: i32, a11: i32, a12: i32,
  a13: i32 = 0, a14: i32 = 0, a15: i32 = 0,
): void {
  const p = slot(S_ARGS);
  store<i32>(p, a0, 0); store<i32>(p, a1, 4); store<i32>(p, a2, 8); store<i32>(p, a3, 12);
  store<i32>(p, a4, 16); store<i32>(p, a5, 20); store<i32>(p, a6, 24); store<i32>(p, a7, 28);
  store<i32>(p, a8, 32); store<i32>(p, a9, 36); store<i32>(p, a10, 40); store<i32>(p, a11, 44);
  store<i32>(p, a12, 48); store<i32>(p, a13, 52); store<i32>(p, a14, 56); store<i32>(p, a15, 60);
  runParallel(job);
}

// @ts-ignore: decorator
@inline function arg(i: i32): i32 {
  return load<i32>(slot(S_ARGS + i));
}
// @ts-ignore: decorator
@inline function argp(i: i32): usize {
  return <usize>load<u32>(slot(S_ARGS + i));
}
/** Arguments i (low word) and i + 1 (high word) as one 64-bit counter. */
// @ts-ignore: decorator
@inline function arg64(i: i32): u64 {
  return load<u64>(slot(S_ARGS + i));
}
// @ts-ignore: decorator
@inline function argf(i: i32): f32 {
  return load<f32>(slot(S_ARGS + i));
}

/** This thread's scratch panel (THREAD_SCRATCH bytes, 64-byte aligned). */
function scratch(t: i32): usize {
  return <usize>load<u32>(slot(S_SCRATCH)) + <usize>t * <usize>THREAD_SCRATCH;
}

// The extent of a job: `total` items (rows, or bytes of a padded row) cut in whole `unit`s, the
// kernel's tile; chunk c of C covers units [c·U/C, (c+1)·U/C), the last one ending at `total`.
let extTotal: i32 = 0;
let extUnit: i32 = 1;

function setExtent(job: i32): void {
  let total = 0, unit = 1;
  switch (job) {
    // Y (b×m) = X Wᵀ: rows of W (columns of Y) in blocks of 4, the gemmNT tile width.
    case J_GEMM_NT:
    case J_DENDRITE: { total = arg(4); unit = 4; break; }
    // Y (b×n) = X W: bytes of Y's padded rows in 64-byte panels, the gemmNN tile width.
    case J_GEMM_NN: { total = ((arg(5) + 3) & ~3) << 2; unit = 64; break; }
    // y = W x: rows of W in blocks of 6, the gemv tile height.
    case J_GEMV: { total = arg(3); unit = 6; break; }
    // y = Wᵀ x: bytes of y in 96-byte panels, the widest gemvT tile.
    case J_GEMV_T: { total = ((arg(4) + 3) & ~3) << 2; unit = 96; break; }
    // W += η AᵀC and W += η a cᵀ: rows of W in pairs, their tile height.
    case J_GER_K: { total = arg(4); unit = 2; break; }
    case J_GER: { total = arg(3); unit = 2; break; }
    // Rows of W and D (columns of Y) one by one; the k = 1 form in pairs, its tile height.
    case J_FILTERED_GEMM: { total = arg(7); unit = 1; break; }
    case J_FILTERED_GEMV: { total = arg(6); unit = 2; break; }
    // Images, each independent.
    case J_IM2COL:
    case J_COL2IM: { total = arg(2); unit = 1; break; }
    // Rows of an elementwise pass (its rows are argument 1).
    case J_ROWS: { total = arg(1); unit = 1; break; }
    // Columns (features) of batch normalisation, in groups of 16 (a 64-byte line of a row).
    case J_BN_TRAIN: { total = (arg(7) + 3) & ~3; unit = 16; break; }
    case J_BN_BACKWARD: { total = (arg(5) + 3) & ~3; unit = 16; break; }
    // Row blocks of a product cut in blocks of arg(6) rows.
    case J_GEMM_NT_ROWS:
    case J_GEMM_NN_ROWS: { total = arg(3); unit = arg(6); break; }
    // Rows of W (and v) in pairs, the gerK tile height.
    case J_GER_K_MOMENTUM: { total = arg(5); unit = 2; break; }
    // One chunk per thread.
    case J_PEAK:
    case J_NOP: { total = threads; unit = 1; break; }
    default: unreachable();
  }
  extTotal = total;
  extUnit = unit;
}

// @ts-ignore: decorator
@inline function chunkEdge(c: i32, chunks: i32): i32 {
  if (c >= chunks) return extTotal;
  const units = extTotal / extUnit;
  return <i32>((<i64>units * <i64>c) / <i64>chunks) * extUnit;
}

/** Runs items [lo, hi) of the current job on thread t. */
function runRange(job: i32, lo: i32, hi: i32, t: i32): void {
  if (lo >= hi) return;
  switch (job) {
    case J_GEMM_NT: { gemmNTRange(argp(0), argp(1), argp(2), arg(3), arg(4), arg(5), arg(6), lo, hi); break; }
    case J_GEMM_NN: { gemmNNRange(argp(0), argp(1), argp(2), arg(3), arg(4), arg(5), arg(6), lo, hi, scratch(t)); break; }
    case J_GEMV: { gemvRange(argp(0), argp(1), argp(2), arg(3), arg(4), arg(5), lo, hi); break; }
    case J_GEMV_T: { gemvTRange(argp(0), argp(1), argp(2), arg(3), arg(4), arg(5), lo, hi); break; }
    case J_GER_K: { gerKRange(argp(0), argp(1), argp(2), arg(3), arg(4), arg(5), argf(6), lo, hi); break; }
    case J_GER: { gerRange(argp(0), argp(1), argp(2), arg(3), arg(4), argf(5), lo, hi); break; }
    case J_FILTERED_GEMM: {
      filteredGerGemmRange(argp(0), argp(1), argp(2), argp(3), argp(4), argp(5), arg(6), arg(7), arg(8), argf(9), argf(10), argf(11), arg(12), lo, hi);
      break;
    }
    case J_FILTERED_GEMV: {
      filteredGerGemvRange(argp(0), argp(1), argp(2), argp(3), argp(4), argp(5), arg(6), arg(7), argf(8), argf(9), argf(10), arg(11), lo, hi);
      break;
    }
    case J_IM2COL: {
      im2col3x3Range(argp(0), argp(1), arg(3), arg(4), arg(5), arg(6), arg(7), arg(8), arg(9), arg(10), arg(11), arg(12), lo, hi);
      break;
    }
    case J_COL2IM: {
      col2im3x3Range(argp(0), argp(1), arg(3), arg(4), arg(5), arg(6), arg(7), arg(8), arg(9), arg(10), arg(11), arg(12), lo, hi);
      break;
    }
    case J_ROWS: { rowsPass(lo, hi, t); break; }
    case J_DENDRITE: {
      const Y = argp(0), b = arg(3), m = arg(4);
      gemmNTRange(Y, argp(1), argp(2), b, m, arg(5), arg(6), lo, hi);
      dendriteEpilogue(argp(14), Y, argp(7), argp(8), argp(9), argf(10), argp(11), argf(12), argp(13), b, m, lo, hi);
      break;
    }
    case J_BN_TRAIN: {
      bnTrainRange(argp(0), argp(1), argp(2), argp(3), argp(4), argp(5), arg(6), arg(7), argf(8), argf(9), argf(10), lo, hi);
      break;
    }
    case J_BN_BACKWARD: { bnBackwardSumsRange(argp(0), argp(1), argp(2), argp(3), arg(4), arg(5), lo, hi); break; }
    case J_GEMM_NT_ROWS: {
      const Y = argp(0), X = argp(1), W = argp(2), m = arg(4), n = arg(5), c = arg(6);
      const sy = rowBytes(m), sx = rowBytes(n);
      for (let r = lo; r < hi; r += c) gemmNTRange(Y + <usize>r * sy, X + <usize>r * sx, W, min(c, hi - r), m, n, 0, 0, m);
      break;
    }
    case J_GEMM_NN_ROWS: {
      const Y = argp(0), X = argp(1), W = argp(2), m = arg(4), n = arg(5), c = arg(6);
      const sy = rowBytes(n), sx = rowBytes(m);
      for (let r = lo; r < hi; r += c) gemmNNRange(Y + <usize>r * sy, X + <usize>r * sx, W, min(c, hi - r), m, n, 0, 0, <i32>sy, scratch(t));
      break;
    }
    case J_GER_K_MOMENTUM: {
      gerKMomentumRange(argp(0), argp(1), argp(2), argp(3), arg(4), arg(5), arg(6), argf(7), argf(8), argf(9), lo, hi);
      break;
    }
    // The sum is stored so the loop is not optimised away.
    case J_PEAK: { store<f32>(scratch(t), simdPeak(arg(0), argf(1), argf(2))); break; }
    case J_NOP: break;
    default: unreachable();
  }
}

// @ts-ignore: decorator
@inline function word(gen: i32, next: i32, end: i32): i64 {
  return (<i64>gen << 32) | (<i64>end << 16) | <i64>next;
}

/**
 * Claims the next chunk of thread `owner`'s range for job generation `gen`: from the front when
 * `front` (the owner), else from the back (another thread). Returns the chunk, or −1 when the range
 * is empty or belongs to another job.
 */
function claim(owner: i32, gen: i32, front: bool): i32 {
  const p = claimWord(owner);
  let w = atomic.load<i64>(p);
  while (<i32>(w >>> 32) == gen) {
    const next = <i32>(w & 0xffff);
    const end = <i32>((w >>> 16) & 0xffff);
    if (next >= end) break;
    const v = front ? word(gen, next + 1, end) : word(gen, next, end - 1);
    const seen = atomic.cmpxchg<i64>(p, w, v);
    if (seen == w) return front ? next : end - 1;
    w = seen;
  }
  return -1;
}

/** Thread t's part of job `gen`: its own chunks, then (when stealing is on) the others' leftovers. */
function work(t: i32, nt: i32, gen: i32): void {
  const job = load<i32>(slot(S_JOB));
  const chunks = load<i32>(slot(S_CHUNKS));
  setExtent(job);
  for (;;) {
    const c = claim(t, gen, true);
    if (c < 0) break;
    runRange(job, chunkEdge(c, chunks), chunkEdge(c + 1, chunks), t);
  }
  if (load<i32>(slot(S_STEAL)) == 0 || job == J_PEAK || job == J_NOP) return;
  for (let k = 1; k < nt; k++) {
    const o = (t + k) % nt;
    for (;;) {
      const c = claim(o, gen, false);
      if (c < 0) break;
      runRange(job, chunkEdge(c, chunks), chunkEdge(c + 1, chunks), t);
    }
  }
}

/** Waits (a short spin, then memory.atomic.wait32 where allowed) until the workers have left the job. */
function waitIdle(): void {
  let active = atomic.load<i32>(slot(S_ACTIVE));
  if (active == 0) return;
  const limit = load<i32>(slot(S_SPINS));
  let spins = 0;
  while (active != 0) {
    if (spins < limit || !mayWait) spins++;
    else {
      // Announced before the wait (both sequentially consistent): a worker that leaves after this
      // store sees it and notifies; one that left before it changed S_ACTIVE, so the wait returns.
      atomic.store<i32>(slot(S_MAIN_SLEEPS), 1);
      memory.atomic.wait32(slot(S_ACTIVE), active, -1);
      atomic.store<i32>(slot(S_MAIN_SLEEPS), 0);
    }
    active = atomic.load<i32>(slot(S_ACTIVE));
  }
}

/** Spins until every chunk of job `gen` has been claimed (a thread that claims one is counted in S_ACTIVE first). */
function waitClaimed(gen: i32, nt: i32): void {
  for (let t = 1; t < nt; t++) {
    const p = claimWord(t);
    for (;;) {
      const w = atomic.load<i64>(p);
      if (<i32>(w >>> 32) != gen || <i32>(w & 0xffff) >= <i32>((w >>> 16) & 0xffff)) break;
    }
  }
}

/**
 * Runs the job whose arguments are in the block on every thread of the pool, this (calling) thread
 * included, and returns when all its chunks are done. A worker whose chunk threw makes this call
 * throw that worker's error (through the host's poolFault).
 */
function runParallel(job: i32): void {
  if (ASC_FEATURE_THREADS) {
    const nt = threads;
    const old = atomic.load<i32>(slot(S_GEN));
    if (jobOpen) {
      // The previous job's calling thread threw (a fault in its own chunk): the job may still have
      // chunks and workers. Close its ranges and let the workers leave it before the block is
      // rewritten; that call threw already, so a worker's fault recorded in the job is moot.
      for (let t = 0; t < nt; t++) atomic.store<i64>(claimWord(t), word(old, 0, 0));
      waitIdle();
      atomic.store<i32>(slot(S_FAULT), 0);
    }
    jobOpen = true;
    const gen = old + 1;
    // Plain stores: the sequentially consistent store of the generation below publishes them.
    store<i32>(slot(S_JOB), job);
    store<i32>(slot(S_RESULT), 1);
    setExtent(job);
    const units = extTotal / extUnit;
    const chunks = job == J_PEAK || job == J_NOP ? nt : <i32>min(<i64>max(units, 1), <i64>CHUNKS_PER_THREAD * <i64>nt);
    store<i32>(slot(S_CHUNKS), chunks);
    // Thread t's home range: chunks [t·C/nt, (t+1)·C/nt).
    for (let t = 0; t < nt; t++) {
      atomic.store<i64>(claimWord(t), word(gen, (t * chunks) / nt, ((t + 1) * chunks) / nt));
    }
    atomic.store<i32>(slot(S_GEN), gen);
    // A sleeping worker counts itself in S_SLEEPERS before it waits on S_GEN (poolWait): either
    // this load sees it, or its wait sees the new generation and returns at once.
    if (atomic.load<i32>(slot(S_SLEEPERS)) != 0) atomic.notify(slot(S_GEN), nt - 1);
    work(0, nt, gen);
    // Without stealing (and for the jobs that never steal) other threads' chunks may not all be
    // claimed yet; with it, work() has claimed whatever was left.
    if (load<i32>(slot(S_STEAL)) == 0 || job == J_PEAK || job == J_NOP) waitClaimed(gen, nt);
    waitIdle();
    jobOpen = false;
    // The host reads the label, clears it and the fault, and throws.
    if (atomic.load<i32>(slot(S_FAULT)) != 0) hostPoolFault(pool);
    store<u32>(slot(S_LABEL_NAME), 0);
  }
}

// @ts-ignore: decorator
@inline function rowBytes(cols: i32): usize {
  return (<usize>((cols + 3) & ~3)) << 2;
}

/**
 * Rows lo ≤ r < hi of the elementwise pass of a J_ROWS job. Arguments: 0 the pass (EW_*), 1 rows,
 * 2 columns, then the pass's own (pointers to rows × columns tensors of the same stride, scalars).
 * Each pass computes every element with the instructions of its one-thread kernel.
 */
function rowsPass(lo: i32, hi: i32, t: i32): void {
  const op = arg(0);
  const cols = arg(2);
  const rb = rowBytes(cols);
  const o = <usize>lo * rb;
  const n = hi - lo;
  switch (op) {
    case EW_RELU: { relu(argp(3) + o, argp(4) + o, n, cols); break; }
    case EW_RELU_BACKWARD: {
      // dx = [y > 0] ⊙ dy: arguments dx, dy, y
      const dx = argp(3) + o;
      reluGrad(dx, argp(5) + o, n, cols);
      mul(dx, dx, argp(4) + o, n, cols);
      break;
    }
    case EW_DROPOUT: {
      // y, mask, u, x, rate, seed, stream, counter (lo, hi): row r draws variates counter + r·cols …
      const u = argp(5) + o;
      const counter = arg64(9) + <u64>lo * <u64>cols;
      fillAt(UNIFORM, u, n, cols, <u32>arg(7), <u32>arg(8), counter, 0, 1, scratch(t));
      dropoutForward(argp(3) + o, argp(4) + o, argp(6) + o, u, n, cols, argf(11));
      break;
    }
    case EW_DROPOUT_BACKWARD: { dropoutBackward(argp(3) + o, argp(4) + o, argp(5) + o, n, cols); break; }
    case EW_GAUSSIAN: {
      // out, seed, stream, counter (lo, hi)
      const counter = arg64(6) + <u64>lo * <u64>cols;
      fillAt(GAUSS, argp(3) + o, n, cols, <u32>arg(4), <u32>arg(5), counter, 0, 0, scratch(t));
      break;
    }
    case EW_ALL_FINITE: {
      if (!allFiniteRows(argp(3) + o, n, cols)) atomic.store<i32>(slot(S_RESULT), 0);
      break;
    }
    case EW_BN_FORWARD: {
      // y, xhat, x (rows), mean, invStd, gamma, beta (vectors)
      bnForward(argp(3) + o, argp(4) + o, argp(5) + o, argp(6), argp(7), argp(8), argp(9), n, cols);
      break;
    }
    case EW_BN_DX: {
      // dx, dy, xhat (rows), dgamma, dbeta, gamma, invStd (vectors), 1/N
      bnBackwardDx(argp(3) + o, argp(4) + o, argp(5) + o, argp(6), argp(7), argp(8), argp(9), n, cols, argf(10));
      break;
    }
    case EW_INDUCTION: {
      // E, A, V (rows), c, net
      inductionRows(<usize>arg(7), argp(3) + o, argp(4) + o, argp(5) + o, n, cols, argf(6));
      break;
    }
    case EW_COMBINE_PHI: {
      // U, X1, X2 (rows; X2 may be 0), R (rows), a, c, net
      const x2 = argp(5);
      combinePhiRows(<usize>arg(9), argp(3) + o, argp(4) + o, argf(7), x2 != 0 ? x2 + o : 0, argf(8), argp(6) + o, n, cols);
      break;
    }
    default: unreachable();
  }
}

/**
 * An elementwise pass over `rows` rows split by rows when `work` (about multiply-adds of the same
 * time) is worth it. Returns false when it was not posted (the caller runs the pass itself).
 */
// @ts-ignore: decorator
@inline export function parallelRows(
  op: i32, work: i64, rows: i32, cols: i32,
  a3: i32 = 0, a4: i32 = 0, a5: i32 = 0, a6: i32 = 0, a7: i32 = 0, a8: i32 = 0, a9: i32 = 0, a10: i32 = 0, a11: i32 = 0,
): bool {
  if (rows < 2) return false;
  return parallel(J_ROWS, work, op, rows, cols, a3, a4, a5, a6, a7, a8, a9, a10, a11);
}

/** The shared result of the last job (S_RESULT: 1 unless a thread cleared it). */
export function poolResult(): i32 {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(slot(S_RESULT));
  return 1;
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
    const limit = load<i32>(slot(S_SPINS));
    let spins = 0;
    let gen = atomic.load<i32>(slot(S_GEN));
    while (gen == seen) {
      if (spins < limit) spins++;
      else {
        atomic.add<i32>(slot(S_SLEEPERS), 1);
        memory.atomic.wait32(slot(S_GEN), seen, -1);
        atomic.sub<i32>(slot(S_SLEEPERS), 1);
      }
      gen = atomic.load<i32>(slot(S_GEN));
    }
    if (atomic.load<i32>(slot(S_EXIT)) != 0) return -1;
    return gen;
  }
  return -1;
}

/**
 * A worker does its part of job `gen` (nothing if that job is already over). It counts itself in
 * S_ACTIVE meanwhile; the host's catch (src/core/pool.ts) counts it out when a chunk throws.
 */
export function poolWork(gen: i32): void {
  if (ASC_FEATURE_THREADS) {
    atomic.add<i32>(slot(S_ACTIVE), 1);
    work(selfId, threads, gen);
    if (atomic.sub<i32>(slot(S_ACTIVE), 1) == 1 && atomic.load<i32>(slot(S_MAIN_SLEEPS)) != 0) atomic.notify(slot(S_ACTIVE), 1);
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
      post(J_PEAK, iters, reinterpret<i32>(a), reinterpret<i32>(b), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      return load<f32>(scratch(0));
    }
  }
  return simdPeak(iters, a, b);
}

/**
 * `calls` empty jobs handed to every thread of the pool in turn: the cost of one hand-off (post,
 * wake or spin, claim, wait) is the time of this call divided by `calls`. Returns the jobs run.
 */
export function poolNop(calls: i32): i32 {
  if (ASC_FEATURE_THREADS) {
    if (pool != 0 && threads > 1 && selfId == 0) {
      for (let i = 0; i < calls; i++) post(J_NOP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      return calls;
    }
  }
  return 0;
}
