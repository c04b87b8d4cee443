// Compiles assembly/index.ts into every target of asconfig.json, one after another:
//   simd     wasm/dendritic.simd.wasm     128-bit SIMD (default wherever WebAssembly.validate accepts SIMD)
//   scalar   wasm/dendritic.scalar.wasm   no v128 at all; kernels take their scalar twins (ASC_FEATURE_SIMD = false)
//   relaxed  wasm/dendritic.relaxed.wasm  SIMD + relaxed-SIMD (fused multiply-add); loaded only where the
//                                         runtime validates relaxed-SIMD without flags
//   debug    wasm/dendritic.debug.wasm    SIMD, unoptimised, assertions on, with a .wat listing
// A new build is one more entry in asconfig.json's "targets"; this script needs no change.
// Usage: node scripts/build-wasm.mjs [--only NAME[,NAME…]] [--out DIR]
import asc from "assemblyscript/asc";
import { mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const config = path.join(root, "asconfig.json");
const { targets } = JSON.parse(await readFile(config, "utf8"));
const only = opt("--only")?.split(",");
for (const name of only ?? []) {
  if (!(name in targets)) {
    console.error(`build-wasm: --only ${name}: asconfig.json has no such target (targets: ${Object.keys(targets).join(", ")})`);
    process.exit(1);
  }
}
const outDir = opt("--out") && path.resolve(opt("--out"));

for (const [name, target] of Object.entries(targets)) {
  if (only && !only.includes(name)) continue;
  // --out moves every output file of the target into DIR, keeping its name.
  const moved = (file) => (outDir ? path.join(outDir, path.basename(file)) : path.resolve(root, file));
  const outFile = moved(target.outFile);
  const extra = ["--outFile", outFile, ...(target.textFile ? ["--textFile", moved(target.textFile)] : [])];
  await mkdir(path.dirname(outFile), { recursive: true });
  const t0 = performance.now();
  const { error, stderr } = await asc.main(["--config", config, "--target", name, "--baseDir", root, ...extra]);
  if (error) {
    process.stderr.write(stderr.toString());
    console.error(`build-wasm: ${name} build failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${path.relative(root, outFile)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
