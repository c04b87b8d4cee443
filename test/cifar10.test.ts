// CIFAR-10 binary reader on small files generated here.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FormatError } from "../src/core/errors.ts";
import { parseCifar10, CIFAR10_RECORD } from "../src/data/cifar10.ts";
import { loadCifar10Dir } from "../src/node/cifar10.ts";

/** A record whose pixel (h, w) of channel c is (7·h + 3·w + 101·c + seed) mod 256. */
function record(label: number, seed: number): Uint8Array {
  const r = new Uint8Array(CIFAR10_RECORD);
  r[0] = label;
  for (let c = 0; c < 3; c++) for (let h = 0; h < 32; h++) for (let w = 0; w < 32; w++) r[1 + c * 1024 + h * 32 + w] = (7 * h + 3 * w + 101 * c + seed) % 256;
  return r;
}
function file(records: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(records.length * CIFAR10_RECORD);
  records.forEach((r, i) => out.set(r, i * CIFAR10_RECORD));
  return out;
}

const t = suite("CIFAR-10 binary reader");

t("records are parsed into labels and channels-last pixels", () => {
  const p = parseCifar10(file([record(3, 0), record(9, 50)]), "x.bin");
  assert.is(p.n, 2);
  assert.equal(Array.from(p.labels), [3, 9]);
  for (const [i, seed] of [
    [0, 0],
    [1, 50],
  ])
    for (const [h, w, c] of [
      [0, 0, 0],
      [0, 1, 2],
      [5, 31, 1],
      [31, 31, 2],
      [17, 4, 0],
    ])
      assert.is(p.pixels[i * 3072 + (h * 32 + w) * 3 + c], (7 * h + 3 * w + 101 * c + seed) % 256, `image ${i} (${h},${w},${c})`);
});

t("a length that is not a whole number of records is a FormatError naming the file and the length", () => {
  assert.throws(
    () => parseCifar10(new Uint8Array(3073 * 2 + 5), "/d/data_batch_2.bin"),
    (e: Error) => e instanceof FormatError && /data_batch_2\.bin: 6151 bytes/.test(e.message) && /3073 bytes each/.test(e.message),
  );
  assert.throws(
    () => parseCifar10(new Uint8Array(0), "empty.bin"),
    (e: Error) => e instanceof FormatError && /empty\.bin: 0 bytes/.test(e.message),
  );
});

t("a label outside 0…9 is a FormatError naming the file and the record", () => {
  assert.throws(
    () => parseCifar10(file([record(1, 0), record(10, 0)]), "test_batch.bin"),
    (e: Error) => e instanceof FormatError && /test_batch\.bin: record 1 has label 10/.test(e.message),
  );
});

t("a directory of the six files becomes train / validation / test splits; a missing file is named", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cifar10-"));
  try {
    let k = 0;
    for (let b = 1; b <= 5; b++) writeFileSync(path.join(dir, `data_batch_${b}.bin`), file([record(k % 10, k++), record(k % 10, k++)]));
    writeFileSync(path.join(dir, "test_batch.bin"), file([record(4, 200), record(5, 201), record(6, 202)]));
    const d = loadCifar10Dir(dir, { validation: 3 });
    assert.is(d.inputSize, 3072);
    assert.is(d.outputSize, 10);
    assert.is(d.train.n, 7);
    assert.is(d.validation.n, 3);
    assert.is(d.test.n, 3);
    assert.equal(Array.from(d.train.labels!), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(Array.from(d.validation.labels!), [7, 8, 9]);
    assert.equal(Array.from(d.test.labels!), [4, 5, 6]);
    // record 8 (seed 8) is the second validation image; its pixel (2, 3), channel 1
    assert.is(d.validation.x[1 * 3072 + (2 * 32 + 3) * 3 + 1], (14 + 9 + 101 + 8) % 256);
    unlinkSync(path.join(dir, "data_batch_4.bin"));
    assert.throws(
      () => loadCifar10Dir(dir),
      (e: Error) => e instanceof FormatError && /data_batch_4\.bin: missing/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
