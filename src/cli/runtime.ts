// Options every command that runs the core shares: which WebAssembly build (`--simd`) and, later,
// how many threads. `--impl` is the older name of `--simd`, kept so existing scripts keep working.
import { Option } from "commander";
import type { ImplChoice } from "../core/wasm.js";

export const BUILDS: ImplChoice[] = ["auto", "relaxed", "simd", "scalar"];

/** `--simd <build>` and its hidden alias `--impl <build>`. */
export function buildOptions(): Option[] {
  return [
    new Option("--simd <build>", "WebAssembly build: auto (relaxed where the runtime has it, else simd, else scalar), relaxed, simd (bit-identical across machines and browsers), scalar")
      .choices(BUILDS)
      .default("auto"),
    new Option("--impl <build>", "older name of --simd").choices(BUILDS).hideHelp(),
  ];
}

/** The build asked for: --impl when given (older scripts), else --simd. */
export function chosenBuild(opts: { simd?: string; impl?: string }): ImplChoice {
  return (opts.impl ?? opts.simd ?? "auto") as ImplChoice;
}
