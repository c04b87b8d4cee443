// Loading the WebAssembly core in Node and in browsers (main thread or Web Worker).
// Three builds exist (scripts/build-wasm.mjs); `init()` picks the best the runtime validates.
import { DendriticError, ValueError } from "./errors.js";
import { SHARED_INITIAL_PAGES, SHARED_MAXIMUM_PAGES, instantiateCore } from "./instantiate.js";
import { ThreadPool, availableCores, sharedMemoryAvailable } from "./pool.js";
import type { WasmExports } from "./exports.generated.js";

export type Impl = "wasm-simd" | "wasm-scalar" | "wasm-relaxed";
export type ImplChoice = "auto" | "simd" | "scalar" | "relaxed";

export interface InitOptions {
  /**
   * Which build to load. "auto" (default): relaxed SIMD where the runtime has it (Node 20 gets it
   * switched on, see `enableRelaxedSimd`), else SIMD, else scalar. "simd" gives results that are
   * bit-identical across machines and between Node and browsers; "relaxed" may differ in the last
   * bits between CPUs (fused or separate multiply-add). See docs/threads.md.
   */
  impl?: ImplChoice;
  /**
   * Where the `.wasm` files live (a directory URL or path ending in "/"). Default: the package's
   * `wasm/` directory, resolved relative to this module, which works under bundlers and plain
   * `<script type="module">` alike.
   */
  wasmBase?: string | URL;
  /** Bytes or a compiled module to use directly instead of loading a file (always one thread). */
  wasm?: BufferSource | WebAssembly.Module;
  /**
   * Threads the core's large kernels are split over: a number, or "auto" for the machine's logical
   * cores. Default 1. More than one starts a pool of workers on the threads build of the chosen
   * SIMD build (results are bit-identical for every thread count); `core.dispose()` ends them.
   * Where shared memory is unavailable (a page that is not cross-origin isolated, the scalar build)
   * the core runs on one thread and says so once on the console.
   */
  threads?: number | "auto";
  /**
   * Load the threads build even for one thread, so that `core.setThreads(n)` can change the thread
   * count later (a pool of one thread needs shared memory from the start). Default false: one
   * thread loads the ordinary build, whose thread count cannot change. The results are the same
   * bits either way.
   */
  resizable?: boolean;
}

/**
 * Raw exports of the core: numbers in, numbers out. Their names and parameters come from the
 * AssemblyScript compiler's declarations (src/core/exports.generated.ts, written by the wasm build).
 */
export interface CoreExports extends WasmExports {
  [name: string]: unknown;
}

// (module (func (result v128) v128.const i32x4 0 0 0 0))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);
// (module (func (result v128) v128.const 0 0 0 0 ×3 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 133, 2, 11,
]);

/** Which WebAssembly features this runtime accepts without flags. */
export function detectFeatures(): { simd: boolean; relaxedSimd: boolean } {
  const v = (b: Uint8Array<ArrayBuffer>) => {
    try {
      return WebAssembly.validate(b);
    } catch {
      return false;
    }
  };
  return { simd: v(SIMD_PROBE), relaxedSimd: v(RELAXED_PROBE) };
}

/**
 * Node 20 validates relaxed-SIMD only behind `--experimental-wasm-relaxed-simd`; V8 accepts that
 * flag at run time through `v8.setFlagsFromString`, and modules compiled afterwards may use the
 * instructions (Node ≥ 22 and Chromium ≥ 114 have them on already). Returns whether this runtime now
 * validates relaxed-SIMD. A no-op outside Node and where the feature is already on.
 */
export function enableRelaxedSimd(): boolean {
  if (detectFeatures().relaxedSimd) return true;
  // process.getBuiltinModule (Node ≥ 20.16) loads node:v8 synchronously and without an import
  // statement, so bundlers never pull a Node built-in into browser code.
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.("node:v8") as { setFlagsFromString?(flags: string): void } | undefined;
  if (typeof v8?.setFlagsFromString !== "function") return false;
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return detectFeatures().relaxedSimd;
}

function chooseImpl(choice: ImplChoice): Impl {
  if (choice === "auto" || choice === "relaxed") enableRelaxedSimd();
  const f = detectFeatures();
  switch (choice) {
    case "auto":
      return f.relaxedSimd ? "wasm-relaxed" : f.simd ? "wasm-simd" : "wasm-scalar";
    case "relaxed":
      if (!f.relaxedSimd) throw new DendriticError("impl 'relaxed' requested but this runtime does not validate relaxed-SIMD (use 'simd')");
      return "wasm-relaxed";
    case "simd":
      if (!f.simd) throw new DendriticError("impl 'simd' requested but this runtime does not validate WebAssembly SIMD");
      return "wasm-simd";
    case "scalar":
      return "wasm-scalar";
    default:
      throw new ValueError(`impl must be one of auto, simd, scalar, relaxed; got ${String(choice)}`);
  }
}

type Build = Impl | "wasm-simd-threads" | "wasm-relaxed-threads";

const FILE: Record<Build, string> = {
  "wasm-simd": "dendritic.simd.wasm",
  "wasm-scalar": "dendritic.scalar.wasm",
  "wasm-relaxed": "dendritic.relaxed.wasm",
  "wasm-simd-threads": "dendritic.simd-threads.wasm",
  "wasm-relaxed-threads": "dendritic.relaxed-threads.wasm",
};

/**
 * The package's own `.wasm` file for a build, resolved relative to this module. Each URL is written
 * as a literal `new URL("…", import.meta.url)` because that is the form bundlers (Vite, webpack 5,
 * Parcel, esbuild with loaders) recognise and copy into their output as an asset.
 */
