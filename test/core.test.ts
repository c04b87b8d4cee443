import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, detectFeatures, DisposedError, ShapeError, ValueError, type Core } from "../src/index.ts";

const t = suite("core: loading, arena, handles");
let simd: Core;
let scalar: Core;

t.before(async () => {
  simd = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
});

t("feature detection finds SIMD on Node 20 and auto switches relaxed SIMD on and picks it", async () => {
  assert.ok(detectFeatures().simd);
  const auto = await init();
  // Node 20 validates relaxed-SIMD only behind a V8 flag, which init() sets at run time.
  assert.ok(detectFeatures().relaxedSimd);
  assert.is(auto.impl, "wasm-relaxed");
  assert.is(auto.exports.relaxedSimdEnabled(), 1);
  assert.is((await init({ impl: "relaxed" })).impl, "wasm-relaxed");
});

t("the scalar build reports no SIMD and the SIMD build reports SIMD", () => {
  assert.is(simd.impl, "wasm-simd");
  assert.is(simd.exports.simdEnabled(), 1);
  assert.is(scalar.impl, "wasm-scalar");
  assert.is(scalar.exports.simdEnabled(), 0);
});

t("requesting relaxed SIMD where the runtime lacks it is a clear error", async () => {
  if (detectFeatures().relaxedSimd) return;
  try {
    await init({ impl: "relaxed" });
    assert.unreachable("should throw");
  } catch (e) {
    assert.match((e as Error).message, /relaxed-SIMD/);
  }
});

t("an unknown impl name is a ValueError", async () => {
  try {
    await init({ impl: "gpu" as never });
    assert.unreachable("should throw");
  } catch (e) {
    assert.instance(e, ValueError);
  }
});

t("tensors are 16-byte aligned, rows padded to 4 lanes, padding zero", () => {
  const a = simd.arena();
  for (const cols of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
    const m = a.matrix(3, cols);
    assert.is(m.ptr % 16, 0, `alignment at cols=${cols}`);
    assert.is(m.stride % 4, 0);
    assert.ok(m.stride >= cols && m.stride < cols + 4);
    m.write(Array.from({ length: 3 * cols }, (_, i) => i + 1));
    const raw = m.peek();
    for (let r = 0; r < 3; r++) for (let c = cols; c < m.stride; c++) assert.is(raw[r * m.stride + c], 0);
    assert.equal(
      Array.from(m.read()),
      Array.from({ length: 3 * cols }, (_, i) => i + 1),
    );
  }
  a.dispose();
});

t("write with the wrong length names both lengths", () => {
  const a = simd.arena();
  const v = a.vector(5);
  assert.throws(
    () => v.write([1, 2, 3]),
    (e: Error) => e instanceof ShapeError && /expected 5 values/.test(e.message) && /got 3/.test(e.message),
  );
  a.dispose();
});

t("use after dispose raises DisposedError, for a tensor and for its arena", () => {
  const a = simd.arena();
  const v = a.vector(8);
  v.dispose();
  assert.throws(
    () => v.read(),
    (e: Error) => e instanceof DisposedError,
  );
  const w = a.vector(8);
  a.dispose();
  assert.throws(
    () => w.peek(),
    (e: Error) => e instanceof DisposedError,
  );
  assert.throws(
    () => a.vector(3),
    (e: Error) => e instanceof DisposedError,
  );
});

t("thousands of allocate/dispose cycles leave linear memory unchanged", () => {
  const a0 = simd.arena();
  a0.matrix(500, 784).dispose(); // first growth happens here
  a0.dispose();
  const before = simd.memory.buffer.byteLength;
  for (let i = 0; i < 3000; i++) {
    const a = simd.arena();
    a.matrix(10, 784);
    a.vector(500);
    a.dispose();
  }
  assert.is(simd.memory.buffer.byteLength, before);
});

t("bad sizes are rejected before reaching WebAssembly", () => {
  const a = simd.arena();
  assert.throws(
    () => a.vector(0),
    (e: Error) => e instanceof ValueError && /cols/.test(e.message),
  );
  assert.throws(
    () => a.matrix(2.5, 3),
    (e: Error) => e instanceof ValueError && /rows/.test(e.message),
  );
  assert.throws(
    () => a.matrix(NaN, 3),
    (e: Error) => e instanceof ValueError,
  );
  a.dispose();
});

t.run();
