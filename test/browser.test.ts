// The library in real Chromium (Debian's, driven by playwright-core; no browser download): the
// ESM build in a page and a module Web Worker with no bundler and no import map, feature detection
// and the scalar fallback, `wasmBase`, and no Node built-in anywhere in the browser module graph.
// Skipped with a message when Chromium is absent; mandatory under CI=true.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { builtinModules } from "node:module";
import { spawnSync } from "node:child_process";
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
    const r = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "neutral",
      external: ["*"],
      logLevel: "silent",
    });
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
      assert.ok(
        sp.startsWith("./") || sp.startsWith("../"),
        `${rel} imports the bare specifier '${sp}' (needs a bundler or an import map, and import maps do not reach workers)`,
      );
      assert.ok(existsSync(path.resolve(path.dirname(file), sp)), `${rel} imports missing ${sp}`);
    }
  }
});

s.run();

// ---- in Chromium -------------------------------------------------------------------------------

const b = suite("browser: the library in Debian's Chromium");
let browser: Browser;
let server: { url: string; close(): Promise<void> };

// uvu skips a suite's tests without failing them when its before() hook throws, so setup errors
// are kept here and rethrown by every test.
let setupError: unknown;
const guard = (fn: () => Promise<void>) => async () => {
  try {
    await fn();
  } catch (e) {
    setupError = e;
  }
};

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A page that records page errors and console errors; `problems()` lists them. */
export async function watchedPage(br: Browser): Promise<{ page: Page; problems: () => string[]; wasmRequests: string[] }> {
  if (setupError) throw setupError;
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
  // Includes the workers' requests: a 404 shows in the browser's console as an error.
  page.on("response", (r) => {
    if (r.status() >= 400) found.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { page, problems: () => found, wasmRequests };
}

const reference = (() => {
  // float64 transcription of Y = X Wᵀ for the fixture in test/browser/core-check.js
  const X = Array.from({ length: 15 }, (_, i) => (i % 7) - 3);
  const W = Array.from({ length: 35 }, (_, i) => (i % 5) - 2);
  const Y: number[] = [];
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 7; c++) {
      let acc = 0;
      for (let k = 0; k < 5; k++) acc += X[r * 5 + k] * W[c * 5 + k];
      Y.push(acc);
    }
  return Y;
})();

/** Without Chromium: a skipped test, or under CI=true (where the browser tests are mandatory) a failing one. */
function noChromium(s: ReturnType<typeof suite>, name: string): void {
  if (mandatory) {
    s(name, () => {
      assert.unreachable(`CI=true but no Chromium at ${CHROMIUM}: the browser tests are mandatory in CI (apt-get install -y chromium)`);
    });
  } else {
    s.skip(name, () => {});
  }
}

if (!haveChromium) {
  console.log(`\n  browser tests ${mandatory ? "FAIL" : "SKIPPED"}: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`);
  noChromium(b, "dist/ loads in a page and in a module worker without an import map");
} else {
  b.before(
    guard(async () => {
      server = await startServer();
      browser = await launch();
    }),
  );
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
    assert.ok(
      wasmRequests.every((u) => u.startsWith("/wasm/")),
      `default location is the package's wasm/: ${wasmRequests}`,
    );
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

// ---- the demo page -----------------------------------------------------------------------------

const d = suite("browser: the demo page trains in a Web Worker");
type DemoState = {
  ready: boolean;
  batches: number;
  examples: number;
  testError: number | null;
  impl: string | null;
  threads: number | null;
  errors: string[];
  stopped?: { batches: number };
  digest?: { digest: string; batches: number; impl: string };
};
const demoState = (page: Page) =>
  page.evaluate(() => {
    const x = (window as unknown as { demo: DemoState & { send?: unknown } }).demo;
    return JSON.parse(JSON.stringify({ ...x, send: undefined })) as DemoState;
  });

/** The Node side in this process, or in a child Node with relaxed SIMD enabled (Node 20 keeps it behind a flag). */
async function nodeDigest(impl: "simd" | "scalar" | "relaxed", rule: "microcircuit" | "bp", seed: number, lr: number, batches: number): Promise<string> {
  if (impl !== "relaxed") return (await import("./browser/node-digest.ts")).nodeDigest(impl, rule, seed, lr, batches);
  const r = spawnSync(
    process.execPath,
    [
      "--experimental-wasm-relaxed-simd",
      "--import",
      "tsx",
      path.join(root, "test/browser/node-digest.ts"),
      impl,
      rule,
      String(seed),
      String(lr),
      String(batches),
    ],
    { encoding: "utf8", cwd: root },
  );
  assert.is(r.status, 0, `child node: ${r.stderr}`);
  return r.stdout.trim().split("\n").pop()!;
}

if (!haveChromium) {
  noChromium(d, "the demo trains the microcircuit below 50 % test error with no page or console error");
} else {
  d.before(
    guard(async () => {
      if (!existsSync(path.join(root, "web/data/t10k-images-idx3-ubyte.gz"))) {
        // @ts-expect-error plain ES module without declarations
        const { buildWebData } = await import("../scripts/build-web-data.mjs");
        await buildWebData();
      }
      server = await startServer();
      browser = await launch();
    }),
  );
  d.after(async () => {
    await browser?.close();
    await server?.close();
  });

  d("the demo trains the microcircuit below 50 % test error with no page or console error; drawing gives output rates", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}web/`);
    await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.ready, null, { timeout: 30_000 });
    const badge = await page.textContent("#build");
    const s0 = await demoState(page);
    assert.ok(badge?.includes(s0.impl!), `the page names the build (${badge})`);
    assert.ok(["wasm-simd", "wasm-relaxed"].includes(s0.impl!), `Chromium runs a SIMD build, got ${s0.impl}`);
    // The demo server sends COOP/COEP, so the worker's core gets one thread per logical core.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.is(s0.threads, cores);
    assert.ok(badge?.includes(`${cores} thread`), `the page shows the thread count (${badge})`);
    assert.is(await page.inputValue("#rule"), "microcircuit");
    await page.click("#start");
    // The microcircuit passes 50 % test error within the first 4 000 examples (400 mini-batches);
    // evaluations come every ≥1 000 examples, so wait for one after 4 000.
    await page.waitForFunction(
      () => {
        const x = (window as unknown as { demo: DemoState & { history: { examples: number; testError: number }[] } }).demo;
        return x.errors.length > 0 || x.history.some((h) => h.examples >= 4000);
      },
      null,
      { timeout: 90_000, polling: 250 },
    );
    // The page stays responsive while the worker trains: a round trip through the page's event loop.
    const t0 = Date.now();
    await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
    const pageLatencyMs = Date.now() - t0;
    await page.click("#pause");
    const s1 = await demoState(page);
    assert.equal(s1.errors, []);
    assert.ok(s1.batches >= 400, `trained ${s1.batches} mini-batches`);
    assert.ok(s1.testError !== null && s1.testError < 0.5, `test error ${s1.testError}`);
    const shown = await page.textContent("#testErr");
    assert.ok(shown?.endsWith("%"), `test error shown: ${shown}`);
    // Draw a "1" (a vertical stroke) on the pad: the network answers with ten output rates.
    const box = (await page.locator("#pad").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.8, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById("guess")!.textContent !== "–", null, { timeout: 10_000 });
    const rates = (await page.locator("#rates .v").allTextContents()).map(Number);
    assert.is(rates.length, 10);
    assert.ok(
      rates.every((r) => r >= 0 && r <= 1),
      `rates ${rates}`,
    );
    // The guess is the argmax of the exact rates; the page shows them rounded to 2 decimals, so
    // compare through the shown value (two rates may round to the same maximum).
    const guess = Number(await page.textContent("#guess"));
    assert.ok(Number.isInteger(guess) && guess >= 0 && guess <= 9, `guess ${guess}`);
    assert.is(rates[guess], Math.max(...rates), `guess ${guess}, rates ${rates}`);
    // Every test-digit cell got a predicted label.
    const labels = await page.locator("#grid .cell span").allTextContents();
    assert.is(labels.length, 32);
    assert.ok(
      labels.every((l) => /^[0-9]$/.test(l)),
      `grid labels ${labels}`,
    );
    await page.screenshot({ path: path.join(root, "out", "browser-demo.png") });
    // "Download weights": a checkpoint file that loadModel in Node turns back into the same model.
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click("#download")]);
    assert.match(download.suggestedFilename(), /^dendritic-microcircuit-\d+\.safetensors$/);
    const bytes = readFileSync((await download.path())!);
    await page.waitForFunction(() => (window as unknown as { demo: { checkpoint?: unknown } }).demo.checkpoint, null, { timeout: 10_000 });
    const sent = await page.evaluate(() => (window as unknown as { demo: { checkpoint: { digest: string; bytes: number } } }).demo.checkpoint);
    assert.is(bytes.length, sent.bytes);
    const { loadModel, digestState, init } = await import("../src/index.ts");
    const loaded = await loadModel(bytes, { core: await init({ impl: "simd" }), name: download.suggestedFilename() });
    assert.is(loaded.kind, "microcircuit");
    assert.is(await digestState(loaded.exportState()), sent.digest, "the file holds the worker's weights, filters and RNG state");
    loaded.dispose();
    // The log-scale switch redraws the error chart without an error.
    await page.click("#log-error");
    assert.ok(await page.isChecked("#log-error"));
    console.log(
      `  demo: ${s1.batches} mini-batches, test error ${(100 * s1.testError!).toFixed(1)} %, page event-loop round trip ${pageLatencyMs} ms, screenshot out/browser-demo.png`,
    );
    assert.equal(problems(), []);
    await page.close();
  });

  d("at 390 px wide the demo is one column: nothing is wider than the screen, every button stays inside its panel", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}web/`);
    await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.ready, null, { timeout: 30_000 });
    // The spiking rule's raster and its rule name are the widest content: show them too.
    await page.selectOption("#rule", "spiking");
    await page.evaluate(() => void (document.getElementById("raster-box")!.hidden = false));
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      outside: [...document.querySelectorAll("button")]
        .filter((b) => {
          const r = b.getBoundingClientRect();
          const p = b.closest(".panel")!.getBoundingClientRect();
          return r.left < p.left || r.right > p.right;
        })
        .map((b) => b.id),
      plotWidths: [...document.querySelectorAll(".plot > div")].map((e) => e.clientWidth),
    }));
    assert.is(layout.scrollWidth, 390);
    assert.equal(layout.outside, []);
    assert.ok(
      layout.plotWidths.every((w) => w >= 300),
      `plot widths ${layout.plotWidths}`,
    );
    await page.screenshot({ path: path.join(root, "out", "browser-demo-390.png"), fullPage: true });
    assert.equal(problems(), []);
    await page.close();
  });

  d("the demo offers the spiking microcircuit: it trains, and the drawn digit gets output spike counts and a spike raster of every population", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}web/`);
    await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.ready, null, { timeout: 30_000 });
    await page.selectOption("#rule", "spiking");
    assert.is(await page.inputValue("#lr"), "0.5", "the rule's default learning rate");
    await page.click("#reset");
    await page.waitForFunction(() => (window as unknown as { demo: { model?: { rule: string } } }).demo.model?.rule === "spiking");
    assert.ok((await page.textContent("#arch"))?.includes("spiking"));
    await page.click("#start");
    // One evaluation (after ≥ 1 000 examples = 100 windows of 10) shows training took place.
    await page.waitForFunction(
      () => {
        const x = (window as unknown as { demo: DemoState & { history: { examples: number }[] } }).demo;
        return x.errors.length > 0 || x.history.some((h) => h.examples >= 1000);
      },
      null,
      { timeout: 120_000, polling: 250 },
    );
    await page.click("#pause");
    const s1 = await demoState(page);
    assert.equal(s1.errors, []);
    assert.ok(s1.testError !== null && s1.testError < 0.8, `test error after ${s1.examples} examples: ${s1.testError}`);
    const box = (await page.locator("#pad").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.8, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { demo: { raster?: unknown } }).demo.raster, null, { timeout: 20_000 });
    const shown = await page.evaluate(
      () => (window as unknown as { demo: { raster: { label: string; cells: number; steps: number; spikes: number }[]; counts: number[] } }).demo,
    );
    assert.equal(
      shown.raster.map((r) => r.label),
      ["input", "hidden 1", "hidden 2", "output"],
    );
    assert.equal(
      shown.raster.map((r) => r.cells),
      [16, 16, 16, 10],
    );
    assert.ok(shown.raster[0].spikes > 0 && shown.raster[3].spikes > 0, `the drawn stroke drives input and output cells: ${JSON.stringify(shown.raster)}`);
    assert.is(shown.counts.length, 10);
    assert.ok(
      shown.counts.every((c) => Number.isInteger(c) && c >= 0 && c <= 50),
      `counts ${shown.counts}`,
    );
    assert.ok(await page.isVisible("#raster"), "the raster canvas is shown");
    const guess = Number(await page.textContent("#guess"));
    assert.is(shown.counts[guess], Math.max(...shown.counts), `guess ${guess} has the most output spikes (${shown.counts})`);
    const rates = (await page.locator("#rates .v").allTextContents()).map(Number);
    assert.ok(
      rates.every((r) => r >= 0 && r <= 1),
      `rates ${rates}`,
    );
    await page.screenshot({ path: path.join(root, "out", "browser-demo-spiking.png") });
    assert.equal(problems(), []);
    await page.close();
  });

  d("?impl=scalar runs the scalar build and the page says so", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}web/?impl=scalar`);
    await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.ready, null, { timeout: 30_000 });
    assert.is((await demoState(page)).impl, "wasm-scalar");
    assert.ok((await page.textContent("#build"))?.includes("wasm-scalar"));
    assert.equal(problems(), []);
    await page.close();
  });

  for (const [rule, impl] of [
    ["microcircuit", "simd"],
    ["microcircuit", "scalar"],
    ["microcircuit", "relaxed"],
    ["bp", "simd"],
  ] as const) {
    d(`same seed, same data: ${rule} weights after 30 mini-batches are bit-identical in Node and in the Chromium worker (${impl} build)`, async () => {
      const seed = 7;
      const batches = 30;
      const { page, problems } = await watchedPage(browser);
      await page.goto(`${server.url}web/?impl=${impl}`);
      await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.ready, null, { timeout: 30_000 });
      const lr = rule === "microcircuit" ? 0.025 : 0.1;
      await page.selectOption("#rule", rule);
      await page.fill("#lr", String(lr));
      await page.fill("#seed", String(seed));
      await page.click("#reset");
      await page.waitForFunction((r) => (window as unknown as { demo: { model?: { rule: string; seed: number } } }).demo.model?.rule === r, rule);
      await page.evaluate((n) => (window as unknown as { demo: { send(m: unknown): void } }).demo.send({ type: "start", batches: n }), batches);
      await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.stopped !== undefined, null, { timeout: 60_000 });
      await page.evaluate(() => (window as unknown as { demo: { send(m: unknown): void } }).demo.send({ type: "digest" }));
      await page.waitForFunction(() => (window as unknown as { demo: DemoState }).demo.digest !== undefined, null, { timeout: 30_000 });
      const browserSide = (await demoState(page)).digest!;
      assert.is(browserSide.batches, batches);
      assert.is(browserSide.impl, `wasm-${impl}`);
      assert.equal(problems(), []);
      await page.close();
      const nodeSide = await nodeDigest(impl, rule, seed, lr, batches);
      assert.is(browserSide.digest, nodeSide);
      // The digest sees the training: one mini-batch fewer gives another one.
      assert.is.not(await nodeDigest(impl, rule, seed, lr, batches - 1), nodeSide);
    });
  }
}

