import { describe, expect, it } from "vitest";
import { ByteQueue } from "./byte-queue.js";
import { makeDecoder } from "./columns.js";
import { NativeError } from "./errors.js";
import { DEFAULT_READ_LIMITS, type Parse, parseComplete, RawSource, type ReadLimits } from "./reader.js";
import { parseType } from "./types.js";
import { Writer } from "./writer.js";

function decode(type: string, rows: number, bytes: Buffer, limits: Partial<ReadLimits> = {}) {
  const queue = new ByteQueue();
  queue.push(bytes);
  const src = new RawSource(queue);
  const context = { timezone: "UTC", limits: { ...DEFAULT_READ_LIMITS, ...limits } };
  const decoder = makeDecoder(parseType(type), context);
  const parser = (function* (): Parse<unknown[]> {
    yield* decoder.prefix(src);
    return yield* decoder.data(src, rows);
  })();
  const values = parseComplete(parser, queue);
  expect(queue.available).toBe(0);
  return values;
}

const u64 = (...values: number[]) => {
  const w = new Writer();
  for (const value of values) w.int64(BigInt(value));
  return w.toBuffer();
};

// LowCardinality index type: key width code in the low byte, flags above.
const HAS_ADDITIONAL_KEYS = 1 << 9;

describe("column decoders on hand-built data", () => {
  it("LowCardinality(Nullable(String)) with UInt16 indexes: index 0 is NULL", () => {
    const keys = new Writer().string("").string("x").string("y").toBuffer();
    const indexes = new Writer();
    for (const index of [2, 0, 1, 2]) indexes.bytes(Buffer.from([index, 0]));
    const bytes = Buffer.concat([
      u64(1),
      u64(HAS_ADDITIONAL_KEYS | 1),
      u64(3),
      keys,
      u64(4),
      indexes.toBuffer(),
    ]);
    expect(decode("LowCardinality(Nullable(String))", 4, bytes)).toEqual(["y", null, "x", "y"]);
  });

  it("LowCardinality split into chunks with their own dictionaries", () => {
    const chunk = (words: string[], indexes: number[]) => {
      const keys = new Writer();
      for (const word of words) keys.string(word);
      return Buffer.concat([
        u64(HAS_ADDITIONAL_KEYS),
        u64(words.length),
        keys.toBuffer(),
        u64(indexes.length),
        Buffer.from(indexes),
      ]);
    };
    const bytes = Buffer.concat([u64(1), chunk(["a", "b"], [1, 0]), chunk(["c"], [0, 0])]);
    expect(decode("LowCardinality(String)", 4, bytes)).toEqual(["b", "a", "c", "c"]);
  });

  it("LowCardinality prefixes come before all data in Array(LowCardinality)", () => {
    const bytes = Buffer.concat([
      u64(1),
      u64(2, 3),
      u64(HAS_ADDITIONAL_KEYS),
      u64(1),
      new Writer().string("k").toBuffer(),
      u64(3),
      Buffer.from([0, 0, 0]),
    ]);
    expect(decode("Array(LowCardinality(String))", 2, bytes)).toEqual([["k", "k"], ["k"]]);
  });

  it("refuses LowCardinality data it does not understand", () => {
    expect(() => decode("LowCardinality(String)", 1, Buffer.concat([u64(2)]))).toThrow(/keys version 2/);
    const global = Buffer.concat([u64(1), u64(1 << 8)]);
    expect(() => decode("LowCardinality(String)", 1, global)).toThrow(/global dictionary/);
    const outOfRange = Buffer.concat([
      u64(1),
      u64(HAS_ADDITIONAL_KEYS),
      u64(1),
      new Writer().string("a").toBuffer(),
      u64(1),
      Buffer.from([5]),
    ]);
    expect(() => decode("LowCardinality(String)", 1, outOfRange)).toThrow(/index 5 exceeds/);
    const tooManyRows = Buffer.concat([
      u64(1),
      u64(HAS_ADDITIONAL_KEYS),
      u64(1),
      new Writer().string("a").toBuffer(),
      u64(9),
      Buffer.alloc(9),
    ]);
    expect(() => decode("LowCardinality(String)", 1, tooManyRows)).toThrow(/chunk size 9 exceeds/);
  });

  it("Array offsets must not go backwards or beyond the limits", () => {
    expect(() => decode("Array(UInt8)", 2, Buffer.concat([u64(3, 1), Buffer.alloc(3)]))).toThrow(/backwards/);
    expect(() => decode("Array(UInt8)", 1, u64(1_000_000), { maxRows: 1000 })).toThrow(NativeError);
  });

  it("Nullable applies its null map over any inner type", () => {
    const bytes = Buffer.concat([Buffer.from([0, 1, 0]), Buffer.from([1, 0, 0, 0, 9, 9, 9, 9, 3, 0, 0, 0])]);
    expect(decode("Nullable(Int32)", 3, bytes)).toEqual([1, null, 3]);
    expect(decode("Nullable(Nothing)", 2, Buffer.from([1, 1, 0x30, 0x30]))).toEqual([null, null]);
  });

  it("Map keys become object keys, even __proto__", () => {
    const keys = new Writer().string("__proto__").string("a").toBuffer();
    const bytes = Buffer.concat([u64(2), keys, Buffer.from([1, 2])]);
    const [value] = decode("Map(String, UInt8)", 1, bytes) as Record<string, number>[];
    expect(Object.keys(value!)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it("an Enum value without a name falls back to its number", () => {
    expect(decode("Enum8('a' = 1)", 2, Buffer.from([1, 7]))).toEqual(["a", "7"]);
  });

  it("DateTime without a time zone uses the context's", () => {
    expect(decode("DateTime", 1, Buffer.from([0, 0, 0, 0]))).toEqual(["1970-01-01 00:00:00"]);
    expect(decode("DateTime64(2, 'Asia/Kolkata')", 1, u64(-1))).toEqual(["1970-01-01 05:29:59.99"]);
  });

  it("refuses to build decoders for unsupported types and unknown zones", () => {
    const context = { timezone: "UTC", limits: DEFAULT_READ_LIMITS };
    expect(() => makeDecoder(parseType("Dynamic"), context)).toThrow(/cannot decode type Dynamic/);
    expect(() => makeDecoder(parseType("DateTime('Nowhere/Void')"), context)).toThrow(/Unknown time zone/);
  });

  it("reads a String column whose strings arrive a byte at a time, each string read once", () => {
    const w = new Writer();
    const words = Array.from({ length: 200 }, (_, i) => `word-${i}-${"x".repeat(i % 17)}`);
    for (const word of words) w.string(word);
    const bytes = w.toBuffer();
    const queue = new ByteQueue();
    let attempts = 0;
    const tryBytes = queue.tryBytes.bind(queue);
    queue.tryBytes = (max, what) => {
      attempts++;
      return tryBytes(max, what);
    };
    const decoder = makeDecoder(parseType("String"), { timezone: "UTC", limits: DEFAULT_READ_LIMITS });
    const parser = decoder.data(new RawSource(queue), words.length);
    let step = parser.next();
    for (const byte of bytes) {
      queue.push(Buffer.from([byte]));
      while (!step.done && queue.available >= step.value) step = parser.next();
    }
    expect(step.done && step.value).toEqual(words);
    // One failed attempt (length known, body missing) and one successful read per string, at most
    // one more when the length byte itself was missing.
    expect(attempts).toBeLessThanOrEqual(words.length * 3);
  });
});
