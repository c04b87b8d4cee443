// Compiles assembly/index.ts into the WebAssembly builds the loader chooses from at run time:
//   wasm/dendritic.simd.wasm    128-bit SIMD (default wherever WebAssembly.validate accepts SIMD)
//   wasm/dendritic.scalar.wasm  no v128 at all; kernels take their scalar twins (ASC_FEATURE_SIMD = false)
//   wasm/dendritic.relaxed.wasm SIMD + relaxed-SIMD (fused multiply-add); loaded only where the
//                               runtime validates relaxed-SIMD (Node 20: after init() sets the flag)
//   wasm/dendritic.simd-threads.wasm, wasm/dendritic.relaxed-threads.wasm
//                               the SIMD and relaxed builds on shared, imported memory with atomics:
//                               the thread pool's builds (assembly/kernels/pool.ts, src/core/pool.ts)
// Usage: node scripts/build-wasm.mjs [--only simd|scalar|relaxed|simd-threads|relaxed-threads] [--out DIR] [--debug]
import asc from "assemblyscript/asc";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const outDir = path.resolve(root, opt("--out") ?? "wasm");
const only = opt("--only");
const debug = args.includes("--debug");

const common = [
  path.join(root, "assembly/index.ts"),
  "--runtime", "minimal",
  "--initialMemory", "16",
  "--noAssert",
  ...(debug ? ["--debug", "-O0"] : ["-O3", "--shrinkLevel", "0"]),
];
const targets = {
  simd: ["--enable", "simd"],
  scalar: ["--disable", "simd"],
  relaxed: ["--enable", "simd", "--enable", "relaxed-simd"],
  // Shared memory must declare its maximum: 2 GiB (32768 pages), the arena's tensor limit.
  "simd-threads": ["--enable", "simd", "--enable", "threads", "--sharedMemory", "--importMemory", "--maximumMemory", "32768"],
  "relaxed-threads": ["--enable", "simd", "--enable", "relaxed-simd", "--enable", "threads", "--sharedMemory", "--importMemory", "--maximumMemory", "32768"],
};

await mkdir(outDir, { recursive: true });
for (const [name, flags] of Object.entries(targets)) {
  if (only && only !== name) continue;
  const outFile = path.join(outDir, `dendritic.${name}.wasm`);
  const t0 = performance.now();
  const { error, stderr } = await asc.main([...common, ...flags, "-o", outFile, ...(debug ? ["-t", outFile.replace(/\.wasm$/, ".wat")] : [])]);
  if (error) {
    process.stderr.write(stderr.toString());
    console.error(`build-wasm: ${name} build failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${path.relative(root, outFile)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
