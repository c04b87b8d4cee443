// Every code block of the README runs here, as a user would run it: JavaScript blocks are kept as
// files under examples/ (each block must equal one file) and those files run with Node; each shell
// line runs through the CLI, except the few that CI itself performs (npm install → the package
// test installs the packed tarball into a fresh project; npm test → CI's own command).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

interface Block {
  lang: string;
  code: string;
  line: number;
}

/** Fenced code blocks with their language tag and starting line. */
export function codeBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    out.push({ lang: open[1], code: body.join("\n"), line: start + 1 });
  }
  return out;
}

function examples(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return f === "node_modules" ? [] : examples(p);
    return /\.m?js$/.test(f) ? [p] : [];
  });
}

/** Shell lines that CI performs itself rather than through this test, and why. */
const PERFORMED_BY_CI: [RegExp, string][] = [
  [/^npm install dendritic( [a-z@/.-]+)*$/, "test/package.test.ts installs the packed tarball into a fresh project"],
  [/^npm test$/, "CI's own command (.ci/run)"],
  [/^git clone \S+$/, "CI runs on a fresh clone"],
  [/^cd dendritic$/, "CI runs in the clone"],
  [/^npm (ci|install)$/, "CI's first step (.ci/run)"],
];

const blocks = codeBlocks(readme);
const t = suite("README: every code block runs");
let dir: string;
t.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dendritic-readme-"));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

t("every block is tagged js or sh, and the README has some of each", () => {
  for (const b of blocks)
    assert.ok(
      ["js", "sh"].includes(b.lang),
      `README.md:${b.line}: a \`\`\`${b.lang || "(untagged)"} block; use js (kept in examples/) or sh (run by this test)`,
    );
  assert.ok(blocks.some((b) => b.lang === "js") && blocks.some((b) => b.lang === "sh"));
});

const files = examples(path.join(root, "examples")).filter((f) => !f.includes(`${path.sep}vite${path.sep}`));
for (const b of blocks.filter((b) => b.lang === "js")) {
  t(`README.md:${b.line}: the js block is an examples/ file, and it runs`, () => {
    const file = files.find((f) => readFileSync(f, "utf8").trim() === b.code.trim());
    assert.ok(file, `README.md:${b.line}: no file under examples/ holds exactly this block`);
    const r = spawnSync(process.execPath, [file!], { cwd: dir, encoding: "utf8" });
    assert.is(r.status, 0, `${path.relative(root, file!)} failed:\n${r.stderr}`);
    console.log(`  ${path.relative(root, file!)}: ${r.stdout.trim().split("\n").pop()}`);
  });
}

for (const b of blocks.filter((b) => b.lang === "sh")) {
  t(`README.md:${b.line}: each shell line runs (or is one CI performs itself)`, () => {
    for (const raw of b.code.split("\n")) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (!line || line.startsWith("#")) continue;
      const ci = PERFORMED_BY_CI.find(([re]) => re.test(line));
      if (ci) {
        console.log(`  ${line}  (${ci[1]})`);
        continue;
      }
      let r;
      if (line === "npm start") {
        r = spawnSync("npm", ["start", "--silent"], { cwd: root, encoding: "utf8" });
        assert.match(r.stdout + r.stderr, /test (accuracy|error)/, `npm start printed no test result:\n${r.stdout}\n${r.stderr}`);
      } else {
        const m = /^npx dendritic (.*)$/.exec(line);
        assert.ok(m, `README.md:${b.line}: '${line}' is neither a dendritic command nor one CI performs`);
        r = spawnSync("sh", ["-c", `"${process.execPath}" "${path.join(root, "bin", "dendritic.js")}" ${m![1]}`], { cwd: dir, encoding: "utf8" });
      }
      assert.is(r.status, 0, `'${line}' exited with ${r.status}:\n${r.stderr}`);
      console.log(`  ${line}: ${(r.stdout.trim() || r.stderr.trim()).split("\n").pop()}`);
    }
  });
}

t.run();
