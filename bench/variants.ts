// What every suite shares to measure its cases on several builds and thread counts in ONE run:
// the --simd and --threads options, a core per (build, threads) variant, the interleaved rounds
// (every case once per round, in turn, so every variant sees the same machine noise), one result
// record per case and variant, the table with the speed-up over one thread, and one JSON shape:
//   {"results":[{suite, case, build, threads, unit, median, min, max}], "machine":{…}}
// Sampling is benny's (wall clock), or process CPU time per sample with --clock cpu (a single-thread
// measure: CPU time adds up the threads of a pool).
import type { Command } from "commander";
import os from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { add, suite } from "benny";
import { init, ValueError, type Core, type Impl } from "dendritic";
import { alignColumns, parseList } from "./suite.js";

export type Build = "relaxed" | "simd" | "scalar";
const BUILDS: Build[] = ["relaxed", "simd", "scalar"];
const IMPL: Record<Build, Impl> = { relaxed: "wasm-relaxed", simd: "wasm-simd", scalar: "wasm-scalar" };

/** One measured case on one variant: the record every suite writes. */
export interface BenchResult {
  suite: string;
  case: string;
  /** The build that ran it (wasm-relaxed, wasm-simd, wasm-scalar) or the peer (js, tfjs-wasm-simd …). */
  build: string;
  threads: number;
  unit: string;
  median: number;
  min: number;
  max: number;
}

export interface Machine {
  cpu: string | undefined;
  logicalCores: number;
  node: string;
  platform: string;
  clock: "wall" | "cpu";
  rounds: number;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  date: string;
  /**
   * Microseconds per empty job handed to a pool of two or more threads (poolNop), measured when the
   * variants open and when they close; absent without such a variant. It tells how far apart the
   * cores are: about 0.4 µs where they share a cache, 1–2 µs where a cache line takes half a
   * microsecond between them (docs/threads.md), which lowers every ratio over one thread.
   */
  handoffUs?: { start: number; end?: number };
}

/** A core of one build and thread count. */
export interface Variant {
  build: Impl;
  threads: number;
  core: Core;
}

/** A unit of work to time, on one variant (or a peer). */
export interface Case {
  case: string;
  build: string;
  threads: number;
  unit: string;
  /** Work per call of step(), in the unit's numerator (examples, steps, GFLOP, elements…). */
  units: number;
  /**
   * Set for a time unit (lower is better): the value is seconds × time ÷ units (1e9: ns per unit).
   * Unset: a rate, units ÷ seconds.
   */
  time?: number;
  step: () => unknown;
  /** benny's sampling per round (wall clock). */
  minSamples?: number;
  maxTime?: number;
  /** Calls per sample with the CPU clock. */
  calls?: number;
  dispose?: () => void;
}

export interface VariantOptions {
  simd?: string;
  threads?: string;
}

/** Adds --simd and --threads to a suite's command; `simd` is the suite's default build list. */
export function variantOptions(cmd: Command, simd = "relaxed,simd,scalar"): Command {
  return cmd
    .option("--simd <builds>", `comma-separated builds run as variants: relaxed, simd, scalar (relaxed only where the runtime has relaxed SIMD)`, simd)
    .option("--threads <counts>", "comma-separated thread counts run as variants, e.g. 1,2 (one pool of workers per count)", "1");
}

/** `--threads`: distinct positive integers (ValueError otherwise). */
export function parseThreads(v: unknown): number[] {
  const out = parseList(String(v ?? "1"))!.map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1 || n > 256)) {
    throw new ValueError(`--threads must be a comma-separated list of integers in [1, 256], got ${String(v)}`);
  }
  return [...new Set(out)];
}

/** `--simd`: builds among relaxed, simd, scalar (ValueError otherwise). */
export function parseBuilds(v: unknown): Build[] {
  const list = String(v ?? "")
    .split(",")
    .map((s) => s.trim().replace(/^wasm-/, ""))
    .filter(Boolean);
  for (const b of list)
    if (!BUILDS.includes(b as Build)) throw new ValueError(`--simd must be a comma-separated list of relaxed, simd, scalar; got ${String(v)}`);
  if (list.length === 0) throw new ValueError("--simd names no build");
  return [...new Set(list as Build[])];
}

