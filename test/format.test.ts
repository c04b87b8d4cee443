// The tree is formatted by Prettier (configuration: .prettierrc.json; what it skips: .prettierignore —
// AssemblyScript sources, whose function decorators Prettier's TypeScript parser rejects, and prose).
// `npm run format` rewrites; this test is the check CI runs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const prettier = createRequire(import.meta.url).resolve("prettier/bin/prettier.cjs");

test("every source file is formatted as `npm run format` leaves it (prettier --list-different is empty)", () => {
  let out = "";
  try {
    out = execFileSync(process.execPath, [prettier, "--list-different", "."], { cwd: root, encoding: "utf8" });
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    // Exit 1 lists the files that differ; anything else is an error of Prettier itself.
    if (err.status !== 1) throw new Error(`prettier failed: ${err.stderr ?? String(e)}`);
    out = err.stdout ?? "";
  }
  const files = out.split("\n").filter(Boolean);
  assert.equal(files, [], `not formatted (run npm run format): ${files.join(", ")}`);
});

test.run();
