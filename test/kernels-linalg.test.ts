// Linear-algebra kernels (gemv, gemvT, gemmNT, gemmNN, ger, gerK) against a float64 transcription of
// their definitions, in every build: SIMD, scalar, and relaxed-SIMD. Node 20 validates relaxed SIMD
// only behind --experimental-wasm-relaxed-simd, so there the relaxed build is checked by re-running
// this file in a child process with that flag (LINALG_IMPLS=relaxed).
//
// Tolerance. Every output is a sum of K float32 products (plus the old value when accumulating, and a
// scaling by eta for the updates). Summed in any order in float32, the forward error is at most
// γ_{K+3}·Σ|terms| with γ_j = j·u/(1−j·u), u = 2⁻²⁴ (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., §3.1 and eq. 3.5); +3 covers the product rounding, the eta multiply and the
// final add. The reference sums the same float32-rounded inputs in float64, whose own error is
// negligible at this scale. A fused multiply-add (relaxed build) only removes roundings.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { init, detectFeatures, kernels, DisposedError, ShapeError, ValueError, type Core, type Tensor, type Arena } from "../src/index.ts";
import { mulberry32Signed } from "../src/core/random.ts";

const U = 2 ** -24;
const tolerance = (K: number, absSum: number): number => (((K + 3) * U) / (1 - (K + 3) * U)) * absSum + 1e-30;

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33];
const BATCHES = [...Array.from({ length: 17 }, (_, i) => i + 1), 128];

function random(arena: Arena, rows: number, cols: number, next: () => number): Tensor {
  return arena.from(rows, cols, Array.from({ length: rows * cols }, next));
}

/** Checks the padding lanes of every row of `t` are exactly +0 or -0 … exactly 0 either way. */
function assertPaddingZero(t: Tensor, what: string): void {
  const raw = t.peek();
  for (let r = 0; r < t.rows; r++) {
    for (let c = t.cols; c < t.stride; c++) {
      if (raw[r * t.stride + c] !== 0) assert.unreachable(`${what}: padding lane [${r}, ${c}] is ${raw[r * t.stride + c]}, not 0`);
    }
  }
}

/**
 * Compares `got` (rows × cols, logical) with `ref` elementwise, each against its own tolerance
 * computed from the number of summed products K and the sum of |terms|.
 */
function assertClose(got: Float32Array, ref: Float64Array, absSum: Float64Array, K: number, what: string): void {
  assert.is(got.length, ref.length, `${what}: length`);
  for (let i = 0; i < ref.length; i++) {
    const tol = tolerance(K, absSum[i]);
    const err = Math.abs(got[i] - ref[i]);
    if (!(err <= tol)) assert.unreachable(`${what}: element ${i} is ${got[i]}, reference ${ref[i]}, |error| ${err} > tolerance ${tol}`);
  }
}

// ---- float64 references, transcribed from the definitions on logical (unpadded) arrays ----

/** out[r, i] = Σ_k A[r, k] B[i, k] (+ old). A is rows×K, B cols×K. */
function refNT(A: Float32Array, B: Float32Array, rows: number, cols: number, K: number, old: Float32Array | null) {
  const ref = new Float64Array(rows * cols);
  const abs = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      let s = old ? old[r * cols + i] : 0;
      let a = Math.abs(s);
      for (let k = 0; k < K; k++) {
        const t = A[r * K + k] * B[i * K + k];
        s += t;
        a += Math.abs(t);
      }
      ref[r * cols + i] = s;
      abs[r * cols + i] = a;
    }
  }
  return { ref, abs };
}

/** out[r, j] = Σ_i A[r, i] B[i, j] (+ old). A is rows×K, B K×cols. */
function refNN(A: Float32Array, B: Float32Array, rows: number, cols: number, K: number, old: Float32Array | null) {
  const ref = new Float64Array(rows * cols);
  const abs = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      let s = old ? old[r * cols + j] : 0;
      let a = Math.abs(s);
      for (let i = 0; i < K; i++) {
        const t = A[r * K + i] * B[i * cols + j];
        s += t;
        a += Math.abs(t);
      }
      ref[r * cols + j] = s;
      abs[r * cols + j] = a;
    }
  }
  return { ref, abs };
}

