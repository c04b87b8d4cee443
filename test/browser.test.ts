// The library in real Chromium (Debian's, driven by playwright-core; no browser download): the
// ESM build in a page and a module Web Worker with no bundler and no import map, feature detection
// and the scalar fallback, `wasmBase`, and no Node built-in anywhere in the browser module graph.
// Skipped with a message when Chromium is absent; mandatory under CI=true.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { builtinModules } from "node:module";
import * as esbuild from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
// @ts-expect-error plain ES module without declarations
import { startServer } from "../scripts/serve.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];
const haveChromium = existsSync(CHROMIUM);
const mandatory = process.env.CI === "true";

// ---- static checks (no browser needed) ---------------------------------------------------------

const s = suite("browser build: module graph");

/** Every module reachable from `entry` through static or literal dynamic imports, with its specifiers. */
async function moduleGraph(entry: string): Promise<Map<string, string[]>> {
  // esbuild (tsx's compiler) parses each module; with every import left external it only lists
  // them, and its metafile names each module's import specifiers as written.
  const seen = new Map<string, string[]>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const r = await esbuild.build({ entryPoints: [file], bundle: true, write: false, metafile: true, format: "esm", platform: "neutral", external: ["*"], logLevel: "silent" });
    const specs = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.original ?? x.path));
    seen.set(file, specs);
    for (const sp of specs) if (sp.startsWith(".")) todo.push(path.resolve(path.dirname(file), sp));
  }
  return seen;
}

s("dist/index.js reaches only relative modules: no bare specifier, no Node built-in (fs, path, zlib, worker_threads…)", async () => {
  const graph = await moduleGraph(path.join(root, "dist/index.js"));
  assert.ok(graph.size > 3, `graph has ${graph.size} modules`);
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  for (const [file, specs] of graph) {
    for (const sp of specs) {
      const rel = path.relative(root, file);
      assert.not.ok(builtins.has(sp) || sp.startsWith("node:"), `${rel} imports the Node built-in '${sp}'`);
      assert.ok(sp.startsWith("./") || sp.startsWith("../"), `${rel} imports the bare specifier '${sp}' (needs a bundler or an import map, and import maps do not reach workers)`);
      assert.ok(existsSync(path.resolve(path.dirname(file), sp)), `${rel} imports missing ${sp}`);
    }
  }
});

s.run();

// ---- in Chromium -------------------------------------------------------------------------------

const b = suite("browser: the library in Debian's Chromium");
let browser: Browser;
let server: { url: string; close(): Promise<void> };

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A page that records page errors and console errors; `problems()` lists them. */
export async function watchedPage(br: Browser): Promise<{ page: Page; problems: () => string[]; wasmRequests: string[] }> {
  const page = await br.newPage({ viewport: { width: 1440, height: 900 } });
  const found: string[] = [];
  const wasmRequests: string[] = [];
  page.on("pageerror", (e) => found.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") found.push(`console.error: ${m.text()}`);
  });
  page.on("request", (r) => {
    if (r.url().endsWith(".wasm")) wasmRequests.push(new URL(r.url()).pathname);
  });
  page.on("requestfailed", (r) => found.push(`request failed: ${r.url()}`));
  return { page, problems: () => found, wasmRequests };
}

const reference = (() => {
  // float64 transcription of Y = X Wᵀ for the fixture in test/browser/core-check.js
  const X = Array.from({ length: 15 }, (_, i) => (i % 7) - 3);
  const W = Array.from({ length: 35 }, (_, i) => (i % 5) - 2);
  const Y: number[] = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 7; c++) {
    let acc = 0;
    for (let k = 0; k < 5; k++) acc += X[r * 5 + k] * W[c * 5 + k];
    Y.push(acc);
  }
  return Y;
})();

if (!haveChromium && !mandatory) {
  console.log(`\n  browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`);
  b.skip("dist/ loads in a page and in a module worker without an import map", () => {});
} else {
  b.before(async () => {
    if (!haveChromium) throw new Error(`CI=true but no Chromium at ${CHROMIUM}: the browser tests are mandatory in CI`);
    server = await startServer();
    browser = await launch();
  });
  b.after(async () => {
    await browser?.close();
    await server?.close();
  });

  b("dist/ loads in a page and in a module worker without an import map; SIMD detected; kernel exact vs float64", async () => {
    const { page, problems, wasmRequests } = await watchedPage(browser);
    await page.goto(`${server.url}test/browser/core.html`);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 30_000 });
    const r = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as Record<string, Record<string, unknown>>;
    assert.equal(problems(), []);
    for (const where of ["page", "worker"] as const) {
      const x = r[where];
      assert.is(x.isWorker, where === "worker");
      // Chromium ships SIMD; relaxed SIMD may or may not be enabled by default.
      assert.ok((x.features as { simd: boolean }).simd, `${where}: SIMD detected`);
      assert.ok(["wasm-simd", "wasm-relaxed"].includes(x.autoImpl as string), `${where}: auto picked ${x.autoImpl}`);
      assert.is(x.autoSimd, 1);
      assert.is(x.scalarImpl, "wasm-scalar");
      assert.is(x.scalarSimd, 0);
      // Small integers: every product and sum is exact in float32, so equality is exact.
      assert.equal(x.autoY, reference, `${where}: SIMD build`);
      assert.equal(x.scalarY, reference, `${where}: scalar build`);
    }
    assert.ok(wasmRequests.every((u) => u.startsWith("/wasm/")), `default location is the package's wasm/: ${wasmRequests}`);
    await page.close();
  });

  b("where WebAssembly SIMD is missing, auto-detection loads the scalar build (page and worker), same results", async () => {
    const { page, problems, wasmRequests } = await watchedPage(browser);
    await page.goto(`${server.url}test/browser/core.html?nosimd`);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 30_000 });
    const r = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as Record<string, Record<string, unknown>>;
    assert.equal(problems(), []);
    for (const where of ["page", "worker"] as const) {
      assert.equal(r[where].features, { simd: false, relaxedSimd: false });
      assert.is(r[where].autoImpl, "wasm-scalar");
      assert.is(r[where].autoSimd, 0);
      assert.equal(r[where].autoY, reference);
    }
    assert.ok(!wasmRequests.some((u) => /simd|relaxed/.test(u)), `no SIMD build fetched: ${wasmRequests}`);
    await page.close();
  });

  b("init({ wasmBase }) loads the .wasm files from the given location instead", async () => {
    const { page, problems, wasmRequests } = await watchedPage(browser);
    await page.goto(`${server.url}test/browser/core.html?wasmBase=/assets/core/`);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 30_000 });
    const r = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as Record<string, Record<string, unknown>>;
    assert.equal(problems(), []);
    assert.equal(r.page.autoY, reference);
    const pageRequests = wasmRequests.filter((u) => !u.startsWith("/wasm/"));
    assert.ok(pageRequests.length >= 2 && pageRequests.every((u) => u.startsWith("/assets/core/")), `page fetched ${wasmRequests}`);
    await page.close();
  });
}

b.run();
