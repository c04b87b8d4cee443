// The `dendritic` command line. Each area registers its subcommands here.
import { Command } from "commander";
import { benchCommand } from "./bench.js";
import "../bench/kernels.js";
import "../bench/elementwise.js";
import { experimentCommand } from "./experiment.js";
import { plotCommand } from "./plot.js";
import { sweepCommand, workerCommand } from "./sweep.js";
import { evalCommand, trainCommand } from "./train.js";
import { readFileSync } from "node:fs";
import "../bench/mlp.js";
import "../bench/microcircuit.js";
import "../bench/conv.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

export async function main(argv: string[]): Promise<void> {
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
