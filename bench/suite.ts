// What every benchmark suite shares: its shape for the `bench` command and the table/option helpers.
// Suites import the library through its package name ("dendritic"), as a user would, so they
// measure the public API and never reach into src/.
import type { Command } from "commander";
import { ValueError } from "dendritic";

/** A benchmark suite the `bench` command can run; all write the shape of bench/variants.ts. */
export interface BenchSuite {
  name: string;
  description: string;
  /** Adds suite-specific options to its subcommand. */
  options?(cmd: Command): void;
  run(opts: Record<string, unknown> & { json?: string; quick?: boolean }): Promise<void>;
}

/** `--rounds`: undefined when not given, else a positive integer (ValueError otherwise). */
export function parseRounds(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`--rounds must be a positive integer, got ${String(v)}`);
  return n;
}

/** A comma-separated option value as its trimmed, non-empty items; undefined when it was not given as a string. */
export function parseList(v: unknown): string[] | undefined {
  return typeof v === "string"
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

/** A text table: columns padded to their widest cell, left-aligned before `firstRight`, right-aligned from it. */
export function alignColumns(rows: string[][], firstRight: number): string {
  const width = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => (c >= firstRight ? cell.padStart(width[c]) : cell.padEnd(width[c]))).join("  ")).join("\n");
}
