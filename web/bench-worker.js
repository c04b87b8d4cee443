// Runs web/bench.js in a module Web Worker for scripts/bench-browser.mjs (via bench.html).
import { fetchIdxDataset, MNIST_SMALL_SPLIT } from "../dist/index.js";
import { createBench } from "./bench.js";

let bench = null;
self.onmessage = async (e) => {
  try {
    if (e.data.type === "init") {
      const dataset = await fetchIdxDataset("mnist-small", new URL("./data/", import.meta.url), { validation: MNIST_SMALL_SPLIT.validation, gzip: true });
      bench = await createBench(e.data.impl, dataset);
      postMessage({ impl: bench.impl });
    } else if (e.data.type === "run") {
      postMessage({ examplesPerS: bench.run(e.data.ms) });
    }
  } catch (err) {
    postMessage({ error: `${err.name}: ${err.message}` });
  }
};
