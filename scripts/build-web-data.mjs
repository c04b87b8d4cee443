// Writes the demo's embedded data set: mnist-small (the `mnist` package's 10 000 digits, split as
// the library splits them) as four gzipped IDX files in web/data/, 1.7 MB instead of the
// package's 21 MB of JSON. The browser reads them with fetchIdxDataset (DecompressionStream):
//   train-images-idx3-ubyte.gz  the 8 000 training digits followed by the 1 000 validation digits
//   t10k-images-idx3-ubyte.gz   the 1 000 test digits (and the matching label files)
// so fetchIdxDataset(…, { validation: 1000 }) yields exactly loadMnistSmall()'s three splits.
// Usage: node scripts/build-web-data.mjs [--out DIR]   (needs dist/: npm run build)
import { mkdir, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function buildWebData(outDir = path.join(root, "web", "data")) {
  const { loadMnistSmall } = await import(pathToFileURL(path.join(root, "dist/node/index.js")).href);
  const { encodeIdx, IDX_FILES } = await import(pathToFileURL(path.join(root, "dist/index.js")).href);
  const ds = loadMnistSmall();
  const [rows, cols] = ds.imageShape;
  const cat = (a, b) => {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  const nTrain = ds.train.n + ds.validation.n;
  const files = {
    [IDX_FILES.trainImages]: encodeIdx("images", [nTrain, rows, cols], cat(ds.train.x, ds.validation.x)),
    [IDX_FILES.trainLabels]: encodeIdx("labels", [nTrain], cat(ds.train.labels, ds.validation.labels)),
    [IDX_FILES.testImages]: encodeIdx("images", [ds.test.n, rows, cols], ds.test.x),
    [IDX_FILES.testLabels]: encodeIdx("labels", [ds.test.n], ds.test.labels),
  };
  await mkdir(outDir, { recursive: true });
  let bytes = 0;
  for (const [name, data] of Object.entries(files)) {
    // mtime 0 in the gzip header keeps the output byte-identical from run to run.
    const gz = gzipSync(data, { level: 9 });
    gz.writeUInt32LE(0, 4);
    await writeFile(path.join(outDir, `${name}.gz`), gz);
    bytes += gz.length;
  }
  return { outDir, bytes, train: ds.train.n, validation: ds.validation.n, test: ds.test.n };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const i = process.argv.indexOf("--out");
  buildWebData(i > 0 ? path.resolve(process.argv[i + 1]) : undefined).then(
    (r) =>
      console.log(
        `build-web-data: ${path.relative(root, r.outDir)}/ (${(r.bytes / 1e6).toFixed(2)} MB gzipped IDX; ${r.train} train / ${r.validation} validation / ${r.test} test)`,
      ),
    (e) => {
      console.error(`build-web-data: ${e.message}`);
      process.exit(1);
    },
  );
}
