// Vite bundles the worker and copies the core's .wasm files (found through
// `new URL("…", import.meta.url)` in the package) into its output; no plugin or option needed.
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onmessage = (e) => {
  window.result = e.data;
  document.getElementById("out").textContent = e.data.error
    ? `error: ${e.data.error}`
    : `${e.data.impl}: test error ${(100 * e.data.testError).toFixed(1)} % after ${e.data.epochs} epochs`;
};
