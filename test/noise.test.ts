// Counter-based noise (assembly/kernels/noise.ts): Philox4x32-10 against Random123's published
// known-answer vectors and a BigInt transcription, uniform variates bit-exact, Gaussian variates
// against a float64 Box–Muller of the same words, stream bookkeeping (seeds, streams, counters,
// concatenation), SIMD = scalar bit for bit, and the distribution's moments and shape.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { init, kernels, DisposedError, ShapeError, ValueError, type Core, type Tensor } from "../src/index.ts";

const U = 2 ** -24;
const f = Math.fround;

// ---- oracle: Philox4x32-10 transcribed from Salmon et al. (SC'11) / Random123 philox.h, in BigInt ----
const M0 = 0xd2511f53n,
  M1 = 0xcd9e8d57n,
  W0 = 0x9e3779b9n,
  W1 = 0xbb67ae85n,
  MASK = 0xffffffffn;
function philoxRef(ctr: number[], key: number[]): number[] {
  let [x0, x1, x2, x3] = ctr.map(BigInt);
  let [k0, k1] = key.map(BigInt);
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * x0,
      p1 = M1 * x2;
    [x0, x1, x2, x3] = [((p1 >> 32n) ^ x1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32n) ^ x3 ^ k1) & MASK, p0 & MASK];
    k0 = (k0 + W0) & MASK;
    k1 = (k1 + W1) & MASK;
  }
  return [x0, x1, x2, x3].map(Number);
}
/** Word of variate k (k may exceed 2³²) of stream (seed, stream): word k mod 4 of block k div 4. */
function wordRef(seed: number, stream: number, k: number): number {
  const b = Math.floor(k / 4);
  return philoxRef([b % 2 ** 32, Math.floor(b / 2 ** 32), 0, 0], [seed, stream])[k % 4];
}
/** Box–Muller variate k in float64 from the words; u is formed in float32 exactly as the kernel does. */
function gaussRef(seed: number, stream: number, k: number): { z: number; r: number } {
  const pair = k - (k % 2);
  const wr = wordRef(seed, stream, pair),
    wa = wordRef(seed, stream, pair + 1);
  const u = f(f(f(wr) * 2 ** -32) + 2 ** -33);
  const r = Math.sqrt(-2 * Math.log(u));
  const theta = 2 * Math.PI * (wa >>> 6) * 2 ** -26; // (π/2)(q + f) with q the top 2 bits, f the next 24
  return { z: k % 2 === 0 ? r * Math.cos(theta) : r * Math.sin(theta), r };
}

let simd: Core;
let scalar: Core;
const builds = () => [simd, scalar];

function assertPaddingZero(t: Tensor, what: string): void {
  const raw = t.peek();
  const bits = new Uint32Array(raw.buffer, raw.byteOffset, raw.length);
  for (let r = 0; r < t.rows; r++)
    for (let c = t.cols; c < t.stride; c++) {
      if (bits[r * t.stride + c] !== 0) assert.unreachable(`${what}: padding lane [${r}, ${c}] holds ${raw[r * t.stride + c]}`);
    }
}

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const SHAPES: [number, number][] = [
  [1, 1],
  [1, 2],
  [1, 3],
  [1, 4],
  [1, 5],
  [1, 7],
  [1, 8],
  [1, 9],
  [1, 15],
  [1, 16],
  [1, 17],
  [1, 31],
  [1, 33],
  [3, 5],
  [3, 17],
  [1, 784],
  [1, 500],
  [1, 10],
  [10, 500],
  [10, 10],
];
// counters: 0, unaligned, and just below the 2³² and 2³⁴ block-index carries (high word of the counter)
const COUNTERS = [0, 3, 1001, 2 ** 32 - 7, 2 ** 34 - 13, 2 ** 40 + 5];

const t = suite("noise: Philox4x32-10 streams");

t.before(async () => {
  simd = await init({ impl: "simd" });
  scalar = await init({ impl: "scalar" });
});