/** W[i, j] + eta Σ_p A[p, i] C[p, j]. A is k×m, C k×n. */
function refUpdate(W0: Float32Array, A: Float32Array, C: Float32Array, k: number, m: number, n: number, eta: number) {
  const ref = new Float64Array(m * n);
  const abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let a = 0;
      for (let p = 0; p < k; p++) {
        const t = A[p * m + i] * C[p * n + j];
        s += t;
        a += Math.abs(t);
      }
      ref[i * n + j] = W0[i * n + j] + eta * s;
      abs[i * n + j] = Math.abs(W0[i * n + j]) + Math.abs(eta) * a;
    }
  }
  return { ref, abs };
}

// ---- one check per kernel and shape ----

type Check = (core: Core, next: () => number, accumulate: boolean) => void;

function checkGemv(m: number, n: number): Check {
  return (core, next, accumulate) => {
    const a = core.arena();
    const W = random(a, m, n, next),
      x = random(a, 1, n, next),
      y = random(a, 1, m, next);
    const old = y.read();
    kernels.gemv(y, W, x, { accumulate });
    const { ref, abs } = refNT(x.read(), W.read(), 1, m, n, accumulate ? old : null);
    assertClose(y.read(), ref, abs, n, `gemv ${m}×${n} accumulate=${accumulate}`);
    assertPaddingZero(y, "gemv y");
    a.dispose();
  };
}

function checkGemvT(m: number, n: number): Check {
  return (core, next, accumulate) => {
    const a = core.arena();
    const W = random(a, m, n, next),
      x = random(a, 1, m, next),
      y = random(a, 1, n, next);
    const old = y.read();
    kernels.gemvT(y, W, x, { accumulate });
    const { ref, abs } = refNN(x.read(), W.read(), 1, n, m, accumulate ? old : null);
    assertClose(y.read(), ref, abs, m, `gemvT ${m}×${n} accumulate=${accumulate}`);
    assertPaddingZero(y, "gemvT y");
    a.dispose();
  };
}

function checkGemmNT(b: number, m: number, n: number): Check {
  return (core, next, accumulate) => {
    const a = core.arena();
    const X = random(a, b, n, next),
      W = random(a, m, n, next),
      Y = random(a, b, m, next);
    const old = Y.read();
    kernels.gemmNT(Y, X, W, { accumulate });
    const { ref, abs } = refNT(X.read(), W.read(), b, m, n, accumulate ? old : null);
    assertClose(Y.read(), ref, abs, n, `gemmNT b=${b} m=${m} n=${n} accumulate=${accumulate}`);
    assertPaddingZero(Y, "gemmNT Y");
    a.dispose();
  };
}

function checkGemmNN(b: number, m: number, n: number): Check {
  return (core, next, accumulate) => {
    const a = core.arena();
    const X = random(a, b, m, next),
      W = random(a, m, n, next),
      Y = random(a, b, n, next);
    const old = Y.read();
    kernels.gemmNN(Y, X, W, { accumulate });
    const { ref, abs } = refNN(X.read(), W.read(), b, n, m, accumulate ? old : null);
    assertClose(Y.read(), ref, abs, m, `gemmNN b=${b} m=${m} n=${n} accumulate=${accumulate}`);
    assertPaddingZero(Y, "gemmNN Y");
    a.dispose();
  };
}

function checkGer(m: number, n: number): Check {
  return (core, next) => {
    const a = core.arena();
    const W = random(a, m, n, next),
      av = random(a, 1, m, next),
      c = random(a, 1, n, next);
    const eta = 0.37 * next() + 0.01;
    const W0 = W.read();
    kernels.ger(W, av, c, eta);
    const { ref, abs } = refUpdate(W0, av.read(), c.read(), 1, m, n, eta);
    assertClose(W.read(), ref, abs, 1, `ger ${m}×${n}`);
    assertPaddingZero(W, "ger W");
    a.dispose();
  };
}

function checkGerK(k: number, m: number, n: number): Check {
  return (core, next) => {
    const a = core.arena();
    const W = random(a, m, n, next),
      A = random(a, k, m, next),
      C = random(a, k, n, next);
    const eta = 0.37 * next() - 0.2;
    const W0 = W.read();
    kernels.gerK(W, A, C, eta);
    const { ref, abs } = refUpdate(W0, A.read(), C.read(), k, m, n, eta);
    assertClose(W.read(), ref, abs, k, `gerK k=${k} m=${m} n=${n}`);
    assertPaddingZero(W, "gerK W");
    a.dispose();
  };
}

function both(check: Check): Check {
  return (core, next) => {
    check(core, next, false);
    check(core, next, true);
  };
}

// ---- suites, one per build ----

const IMPLS = (process.env.LINALG_IMPLS ?? "simd,scalar").split(",") as ("simd" | "scalar" | "relaxed")[];
if (!process.env.LINALG_IMPLS && detectFeatures().relaxedSimd) IMPLS.push("relaxed");

