// The dependency-free instantiation of AssemblyScript modules (src/core/instantiate.ts).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../src/core/instantiate.ts";
import { DendriticError } from "../src/index.ts";

const t = suite("core instantiation without the AssemblyScript loader");

// A hand-assembled module shaped like an AssemblyScript build (WebAssembly binary format, §5):
//   (import "env" "abort" (func (param i32 i32 i32 i32)))
//   (memory (export "memory") 1)
//   (data (i32.const 16) <AS string "tensor Ω too large">)  payload at 20, byte length at 16
//   (data (i32.const 96) <AS string "model.ts">)            payload at 100
//   (func (export "boom") (call $abort (i32.const 20) (i32.const 100) (i32.const 12) (i32.const 5)))
//   (func (export "ok") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
/** AssemblyScript string layout: u32 byte length (rtSize) right before UTF-16LE code units. */
const asString = (s: string): number[] => {
  const units = Array.from(s, (c) => c.charCodeAt(0));
  const len = units.length * 2;
  return [len & 0xff, (len >> 8) & 0xff, 0, 0, ...units.flatMap((u) => [u & 0xff, u >> 8])];
};
const dataSegment = (at: number, bytes: number[]): number[] => [0, 0x41, ...sleb(at), 0x0b, ...uleb(bytes.length), ...bytes];
const i32 = (n: number): number[] => [0x41, ...sleb(n)];
const body = (code: number[]): number[] => [...uleb(code.length + 2), 0, ...code, 0x0b];

const moduleBytes = new Uint8Array([
  0,
  0x61,
  0x73,
  0x6d,
  1,
  0,
  0,
  0,
  ...section(
    1,
    vec([
      [0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0],
      [0x60, 0, 0],
      [0x60, 1, 0x7f, 1, 0x7f],
    ]),
  ),
  ...section(2, vec([[...name("env"), ...name("abort"), 0, 0]])),
  ...section(3, vec([[1], [2]])),
  ...section(5, vec([[0, 1]])),
  ...section(
    7,
    vec([
      [...name("memory"), 2, 0],
      [...name("boom"), 0, 1],
      [...name("ok"), 0, 2],
    ]),
  ),
  ...section(10, vec([body([...i32(20), ...i32(100), ...i32(12), ...i32(5), 0x10, 0]), body([0x20, 0, ...i32(1), 0x6a])])),
  ...section(11, vec([dataSegment(16, asString("tensor Ω too large")), dataSegment(96, asString("model.ts"))])),
]);

t("an AssemblyScript abort becomes a DendriticError with the message, file, line and column", async () => {
  const instance = await instantiateCore(moduleBytes);
  const ex = instance.exports as { boom(): void; ok(x: number): number };
  assert.is(ex.ok(41), 42);
  try {
    ex.boom();
    assert.unreachable("boom() should throw");
  } catch (e) {
    assert.instance(e, DendriticError);
    // The message is UTF-16 in WebAssembly memory: the non-ASCII Ω checks the decoding.
    assert.is((e as Error).message, "WebAssembly core aborted: tensor Ω too large at model.ts:12:5");
  }
});

t("raw bytes and a compiled WebAssembly.Module instantiate alike", async () => {
  const a = await instantiateCore(moduleBytes);
  const b = await instantiateCore(new WebAssembly.Module(moduleBytes));
  assert.is((a.exports as { ok(x: number): number }).ok(1), 2);
  assert.is((b.exports as { ok(x: number): number }).ok(-8), -7);
});

t.run();
