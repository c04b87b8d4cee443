import { Arena, Tensor } from "./arena.js";
import { DendriticError, DisposedError, ShapeError } from "./errors.js";
import type { ThreadPool } from "./pool.js";
import { loadCore, resolveThreads, startPool, type CoreExports, type Impl, type InitOptions, type ThreadedBuild } from "./wasm.js";

/** A loaded WebAssembly core: the raw exports plus arenas that allocate in its memory. */
export class Core {
  readonly impl: Impl;
  readonly exports: CoreExports;
  #pool: ThreadPool | undefined;
  #threaded: ThreadedBuild | undefined;

  /** @internal use `init()` */
  constructor(impl: Impl, exports: CoreExports, pool?: ThreadPool, threaded?: ThreadedBuild) {
    this.impl = impl;
    this.exports = exports;
    this.#pool = pool;
    this.#threaded = threaded;
  }

  /** Whether setThreads() can change the thread count: the core runs the threads build (`threads` > 1 or `resizable`). */
  get resizable(): boolean {
    return this.#threaded !== undefined;
  }

  /**
   * Changes the number of threads the large kernels are split over, keeping every model and tensor
   * of the core: the old workers end and `n − 1` new ones start on the same memory. The results
   * are the same bits for every thread count (docs/threads.md), so a run may change it between
   * any two calls. Do not call into the core until the promise resolves: a new worker
   * instantiating the module re-initialises its static scratch memory, which a kernel running
   * meanwhile would be using. Needs a core loaded from the threads build (`init({ threads: n })`
   * with n > 1, or `init({ resizable: true })`).
   */
  async setThreads(n: number | "auto"): Promise<void> {
    const threads = resolveThreads(n);
    if (threads === this.threads) return;
    const t = this.#threaded;
    if (!t)
      throw new DendriticError(
        "this core cannot change its thread count: it runs the one-thread build (load it with init({ resizable: true }) or threads > 1)",
      );
    this.#pool?.dispose();
    this.#pool = undefined;
    if (threads > 1) this.#pool = await startPool(t, this.exports, threads);
  }

  /** Threads the large kernels are split over (1 without a pool, and after dispose()). */
  get threads(): number {
    return this.#pool && !this.#pool.disposed ? this.#pool.threads : 1;
  }

  /** @internal the worker pool (undefined on one thread): tests set its scheduling. */
  get pool(): ThreadPool | undefined {
    return this.#pool;
  }

  /**
   * Ends the core's worker threads (a no-op for a one-thread core). The core stays usable, on the
   * calling thread only; a Node process exits on its own afterwards.
   */
  dispose(): void {
    this.#pool?.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** A new arena; dispose it to free everything it allocated. */
  arena(): Arena {
    return new Arena(this.exports);
  }

  /** A raw export by name, as a function; throws if this build lacks it. */
  fn<F extends (...args: never[]) => unknown>(name: string): F {
    const f = this.exports[name];
    if (typeof f !== "function") throw new DendriticError(`the ${this.impl} core has no export '${name}'`);
    return f as F;
  }

  /** Checks that a tensor belongs to this core and is live; names it in the error. */
  check(t: Tensor, name: string): Tensor {
    if (!(t instanceof Tensor)) throw new ShapeError(`${name} must be a Tensor`);
    if (t.disposed) throw new DisposedError(`${name} used after dispose()`);
    if (t.live(name).memory !== this.exports.memory) throw new ShapeError(`${name} belongs to another core instance`);
    return t;
  }
}

/**
 * Loads the WebAssembly core. In Node the `.wasm` file is read from the package; in browsers it is
 * fetched relative to this module (or `options.wasmBase`) and compiled with instantiateStreaming.
 * `options.threads` > 1 starts the worker pool (docs/threads.md).
 */
export async function init(options: InitOptions = {}): Promise<Core> {
  const { impl, exports, pool, threaded } = await loadCore(options);
  return new Core(impl, exports, pool, threaded);
}
