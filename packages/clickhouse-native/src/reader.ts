import type { ByteQueue } from "./byte-queue.js";
import { protocolError } from "./errors.js";

/**
 * A parse step. Parsers are generators so that they can stop wherever the input runs out and
 * resume there when more arrives, without parsing anything twice: each `yield` hands the driver
 * the number of bytes the raw input queue must hold before the parser is resumed.
 */
export type Parse<T> = Generator<number, T, void>;

/** Where a parser reads from: the raw socket bytes, or the decompressed stream on top of them. */
export interface Source {
  readonly queue: ByteQueue;
  /** Returns once `queue.available >= n`, yielding to the driver as often as needed. */
  fill(n: number): Parse<void>;
}

/** Limits on every length the server sends, so that a broken or hostile server cannot exhaust memory. */
export interface ReadLimits {
  /** Longest string, FixedString, name or type text, in bytes. Default: 256 MiB. */
  maxStringBytes: number;
  /** Most columns in one block. Default: 65536. */
  maxColumns: number;
  /** Most rows in one block, and most values in one nested column (array elements, dictionary keys). Default: 16777216. */
  maxRows: number;
  /** Largest compressed frame (compressed or decompressed size). Default: 256 MiB. */
  maxFrameBytes: number;
  /**
   * Longest text that is not a value: a column name or type, a table name, an exception's name,
   * message or stack trace, the server's name. Also the most bytes of column names and types
   * together in one block. Default: 16 MiB.
   */
  maxTextBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = Object.freeze({
  maxStringBytes: 256 * 1024 * 1024,
  maxColumns: 65_536,
  maxRows: 16_777_216,
  maxFrameBytes: 256 * 1024 * 1024,
  maxTextBytes: 16 * 1024 * 1024,
});

/** A source reading the raw queue that the connection fills from its socket. */
export class RawSource implements Source {
  constructor(readonly queue: ByteQueue) {}

  *fill(n: number): Parse<void> {
    while (this.queue.available < n) yield n;
  }
}

export function* readVarUInt(src: Source): Parse<number> {
  for (;;) {
    const value = src.queue.tryVarUInt();
    if (value >= 0) return value;
    yield* src.fill(src.queue.available + 1);
  }
}

export function* readBytes(src: Source, n: number): Parse<Buffer> {
  yield* src.fill(n);
  return src.queue.take(n);
}

export function* readUInt8(src: Source): Parse<number> {
  yield* src.fill(1);
  return src.queue.take(1)[0]!;
}

export function* readInt32(src: Source): Parse<number> {
  yield* src.fill(4);
  return src.queue.take(4).readInt32LE(0);
}

export function* readUInt64(src: Source): Parse<bigint> {
  yield* src.fill(8);
  return src.queue.take(8).readBigUInt64LE(0);
}

/** A varuint-prefixed byte string of at most `maxBytes`. */
export function* readBinaryString(src: Source, maxBytes: number, what: string): Parse<Buffer> {
  for (;;) {
    const bytes = src.queue.tryBytes(maxBytes, what);
    if (bytes !== undefined) return bytes;
    yield* src.fill(src.queue.wanted);
  }
}

export function* readString(src: Source, maxBytes: number, what: string): Parse<string> {
  return (yield* readBinaryString(src, maxBytes, what)).toString("utf8");
}

/** Drops the next `n` bytes as they arrive: whatever `n`, nothing is buffered beyond what one read brings. */
export function* discard(src: Source, n: number): Parse<void> {
  let left = n;
  while (left > 0) {
    if (src.queue.available === 0) yield* src.fill(1);
    const step = Math.min(left, src.queue.available);
    src.queue.discard(step);
    left -= step;
  }
}

/** Reads a varuint length, waiting for all of it. */
export function* readLength(src: Source): Parse<number> {
  for (;;) {
    const value = src.queue.tryVarUInt();
    if (value >= 0) return value;
    yield* src.fill(src.queue.available + 1);
  }
}

/**
 * A varuint-prefixed string of at most `maxBytes` of which only the first `keepBytes` are kept
 * (and buffered): the rest is dropped as it arrives.
 */
export function* readStringPrefix(
  src: Source,
  maxBytes: number,
  keepBytes: number,
  what: string,
): Parse<string> {
  const length = yield* readLength(src);
  if (length > maxBytes) throw protocolError(`${what} of ${length} bytes exceeds the limit of ${maxBytes}`);
  const kept = Math.min(length, keepBytes);
  yield* src.fill(kept);
  const text = src.queue.take(kept).toString("utf8");
  yield* discard(src, length - kept);
  return text;
}

/**
 * Runs a parser over bytes that are all present (tests, fixtures): fails if it wants more.
 */
export function parseComplete<T>(parser: Parse<T>, queue: ByteQueue): T {
  const step = parser.next();
  if (!step.done)
    throw new RangeError(`Input ended: the parser wants ${step.value} bytes, ${queue.available} remain`);
  return step.value;
}