t("philox4x32 reproduces Random123's known-answer vectors (kat_vectors, philox4x32 10)", () => {
  const kat: [number[], number[], number[]][] = [
    [
      [0, 0, 0, 0],
      [0, 0],
      [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ];
  for (const core of builds()) {
    const a = core.arena();
    const out = a.vector(4);
    const philox = core.fn<(out: number, c0: number, c1: number, c2: number, c3: number, k0: number, k1: number) => void>("philox4x32");
    for (const [ctr, key, want] of kat) {
      philox(out.ptr, ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1]);
      assert.equal(Array.from(new Uint32Array(core.memory.buffer, out.ptr, 4)), want, `${core.impl} ${ctr}`);
      assert.equal(philoxRef(ctr, key), want, "BigInt oracle");
    }
    a.dispose();
  }
});

t("uniform variates equal lo + (hi − lo)·(w >>> 8)·2⁻²⁴ of the Philox words bit for bit, at every shape and counter", () => {
  for (const core of builds()) {
    const a = core.arena();
    for (const [rows, cols] of SHAPES) {
      for (const counter of COUNTERS) {
        if (rows * cols > 500 && counter !== COUNTERS[4]) continue; // the BigInt oracle is slow; large shapes once
        const y = a.tensor(rows, cols);
        const next = kernels.uniform(y, 42, 7, counter, -0.5, 2);
        assert.is(next, counter + rows * cols);
        const got = y.read();
        const d = f(f(2) - f(-0.5));
        for (let i = 0; i < rows * cols; i++) {
          const w = wordRef(42, 7, counter + i);
          // each float32 op is reproduced exactly: float64 evaluation of one op on float32 operands, rounded once
          const want = f(-0.5 + f(d * f((w >>> 8) * U)));
          if (got[i] !== want) assert.unreachable(`${core.impl} ${rows}×${cols} counter ${counter} element ${i}: ${got[i]} ≠ ${want}`);
        }
        assertPaddingZero(y, `${core.impl} uniform ${rows}×${cols}`);
        y.dispose();
      }
    }
    a.dispose();
  }
});

t("gaussian variates match a float64 Box–Muller of the same Philox words (|error| ≤ 16u·R) at every shape and counter", () => {
  // Error budget per variate: log ≤ 2 ulp and sqrt, × → R within 3u relative; cos/sin polynomial
  // truncation < 7·10⁻¹⁰ plus 8 roundings ≤ 8u absolute; the angle's float32 rounding ≤ 2u·π/2.
  // Together ≤ 16u·R, with R = √(−2 ln u) the pair's radius.
  let worst = 0;
  for (const core of builds()) {
    const a = core.arena();
    for (const [rows, cols] of SHAPES) {
      for (const counter of COUNTERS) {
        if (rows * cols > 500 && counter !== COUNTERS[3]) continue;
        const y = a.tensor(rows, cols);
        assert.is(kernels.gaussian(y, 3, 1, counter), counter + rows * cols);
        const got = y.read();
        for (let i = 0; i < rows * cols; i++) {
          const { z, r } = gaussRef(3, 1, counter + i);
          const err = Math.abs(got[i] - z);
          worst = Math.max(worst, err / (U * Math.max(r, 1e-30)));
          if (!(err <= 16 * U * r + 1e-30)) assert.unreachable(`${core.impl} ${rows}×${cols} counter ${counter} element ${i}: ${got[i]} vs ${z} (R ${r})`);
        }
        assertPaddingZero(y, `${core.impl} gaussian ${rows}×${cols}`);
        y.dispose();
      }
    }
    a.dispose();
  }
  assert.ok(worst > 0 && worst <= 16, `worst error ${worst.toFixed(2)}u·R`);
});

t("SIMD and scalar builds produce the identical stream, bit for bit", () => {
  for (const [rows, cols] of [...SHAPES, [37, 61] as [number, number]]) {
    for (const counter of COUNTERS) {
      const outs = builds().map((core) => {
        const a = core.arena();
        const g = a.tensor(rows, cols);
        const u = a.tensor(rows, cols);
        kernels.gaussian(g, 0xdeadbeef, 0xffffffff, counter);
        kernels.uniform(u, 0xdeadbeef, 0xffffffff, counter, -3, 5);
        const r = [bitsOf(g.read()), bitsOf(u.read())];
        a.dispose();
        return r;
      });
      assert.equal(outs[0][0], outs[1][0], `gaussian ${rows}×${cols} counter ${counter}`);
      assert.equal(outs[0][1], outs[1][1], `uniform ${rows}×${cols} counter ${counter}`);
    }
  }
});

t("a seed reproduces its stream; other seeds, streams and counters give different values", () => {
  for (const core of builds()) {
    const a = core.arena();
    const draw = (seed: number, stream: number, counter: number) => {
      const y = a.tensor(10, 50);
      kernels.gaussian(y, seed, stream, counter);
      const r = y.read();
      y.dispose();
      return r;
    };
    const base = draw(1, 0, 0);
    assert.equal(bitsOf(draw(1, 0, 0)), bitsOf(base), "same seed, stream, counter");
    for (const [s, st, c] of [
      [2, 0, 0],
      [1, 1, 0],
      [1, 0, 500],
      [1, 0, 1],
      [0x80000001, 0, 0],
    ]) {
      const other = draw(s, st, c);
      // independent standard normals coincide with probability 0; allow no more than a handful of equal values
      let same = 0;
      for (let i = 0; i < base.length; i++) if (other[i] === base[i]) same++;
      assert.ok(same <= 2, `seed ${s} stream ${st} counter ${c}: ${same} of ${base.length} values equal the base stream`);
    }
    a.dispose();
  }
});

t("counter blocks concatenate: n at c then n at c + n equals 2n at c, and rows continue the stream", () => {
  for (const core of builds()) {
    const a = core.arena();
    for (const n of [1, 3, 5, 16, 17, 250, 501]) {
      for (const c of [0, 2, 2 ** 33 - 3]) {
        const whole = a.vector(2 * n);
        const first = a.vector(n);
        const second = a.vector(n);
        kernels.gaussian(whole, 9, 4, c);
        const mid = kernels.gaussian(first, 9, 4, c);
        kernels.gaussian(second, 9, 4, mid);
        assert.equal(bitsOf(whole.read()), [...bitsOf(first.read()), ...bitsOf(second.read())], `${core.impl} n=${n} c=${c}`);
        // a 2 × n matrix at c holds the same values row after row
        const m = a.matrix(2, n);
        kernels.gaussian(m, 9, 4, c);
        assert.equal(bitsOf(m.read()), bitsOf(whole.read()), `${core.impl} 2×${n} matrix`);
        for (const tt of [whole, first, second, m]) tt.dispose();
      }
    }
    a.dispose();
  }
});

/** Standard normal CDF by Marsaglia's series Φ(x) = ½ + φ(x)(x + x³/3 + x⁵/(3·5) + …)
 *  (G. Marsaglia, "Evaluating the normal distribution", J. Stat. Softw. 11(4), 2004), ~1e-15 for |x| < 8. */
function Phi(x: number): number {
  if (x < -8) return 0;
  if (x > 8) return 1;
  let s = x,
    t = x;
  const q = x * x;
  for (let i = 3; s + t !== s; i += 2) {
    t *= q / i;
    s += t;
  }
  return 0.5 + s * Math.exp(-0.5 * q - 0.91893853320467274178);
}

t("10⁶ Gaussian variates: mean 0 and variance 1 within 5 standard errors, Kolmogorov–Smirnov D below the 0.1 % critical value", () => {
  const N = 1_000_000;
  const a = simd.arena();
  const y = a.vector(N);
  kernels.gaussian(y, 2024, 0, 0);
  const z = y.read();
  let m = 0;
  for (let i = 0; i < N; i++) m += z[i];
  m /= N;
  let v = 0,
    lag = 0,
    tail = 0;
  for (let i = 0; i < N; i++) {
    v += (z[i] - m) ** 2;
    if (i > 0) lag += z[i] * z[i - 1];
    if (Math.abs(z[i]) > 3) tail++;
  }
  v /= N - 1;
  lag /= N - 1;
  // standard errors: mean 1/√N = 1e-3, sample variance √(2/N) = 1.41e-3, lag-1 product 1/√N
  assert.ok(Math.abs(m) < 5 / Math.sqrt(N), `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 5 * Math.sqrt(2 / N), `variance ${v}`);
  assert.ok(Math.abs(lag) < 5 / Math.sqrt(N), `lag-1 correlation ${lag} (Box–Muller pair members and neighbouring blocks)`);
  // P(|z| > 3) = 0.0026998; binomial standard error √(p(1−p)/N)
  const p3 = 0.0026997961;
  assert.ok(Math.abs(tail / N - p3) < 5 * Math.sqrt((p3 * (1 - p3)) / N), `tail fraction ${tail / N}`);
  // KS: D = sup |F_N − Φ|; critical value at α = 0.001 is 1.949/√N (asymptotic Kolmogorov distribution)
  const s = Float64Array.from(z).sort();
  let D = 0;
  for (let i = 0; i < N; i++) {
    const F = Phi(s[i]);
    D = Math.max(D, Math.abs((i + 1) / N - F), Math.abs(F - i / N));
  }
  assert.ok(D < 1.949 / Math.sqrt(N), `KS D = ${D}`);
  a.dispose();
});

t("10⁶ uniform variates: KS D below the 0.1 % critical value, all in [lo, hi]", () => {
  const N = 1_000_000;
  const a = scalar.arena();
  const y = a.vector(N);
  kernels.uniform(y, 77, 3, 12345, -1, 3);
  const s = Float64Array.from(y.read()).sort();
  assert.ok(s[0] >= -1 && s[N - 1] <= 3, `range [${s[0]}, ${s[N - 1]}]`);
  let D = 0;
  for (let i = 0; i < N; i++) {
    const F = (s[i] + 1) / 4;
    D = Math.max(D, Math.abs((i + 1) / N - F), Math.abs(F - i / N));
  }
  assert.ok(D < 1.949 / Math.sqrt(N), `KS D = ${D}`);
  a.dispose();
});

t("thousands of noise calls leave WebAssembly memory unchanged", () => {
  for (const core of builds()) {
    const a = core.arena();
    const y = a.tensor(10, 500);
    const before = core.memory.buffer.byteLength;
    let c = 0;
    for (let i = 0; i < 3000; i++) {
      c = kernels.gaussian(y, 1, 2, c);
      kernels.uniform(y, 1, 3, c);
    }
    assert.is(core.memory.buffer.byteLength, before);
    a.dispose();
  }
});

t("bad seeds, streams, counters and ranges raise ValueError naming the argument; disposed tensors DisposedError", () => {
  const a = simd.arena();
  const y = a.vector(8);
  assert.throws(
    () => kernels.gaussian(y, -1, 0, 0),
    (e: Error) => e instanceof ValueError && /gaussian: seed/.test(e.message),
  );
  assert.throws(
    () => kernels.gaussian(y, 2 ** 32, 0, 0),
    (e: Error) => e instanceof ValueError && /gaussian: seed/.test(e.message),
  );
  assert.throws(
    () => kernels.gaussian(y, 1, 0.5, 0),
    (e: Error) => e instanceof ValueError && /gaussian: stream/.test(e.message),
  );
  assert.throws(
    () => kernels.gaussian(y, 1, 0, -3),
    (e: Error) => e instanceof ValueError && /gaussian: counter/.test(e.message),
  );
  assert.throws(
    () => kernels.gaussian(y, 1, 0, NaN),
    (e: Error) => e instanceof ValueError && /gaussian: counter/.test(e.message),
  );
  assert.throws(
    () => kernels.gaussian(y, 1, 0, 2 ** 53 - 4),
    (e: Error) => e instanceof ValueError && /gaussian: counter/.test(e.message),
  );
  assert.throws(
    () => kernels.uniform(y, 1, 0, 0, 2, 1),
    (e: Error) => e instanceof ValueError && /uniform: need lo ≤ hi/.test(e.message),
  );
  assert.throws(
    () => kernels.uniform(y, 1, 0, 0, NaN, 1),
    (e: Error) => e instanceof ValueError && /uniform: lo/.test(e.message),
  );
  assert.throws(
    () => kernels.uniform(y, 1, 0, 0, -3e38, 3e38),
    (e: Error) => e instanceof ValueError && /finite float32 difference/.test(e.message),
  );
  assert.throws(
    () => kernels.gaussian({} as never, 1, 0, 0),
    (e: Error) => e instanceof ShapeError && /gaussian: out must be a Tensor/.test(e.message),
  );
  y.dispose();
  assert.throws(
    () => kernels.gaussian(y, 1, 0, 0),
    (e: Error) => e instanceof DisposedError && /gaussian: out/.test(e.message),
  );
  a.dispose();
});

t.run();
