// The thread pool behind `init({ threads })`: N − 1 workers (worker_threads in Node, Web Workers in
// browsers), each instantiating the threads build of the core on the one shared memory, so weights
// and state exist once. Jobs never travel as messages: the core's parallel kernels post them into a
// block of shared memory and the workers wait on an atomic in WebAssembly (assembly/kernels/pool.ts).
// Messages are used only to start the workers and to report that they are ready.
import { DendriticError, DisposedError } from "./errors.js";
import {
  CLAIMS,
  HEADER,
  MSG,
  MSG_MAX,
  S_SPINS,
  S_ARGS,
  J_ROWS,
  S_ACTIVE,
  S_EXIT,
  S_FAULT,
  S_GEN,
  S_JOB,
  S_LABEL_LAYER,
  S_LABEL_NAME,
  S_MSG_LEN,
  S_SCRATCH,
  S_STEAL,
  THREAD_SCRATCH,
} from "./pool-layout.js";

/**
 * Spins on an atomic before a waiting thread sleeps in memory.atomic.wait32: long enough that a
 * model handing out a job every few microseconds does not pay for a wake-up, short enough that an
 * idle worker soon leaves the core to others.
 */
const DEFAULT_SPINS = 1 << 16;

/** Kernel names of the job kinds (pool-layout.ts J_*). */
const JOBS = [
  "",
  "gemmNT",
  "gemmNN",
  "gemv",
  "gemvT",
  "gerK",
  "ger",
  "filteredGerGemm",
  "filteredGerGemv",
  "simdPeak",
  "poolNop",
  "im2col3x3",
  "col2im3x3",
  "", // J_ROWS: named by its pass (PASSES)
  "batchNorm",
  "batchNormBackward",
  "gemmNT",
  "gemmNN",
  "gerK momentum",
  "gemmNT",
];
/** Kernel names of the elementwise passes of J_ROWS (pool-layout.ts EW_*). */
const PASSES = ["", "relu", "reluBackward", "dropout", "dropoutBackward", "gaussian", "allFinite", "batchNorm", "batchNormBackward"];

/** An exception in a worker thread, re-thrown on the thread that called the kernel. */
export class WorkerError extends DendriticError {
  override name = "WorkerError";
}

/**
 * The worker's program, as source text: it runs unchanged in Node (an eval'd worker_threads
 * script) and in browsers (a classic Web Worker from a Blob URL), and needs no bundler, no file of
 * its own next to the compiled library and no loader for TypeScript.
 */
const WORKER_SOURCE = `"use strict";
function run(data, post) {
  const { module, memory, pool, id, threads } = data;
  const read = (ptr) => {
    if (!ptr) return "";
    const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
    const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
    let s = "";
    for (let i = 0; i < units.length; i++) s += String.fromCharCode(units[i]);
    return s;
  };
  const imports = {
    env: {
      memory,
      abort(msg, file, line, column) {
        throw new Error("WebAssembly core aborted: " + read(msg) + " at " + read(file) + ":" + line + ":" + column);
      },
    },
    dendritic: { poolFault() { throw new Error("poolFault on a worker"); } },
  };
  const ex = new WebAssembly.Instance(module, imports).exports;
  ex.poolBind(pool, threads, id, 1);
  // Read before "ready": no job is posted until every worker is ready.
  let seen = ex.poolGeneration();
  post({ type: "ready" });
  for (;;) {
    const gen = ex.poolWait(seen);
    if (gen < 0) return;
    seen = gen;
    try {
      ex.poolWork(gen);
    } catch (e) {
      const h = new Int32Array(memory.buffer, pool, 64);
      if (Atomics.compareExchange(h, ${S_FAULT}, 0, id + 1) === 0) {
        const text = e instanceof Error ? e.name + ": " + e.message : String(e);
        const bytes = new TextEncoder().encode(text).subarray(0, ${MSG_MAX});
        new Uint8Array(memory.buffer, pool + ${MSG}, bytes.length).set(bytes);
        Atomics.store(h, ${S_MSG_LEN}, bytes.length);
      }
      // The chunk that threw is lost and the call that posted the job throws this error; the rest
      // of this thread's range is closed (claimed by nobody), so no thread waits for it.
      const claims = new BigInt64Array(memory.buffer, pool + ${CLAIMS}, threads);
      for (let w = Atomics.load(claims, id); Number(BigInt.asIntN(32, w >> 32n)) === gen; ) {
        const end = (w >> 16n) & 0xffffn;
        const closed = (w & ~0xffffn) | end;
        const seen = Atomics.compareExchange(claims, id, w, closed);
        if (seen === w) break;
        w = seen;
      }
      if (Atomics.sub(h, ${S_ACTIVE}, 1) === 1) Atomics.notify(h, ${S_ACTIVE}, 1);
    }
  }
}
if (typeof process === "object" && process.versions && process.versions.node) {
  const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
  run(workerData, (m) => parentPort.postMessage(m));
} else {
  self.onmessage = (ev) => run(ev.data, (m) => self.postMessage(m));
}
`;

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/** Whether this runtime can share WebAssembly memory with workers (browsers: cross-origin isolated pages only). */
export function sharedMemoryAvailable(): { ok: boolean; why?: string } {
  if (typeof SharedArrayBuffer === "undefined") {
    return {
      ok: false,
      why: isNode ? "SharedArrayBuffer is missing" : "the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)",
    };
  }
  if (!isNode && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return { ok: false, why: "the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)" };
  }
  if (!isNode && typeof Worker === "undefined") return { ok: false, why: "this context cannot start Web Workers" };
  return { ok: true };
}

