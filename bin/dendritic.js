#!/usr/bin/env node
import { main } from "../dist/cli/main.js";
import { benchCommand } from "../dist/bench/index.js";

main(process.argv, [benchCommand()]).catch((err) => {
  // Errors the library raises on purpose are reported without a stack trace.
  const ours = err && typeof err.name === "string" && /Error$/.test(err.name) && err.name !== "Error" && err.name !== "TypeError";
  console.error(`dendritic: ${ours ? `${err.name}: ${err.message}` : err?.stack ?? err}`);
  process.exit(1);
});