// The hand-off of the variants opened last (openVariants, closeVariants), for machine().
const handoff: { start?: number; end?: number } = {};

/** Median µs per empty job of the first variant with a pool of two or more threads, or undefined. */
function handoffMicros(variants: Variant[]): number | undefined {
  const v = variants.find((x) => x.threads > 1 && x.core.threads > 1);
  if (!v) return undefined;
  const nop = v.core.exports.poolNop as (calls: number) => number;
  const calls = 5000;
  nop(calls);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    nop(calls);
    samples.push(((performance.now() - t0) * 1000) / calls);
  }
  return median(samples.sort((a, b) => a - b));
}

/**
 * A core for every build × thread count. The scalar build has no threads (it runs once, on one
 * thread), and relaxed SIMD is left out where the runtime cannot run it; both are said on `log`.
 */
export async function openVariants(builds: Build[], threads: number[], log: (l: string) => void = (l) => console.error(l)): Promise<Variant[]> {
  const out: Variant[] = [];
  for (const b of builds) {
    for (const t of threads) {
      if (b === "scalar") {
        // No threads build: one variant, on one thread, whatever the counts asked for.
        if (!out.some((v) => v.build === "wasm-scalar")) out.push({ build: "wasm-scalar", threads: 1, core: await init({ impl: "scalar" }) });
        continue;
      }
      let core: Core;
      try {
        core = await init({ impl: b, threads: t });
      } catch (e) {
        if (b === "relaxed") {
          log(`bench: no relaxed SIMD in this runtime (${(e as Error).message}); running without it`);
          break;
        }
        throw e;
      }
      if (core.threads !== t) {
        log(`bench: ${core.impl} runs on ${core.threads} thread(s), not ${t}; that variant is left out`);
        core.dispose();
        continue;
      }
      out.push({ build: core.impl, threads: t, core });
    }
  }
  if (out.length === 0) throw new ValueError("bench: no build and thread count to run");
  handoff.start = handoffMicros(out);
  handoff.end = undefined;
  return out;
}

export function closeVariants(variants: Variant[]): void {
  if (handoff.start !== undefined) handoff.end = handoffMicros(variants);
  for (const v of variants) v.core.dispose();
}

