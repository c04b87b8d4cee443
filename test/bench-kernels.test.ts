// The kernel benchmark's result records (not its timings: benchmarks are not tests).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { benchKernels, formatKernelTable } from "../bench/kernels.ts";
import { ValueError } from "../src/core/errors.ts";

test("bench kernels returns one {kernel, shape, impl, gflops{median,min,max}} record per workload and implementation", async () => {
  const results = await benchKernels({ quick: true, rounds: 1, kernels: ["gerK"], impls: ["wasm-simd", "js"], clock: "cpu", log: () => {} });
  assert.equal(results.map((r) => [r.kernel, r.shape, r.impl]), [["gerK", [10, 500, 784], "wasm-simd"], ["gerK", [10, 500, 784], "js"]]);
  for (const r of results) {
    assert.equal(Object.keys(r.gflops).sort(), ["max", "median", "min"]);
    assert.ok(r.gflops.min > 0 && r.gflops.min <= r.gflops.median && r.gflops.median <= r.gflops.max, JSON.stringify(r.gflops));
  }
  assert.match(formatKernelTable(results), /gerK\s+W \+= η Aᵀ C\s+10×500×784\s+wasm-simd/);
});

test("the register-only ceiling loop computes c ← c·a + b (oracle: 1 + (c₀ − 1)·aⁿ in float64)", async () => {
  const { init } = await import("../src/core/core.ts");
  const starts = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2];
  const steps = 1000, a = 0.999, b = 0.001; // fixed point b/(1 − a) = 1
  const chainSum = (n: number) => starts.reduce((s, c) => s + 1 + (c - 1) * a ** n, 0);
  for (const [impl, expected] of [["simd", 4 * chainSum(steps)], ["scalar", chainSum(4 * steps)]] as const) {
    const core = await init({ impl });
    const got = core.fn<(n: number, a: number, b: number) => number>("simdPeak")(steps, a, b);
    // float32 rounding of 4000 contracting steps: relative error well below 1e-4
    assert.ok(Math.abs(got - expected) <= 1e-4 * expected, `${impl}: ${got} vs ${expected}`);
  }
});

test("unknown kernels, implementations and clocks are ValueErrors naming the choices", async () => {
  for (const opts of [{ kernels: ["gemm"] }, { impls: ["gpu" as never] }, { clock: "tsc" as never, kernels: ["ger"], impls: ["js" as const] }]) {
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
