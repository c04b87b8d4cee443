// The kernel benchmark's result records (not its timings: benchmarks are not tests).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { benchKernels, formatKernelTable } from "../src/bench/kernels.ts";
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