function median(s: number[]): number {
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A case's name within its round (unique: case, build, threads). */
const keyOf = (c: Pick<Case, "case" | "build" | "threads">) => `${c.case} | ${c.build} ×${c.threads}`;

/**
 * Runs every case once per round, in turn, for `rounds` rounds, and returns one record per case
 * (samples pooled over the rounds). Cases are disposed afterwards.
 */
export async function runInterleaved(
  suiteName: string,
  cases: Case[],
  options: { rounds: number; quick?: boolean; clock?: "wall" | "cpu"; log?: (l: string) => void },
): Promise<BenchResult[]> {
  const clock = options.clock ?? "wall";
  if (clock !== "wall" && clock !== "cpu") throw new ValueError(`--clock must be wall or cpu, got ${String(clock)}`);
  const log = options.log ?? ((l: string) => console.error(l));
  const keys = new Set<string>();
  for (const c of cases) {
    if (keys.has(keyOf(c))) throw new Error(`bench ${suiteName}: two cases named ${keyOf(c)}`);
    keys.add(keyOf(c));
  }
  const seconds = new Map<string, number[]>(cases.map((c) => [keyOf(c), []]));
  try {
    for (let r = 0; r < options.rounds; r++) {
      log(`bench ${suiteName}: round ${r + 1}/${options.rounds} (${cases.length} cases, ${clock} clock, load ${os.loadavg()[0].toFixed(1)})`);
      if (clock === "cpu") {
        for (const c of cases) {
          for (let w = 0; w < 2; w++) await c.step();
          const calls = c.calls ?? 10;
          for (let s = 0; s < (options.quick ? 2 : (c.minSamples ?? 10)); s++) {
            const c0 = process.cpuUsage();
            for (let i = 0; i < calls; i++) await c.step();
            const d = process.cpuUsage(c0);
            seconds.get(keyOf(c))!.push((d.user + d.system) / 1e6 / calls);
          }
        }
        continue;
      }
      const summary = await suite(
        `${suiteName} round ${r + 1}`,
        ...cases.map((c) =>
          add(keyOf(c), () => c.step, {
            minSamples: options.quick ? Math.min(2, c.minSamples ?? 5) : (c.minSamples ?? 5),
            maxTime: options.quick ? Math.min(0.2, c.maxTime ?? 1) : (c.maxTime ?? 1),
            delay: 0.005,
          }),
        ),
      );
      for (const res of summary.results) seconds.get(res.name)!.push(...res.details.sampleResults);
    }
  } finally {
    for (const c of cases) c.dispose?.();
  }
  return cases.map((c) => {
    const v = seconds
      .get(keyOf(c))!
      .map((s) => (c.time ? (s * c.time) / c.units : c.units / s))
      .sort((a, z) => a - z);
    return { suite: suiteName, case: c.case, build: c.build, threads: c.threads, unit: c.unit, median: median(v), min: v[0], max: v[v.length - 1] };
  });
}

/** A unit is a time (lower is better) when it reads "… per …" or "ns/…", "µs/…". */
const isTime = (unit: string) => /^(ns|µs|us|ms|s)\b/.test(unit);

/** The speed-up of a record over the same case and build on one thread (undefined without one). */
export function speedupOverOneThread(r: BenchResult, all: BenchResult[]): number | undefined {
  if (r.threads === 1) return undefined;
  const one = all.find((o) => o.suite === r.suite && o.case === r.case && o.build === r.build && o.threads === 1);
  if (!one) return undefined;
  return isTime(r.unit) ? one.median / r.median : r.median / one.median;
}

function fmt(x: number): string {
  const a = Math.abs(x);
  return a >= 1000 ? x.toFixed(0) : a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** The results as a table: case, build, threads, median (min–max), unit, and × 1 thread where there is one. */
export function formatResults(results: BenchResult[]): string {
  const withThreads = results.some((r) => r.threads > 1);
  const rows = [["case", "build", "threads", "median", "min", "max", "unit", ...(withThreads ? ["÷ 1 thread"] : [])]];
  for (const r of results) {
    const s = speedupOverOneThread(r, results);
    rows.push([
      r.case,
      r.build,
      String(r.threads),
      fmt(r.median),
      fmt(r.min),
      fmt(r.max),
      r.unit,
      ...(withThreads ? [s === undefined ? "" : `${s.toFixed(2)}×`] : []),
    ]);
  }
  return alignColumns(rows, 2);
}

/** The machine and run the results come from. */
export function machine(clock: "wall" | "cpu", rounds: number, loadAverageStart: number[]): Machine {
  return {
    cpu: os.cpus()[0]?.model,
    logicalCores: os.availableParallelism(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    clock,
    rounds,
    loadAverageStart,
    loadAverageEnd: os.loadavg(),
    date: new Date().toISOString(),
    ...(handoff.start !== undefined ? { handoffUs: { start: handoff.start, ...(handoff.end !== undefined ? { end: handoff.end } : {}) } } : {}),
  };
}

/** Prints the table and the machine line, and writes {"results", "machine"} to `json` when given. */
export async function report(results: BenchResult[], m: Machine, json?: string): Promise<void> {
  console.log(formatResults(results));
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(" ");
  const h = m.handoffUs;
  const hand = h ? `, hand-off ${h.start.toFixed(2)}${h.end !== undefined ? ` → ${h.end.toFixed(2)}` : ""} µs` : "";
  console.log(
    `${m.cpu ?? "cpu ?"}, ${m.logicalCores} logical cores, Node ${m.node}, ${m.clock} clock, ${m.rounds} round(s), load average ${load(m.loadAverageStart)} → ${load(m.loadAverageEnd)}${hand}, ${m.date}`,
  );
  if (json) {
    await mkdir(path.dirname(path.resolve(json)), { recursive: true });
    await writeFile(json, JSON.stringify({ results, machine: m }, null, 2) + "\n");
    console.error(`wrote ${json}`);
  }
}
