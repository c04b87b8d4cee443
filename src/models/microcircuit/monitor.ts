// Monitors: recorders of one variable of a microcircuit at a fixed interval, written by the
// WebAssembly model during a presentation (assembly/models/microcircuit/monitor.ts) into a
// preallocated ring, so recording never crosses the boundary per step.
import type { Tensor } from "../../core/arena.js";
import { ShapeError } from "../../core/errors.js";
import {
  V_UP,
  V_VB,
  V_VA,
  V_UI,
  V_VI,
  V_RP,
  V_RI,
  V_APICAL,
  V_NORM_UP,
  V_NORM_IP,
  V_NORM_PI,
  V_NORM_B,
  V_W_UP,
  V_W_IP,
  V_W_PI,
  V_W_B,
  V_R0,
} from "./layout.js";

/** Variables a monitor can record, by name → the WebAssembly model's code (layout.ts). */
export const VARIABLES = Object.freeze({
  uP: V_UP,
  vB: V_VB,
  vA: V_VA,
  uI: V_UI,
  vI: V_VI,
  rP: V_RP,
  rI: V_RI,
  apical: V_APICAL,
  normUp: V_NORM_UP,
  normIP: V_NORM_IP,
  normPI: V_NORM_PI,
  normDown: V_NORM_B,
  Wup: V_W_UP,
  WIP: V_W_IP,
  WPI: V_W_PI,
  B: V_W_B,
  r0: V_R0,
});
export type Variable = keyof typeof VARIABLES;
export const VARIABLE_DESCRIPTION: Record<number, string> = {
  [V_UP]: "somatic potential u^P",
  [V_VB]: "basal potential v^B",
  [V_VA]: "apical potential v^A",
  [V_UI]: "interneuron soma u^I",
  [V_VI]: "interneuron dendrite v^I",
  [V_RP]: "rate φ(u^P)",
  [V_RI]: "interneuron rate φ(u^I)",
  [V_W_UP]: "bottom-up weights W^up",
  [V_W_IP]: "pyramidal→interneuron weights W^IP",
  [V_W_PI]: "interneuron→pyramidal weights W^PI",
  [V_W_B]: "top-down weights B",
  [V_R0]: "input rate r_0",
};

/** What a monitor needs from its network (the Microcircuit implements it). */
export interface MonitorHost {
  /** @internal records written so far by monitor `slot` */
  _monitorWritten(slot: number): number;
}

/** A recorder of one variable at a fixed interval into a preallocated ring of `capacity` records. */
export class Monitor {
  readonly variable: Variable;
  readonly layer: number;
  readonly index: number;
  readonly intervalSteps: number;
  readonly capacity: number;
  readonly width: number;
  /** Euler step length of the network, ms (the time axis of times()). */
  readonly dtMs: number;
  #startStep: number;
  #buf: Tensor;
  #net: MonitorHost;
  #slot: number;

  /** @internal */
  constructor(
    net: MonitorHost,
    slot: number,
    buf: Tensor,
    variable: Variable,
    layer: number,
    index: number,
    intervalSteps: number,
    capacity: number,
    width: number,
    startStep = 0,
    dtMs = 0.1,
  ) {
    this.#startStep = startStep;
    this.dtMs = dtMs;
    this.#net = net;
    this.#slot = slot;
    this.#buf = buf;
    this.variable = variable;
    this.layer = layer;
    this.index = index;
    this.intervalSteps = intervalSteps;
    this.capacity = capacity;
    this.width = width;
  }
  /**
   * The network's step clock when the monitor was made (or when importState() set the clock):
   * records fall on the multiples of intervalSteps after it.
   */
  get startStep(): number {
    return this.#startStep;
  }
  /** @internal The network's clock was set to `step` and the records were cleared (importState). */
  _restart(step: number): void {
    this.#startStep = step;
  }
  /** Records written since creation (older ones are overwritten once more than `capacity` exist). */
  get written(): number {
    return this.#net._monitorWritten(this.#slot);
  }
  /** The retained records, oldest first: an array of Float32Array(width). */
  read(): Float32Array[] {
    const written = this.written;
    const count = Math.min(written, this.capacity);
    const raw = this.#buf.read();
    const out: Float32Array[] = [];
    for (let i = written - count; i < written; i++) {
      const r = i % this.capacity;
      out.push(raw.slice(r * this.width, (r + 1) * this.width));
    }
    return out;
  }
  /**
   * The simulated time of each retained record in ms, oldest first (aligned with read() and
   * values()): the network's Euler-step clock runs only during present(), and a monitor records at
   * every step that is a multiple of intervalSteps, so record i made since creation is at step
   * (⌊startStep / intervalSteps⌋ + 1 + i)·intervalSteps.
   */
  times(): Float64Array {
    const written = this.written;
    const count = Math.min(written, this.capacity);
    const I = this.intervalSteps;
    const first = Math.floor(this.startStep / I) + 1;
    const out = new Float64Array(count);
    for (let j = 0; j < count; j++) out[j] = (first + written - count + j) * I * this.dtMs;
    return out;
  }
  /** Scalar monitors (width 1) as one array, oldest first. */
  values(): Float32Array {
    if (this.width !== 1) throw new ShapeError(`monitor of ${this.variable} records ${this.width} values per record; use read()`);
    const rec = this.read();
    return Float32Array.from(rec, (r) => r[0]);
  }
}