for (const impl of IMPLS) {
  const t = suite(`linalg kernels, ${impl} build`);
  let core: Core;
  t.before(async () => {
    core = await init({ impl });
  });

  t("gemv and gemvT match the float64 reference at every m, n in 1…33 straddling the vector width, with and without accumulate", () => {
    const next = mulberry32Signed(1);
    for (const m of SIZES)
      for (const n of SIZES) {
        both(checkGemv(m, n))(core, next, false);
        both(checkGemvT(m, n))(core, next, false);
      }
  });

  t("gemmNT (Y = X Wᵀ) matches the reference for batches 1…17 and 128 at every m, n in 1…33", () => {
    const next = mulberry32Signed(2);
    for (const b of BATCHES)
      for (const m of SIZES)
        for (const n of SIZES) {
          checkGemmNT(b, m, n)(core, next, (b + m + n) % 2 === 0);
        }
    for (const b of [1, 2, 3, 4, 5, 10, 128]) for (const m of [1, 4, 7, 17]) for (const n of [3, 8, 33]) both(checkGemmNT(b, m, n))(core, next, false);
  });

  t("gemmNN (Y = X W, dX = dY W) matches the reference for batches 1…17 and 128 at every m, n in 1…33", () => {
    const next = mulberry32Signed(3);
    for (const b of BATCHES)
      for (const m of SIZES)
        for (const n of SIZES) {
          checkGemmNN(b, m, n)(core, next, (b + m + n) % 2 === 1);
        }
    for (const b of [1, 2, 3, 4, 5, 10, 128]) for (const m of [1, 4, 7, 17]) for (const n of [3, 8, 33, 65]) both(checkGemmNN(b, m, n))(core, next, false);
  });

  t("ger (W += η a cᵀ) matches the reference at every m, n in 1…33", () => {
    const next = mulberry32Signed(4);
    for (const m of SIZES) for (const n of SIZES) checkGer(m, n)(core, next, false);
  });

  t("gerK (W += η Aᵀ C) matches the reference for k = 1…17 and 128 at every m, n in 1…33", () => {
    const next = mulberry32Signed(5);
    for (const k of BATCHES) for (const m of SIZES) for (const n of SIZES) checkGerK(k, m, n)(core, next, false);
  });

  t("the real layer sizes (784, 500, 10; batch 10) match the reference", () => {
    const next = mulberry32Signed(6);
    for (const [m, n] of [
      [500, 784],
      [784, 500],
      [500, 500],
      [10, 500],
      [500, 10],
    ]) {
      both(checkGemv(m, n))(core, next, false);
      both(checkGemvT(m, n))(core, next, false);
      both(checkGemmNT(10, m, n))(core, next, false);
      both(checkGemmNN(10, m, n))(core, next, false);
      checkGer(m, n)(core, next, false);
      checkGerK(10, m, n)(core, next, false);
    }
    checkGemmNT(128, 500, 784)(core, next, true);
    checkGemmNN(128, 500, 784)(core, next, false);
  });

  t("gemmNN with large batches (W copied in 256-row chunks) matches the reference across chunk boundaries", () => {
    const next = mulberry32Signed(9);
    for (const [bsz, m, n] of [
      [32, 257, 17],
      [33, 513, 37],
      [64, 256, 64],
      [40, 600, 5],
    ])
      both(checkGemmNN(bsz, m, n))(core, next, false);
  });

  t("the inputs are left unchanged", () => {
    const next = mulberry32Signed(7);
    const a = core.arena();
    const W = random(a, 9, 13, next),
      x9 = random(a, 1, 9, next),
      x13 = random(a, 1, 13, next);
    const X = random(a, 5, 13, next),
      X9 = random(a, 5, 9, next);
    const snapshot = [W, x9, x13, X, X9].map((t) => Array.from(t.peek()));
    kernels.gemv(a.vector(9), W, x13);
    kernels.gemvT(a.vector(13), W, x9);
    kernels.gemmNT(a.matrix(5, 9), X, W);
    kernels.gemmNN(a.matrix(5, 13), X9, W);
    kernels.ger(a.matrix(9, 13), x9, x13, 0.5);
    kernels.gerK(a.matrix(9, 13), X9, X, 0.5);
    [W, x9, x13, X, X9].forEach((t, i) => assert.equal(Array.from(t.peek()), snapshot[i]));
    a.dispose();
  });

  t("padding lanes of the output stay exactly 0 even when an input holds Inf or NaN", () => {
    const a = core.arena();
    for (const n of [5, 6, 7, 17, 33]) {
      const X = a.matrix(3, 4).fill(Infinity); // X is b×m for gemmNN
      const W = a.matrix(4, n).fill(1);
      const Y = a.matrix(3, n);
      kernels.gemmNN(Y, X, W);
      assertPaddingZero(Y, `gemmNN n=${n}`);
      kernels.gemmNN(Y, X, W, { accumulate: true });
      assertPaddingZero(Y, `gemmNN accumulate n=${n}`);
      const x = a.vector(4).fill(NaN);
      const y = a.vector(n);
      kernels.gemvT(y, W, x);
      assertPaddingZero(y, `gemvT n=${n}`);
      const G = a.matrix(4, n);
      kernels.ger(G, a.vector(4).fill(Infinity), a.vector(n).fill(1), 1);
      assertPaddingZero(G, `ger n=${n}`);
      kernels.gerK(G, a.matrix(2, 4).fill(-Infinity), a.matrix(2, n).fill(1), 1);
      assertPaddingZero(G, `gerK n=${n}`);
      // gemv/gemmNT write outputs only at logical positions; Inf in W must not reach y's padding.
      const Wi = a.matrix(n, 4).fill(Infinity);
      const yv = a.vector(n);
      kernels.gemv(yv, Wi, a.vector(4).fill(1));
      assertPaddingZero(yv, `gemv n=${n}`);
      const Yn = a.matrix(3, n);
      kernels.gemmNT(Yn, a.matrix(3, 4).fill(1), Wi);
      assertPaddingZero(Yn, `gemmNT n=${n}`);
    }
    a.dispose();
  });

  t("thousands of kernel calls leave linear memory unchanged", () => {
    const next = mulberry32Signed(8);
    const a = core.arena();
    const W = random(a, 50, 78, next),
      X = random(a, 10, 78, next),
      Y = a.matrix(10, 50),
      dX = a.matrix(10, 78);
    const x = random(a, 1, 78, next),
      y = random(a, 1, 50, next);
    const before = core.memory.buffer.byteLength;
    for (let i = 0; i < 2000; i++) {
      kernels.gemmNT(Y, X, W);
      kernels.gemmNN(dX, Y, W);
      kernels.gemv(y, W, x);
      kernels.gemvT(x, W, y);
      kernels.ger(W, y, x, 1e-6);
      kernels.gerK(W, Y, X, 1e-6);
    }
    assert.is(core.memory.buffer.byteLength, before);
    a.dispose();
  });

  t.run();
}

