// CityHash128 as of CityHash v1.0.2, the version ClickHouse froze for the checksums of its
// compressed frames (later CityHash releases give different values). A transcription of
// contrib/cityhash102/src/city.cc with 64-bit arithmetic on BigInt, masked after every step.

const MASK = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const K3 = 0xc949d7c7509e6557n;
const K_MUL = 0x9ddfea08eb382d69n;

const add = (a: bigint, b: bigint): bigint => (a + b) & MASK;
const sub = (a: bigint, b: bigint): bigint => (a - b) & MASK;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const rotate = (value: bigint, shift: number): bigint =>
  shift === 0 ? value : ((value >> BigInt(shift)) | (value << BigInt(64 - shift))) & MASK;
const shiftMix = (value: bigint): bigint => value ^ (value >> 47n);

function hashLen16(low: bigint, high: bigint): bigint {
  let a = mul(low ^ high, K_MUL);
  a ^= a >> 47n;
  let b = mul(high ^ a, K_MUL);
  b ^= b >> 47n;
  return mul(b, K_MUL);
}

function hashLen0to16(s: Buffer, at: number, len: number): bigint {
  if (len > 8) {
    const a = s.readBigUInt64LE(at);
    const b = s.readBigUInt64LE(at + len - 8);
    return hashLen16(a, rotate(add(b, BigInt(len)), len)) ^ b;
  }
  if (len >= 4) {
    const a = BigInt(s.readUInt32LE(at));
    return hashLen16(add(BigInt(len), (a << 3n) & MASK), BigInt(s.readUInt32LE(at + len - 4)));
  }
  if (len > 0) {
    const a = s[at]!;
    const b = s[at + (len >> 1)]!;
    const c = s[at + len - 1]!;
    const y = BigInt((a + (b << 8)) >>> 0);
    const z = BigInt((len + (c << 2)) >>> 0);
    return mul(shiftMix(mul(y, K2) ^ mul(z, K3)), K2);
  }
  return K2;
}

type Pair = [bigint, bigint];

function weakHashLen32WithSeeds(s: Buffer, at: number, seedA: bigint, seedB: bigint): Pair {
  const w = s.readBigUInt64LE(at);
  const x = s.readBigUInt64LE(at + 8);
  const y = s.readBigUInt64LE(at + 16);
  const z = s.readBigUInt64LE(at + 24);
  let a = add(seedA, w);
  let b = rotate(add(add(seedB, a), z), 21);
  const c = a;
  a = add(a, x);
  a = add(a, y);
  b = add(b, rotate(a, 44));
  return [add(a, z), add(b, c)];
}

function cityMurmur(s: Buffer, at: number, len: number, seedLow: bigint, seedHigh: bigint): Pair {
  let a = seedLow;
  let b = seedHigh;
  let c: bigint;
  let d: bigint;
  let l = len - 16;
  if (l <= 0) {
    a = mul(shiftMix(mul(a, K1)), K1);
    c = add(mul(b, K1), hashLen0to16(s, at, len));
    d = shiftMix(add(a, len >= 8 ? s.readBigUInt64LE(at) : c));
  } else {
    c = hashLen16(add(s.readBigUInt64LE(at + len - 8), K1), a);
    d = hashLen16(add(b, BigInt(len)), add(c, s.readBigUInt64LE(at + len - 16)));
    a = add(a, d);
    let p = at;
    do {
      a ^= mul(shiftMix(mul(s.readBigUInt64LE(p), K1)), K1);
      a = mul(a, K1);
      b ^= a;
      c ^= mul(shiftMix(mul(s.readBigUInt64LE(p + 8), K1)), K1);
      c = mul(c, K1);
      d ^= c;
      p += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return [a ^ b, hashLen16(b, a)];
}

function cityHash128WithSeed(s: Buffer, at: number, length: number, seedLow: bigint, seedHigh: bigint): Pair {
  if (length < 128) return cityMurmur(s, at, length, seedLow, seedHigh);
  let len = length;
  let x = seedLow;
  let y = seedHigh;
  let z = mul(BigInt(len), K1);
  let v0 = add(mul(rotate(y ^ K1, 49), K1), s.readBigUInt64LE(at));
  let v1 = add(mul(rotate(v0, 42), K1), s.readBigUInt64LE(at + 8));
  let w0 = add(mul(rotate(add(y, z), 35), K1), x);
  let w1 = mul(rotate(add(x, s.readBigUInt64LE(at + 88)), 53), K1);
  let p = at;
  do {
    for (let half = 0; half < 2; half++) {
      x = mul(rotate(add(add(add(x, y), v0), s.readBigUInt64LE(p + 16)), 37), K1);
      y = mul(rotate(add(add(y, v1), s.readBigUInt64LE(p + 48)), 42), K1);
      x ^= w1;
      y ^= v0;
      z = rotate(z ^ w0, 33);
      [v0, v1] = weakHashLen32WithSeeds(s, p, mul(v1, K1), add(x, w0));
      [w0, w1] = weakHashLen32WithSeeds(s, p + 32, add(z, w1), y);
      [z, x] = [x, z];
      p += 64;
    }
    len -= 128;
  } while (len >= 128);
  y = add(y, add(mul(rotate(w0, 37), K0), z));
  x = add(x, mul(rotate(add(v0, z), 49), K0));
  // Up to four 32-byte chunks from the end, re-reading bytes already hashed when len < 32.
  for (let tailDone = 0; tailDone < len; ) {
    tailDone += 32;
    y = add(mul(rotate(sub(y, x), 42), K0), v1);
    w0 = add(w0, s.readBigUInt64LE(p + len - tailDone + 16));
    x = add(mul(rotate(x, 49), K0), w0);
    w0 = add(w0, v0);
    [v0, v1] = weakHashLen32WithSeeds(s, p + len - tailDone, v0, v1);
  }
  x = hashLen16(x, v0);
  y = hashLen16(y, w0);
  return [add(hashLen16(add(x, v1), w1), y), hashLen16(add(x, w1), add(y, v1))];
}

/** CityHash128 v1.0.2 of `data`, as ClickHouse writes it: the low 64 bits then the high 64 bits, little-endian. */
export function cityHash128(data: Uint8Array): Buffer {
  const s = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const len = s.length;
  let hash: Pair;
  if (len >= 16) {
    hash = cityHash128WithSeed(s, 16, len - 16, s.readBigUInt64LE(0) ^ K3, s.readBigUInt64LE(8));
  } else if (len >= 8) {
    hash = cityHash128WithSeed(
      s,
      0,
      0,
      s.readBigUInt64LE(0) ^ mul(BigInt(len), K0),
      s.readBigUInt64LE(len - 8) ^ K1,
    );
  } else {
    hash = cityHash128WithSeed(s, 0, len, K0, K1);
  }
  const out = Buffer.allocUnsafe(16);
  out.writeBigUInt64LE(hash[0], 0);
  out.writeBigUInt64LE(hash[1], 8);
  return out;
}
