// The LZ4 block format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md): sequences
// of a token (literal length << 4 | match length - 4), extra length bytes, literals, a 16-bit
// little-endian match offset. Input comes from the network, so every length and offset is checked
// before it is used.

const MIN_MATCH = 4;
// The format's end-of-block rules: the last match starts at least 12 bytes before the end and
// the last 5 bytes are literals.
const MF_LIMIT = 12;
const LAST_LITERALS = 5;
const MAX_OFFSET = 65_535;
const HASH_BITS = 16;

function corrupt(detail: string): RangeError {
  return new RangeError(`Corrupt LZ4 block: ${detail}`);
}

/** Decompresses one LZ4 block whose decompressed size is known (ClickHouse's frames carry it). */
export function lz4Decompress(input: Uint8Array, outputSize: number): Buffer {
  const out = Buffer.allocUnsafe(outputSize);
  const end = input.length;
  let ip = 0;
  let op = 0;
  while (ip < end) {
    const token = input[ip++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let byte: number;
      do {
        if (ip >= end) throw corrupt("literal length runs past the input");
        byte = input[ip++]!;
        literals += byte;
      } while (byte === 255);
    }
    if (literals > end - ip) throw corrupt("literals run past the input");
    if (literals > outputSize - op) throw corrupt("literals run past the output");
    out.set(input.subarray(ip, ip + literals), op);
    ip += literals;
    op += literals;
    if (ip === end) break; // the last sequence has literals only
    if (end - ip < 2) throw corrupt("truncated match offset");
    const offset = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw corrupt("match offset outside the output");
    let length = token & 15;
    if (length === 15) {
      let byte: number;
      do {
        if (ip >= end) throw corrupt("match length runs past the input");
        byte = input[ip++]!;
        length += byte;
      } while (byte === 255);
    }
    length += MIN_MATCH;
    if (length > outputSize - op) throw corrupt("match runs past the output");
    let from = op - offset;
    if (offset >= length) {
      out.copyWithin(op, from, from + length);
      op += length;
    } else {
      // Overlapping match: repeats the last `offset` bytes, so it must go byte by byte.
      for (let i = 0; i < length; i++) out[op++] = out[from++]!;
    }
  }
  if (op !== outputSize) throw corrupt(`decompressed to ${op} bytes instead of ${outputSize}`);
  return out;
}

/** The largest size `lz4Compress` can produce for `inputSize` bytes. */
export function lz4CompressBound(inputSize: number): number {
  return inputSize + Math.floor(inputSize / 255) + 16;
}

function writeLength(out: Buffer, op: number, rest: number): number {
  let remaining = rest;
  while (remaining >= 255) {
    out[op++] = 255;
    remaining -= 255;
  }
  out[op++] = remaining;
  return op;
}

/**
 * Compresses into one LZ4 block with a plain greedy matcher (one hash table of 4-byte
 * sequences). Smaller output than that of the reference compressor is not a goal: the client
 * only ever sends small blocks.
 */
export function lz4Compress(input: Uint8Array): Buffer {
  const src = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const n = src.length;
  const out = Buffer.allocUnsafe(lz4CompressBound(n));
  let op = 0;
  let anchor = 0;
  if (n > MF_LIMIT) {
    const table = new Int32Array(1 << HASH_BITS).fill(-1);
    const matchEnd = n - LAST_LITERALS;
    let ip = 0;
    while (ip < n - MF_LIMIT) {
      const sequence = src.readUInt32LE(ip);
      const slot = Math.imul(sequence, 2654435761) >>> (32 - HASH_BITS);
      const ref = table[slot]!;
      table[slot] = ip;
      if (ref < 0 || ip - ref > MAX_OFFSET || src.readUInt32LE(ref) !== sequence) {
        ip++;
        continue;
      }
      let length = MIN_MATCH;
      while (ip + length < matchEnd && src[ref + length] === src[ip + length]) length++;
      const literals = ip - anchor;
      const matchCode = length - MIN_MATCH;
      out[op++] = (Math.min(literals, 15) << 4) | Math.min(matchCode, 15);
      if (literals >= 15) op = writeLength(out, op, literals - 15);
      src.copy(out, op, anchor, ip);
      op += literals;
      out.writeUInt16LE(ip - ref, op);
      op += 2;
      if (matchCode >= 15) op = writeLength(out, op, matchCode - 15);
      ip += length;
      anchor = ip;
    }
  }
  const literals = n - anchor;
  out[op++] = Math.min(literals, 15) << 4;
  if (literals >= 15) op = writeLength(out, op, literals - 15);
  src.copy(out, op, anchor, n);
  op += literals;
  return out.subarray(0, op);
}
