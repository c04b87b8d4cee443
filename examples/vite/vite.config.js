import { defineConfig } from "vite";

export default defineConfig({
  // Module workers keep top-level await and ES imports.
  worker: { format: "es" },
  build: { target: "es2022" },
  // The dev server pre-bundles dependencies into node_modules/.vite, which moves the package away
  // from its wasm/ folder; excluding it keeps `new URL("…", import.meta.url)` pointing at the files.
  optimizeDeps: { exclude: ["dendritic"] },
});
