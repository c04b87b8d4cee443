import { run, pretendNoSimd } from "./core-check.js";
if (new URL(import.meta.url).searchParams.has("nosimd")) pretendNoSimd();
postMessage(await run("worker"));
