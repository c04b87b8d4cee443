import { init, WorkerError } from "./src/index.ts";
const core = await init({ impl: "simd", threads: 2 });
const a = core.arena();
const [b, m, n] = [10, 500, 784];
const X = a.matrix(b, n), W = a.matrix(m, n);
const ex: any = core.exports;
const end = core.memory.buffer.byteLength;
console.log("end", end);
try { ex.gemmNT(end - 4 * 248, X.ptr, W.ptr, 1, m, n, 0); console.log("no throw"); } catch (e) { console.log("caught", (e as Error).name, (e as Error).message); }
const Y = a.matrix(b, m);
ex.gemmNT(Y.ptr, X.ptr, W.ptr, b, m, n, 0);
console.log("ok after");
core.dispose();
