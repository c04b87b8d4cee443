// The `dendritic` command line. Each area registers its subcommands here; the `bench` command lives
// with the benchmarks (bench/index.ts) and bin/dendritic.js passes it in, so the CLI never imports them.
import { Command } from "commander";
import { experimentCommand } from "./experiment.js";
import { plotCommand } from "./plot.js";
import { evalCommand, trainCommand } from "./train.js";
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** Runs the CLI on `argv` (process.argv form); `extra` adds commands defined outside src/ (bench). */
export async function main(argv: string[], extra: Command[] = []): Promise<void> {
  const program = new Command("dendritic")
    .description("Biologically plausible learning on a WebAssembly SIMD core")
    .version(pkg.version)
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const c of extra) program.addCommand(c);
  program.addCommand(experimentCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(plotCommand());
  await program.parseAsync(argv);
}
