// Options every command that runs the core shares: which WebAssembly build (`--simd`) and how many
// threads (`--threads`). `--impl` is the older name of `--simd`, kept so existing scripts keep working.
import { InvalidArgumentError, Option } from "commander";
import type { ImplChoice } from "../core/wasm.js";

export const BUILDS: ImplChoice[] = ["auto", "relaxed", "simd", "scalar"];

/** `--simd <build>` and its hidden alias `--impl <build>`. */
export function buildOptions(): Option[] {
  return [
    new Option(
      "--simd <build>",
      "WebAssembly build: auto (relaxed where the runtime has it, else simd, else scalar), relaxed, simd (bit-identical across machines and browsers), scalar",
    )
      .choices(BUILDS)
      .default("auto"),
    new Option("--impl <build>", "older name of --simd").choices(BUILDS).hideHelp(),
  ];
}

/** The build asked for: --impl when given (older scripts), else --simd. */
export function chosenBuild(opts: { simd?: string; impl?: string }): ImplChoice {
  return (opts.impl ?? opts.simd ?? "auto") as ImplChoice;
}

/** `--threads <n|auto>`: an integer in [1, 256] or "auto" (the machine's logical cores). */
export function threadsArg(v: string): number | "auto" {
  if (v === "auto") return "auto";
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError("expected an integer in [1, 256] or auto");
  return n;
}

export function threadsOption(): Option {
  return new Option(
    "--threads <n>",
    "threads the large matrix kernels are split over: a number or auto (the machine's logical cores); results are bit-identical for every count",
  )
    .argParser(threadsArg)
    .default("auto");
}

/** "wasm-relaxed, 2 threads": the build and thread count, as progress headers print them. */
export function runtimeLabel(core: { impl: string; threads: number }): string {
  return `${core.impl}, ${core.threads} thread${core.threads === 1 ? "" : "s"}`;
}
