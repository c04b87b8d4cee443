// Instantiates the AssemblyScript core without any bare-specifier import, so dist/ loads in a
// browser page or a module Web Worker with no bundler and no import map (Chromium applies a
// document's import map to the page only, never to the workers it starts).
// The core's only import is AssemblyScript's `env.abort(message, file, line, column)`; every export
// takes and returns numbers (STYLE.md), so no glue beyond that is needed.
import { DendriticError } from "./errors.js";

/**
 * Reads an AssemblyScript string: UTF-16LE code units whose byte length is the `rtSize` field of
 * the object header, 4 bytes before the payload (AssemblyScript runtime header layout).
 */
function readString(memory: WebAssembly.Memory, address: number): string {
  if (!address) return "";
  const ptr = address >>> 0;
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
  let s = "";
  // Chunked so very long messages do not exceed the argument limit of fromCharCode.
  for (let i = 0; i < units.length; i += 1024) s += String.fromCharCode(...units.subarray(i, i + 1024));
  return s;
}

export type CoreSource = BufferSource | WebAssembly.Module | Response;

/** Shared memory of a threads build: 16 pages to start (the builds' initial memory), at most 2 GiB (their declared maximum). */
export const SHARED_INITIAL_PAGES = 16;
export const SHARED_MAXIMUM_PAGES = 32768;

/**
 * Instantiates the core. The threads builds import their (shared) memory and the thread pool's
 * fault handler: pass them as `shared`. A threads build given without them (e.g. `init({ wasm })`)
 * gets a shared memory of its own and runs on one thread.
 */
export async function instantiateCore(
  source: CoreSource,
  shared?: { memory: WebAssembly.Memory; poolFault: (block: number) => never },
): Promise<WebAssembly.Instance> {
  const module =
    source instanceof WebAssembly.Module
      ? source
      : typeof Response !== "undefined" && source instanceof Response
        ? await WebAssembly.compileStreaming(source)
        : await WebAssembly.compile(source as BufferSource);
  if (!shared && WebAssembly.Module.imports(module).some((i) => i.kind === "memory")) {
    const memory = new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared: true });
    shared = {
      memory,
      poolFault: () => {
        throw new DendriticError("thread pool fault without a pool");
      },
    };
  }
  let memory: WebAssembly.Memory | undefined = shared?.memory;
  const imports: WebAssembly.Imports = {
    env: {
      ...(shared ? { memory: shared.memory } : {}),
      abort(msg: number, file: number, line: number, column: number): never {
        const where = memory ? `${readString(memory, file)}:${line}:${column}` : `${line}:${column}`;
        throw new DendriticError(`WebAssembly core aborted: ${memory ? readString(memory, msg) : "(no message)"} at ${where}`);
      },
    },
    ...(shared ? { dendritic: { poolFault: shared.poolFault } } : {}),
  };
  const instance = await WebAssembly.instantiate(module, imports);
  memory = instance.exports.memory as WebAssembly.Memory;
  return instance;
}
