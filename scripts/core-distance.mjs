// How long a cache line takes to travel between two threads of this machine (docs/threads.md,
// "Where the two cores sit"). The main thread and one worker bounce a counter through two
// SharedArrayBuffer slots on separate cache lines: each round trip moves each line from one core to
// the other once, so half a round trip is the time one line takes to cross. On a virtual machine
// the hypervisor decides which physical cores run the two threads, and it can move them while a
// program runs: repeat the command to see it change.
//   node scripts/core-distance.mjs [rounds = 5] [trips per round = 200000]
// Output: one line per round, "round trip N ns, one line L ns", then the median of L.
import { Worker, isMainThread, workerData } from "node:worker_threads";

if (isMainThread) {
  const rounds = Number(process.argv[2] ?? 5);
  const trips = Number(process.argv[3] ?? 200000);
  if (!(Number.isInteger(rounds) && rounds >= 1 && Number.isInteger(trips) && trips >= 1000)) {
    console.error("usage: node scripts/core-distance.mjs [rounds ≥ 1] [trips per round ≥ 1000]");
    process.exit(2);
  }
  // Slot 0 (bytes 0–3) is written by this thread, slot 32 (bytes 128–131) by the worker.
  const slots = new Int32Array(new SharedArrayBuffer(256));
  const worker = new Worker(new URL(import.meta.url), { workerData: slots.buffer });
  await new Promise((resolve, reject) => {
    worker.once("online", resolve);
    worker.once("error", reject);
  });
  const lines = [];
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < trips; i++) {
      n += 1;
      Atomics.store(slots, 0, n);
      while (Atomics.load(slots, 32) !== n);
    }
    const trip = Number(process.hrtime.bigint() - t0) / trips;
    lines.push(trip / 2);
    console.log(`round trip ${trip.toFixed(0)} ns, one line ${(trip / 2).toFixed(0)} ns`);
  }
  Atomics.store(slots, 0, -1);
  await worker.terminate();
  lines.sort((a, b) => a - b);
  console.log(`median: one line ${lines[(lines.length - 1) >> 1].toFixed(0)} ns between the two threads`);
} else {
  const slots = new Int32Array(workerData);
  let seen = 0;
  for (;;) {
    const v = Atomics.load(slots, 0);
    if (v === -1) break;
    if (v !== seen) {
      seen = v;
      Atomics.store(slots, 32, v);
    }
  }
}
