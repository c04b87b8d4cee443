import { defineConfig } from "vite";

const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  // Module workers keep top-level await and ES imports.
  worker: { format: "es" },
  build: { target: "es2022" },
  // The dev server pre-bundles dependencies into node_modules/.vite, which moves the package away
  // from its wasm/ folder; excluding it keeps `new URL("…", import.meta.url)` pointing at the files.
  optimizeDeps: { exclude: ["dendritic"] },
  // Cross-origin isolation, so that init({ threads }) may share the core's memory with workers.
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
});
