#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

main(process.argv).catch((err) => {
  // Errors the library raises on purpose are reported without a stack trace.
  const ours = err && typeof err.name === "string" && /Error$/.test(err.name) && err.name !== "Error" && err.name !== "TypeError";
  console.error(`dendritic: ${ours ? `${err.name}: ${err.message}` : err?.stack ?? err}`);
  // Exit codes (train --help): 3 when training diverged (a non-finite value), else 1.
  process.exit(err?.name === "NonFiniteError" ? 3 : 1);
});
