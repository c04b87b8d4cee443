// The benchmark suites, listed once. `dendritic bench <suite>` (bin/dendritic.js adds this command
// to the CLI) and `npm run bench -- <suite>` run them; none of them is part of the library.
import { Command } from "commander";
import { convSuite } from "./conv.js";
import { elementwiseSuite } from "./elementwise.js";
import { kernelsSuite } from "./kernels.js";
import { microcircuitSuite } from "./microcircuit.js";
import { mlpSuite } from "./mlp.js";
import { spikingSuite } from "./spiking.js";
import type { BenchSuite } from "./suite.js";

export type { BenchSuite } from "./suite.js";

export const SUITES: readonly BenchSuite[] = [kernelsSuite, elementwiseSuite, mlpSuite, microcircuitSuite, convSuite, spikingSuite];

/** The `bench` command: one subcommand per suite. */
export function benchCommand(): Command {
  const cmd = new Command("bench").description(
    "Run a benchmark suite on the builds and thread counts asked for (--simd, --threads) and optionally write its results as JSON",
  );
  for (const s of SUITES) {
    const sub = new Command(s.name)
      .description(s.description)
      .option("--json <file>", "write the results to this JSON file")
      .option("--quick", "shorter runs (smoke test, noisier numbers)", false);
    s.options?.(sub);
    sub.action(async (opts) => s.run(opts));
    cmd.addCommand(sub);
  }
  return cmd;
}
