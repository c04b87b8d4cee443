// A small static server for the browser demo (web/) and the browser tests: it serves the package's
// own files (dist/, wasm/, web/, the demo's plotting library) from 127.0.0.1 with the MIME types
// browsers insist on — text/javascript for modules, application/wasm for instantiateStreaming.
// Usage: node scripts/serve.mjs [--port 8080] [--host 127.0.0.1]
import http from "node:http";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".gz": "application/gzip",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

// URL prefix → directory. Nothing outside these directories is reachable.
const ROUTES = [
  ["/web/", "web"],
  ["/dist/", "dist"],
  ["/wasm/", "wasm"],
  ["/node_modules/uplot/dist/", "node_modules/uplot/dist"],
  // Browser-test fixtures, and a second location of the .wasm files for the `wasmBase` test.
  ["/test/browser/", "test/browser"],
  ["/assets/core/", "wasm"],
];

function resolveFile(urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  for (const [prefix, dir] of ROUTES) {
    if (!p.startsWith(prefix)) continue;
    const base = path.join(root, dir);
    let file = path.resolve(base, "." + p.slice(prefix.length - 1));
    if (file !== base && !file.startsWith(base + path.sep)) return null;
    try {
      if (statSync(file).isDirectory()) file = path.join(file, "index.html");
      if (statSync(file).isFile()) return file;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Starts the server and resolves once it listens. `port` 0 picks a free port; the returned object
 * has `url` (ending in "/") and `close()`.
 */
export async function startServer({ port = 0, host = "127.0.0.1", log = false } = {}) {
  const server = http.createServer((req, res) => {
    const urlPath = new URL(req.url ?? "/", "http://x").pathname;
    if (urlPath === "/" || urlPath === "/web") {
      res.writeHead(302, { location: "/web/" });
      res.end();
      return;
    }
    const file = req.method === "GET" || req.method === "HEAD" ? resolveFile(urlPath) : null;
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(`not found: ${urlPath}\n`);
      if (log) console.log(`404 ${urlPath}`);
      return;
    }
    res.writeHead(200, {
      "content-type": MIME[path.extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      // Cross-origin isolation: pages may then share WebAssembly memory with workers (the core's threads).
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  return {
    url: `http://${host}:${addr.port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const port = Number(opt("--port", "8080"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port must be an integer 0…65535, got ${opt("--port")}`);
    process.exit(1);
  }
  startServer({ port, host: opt("--host", "127.0.0.1"), log: true }).then(
    (s) => console.log(`dendritic demo: ${s.url}web/  (Ctrl-C to stop)`),
    (e) => {
      console.error(`serve: ${e.message}`);
      process.exit(1);
    },
  );
}
