// The demo's drawing pad preprocessing (web/pad.js): a drawing becomes an MNIST-like 28×28 input.
import { suite } from "uvu";
import * as assert from "uvu/assert";
// @ts-expect-error plain ES module without declarations
import { toMnistInput } from "../web/pad.js";
import { loadMnistSmall } from "../src/node/index.ts";

const t = suite("demo pad: drawing → MNIST-like input");

/** An MNIST image drawn 7× larger on a 196×196 RGBA canvas, shifted by (dx, dy) canvas pixels. */
function canvasOf(pixels: Uint8Array, dx: number, dy: number) {
  const W = 196;
  const data = new Uint8ClampedArray(W * W * 4);
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) {
      const sx = Math.floor((x - dx) / 7),
        sy = Math.floor((y - dy) / 7);
      const v = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? pixels[sy * 28 + sx] : 0;
      data.set([v, v, v, 255], (y * W + x) * 4);
    }
  }
  return { width: W, height: W, data };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0,
    mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Best correlation of b with a shifted by at most one pixel in each direction. */
function bestShiftedCorrelation(a: Float32Array, b: number[]): number {
  let best = -1;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const s = new Float32Array(784);
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const sy = y + dy,
            sx = x + dx;
          if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) s[y * 28 + x] = a[sy * 28 + sx];
        }
      best = Math.max(best, correlation(s, b));
    }
  }
  return best;
}

t("an enlarged, off-centre MNIST digit comes back as itself within one pixel (correlation > 0.9 on 50 test digits)", () => {
  const ds = loadMnistSmall();
  // MNIST digits are themselves size-normalised to 20×20 and centred by mass (to the nearest
  // pixel), so the round trip recovers them up to resampling blur and a one-pixel placement
  // difference; 0.9 leaves room for the blur and fails on a flip or a transposition (measured on
  // these 50 digits: at most 0.73 for the transposed inputs, down to 0.06 for vertically flipped ones).
  for (let i = 0; i < 50; i++) {
    const img = ds.test.x.subarray(i * 784, (i + 1) * 784);
    const x = toMnistInput(canvasOf(img, (i % 5) * 6 - 12, (i % 3) * 8 - 8)) as Float32Array;
    assert.is(x.length, 784);
    assert.ok(x.every((v) => v >= 0 && v <= 1));
    const r = bestShiftedCorrelation(
      x,
      Array.from(img, (v) => v / 255),
    );
    assert.ok(r > 0.9, `digit ${i} (label ${ds.test.labels[i]}): correlation ${r.toFixed(3)}`);
  }
});

t("an empty drawing gives null (no prediction)", () => {
  assert.is(toMnistInput({ width: 196, height: 196, data: new Uint8ClampedArray(196 * 196 * 4) }), null);
});

t.run();
