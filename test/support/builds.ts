// A fixture that loads every WebAssembly build asconfig.json defines (simd, scalar, relaxed, debug,
// and any target added later), so a test can run the same check on each. Relaxed SIMD is switched
// on first where the runtime allows it (enableRelaxedSimd); a build the runtime still cannot
// validate is listed in `skipped` with the reason instead of failing.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { init, type Core } from "../../src/core/core.ts";
import { enableRelaxedSimd } from "../../src/core/wasm.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Build {
  /** The asconfig.json target name ("simd", "scalar", "relaxed", "debug", …). */
  name: string;
  core: Core;
}

export interface Builds {
  loaded: Build[];
  skipped: { name: string; reason: string }[];
}

/** The asconfig.json targets and their output files, in the file's order. */
export function buildTargets(): { name: string; file: string }[] {
  const config = JSON.parse(readFileSync(path.join(root, "asconfig.json"), "utf8")) as { targets: Record<string, { outFile: string }> };
  return Object.entries(config.targets).map(([name, t]) => ({ name, file: path.join(root, t.outFile) }));
}

/** Loads every build (optionally only those named in `only`). */
export async function loadBuilds(only?: readonly string[]): Promise<Builds> {
  const out: Builds = { loaded: [], skipped: [] };
  enableRelaxedSimd();
  for (const { name, file } of buildTargets()) {
    if (only && !only.includes(name)) continue;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (e) {
      throw new Error(`build '${name}': cannot read ${path.relative(root, file)} (run npm run build:wasm): ${(e as Error).message}`);
    }
    if (!WebAssembly.validate(bytes)) {
      out.skipped.push({ name, reason: `this runtime (Node ${process.version}) does not validate ${path.basename(file)}` });
      continue;
    }
    // The threads builds import a shared memory that only the thread pool provides (init({ threads })).
    if (WebAssembly.Module.imports(new WebAssembly.Module(bytes)).some((i) => i.kind === "memory")) {
      out.skipped.push({ name, reason: `${path.basename(file)} imports shared memory; its kernels are tested through the thread pool` });
      continue;
    }
    out.loaded.push({ name, core: await init({ wasm: bytes }) });
  }
  return out;
}
