#!/usr/bin/env node
let main;
try {
  ({ main } = await import("../dist/cli/main.js"));
} catch (err) {
  // A clone of the repository that was never built (the published package ships dist/).
  if (err?.code === "ERR_MODULE_NOT_FOUND" && /dist[\\/]cli[\\/]main\.js/.test(err.message)) {
    console.error("dendritic: dist/ is missing; run `npm run build` in the repository first");
    process.exit(1);
  }
  throw err;
}

main(process.argv).catch((err) => {
  // Errors the library raises on purpose are reported without a stack trace.
  const ours = err && typeof err.name === "string" && /Error$/.test(err.name) && err.name !== "Error" && err.name !== "TypeError";
  console.error(`dendritic: ${ours ? `${err.name}: ${err.message}` : err?.stack ?? err}`);
  // Exit codes (train --help): 3 when training diverged (a non-finite value), else 1.
  process.exit(err?.name === "NonFiniteError" ? 3 : 1);
});
