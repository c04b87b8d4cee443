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

export async function instantiateCore(source: CoreSource): Promise<WebAssembly.Instance> {
  let memory: WebAssembly.Memory | undefined;
  const imports: WebAssembly.Imports = {
    env: {
      abort(msg: number, file: number, line: number, column: number): never {
        const where = memory ? `${readString(memory, file)}:${line}:${column}` : `${line}:${column}`;
        throw new DendriticError(`WebAssembly core aborted: ${memory ? readString(memory, msg) : "(no message)"} at ${where}`);
      },
    },
  };
  let instance: WebAssembly.Instance;
  if (source instanceof WebAssembly.Module) {
    instance = await WebAssembly.instantiate(source, imports);
  } else if (typeof Response !== "undefined" && source instanceof Response) {
    instance = (await WebAssembly.instantiateStreaming(source, imports)).instance;
  } else {
    instance = (await WebAssembly.instantiate(source as BufferSource, imports)).instance;
  }
  memory = instance.exports.memory as WebAssembly.Memory;
  return instance;
}
