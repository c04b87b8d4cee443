// CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF — the
// checksum of gzip, zip and PNG; check value crc32("123456789") = 0xCBF43926), table-driven,
// eight bytes per step ("slicing-by-8", Kounavis & Berry, Intel 2005).

const T = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let s = 1; s < 8; s++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[s * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

// Node ≥ 20.15 has a native zlib.crc32 (same polynomial; ≈10× faster for large checkpoints). It is
// looked up without an import statement so bundlers never pull a Node built-in into browser code.
const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
const native = (proc?.getBuiltinModule?.("node:zlib") as { crc32?: (data: Uint8Array, value?: number) => number } | undefined)?.crc32;

/** CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before them; 0 to start). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return native ? native(bytes, previous) : crc32Js(bytes, previous);
}

/** The portable implementation (browsers, older Node). */
export function crc32Js(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const a = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c =
      T[7 * 256 + (a & 0xff)] ^
      T[6 * 256 + ((a >>> 8) & 0xff)] ^
      T[5 * 256 + ((a >>> 16) & 0xff)] ^
      T[4 * 256 + (a >>> 24)] ^
      T[3 * 256 + bytes[i + 4]] ^
      T[2 * 256 + bytes[i + 5]] ^
      T[256 + bytes[i + 6]] ^
      T[bytes[i + 7]];
  }
  for (; i < n; i++) c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
