// The benchmarks' result records (not their timings: benchmarks are not tests): every suite writes
// the same shape through bench/variants.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { benchKernels } from "../bench/kernels.ts";
import { benchMicrocircuit } from "../bench/microcircuit.ts";
import { closeVariants, formatResults, machine, openVariants, type BenchResult } from "../bench/variants.ts";
import { ValueError } from "../src/core/errors.ts";

const KEYS = ["build", "case", "max", "median", "min", "suite", "threads", "unit"];

function checkShape(results: BenchResult[], suite: string): void {
  for (const r of results) {
    assert.equal(Object.keys(r).sort(), KEYS, JSON.stringify(r));
    assert.is(r.suite, suite);
    assert.ok(Number.isInteger(r.threads) && r.threads >= 1);
    assert.ok(r.min > 0 && r.min <= r.median && r.median <= r.max, JSON.stringify(r));
  }
}

test("bench kernels: one {suite, case, build, threads, unit, median, min, max} record per workload and variant, the hand-off with 2 threads", async () => {
  const { results } = await benchKernels({ quick: true, rounds: 1, kernels: ["gerK", "handoff"], simd: "simd", threads: "1,2", clock: "wall", log: () => {} });
  checkShape(results, "kernels");
  assert.equal(
    results.map((r) => [r.case, r.build, r.threads, r.unit]),
    [
      ["gerK 10×500×784", "wasm-simd", 1, "GFLOP/s"],
      ["gerK 10×500×784", "wasm-simd", 2, "GFLOP/s"],
      ["gerK 10×500×784", "js", 1, "GFLOP/s"],
      ["handoff (empty job)", "wasm-simd", 2, "µs/hand-off"],
    ],
  );
  // the table shows the speed-up of the 2-thread row over the 1-thread row
  assert.match(formatResults(results), /gerK 10×500×784\s+wasm-simd\s+2\s+.*GFLOP\/s\s+\d+\.\d\d×/);
});

test("bench microcircuit at a tiny size writes the same shape, every case on every variant", async () => {
  const { results } = await benchMicrocircuit({ quick: true, rounds: 1, simd: "simd,scalar", threads: "1,2", sizes: [20, 12, 10], log: () => {} });
  checkShape(results, "microcircuit");
  assert.equal(
    results.map((r) => `${r.case} ${r.build} ${r.threads}`),
    ["simd", "simd2", "scalar"].flatMap((v) => {
      const [build, threads] = v === "simd" ? ["wasm-simd", 1] : v === "simd2" ? ["wasm-simd", 2] : ["wasm-scalar", 1];
      return [`euler 30-50-10 ${build} ${threads}`, `euler 20-12-10 ${build} ${threads}`, `steady 20-12-10 batch 10 ${build} ${threads}`];
    }),
  );
});

test("the machine record carries the pool's hand-off at the start and end of a run with 2 threads, and none with 1", async () => {
  const two = await openVariants(["simd"], [1, 2], () => {});
  const atStart = machine("wall", 1, [0, 0, 0]).handoffUs;
  closeVariants(two);
  const atEnd = machine("wall", 1, [0, 0, 0]).handoffUs;
  assert.ok(atStart !== undefined && atStart.end === undefined, JSON.stringify(atStart));
  assert.ok(atEnd !== undefined && atEnd.start === atStart!.start, JSON.stringify(atEnd));
  // An empty job handed to a spinning worker and back: more than a few ns, far less than a second.
  for (const us of [atEnd!.start, atEnd!.end!]) assert.ok(us > 0.01 && us < 1e5, `hand-off ${us} µs`);
  const one = await openVariants(["simd"], [1], () => {});
  closeVariants(one);
  assert.is(machine("wall", 1, [0, 0, 0]).handoffUs, undefined);
});

test("bench options: bad --threads and --simd lists are ValueErrors naming the choices", async () => {
  for (const opts of [{ threads: "0" }, { threads: "two" }, { simd: "avx" }]) {
    try {
      await benchMicrocircuit({ quick: true, rounds: 1, sizes: [20, 12, 10], log: () => {}, ...opts });
      assert.unreachable("should throw");
    } catch (e) {
      assert.instance(e, ValueError);
      assert.match((e as Error).message, /must be a comma-separated list/);
    }
  }
});

test("the register-only ceiling loop computes c ← c·a + b (oracle: 1 + (c₀ − 1)·aⁿ in float64)", async () => {
  const { init } = await import("../src/core/core.ts");
  const starts = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2];
  const steps = 1000,
    a = 0.999,
    b = 0.001; // fixed point b/(1 − a) = 1
  const chainSum = (n: number) => starts.reduce((s, c) => s + 1 + (c - 1) * a ** n, 0);
  for (const [impl, expected] of [
    ["simd", 4 * chainSum(steps)],
    ["scalar", chainSum(4 * steps)],
  ] as const) {
    const core = await init({ impl });
    const got = core.fn<(n: number, a: number, b: number) => number>("simdPeak")(steps, a, b);
    // float32 rounding of 4000 contracting steps: relative error well below 1e-4
    assert.ok(Math.abs(got - expected) <= 1e-4 * expected, `${impl}: ${got} vs ${expected}`);
  }
});

test("unknown kernels, builds and clocks are ValueErrors naming the choices", async () => {
  for (const opts of [{ kernels: ["gemm"] }, { simd: "gpu" }, { clock: "tsc" as never, kernels: ["ger"], simd: "simd" }]) {
    try {
      await benchKernels({ quick: true, rounds: 1, log: () => {}, ...opts });
      assert.unreachable("should throw");
    } catch (e) {
      assert.instance(e, ValueError);
      assert.match((e as Error).message, /must be/);
    }
  }
});

test.run();
