// The `dendritic` command line. Each area registers its subcommands here.
import { Command } from "commander";
import { benchCommand } from "./bench.js";
import { experimentCommand } from "./experiment.js";
import { plotCommand } from "./plot.js";
import { sweepCommand, workerCommand } from "./sweep.js";
import { evalCommand, trainCommand } from "./train.js";
import { readFileSync } from "node:fs";
import { importOptional } from "../core/optional.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** The benchmark suites register themselves on import; they run on benny, an optional package. */
async function loadBenchSuites(): Promise<void> {
  await importOptional("benny", "dendritic bench");
  await import("../bench/kernels.js");
  await import("../bench/elementwise.js");
  await import("../bench/mlp.js");
  await import("../bench/microcircuit.js");
  await import("../bench/conv.js");
  await import("../bench/spiking.js");
}

export async function main(argv: string[]): Promise<void> {
  if (argv[2] === "bench") await loadBenchSuites();
  const program = new Command("dendritic")
    .description("Biologically plausible learning on a WebAssembly SIMD core")
    .version(pkg.version)
    .showHelpAfterError()
    .enablePositionalOptions();
  program.addCommand(benchCommand());
  program.addCommand(experimentCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(plotCommand());
  program.addCommand(sweepCommand());
  program.addCommand(workerCommand());
  await program.parseAsync(argv);
}
