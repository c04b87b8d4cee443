// Turns a drawing into an MNIST-like input the way the MNIST images were made (LeCun et al.,
// yann.lecun.com/exdb/mnist): the digit's bounding box is scaled to fit a 20×20 box (aspect kept)
// and placed in a 28×28 field so that its centre of mass sits at the centre.

/**
 * @param {ImageData} img a square drawing, white ink on black
 * @returns {Float32Array | null} 784 values in [0, 1], or null for an empty drawing
 */
export function toMnistInput(img) {
  const { width: W, height: H, data } = img;
  let x0 = W,
    y0 = H,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (data[(y * W + x) * 4] > 16) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  // Area-averaging downscale of the bounding box into sw × sh.
  const small = new Float32Array(sw * sh);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const ya = y0 + (y * bh) / sh,
        yb = y0 + ((y + 1) * bh) / sh;
      const xa = x0 + (x * bw) / sw,
        xb = x0 + ((x + 1) * bw) / sw;
      let sum = 0,
        n = 0;
      for (let yy = Math.floor(ya); yy < Math.ceil(yb); yy++) {
        for (let xx = Math.floor(xa); xx < Math.ceil(xb); xx++) {
          sum += data[(yy * W + xx) * 4];
          n++;
        }
      }
      small[y * sw + x] = n ? sum / n / 255 : 0;
    }
  }
  let m = 0,
    cx = 0,
    cy = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = small[y * sw + x];
      m += v;
      cx += v * x;
      cy += v * y;
    }
  }
  const ox = Math.round(14 - (m ? cx / m : sw / 2) - 0.5);
  const oy = Math.round(14 - (m ? cy / m : sh / 2) - 0.5);
  const out = new Float32Array(784);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const tx = x + ox,
        ty = y + oy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = Math.min(1, small[y * sw + x]);
    }
  }
  return out;
}