d.run();

// ---- through Vite ------------------------------------------------------------------------------

const v = suite("browser: the package through Vite (examples/vite)");
let app = "";

/** examples/vite with the package "installed" as a copy in its node_modules, as npm would. */
async function prepareViteApp(): Promise<string> {
  const dir = path.join(root, "out", "vite-app");
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(root, "examples", "vite"), dir, { recursive: true });
  const pkg = path.join(dir, "node_modules", "dendritic");
  mkdirSync(path.join(pkg, "wasm"), { recursive: true });
  cpSync(path.join(root, "package.json"), path.join(pkg, "package.json"));
  cpSync(path.join(root, "dist"), path.join(pkg, "dist"), { recursive: true });
  for (const f of readdirSync(path.join(root, "wasm"))) if (f.endsWith(".wasm")) cpSync(path.join(root, "wasm", f), path.join(pkg, "wasm", f));
  return dir;
}

async function runViteApp(url: string): Promise<{ result: { impl?: string; testError?: number; epochs?: number; error?: string }; wasm: string[] }> {
  const { page, problems, wasmRequests } = await watchedPage(browser);
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 60_000 });
  const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as { impl?: string; testError?: number; error?: string };
  assert.equal(problems(), []);
  await page.close();
  return { result, wasm: wasmRequests };
}