/** Logical cores of this machine (Node: os.availableParallelism; browsers: navigator.hardwareConcurrency). */
export function availableCores(): number {
  if (isNode) {
    const os = process.getBuiltinModule?.("node:os") as typeof import("node:os") | undefined;
    return Math.max(1, os?.availableParallelism?.() ?? os?.cpus().length ?? 1);
  }
  return Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
}

interface PoolExports {
  alloc(bytes: number): number;
  poolBind(block: number, n: number, id: number, canWait: number): void;
}

/** An AssemblyScript string (UTF-16, its byte length in the 4 bytes before it) from shared memory. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0 || ptr + 4 > memory.buffer.byteLength) return "";
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  if (bytes > 256 || ptr + bytes > memory.buffer.byteLength) return "";
  const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
  return String.fromCharCode(...units);
}

interface AnyWorker {
  terminate(): unknown;
}

/** The workers of one core and the block of shared memory they take jobs from. */
export class ThreadPool {
  readonly threads: number;
  #memory: WebAssembly.Memory;
  #block: number;
  #workers: AnyWorker[];
  #exports: PoolExports;
  #disposed = false;

  private constructor(threads: number, memory: WebAssembly.Memory, block: number, workers: AnyWorker[], exports: PoolExports) {
    this.threads = threads;
    this.#memory = memory;
    this.#block = block;
    this.#workers = workers;
    this.#exports = exports;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  #slots(): Int32Array {
    return new Int32Array(this.#memory.buffer, this.#block, 64);
  }

  /**
   * The host side of the core's `dendritic.poolFault` import, called by the thread that ran a
   * parallel kernel when a worker's share threw: throws that worker's error here.
   */
  static faultHandler(memory: () => WebAssembly.Memory): (block: number) => never {
    return (block: number): never => {
      const h = new Int32Array(memory().buffer, block, 64);
      const who = Atomics.exchange(h, S_FAULT, 0) - 1;
      const len = Math.min(Atomics.load(h, S_MSG_LEN), MSG_MAX);
      // Copied out of shared memory first: TextDecoder does not read shared buffers in browsers.
      const bytes = new Uint8Array(len);
      bytes.set(new Uint8Array(memory().buffer, block + MSG, len));
      const kind = Atomics.load(h, S_JOB);
      const job = (kind === J_ROWS ? PASSES[h[S_ARGS]] : JOBS[kind]) || `job ${kind}`;
      // What the model said the kernel computes (poolLabel in assembly/kernels/pool.ts).
      const name = readString(memory(), h[S_LABEL_NAME] >>> 0);
      const layer = h[S_LABEL_LAYER];
      const where = name ? ` (${layer >= 0 ? `layer ${layer}, ` : ""}${name})` : "";
      h[S_LABEL_NAME] = 0;
      throw new WorkerError(`worker thread ${who} failed in ${job}${where}: ${new TextDecoder().decode(bytes)}`);
    };
  }

  /** Starts threads − 1 workers on `module` (the threads build) sharing `memory`; binds `exports` (the calling thread's instance) as thread 0. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, exports: PoolExports, threads: number): Promise<ThreadPool> {
    const raw = exports.alloc(HEADER + 64 + threads * THREAD_SCRATCH);
    if (raw === 0) throw new DendriticError("cannot allocate the thread pool's block");
    const block = raw;
    const scratch = (raw + HEADER + 63) & ~63;
    const h = new Int32Array(memory.buffer, block, CLAIMS >> 2);
    h[S_SCRATCH] = scratch;
    h[S_STEAL] = 1;
    h[S_SPINS] = DEFAULT_SPINS;
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    try {
      for (let id = 1; id < threads; id++) {
        const data = { module, memory, pool: block, id, threads };
        if (isNode) {
          const wt = process.getBuiltinModule?.("node:worker_threads") as typeof import("node:worker_threads") | undefined;
          if (!wt) throw new DendriticError("node:worker_threads is not available");
          // execArgv [] : the worker needs none of the parent's loaders or flags (V8 flags such as
          // relaxed SIMD are process-wide; the module arrives compiled).
          const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data, name: `dendritic-${id}`, execArgv: [] });
          workers.push(w);
          // Worker errors after start-up are reported through the pool block (a thrown share);
          // this listener only keeps an 'error' event from crashing the process.
          w.on("error", () => undefined);
          ready.push(
            new Promise<void>((resolve, reject) => {
              w.once("message", () => resolve());
              w.once("error", (e: Error) => reject(new WorkerError(`worker thread ${id} failed to start: ${e.message}`)));
              w.once("exit", (code) => reject(new WorkerError(`worker thread ${id} exited (code ${code}) before it was ready`)));
            }).then(() => {
              w.removeAllListeners("exit");
              // A pool must not keep a Node process alive: dispose() ends the workers, and a
              // process that never calls it still exits when its own work is done.
              w.unref();
            }),
          );
        } else {
          const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
          const w = new Worker(url, { name: `dendritic-${id}`, type: "module" });
          URL.revokeObjectURL(url);
          workers.push(w);
          ready.push(
            new Promise<void>((resolve, reject) => {
              w.onmessage = () => resolve();
              w.onerror = (e) => reject(new WorkerError(`worker thread ${id} failed to start: ${e.message}`));
            }),
          );
          w.postMessage(data);
        }
      }
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw e;
    }
    const mainCanWait = isNode || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
    exports.poolBind(block, threads, 0, mainCanWait ? 1 : 0);
    return new ThreadPool(threads, memory, block, workers, exports);
  }

  /**
   * @internal Whether a thread that has done its own chunks of a job takes the chunks other threads
   * have not started (default true). Off, every thread does exactly its own range: the tests use it
   * to know which thread computes which rows.
   */
  set stealing(on: boolean) {
    Atomics.store(this.#slots(), S_STEAL, on ? 1 : 0);
  }

  /** @internal Spins on an atomic before a waiting thread sleeps (default DEFAULT_SPINS). */
  set spins(n: number) {
    Atomics.store(this.#slots(), S_SPINS, Math.max(0, Math.min(2 ** 31 - 1, Math.round(n))));
  }

  /** Ends every worker; the core then runs its kernels on the calling thread only. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#exports.poolBind(0, 1, 0, 1);
    const h = this.#slots();
    Atomics.store(h, S_EXIT, 1);
    Atomics.add(h, S_GEN, 1);
    Atomics.notify(h, S_GEN);
    for (const w of this.#workers) void w.terminate();
    this.#workers = [];
  }

  /** @internal throws if disposed */
  check(): void {
    if (this.#disposed) throw new DisposedError("thread pool used after dispose()");
  }
}
