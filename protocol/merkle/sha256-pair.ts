// SHA-256 of exactly 64 bytes (two 32-byte hashes): a storage tree's parent, SHA-256(left ‖
// right). A path of a 4 GiB payload is 18 of them, and a general-purpose hasher spends more
// on set-up than on the two compressions this needs (bench/proofs.ts). Specialised: the
// message is one 512-bit block, and the padding block that follows a 64-byte message is the
// same every time (0x80, zeros, bit length 512), so its message schedule is computed once.
// Checked against @noble/hashes in protocol/tests/storage-tree.test.ts (FIPS 180-4).

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
  0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

function expand(w: Uint32Array): void {
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!, b = w[i - 2]!;
    const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
    const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
}

/** K[i] + W[i] of the constant padding block, computed once. */
const PAD_KW = (() => {
  const w = new Uint32Array(64);
  w[0] = 0x80000000;
  w[15] = 512;
  expand(w);
  return Uint32Array.from(K, (k, i) => (k + w[i]!) | 0);
})();

const W = new Uint32Array(64);
const H = new Uint32Array(8);

/** One compression of the state H with round constants plus schedule `kw`. */
function compress(kw: Uint32Array): void {
  let a = H[0]!, b = H[1]!, c = H[2]!, d = H[3]!, e = H[4]!, f = H[5]!, g = H[6]!, h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + kw[i]!) | 0;
    const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

const KW = new Uint32Array(64);

/** SHA-256(left ‖ right) for two 32-byte values. */
export function sha256Pair(left: Uint8Array, right: Uint8Array): Uint8Array {
  for (let i = 0; i < 8; i++) {
    const o = 4 * i;
    W[i] = (left[o]! << 24) | (left[o + 1]! << 16) | (left[o + 2]! << 8) | left[o + 3]!;
    W[i + 8] = (right[o]! << 24) | (right[o + 1]! << 16) | (right[o + 2]! << 8) | right[o + 3]!;
  }
  expand(W);
  for (let i = 0; i < 64; i++) KW[i] = (K[i]! + W[i]!) | 0;
  H.set(IV);
  compress(KW);
  compress(PAD_KW);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
}