if (!haveChromium) {
  noChromium(v, "vite build: the bundled page trains a microcircuit in a worker with the core's .wasm copied as assets");
} else {
  v.before(
    guard(async () => {
      app = await prepareViteApp();
      browser = await launch();
    }),
  );
  v.after(async () => {
    await browser?.close();
  });

  v("vite build: the bundled page trains a microcircuit in a worker with the core's .wasm copied as assets", async () => {
    if (setupError) throw setupError;
    const vite = await import("vite");
    await vite.build({ root: app, logLevel: "error", configFile: path.join(app, "vite.config.js") });
    const assets = readdirSync(path.join(app, "dist", "assets"));
    assert.ok(
      assets.some((f) => /^dendritic\.simd-.*\.wasm$/.test(f)),
      `assets: ${assets}`,
    );
    assert.ok(
      assets.some((f) => /^dendritic\.scalar-.*\.wasm$/.test(f)),
      `assets: ${assets}`,
    );
    const server = await vite.preview({
      root: app,
      logLevel: "error",
      configFile: path.join(app, "vite.config.js"),
      preview: { host: "127.0.0.1", port: 0, strictPort: false },
    });
    try {
      const { result, wasm } = await runViteApp(server.resolvedUrls!.local[0]);
      assert.is(result.error, undefined);
      assert.ok(["wasm-simd", "wasm-relaxed"].includes(result.impl!), `impl ${result.impl}`);
      assert.is(result.epochs, 5);
      // Chance is 2/3 on three balanced classes; this net reaches 0 % in Node (bars seed 1).
      assert.ok(result.testError! < 0.2, `test error ${result.testError}`);
      assert.ok(wasm.length === 1 && wasm[0].startsWith("/assets/dendritic."), `fetched ${wasm}`);
    } finally {
      await new Promise<void>((r) => server.httpServer.close(() => r()));
    }
  });

  v("vite dev server: the same page works unbundled (optimizeDeps.exclude keeps the .wasm beside the package)", async () => {
    if (setupError) throw setupError;
    const vite = await import("vite");
    const server = await vite.createServer({
      root: app,
      logLevel: "error",
      configFile: path.join(app, "vite.config.js"),
      server: { host: "127.0.0.1", port: 0, hmr: false },
    });
    await server.listen();
    try {
      const { result, wasm } = await runViteApp(server.resolvedUrls!.local[0]);
      assert.is(result.error, undefined);
      assert.ok(result.testError! < 0.2, `test error ${result.testError}`);
      assert.ok(wasm.length === 1 && wasm[0].includes("/node_modules/dendritic/wasm/"), `fetched ${wasm}`);
    } finally {
      await server.close();
    }
  });
}

v.run();