function packagedUrl(impl: Build): URL {
  switch (impl) {
    case "wasm-simd-threads":
      return new URL("../../wasm/dendritic.simd-threads.wasm", import.meta.url);
    case "wasm-relaxed-threads":
      return new URL("../../wasm/dendritic.relaxed-threads.wasm", import.meta.url);
    case "wasm-simd":
      return new URL("../../wasm/dendritic.simd.wasm", import.meta.url);
    case "wasm-scalar":
      return new URL("../../wasm/dendritic.scalar.wasm", import.meta.url);
    case "wasm-relaxed":
      return new URL("../../wasm/dendritic.relaxed.wasm", import.meta.url);
  }
}

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

async function loadBytesOrResponse(url: URL): Promise<ArrayBuffer | Response> {
  if (url.protocol === "file:") {
    if (!isNode) throw new DendriticError(`cannot load ${url.href}: file: URLs need Node`);
    // The specifier is built at run time so bundlers never pull a Node built-in into browser code.
    const fsName = "node:fs/promises";
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import("node:fs/promises");
    try {
      const buf = await fs.readFile(url);
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    } catch (e) {
      throw new DendriticError(`cannot read the WebAssembly core at ${url.pathname}: ${(e as Error).message} (run \`npm run build:wasm\`)`);
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new DendriticError(`cannot fetch the WebAssembly core at ${url.href}: HTTP ${res.status}`);
  return res;
}

export interface LoadedCore {
  impl: Impl;
  exports: CoreExports;
  /** The worker pool when the core runs on more than one thread. */
  pool?: ThreadPool;
  /** The threads build and its shared memory (what a new pool starts on), when the core was loaded from it. */
  threaded?: ThreadedBuild;
}

/** The threads build of the core and the shared memory its instances run on. */
export interface ThreadedBuild {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/** Starts a pool of `threads` threads (the caller is one of them) on a threads build's memory. */
export function startPool(t: ThreadedBuild, exports: CoreExports, threads: number): Promise<ThreadPool> {
  return ThreadPool.start(t.module, t.memory, exports as unknown as Parameters<typeof ThreadPool.start>[2], threads);
}

/** The thread count asked for: 1 by default, the machine's cores for "auto". */
export function resolveThreads(threads: number | "auto" | undefined): number {
  if (threads === undefined) return 1;
  if (threads === "auto") return availableCores();
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new ValueError(`threads must be an integer in [1, 256] or "auto"; got ${String(threads)}`);
  }
  return threads;
}

function locate(build: Build, options: InitOptions): URL {
  return options.wasmBase !== undefined
    ? new URL(FILE[build], new URL(String(options.wasmBase), isNode ? `file://${process.cwd()}/` : globalThis.location?.href))
    : packagedUrl(build);
}

async function compileFrom(url: URL): Promise<WebAssembly.Module> {
  const src = await loadBytesOrResponse(url);
  if (src instanceof ArrayBuffer) return WebAssembly.compile(src);
  const type = src.headers.get("content-type") ?? "";
  return type.startsWith("application/wasm") ? WebAssembly.compileStreaming(src) : WebAssembly.compile(await src.arrayBuffer());
}

/** The reason a core asked for `threads` > 1 runs on one thread, or undefined when it can have them. */
function noThreadsBecause(impl: Impl, options: InitOptions): string | undefined {
  if (impl === "wasm-scalar") return "the scalar build has no threads";
  if (options.wasm !== undefined) return "a core given as bytes or a module runs on one thread";
  const shared = sharedMemoryAvailable();
  return shared.ok ? undefined : shared.why;
}

export async function loadCore(options: InitOptions = {}): Promise<LoadedCore> {
  const impl = chooseImpl(options.impl ?? "auto");
  const threads = resolveThreads(options.threads);
  if (threads > 1 || options.resizable) {
    const why = noThreadsBecause(impl, options);
    if (why === undefined) return loadThreaded(impl, threads, options);
    if (threads > 1) console.warn(`dendritic: running on one thread (${threads} asked for): ${why}`);
  }
  let instance: WebAssembly.Instance;
  if (options.wasm !== undefined) {
    instance = await instantiateCore(options.wasm);
  } else {
    const src = await loadBytesOrResponse(locate(impl, options));
    if (src instanceof ArrayBuffer) {
      instance = await instantiateCore(src);
    } else {
      // instantiateStreaming needs the application/wasm MIME type; fall back to bytes otherwise.
      const type = src.headers.get("content-type") ?? "";
      instance = await instantiateCore(type.startsWith("application/wasm") ? src : await src.arrayBuffer());
    }
  }
  const exports = instance.exports as unknown as CoreExports;
  const actual: Impl = exports.relaxedSimdEnabled() ? "wasm-relaxed" : exports.simdEnabled() ? "wasm-simd" : "wasm-scalar";
  return { impl: options.wasm !== undefined ? actual : impl, exports };
}

async function loadThreaded(impl: Impl, threads: number, options: InitOptions): Promise<LoadedCore> {
  const module = await compileFrom(locate(impl === "wasm-relaxed" ? "wasm-relaxed-threads" : "wasm-simd-threads", options));
  const memory = new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared: true });
  const instance = await instantiateCore(module, { memory, poolFault: ThreadPool.faultHandler(() => memory) });
  const exports = instance.exports as unknown as CoreExports;
  const threaded = { module, memory };
  const pool = threads > 1 ? await startPool(threaded, exports, threads) : undefined;
  return { impl, exports, pool, threaded };
}
