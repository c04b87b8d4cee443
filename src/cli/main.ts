// The `dendritic` command line. Each area registers its subcommands here; the `bench` command lives
// with the benchmarks (bench/index.ts) and bin/dendritic.js passes it in, so the CLI never imports them
// (and benny, an optional package, loads only for `dendritic bench`).
import { Command } from "commander";
import { experimentCommand } from "./experiment.js";
import { plotCommand } from "./plot.js";
import { sweepCommand, workerCommand } from "./sweep.js";
import { evalCommand, trainCommand } from "./train.js";
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** A command defined outside src/ (the benchmarks, bench/index.ts), built only when it is invoked. */
export interface LazyCommand {
  name: string;
  description: string;
  load(): Promise<Command>;
}

/** Runs the CLI on `argv` (process.argv form); `lazy` adds commands that load only when named. */
export async function main(argv: string[], lazy: LazyCommand[] = []): Promise<void> {
  // A reader that closes the pipe early (`dendritic … | head`): later output is dropped and the
  // command finishes its work — checkpoints, summaries and sweep records are still written.
  for (const s of [process.stdout, process.stderr])
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
  const program = new Command("dendritic")
    .description("Biologically plausible learning on a WebAssembly SIMD core")
    .version(pkg.version)
    .showHelpAfterError()
    .enablePositionalOptions();
  // Not invoked: a placeholder with the description, so `dendritic --help` lists it.
  for (const c of lazy)
    program.addCommand(argv[2] === c.name || (argv[2] === "help" && argv[3] === c.name) ? await c.load() : new Command(c.name).description(c.description));
  program.addCommand(experimentCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(plotCommand());
  program.addCommand(sweepCommand());
  program.addCommand(workerCommand());
  await program.parseAsync(argv);
}
