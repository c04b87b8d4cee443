import { Command } from "commander";

/** A benchmark suite the `bench` command can run; each writes its own JSON shape. */
export interface BenchSuite {
  name: string;
  description: string;
  /** Adds suite-specific options to its subcommand. */
  options?(cmd: Command): void;
  run(opts: Record<string, unknown> & { json?: string; quick?: boolean }): Promise<void>;
}

const suites: BenchSuite[] = [];

export function registerBenchSuite(s: BenchSuite): void {
  suites.push(s);
}

export function benchCommand(): Command {
  const cmd = new Command("bench").description("Run a benchmark suite (single thread) and optionally write its results as JSON");
  for (const s of suites) {
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
