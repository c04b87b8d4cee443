// Monitors: during a presentation, every monitor of the table at H_MON_TABLE records its variable
// each intervalSteps steps into its ring (src/models/microcircuit/monitor.ts reads them).
import { copy } from "../../kernels/elementwise";
import {
  geti, lay, lp, li, rowBytes, H_N0, H_R0, H_MON_COUNT, H_MON_TABLE, L_N, L_NPREV, L_NNEXT, L_WUP, L_B, L_WPI, L_WIP, L_UP, L_RP, L_VB, L_VA, L_UI, L_RI, L_VI, V_UP, V_VB, V_VA, V_UI, V_VI, V_RP, V_RI, V_APICAL, V_NORM_UP, V_NORM_IP, V_NORM_PI, V_NORM_B, V_R0, M_VAR, M_LAYER, M_INDEX, M_INTERVAL, M_PTR, M_WIDTH, M_CAPACITY, M_WRITTEN, MREC,
} from "./layout";

/** Mean |x| over the first row (n values). */
function meanAbsRow(x: usize, n: i32): f32 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += Math.abs(<f64>load<f32>(x + (<usize>i << 2)));
  return <f32>(s / <f64>n);
}

/** Frobenius norm of an m × n matrix. */
function frob(W: usize, m: i32, n: i32): f32 {
  const rb = rowBytes(n);
  let s: f64 = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const w = <f64>load<f32>(W + <usize>i * rb + (<usize>j << 2));
      s += w * w;
    }
  }
  return <f32>Math.sqrt(s);
}

/** Writes one record of every monitor whose interval divides the step clock. */
export function recordMonitors(net: usize, clock: i32): void {
  const count = geti(net, H_MON_COUNT);
  const table = <usize>geti(net, H_MON_TABLE);
  for (let m = 0; m < count; m++) {
    const M = table + (<usize>(m * MREC) << 2);
    const interval = load<i32>(M + (M_INTERVAL << 2));
    if (clock % interval != 0) continue;
    const v = load<i32>(M + (M_VAR << 2));
    const k = load<i32>(M + (M_LAYER << 2));
    const index = load<i32>(M + (M_INDEX << 2));
    const width = load<i32>(M + (M_WIDTH << 2));
    const cap = load<i32>(M + (M_CAPACITY << 2));
    const written = load<i32>(M + (M_WRITTEN << 2));
    const dst = <usize>load<i32>(M + (M_PTR << 2)) + (<usize>((written % cap) * width) << 2);
    const L = k >= 1 ? lay(net, k) : net;
    let src: usize = 0;
    let n = 0;
    switch (v) {
      case V_UP: src = lp(L, L_UP); n = li(L, L_N); break;
      case V_VB: src = lp(L, L_VB); n = li(L, L_N); break;
      case V_VA: case V_APICAL: src = lp(L, L_VA); n = li(L, L_N); break;
      case V_UI: src = lp(L, L_UI); n = li(L, L_NNEXT); break;
      case V_VI: src = lp(L, L_VI); n = li(L, L_NNEXT); break;
      case V_RP: src = lp(L, L_RP); n = li(L, L_N); break;
      case V_RI: src = lp(L, L_RI); n = li(L, L_NNEXT); break;
      case V_R0: src = <usize>geti(net, H_R0); n = geti(net, H_N0); break;
      default: break;
    }
    if (v == V_APICAL) {
      store<f32>(dst, meanAbsRow(src, n));
    } else if (v >= V_NORM_UP && v <= V_NORM_B) {
      let x: f32 = 0;
      if (v == V_NORM_UP) x = frob(lp(L, L_WUP), li(L, L_N), li(L, L_NPREV));
      else if (v == V_NORM_IP) x = frob(lp(L, L_WIP), li(L, L_NNEXT), li(L, L_N));
      else if (v == V_NORM_PI) x = frob(lp(L, L_WPI), li(L, L_N), li(L, L_NNEXT));
      else x = frob(lp(L, L_B), li(L, L_N), li(L, L_NNEXT));
      store<f32>(dst, x);
    } else if (index >= 0) {
      store<f32>(dst, load<f32>(src + (<usize>index << 2)));
    } else if (index == -2) {
      store<f32>(dst, meanAbsRow(src, n));
    } else {
      memory.copy(dst, src, <usize>n << 2);
    }
    store<i32>(M + (M_WRITTEN << 2), written + 1);
  }
}