// ---- argument checking (build-independent; run on the SIMD build) ----

const e = suite("linalg wrappers: bad arguments raise specific errors");
let core: Core;
e.before(async () => {
  core = await init({ impl: "simd" });
});

const raises = (fn: () => unknown, cls: new (...a: never[]) => Error, re: RegExp) =>
  assert.throws(fn, (err: Error) => err instanceof cls && re.test(err.message), `expected ${cls.name} matching ${re}`);

e("shape mismatches name the argument and the expected shape", () => {
  const a = core.arena();
  const W = a.matrix(3, 5);
  raises(() => kernels.gemv(a.vector(3), W, a.vector(4)), ShapeError, /gemv: x must be a vector \(1×5\)/);
  raises(() => kernels.gemv(a.vector(4), W, a.vector(5)), ShapeError, /gemv: y must be a vector \(1×3\)/);
  raises(() => kernels.gemv(a.vector(3), W, a.matrix(5, 1)), ShapeError, /gemv: x .*got 5×1/);
  raises(() => kernels.gemvT(a.vector(5), W, a.vector(5)), ShapeError, /gemvT: x must be a vector \(1×3\)/);
  raises(() => kernels.gemvT(a.vector(3), W, a.vector(3)), ShapeError, /gemvT: y must be a vector \(1×5\)/);
  raises(() => kernels.gemmNT(a.matrix(2, 3), a.matrix(2, 4), W), ShapeError, /gemmNT: X must have W.cols = 5 columns, got 2×4/);
  raises(() => kernels.gemmNT(a.matrix(2, 4), a.matrix(2, 5), W), ShapeError, /gemmNT: Y must be 2×3, got 2×4/);
  raises(() => kernels.gemmNN(a.matrix(2, 5), a.matrix(2, 5), W), ShapeError, /gemmNN: X must have W.rows = 3 columns/);
  raises(() => kernels.gemmNN(a.matrix(3, 5), a.matrix(2, 3), W), ShapeError, /gemmNN: Y must be 2×5, got 3×5/);
  raises(() => kernels.ger(W, a.vector(5), a.vector(5), 1), ShapeError, /ger: a must be a vector \(1×3\)/);
  raises(() => kernels.ger(W, a.vector(3), a.vector(3), 1), ShapeError, /ger: c must be a vector \(1×5\)/);
  raises(() => kernels.gerK(W, a.matrix(2, 4), a.matrix(2, 5), 1), ShapeError, /gerK: A must have W.rows = 3 columns/);
  raises(() => kernels.gerK(W, a.matrix(2, 3), a.matrix(3, 5), 1), ShapeError, /gerK: C must be 2×5, got 3×5/);
  a.dispose();
});

