// The descriptor layout of the microcircuit (one file shared with TypeScript:
// src/models/microcircuit/layout.ts) and the accessors that read it.
export * from "../../../src/models/microcircuit/layout";
import { LAYER0, LREC } from "../../../src/models/microcircuit/layout";

// @ts-ignore: decorator
@inline export function geti(net: usize, slot: i32): i32 {
  return load<i32>(net + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline export function seti(net: usize, slot: i32, v: i32): void {
  store<i32>(net + (<usize>slot << 2), v);
}
// @ts-ignore: decorator
@inline export function getf(net: usize, slot: i32): f32 {
  return load<f32>(net + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline export function lay(net: usize, k: i32): usize {
  return net + (<usize>(LAYER0 + (k - 1) * LREC) << 2);
}
// @ts-ignore: decorator
@inline export function lp(L: usize, slot: i32): usize {
  return <usize>load<i32>(L + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline export function li(L: usize, slot: i32): i32 {
  return load<i32>(L + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline export function lf(L: usize, slot: i32): f32 {
  return load<f32>(L + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline export function rowBytes(cols: i32): usize {
  return (<usize>((cols + 3) & ~3)) << 2;
}
