// Training speed of the microcircuit (web/bench.js: 784-500-500-10, batch 10, mnist-small) in Node
// and in Debian's Chromium (a module Web Worker), measured in alternating rounds so both see the
// same machine noise. Prints JSON; --json FILE also writes it.
// Usage: node scripts/bench-browser.mjs [--impl simd|scalar|relaxed|auto] [--rounds 7] [--seconds 3]
//                                      [--warmup 3] [--json FILE]
// Needs dist/ and web/data/ (npm run build; node scripts/build-web-data.mjs) and /usr/bin/chromium.
import { writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./serve.mjs";
import { buildWebData } from "./build-web-data.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const num = (name, dflt, min) => {
  const v = Number(opt(name, dflt));
  if (!Number.isFinite(v) || v < min) {
    console.error(`bench-browser: ${name} must be a number ≥ ${min}, got ${opt(name)}`);
    process.exit(1);
  }
  return v;
};
const impl = opt("--impl", "simd");
if (!["simd", "scalar", "relaxed", "auto"].includes(impl)) {
  console.error(`bench-browser: --impl must be simd, scalar, relaxed or auto, got ${impl}`);
  process.exit(1);
}
const rounds = num("--rounds", "7", 1);
const ms = num("--seconds", "3", 0.1) * 1000;
const warmupMs = num("--warmup", "3", 0) * 1000;
const jsonFile = opt("--json");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromiumPath)) {
  console.error(`bench-browser: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  process.exit(1);
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1], samples: xs.map((x) => Math.round(x)) };
};

if (!existsSync(path.join(root, "web/data/t10k-images-idx3-ubyte.gz"))) await buildWebData();
const { WORKLOAD, createBench } = await import(pathToFileURL(path.join(root, "web/bench.js")).href);
const { loadMnistSmall } = await import(pathToFileURL(path.join(root, "dist/node/index.js")).href);

const node = await createBench(impl, loadMnistSmall());
const server = await startServer();
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}web/bench.html`);
  await page.waitForFunction(() => window.bench !== undefined);
  const { impl: chromiumImpl } = await page.evaluate((i) => window.bench.init(i), impl);
  // Warm-up: V8 tiers the WebAssembly up (Liftoff → TurboFan) in both runtimes.
  node.run(warmupMs);
  await page.evaluate((t) => window.bench.run(t), warmupMs);
  const n = [];
  const c = [];
  for (let r = 0; r < rounds; r++) {
    n.push(node.run(ms));
    c.push((await page.evaluate((t) => window.bench.run(t), ms)).examplesPerS);
  }
  const result = {
    workload: WORKLOAD,
    method: `${rounds} alternating rounds of ${ms / 1000} s each after ${warmupMs / 1000} s warm-up; examples/s per round`,
    node: { runtime: `node ${process.version}`, impl: node.impl, examplesPerS: stats(n) },
    chromium: { runtime: `Chromium ${browser.version()} (module Web Worker)`, impl: chromiumImpl, examplesPerS: stats(c) },
  };
  result.chromiumOverNode = result.chromium.examplesPerS.median / result.node.examplesPerS.median;
  const text = JSON.stringify(result, null, 2);
  console.log(text);
  if (jsonFile) await writeFile(jsonFile, text + "\n");
} finally {
  node.dispose();
  await browser.close();
  await server.close();
}