e("an output aliasing an input is rejected", () => {
  const a = core.arena();
  const S = a.matrix(4, 4);
  raises(() => kernels.gemmNT(S, S, a.matrix(4, 4)), ShapeError, /gemmNT: Y must not be the same tensor as X/);
  raises(() => kernels.gemmNN(S, a.matrix(4, 4), S), ShapeError, /gemmNN: Y must not be the same tensor as W/);
  const v = a.vector(4);
  raises(() => kernels.gemv(v, S, v), ShapeError, /gemv: y must not be the same tensor as x/);
  a.dispose();
});

e("non-finite eta and a non-boolean accumulate are ValueErrors naming them", () => {
  const a = core.arena();
  const W = a.matrix(3, 5);
  for (const eta of [NaN, Infinity, -Infinity]) {
    raises(() => kernels.ger(W, a.vector(3), a.vector(5), eta), ValueError, /ger: eta must be a finite number/);
    raises(() => kernels.gerK(W, a.matrix(2, 3), a.matrix(2, 5), eta), ValueError, /gerK: eta must be a finite number/);
  }
  raises(() => kernels.ger(W, a.vector(3), a.vector(5), "1" as never), ValueError, /ger: eta/);
  raises(() => kernels.gemv(a.vector(3), W, a.vector(5), { accumulate: 1 as never }), ValueError, /gemv: options.accumulate must be a boolean/);
  a.dispose();
});

e("use after dispose names the disposed argument; tensors of two cores do not mix", async () => {
  const a = core.arena();
  const W = a.matrix(3, 5),
    x = a.vector(5),
    y = a.vector(3);
  x.dispose();
  raises(() => kernels.gemv(y, W, x), DisposedError, /gemv: x used after dispose\(\)/);
  const X = a.matrix(2, 5),
    Y = a.matrix(2, 3);
  a.dispose();
  raises(() => kernels.gemmNT(Y, X, W), DisposedError, /gemmNT: Y used after dispose\(\)/);
  const other = await init({ impl: "scalar" });
  const b1 = core.arena(),
    b2 = other.arena();
  raises(() => kernels.gemmNN(b1.matrix(2, 5), b1.matrix(2, 3), b2.matrix(3, 5)), ShapeError, /gemmNN: W belongs to another core/);
  b1.dispose();
  b2.dispose();
});

e("a non-Tensor argument is rejected by name", () => {
  const a = core.arena();
  raises(() => kernels.gemv(a.vector(3), new Float32Array(15) as never, a.vector(5)), ShapeError, /gemv: W must be a Tensor/);
  a.dispose();
});

if (!process.env.LINALG_IMPLS) e.run();

// ---- the relaxed-SIMD build where the runtime needs a flag for it ----

if (!process.env.LINALG_IMPLS && !detectFeatures().relaxedSimd) {
  const r = suite("linalg kernels, relaxed-SIMD build (child process with --experimental-wasm-relaxed-simd)");
  r("every relaxed-SIMD kernel check passes", () => {
    const probe = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "-e", "0"], { encoding: "utf8" });
    if (probe.status !== 0) {
      console.log("  (this Node has no --experimental-wasm-relaxed-simd flag; relaxed build not checked)");
      return;
    }
    const file = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", file], {
      encoding: "utf8",
      env: { ...process.env, LINALG_IMPLS: "relaxed", FORCE_COLOR: "0" },
      timeout: 600_000,
    });
    const out = `${child.stdout}\n${child.stderr}`;
    assert.ok(/Total:\s+\d+/.test(out), `the child printed no uvu summary:\n${out.slice(-2000)}`);
    assert.is(child.status, 0, `relaxed-SIMD checks failed:\n${out.slice(-4000)}`);
  });
  r.run();
}
