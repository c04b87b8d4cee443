// Builds the package (npm run build) when dist/ or wasm/ is missing or older than its sources, so
// `npm start` works right after `npm install` in a fresh clone (the build itself runs in `prepack`).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const wasmDir = path.join(root, "wasm");
const wasmFiles = existsSync(wasmDir)
  ? readdirSync(wasmDir)
      .filter((f) => f.endsWith(".wasm"))
      .map((f) => path.join(wasmDir, f))
  : [];
// Each output set against its own sources: the .wasm files against assembly/, dist/ against src/,
// dist/bench/ against bench/.
const sets = [
  { outputs: wasmFiles, sources: "assembly" },
  { outputs: [path.join(root, "dist/index.js"), path.join(root, "dist/cli/main.js")], sources: "src" },
  { outputs: [path.join(root, "dist/bench/index.js")], sources: "bench" },
];
const built = wasmFiles.length > 0 && sets.every((s) => s.outputs.every((f) => existsSync(f)));
const stale = built && sets.some((s) => newest(path.join(root, s.sources)) > Math.min(...s.outputs.map((f) => statSync(f).mtimeMs)));
if (!built || stale) {
  console.error(
    built
      ? "dendritic: sources changed since the last build; building"
      : "dendritic: first run; building the WebAssembly core (six builds) and the TypeScript (about a minute)",
  );
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  process.exit(r.status ?? 1);
}
